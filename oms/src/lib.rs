//! The order management system: the core the gateway server drives.
//!
//! No FIX here: the OMS speaks domain types and the gateway translates FIX
//! to and from them. Every input is an [`Event`] with a timestamp; the
//! single-writer [`OmsCore`] applies it and returns [`Output`]s (client
//! execution reports and cancel rejects, venue child orders, drop copies,
//! alerts). [`JournaledOms`] puts the [`Journal`] in front of the core:
//! events are appended (hash-chained, group-committed) before their
//! effects are returned, and a restart replays the journal
//! ([`OmsCore::recover`]).
//!
//! Table of contents:
//! - vocabulary: [`types`], [`state`] (the order state machine),
//!   [`events`] (inputs), [`outputs`];
//! - orders: [`order`] (parent and child records), [`router`],
//!   [`pretrade`] (the pre-trade check seam and built-in limits),
//!   [`risk_adapter`] (the risk crate's engine behind that seam);
//! - books: [`portfolio`] (positions, cash, P&L), [`settlement`];
//! - the core: [`core`];
//! - persistence: [`journal`] (trait, file and PostgreSQL backends),
//!   [`journaled`] (journal + core, recovery).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod events;
pub mod outputs;
pub mod state;
pub mod types;

pub mod order;
pub mod pretrade;
pub mod risk_adapter;
pub mod router;

pub mod portfolio;
pub mod settlement;

pub mod core;

pub mod journal;
pub mod journaled;

pub use crate::core::{JournalKeys, OmsConfig, OmsCore, OmsState};
pub use events::{Event, EventKind};
pub use journal::{FileJournal, FsyncPolicy, Journal, JournalError, MemJournal, PgJournal, Query};
pub use journaled::JournaledOms;
pub use outputs::{CancelReject, CxlRejReason, ExecType, ExecutionReport, Output};
pub use pretrade::{Decision, LimitsChecker, OmsView, OrderRequest, PreTradeCheck, Violation};
pub use router::{DefaultRouter, Router};
pub use state::{InvalidTransition, OrdStatus, OrderEvent};
pub use types::{
    AccountId, ClOrdId, ExecId, OrdType, OrderId, Px, Qty, Side, Symbol, TimeInForce, Timestamp,
    VenueId,
};
