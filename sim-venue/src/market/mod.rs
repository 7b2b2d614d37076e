//! A market that moves: seeded reference-price random walks, the intraday
//! volume profile, and the simulated liquidity provider that quotes around
//! the reference price. Everything is driven by explicit time arguments
//! and explicit seeds.

mod provider;
mod random_walk;
mod volume_profile;

pub use provider::{LiquidityConfig, LiquidityProvider, LP_ACCOUNT};
pub use random_walk::RandomWalk;
pub use volume_profile::{VolumeProfile, SESSION_CLOSE_MIN, SESSION_OPEN_MIN};
