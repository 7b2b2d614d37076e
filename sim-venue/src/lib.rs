//! The simulated exchange as pure logic: matching engine, market state,
//! simulated liquidity, market data, several venues and clearing. No FIX,
//! no IO, no clock and no ambient randomness here: a FIX layer drives a
//! [`venue::Venue`] (or several in a [`venue::VenueHost`]) with decoded
//! requests and the current time, and turns what it polls out into FIX
//! messages.
//!
//! # Driving a venue (what the FIX layer does)
//!
//! ```
//! use rust_decimal_macros::dec;
//! use sim_venue::instruments::default_instruments;
//! use sim_venue::types::{OrdType, Side, TimeInForce, Timestamp};
//! use sim_venue::venue::{NewOrderRequest, Report, Venue, VenueConfig};
//!
//! let now = Timestamp(1_773_153_000_000_000_000); // UTC nanoseconds, from the caller
//! let mut venue = Venue::new(VenueConfig::new("SIMX"), default_instruments().unwrap(), now).unwrap();
//! // 35=D
//! let req = NewOrderRequest {
//!     cl_ord_id: "1".into(),
//!     account: "ACC1".into(),
//!     symbol: "AAPL".into(),
//!     side: Side::Buy,
//!     ord_type: OrdType::Limit,
//!     price: Some(dec!(190.05)),
//!     qty: dec!(100),
//!     display_qty: None,
//!     tif: TimeInForce::Ioc,
//! };
//! venue.handle_new_order(now, &req).unwrap();
//! // 35=8 (and 35=9 for refused cancels/replaces), after simulated latency
//! while let Some(report) = venue.poll_report(now) {
//!     if let Report::Execution(er) = report {
//!         assert!(er.cum_qty + er.leaves_qty <= 100);
//!     }
//! }
//! // Timers: call handle_timeout when poll_timeout says so.
//! let next = venue.poll_timeout().unwrap();
//! venue.handle_timeout(next);
//! ```
//!
//! Cancels and replaces go through `handle_cancel` / `handle_replace`;
//! market data through `subscribe_market_data` and `poll_market_data`;
//! market state changes to publish (35=h, 35=f) through
//! `poll_state_event`; operator and scenario commands through `halt`,
//! `resume`, `set_band`, `trigger_circuit_breaker`, `shock`,
//! `apply_action`, `load_scenario`; clearing through `clearing_records`,
//! `take_clearing_records` and `clearing_csv`.
//!
//! # Modules
//!
//! * [`types`]: ids, sides, order types, ticks and conversions, and the
//!   time types (`Timestamp` instants, `Duration` lengths, from `domain`).
//! * [`matching`]: the order book and its rules (read its module doc).
//! * [`instruments`]: the instruments file and its validation.
//! * [`market_state`]: session, halts, bands, circuit breakers, faults.
//! * [`scenario`]: the scenario file format and runner.
//! * [`market`]: random walks, volume profile, liquidity provider.
//! * [`market_data`]: subscriptions, snapshots, incremental updates.
//! * [`clearing`]: clearing records, settlement calendar, CSV.
//! * [`venue`]: one exchange, and several in one process.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clearing;
pub mod fix;
pub mod instruments;
pub mod load;
pub mod market;
pub mod market_data;
pub mod market_state;
pub mod matching;
pub mod scenario;
pub mod types;
pub mod venue;
