//! Risk: pre-trade checks, market state and compliance rules, real-time
//! risk and the kill switch, for the OMS core. Pure logic: no IO, no
//! locks, no clock (every call takes `now`).
//!
//! The OMS owns one [`RiskEngine`] and calls it from its single-writer
//! loop:
//! - [`RiskEngine::pre_trade`] for every new order -> [`Decision`]
//!   (accept, reduce, or reject with a [`Violation`] naming the rule, the
//!   limit and the observed value; `Display` gives the reject Text);
//! - `on_fill`, `on_open_order_change`, `on_price`, `on_halt`,
//!   `on_index`, `on_time`, `on_daily_close`, `load_position` as things
//!   happen;
//! - operator actions `kill_switch`, `set_trading_state`,
//!   `override_rule`, `set_config`, each carrying an [`Operator`] (who,
//!   when, why);
//! - [`RiskEngine::poll_event`] after each call, to journal every
//!   [`RiskEvent`] (breaches, state changes, halts, overrides...).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Vocabulary.
pub mod decision;
pub mod events;
pub mod types;

// Configuration.
pub mod config;

// Building blocks, each a pure state machine or function.
pub mod book;
pub mod calendar;
pub mod compliance;
pub mod drawdown;
pub mod fixed;
pub mod limits;
pub mod market;
pub mod overrides;
pub mod sizing;
pub mod var;

// The engine: state and operator actions, the check, the inputs.
mod engine;
mod keys;
mod posttrade;
mod pretrade;

pub use config::{ConfigError, ConfigProblem, RiskConfig};
pub use decision::{AcceptFlags, Decision, Rule, Scope, Session, TradingState, Violation};
pub use engine::{MarketUpdate, PnlView, RiskEngine, RiskError, VarView};
pub use events::{Operator, RiskEvent};
pub use market::HaltNotice;
pub use types::{
    AccountId, AssetClass, ClOrdId, DeskId, Fill, Instrument, LocateId, LuldTier, OpenOrderChange,
    OperatorId, OrdType, OrderRequest, Sector, Side, SignedQty, Symbol, TimeInForce, Timestamp,
    Venue,
};
