//! The trading domain model: the vocabulary that the OMS, risk and the
//! simulated venue share, so that each speaks the same types and the
//! adapters between them shrink to what really differs.
//!
//! No IO, no clock, no FIX: FIX codes live in the gateway's FIX mapping.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod calendar;
pub mod config;
pub mod ids;
pub mod instrument;
pub mod order;
pub mod quantity;
pub mod time;

pub use ids::{AccountId, ClOrdId, ExecId, OrderId, Symbol, VenueId};
pub use instrument::AssetClass;
pub use order::{OrdType, Side, TimeInForce};
pub use quantity::{Px, Qty, SignedQty, MAX_PX, MAX_QTY};
pub use time::{Duration, Timestamp};
