//! The simulated exchange as pure logic: matching engine, market state,
//! simulated liquidity, market data, several venues and clearing. No FIX
//! and no IO here: a FIX layer drives [`venue::Venue`] (or
//! [`venue::VenueHost`]) with decoded requests and the current time, and
//! turns the returned reports into FIX messages.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clearing;
mod hash;
pub mod instruments;
pub mod market;
pub mod market_data;
pub mod market_state;
pub mod matching;
pub mod scenario;
pub mod types;
pub mod venue;
