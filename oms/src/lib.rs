//! The order management system: the core the gateway server drives.
//!
//! No FIX here: the OMS speaks domain types and the gateway translates FIX
//! to and from them. Every input is an [`Event`] with a timestamp; the
//! single-writer [`OmsCore`] applies it and returns [`Output`]s (client
//! execution reports and cancel rejects, venue child orders, drop copies,
//! alerts). [`JournaledOms`] puts the [`Journal`] in front of the core:
//! events are appended (hash-chained, group-committed) before their
//! effects are returned, and a restart replays the journal
//! ([`OmsCore::recover`]). Every output addressed to someone carries a
//! delivery number ([`Addressed`]), so after a crash the caller can ask
//! for exactly what a receiving session never got ([`Redelivery`],
//! [`OmsCore::venue_requests_after`]).
//!
//! Table of contents:
//! - vocabulary: [`types`], [`state`] (the order state machine),
//!   [`events`] (inputs), [`outputs`];
//! - orders: [`order`] (parent and child records), [`router`],
//!   [`pretrade`] (the pre-trade check seam and built-in limits),
//!   [`risk_adapter`] (the risk crate's engine behind that seam);
//! - books: [`portfolio`] (positions, cash, P&L), [`settlement`];
//! - the core: [`core`] (state, ids and reports in `core/mod.rs`; client
//!   requests, venue reports, and settlement/operator/connectivity in
//!   `core/client.rs`, `core/venue.rs`, `core/books.rs`; delivery numbers,
//!   cursors and what a restart owes in [`core::recovery`]);
//! - persistence: [`journal`] (trait, file and PostgreSQL backends),
//!   [`journaled`] (journal + core, recovery).
//!
//! # Limits of this version
//!
//! - A replace of an order working at several venues cancels every child
//!   and re-routes the new leaves; if one venue refuses its cancel, the
//!   replace fails but the children already canceled stay canceled (their
//!   quantity is not re-sent).
//! - Quantity a venue gives back (reject, unsolicited cancel of one
//!   child) is not re-routed; the parent closes when its last child does.
//! - Client ClOrdIDs stay unique per session for the life of the state;
//!   done orders are never evicted (nor the delivery number of each venue
//!   request), and recovery replays the whole journal (no snapshots or
//!   journal segments yet).
//! - The file journal's queries scan the file; the PostgreSQL journal has
//!   indexes for them.
//!
//! # How the gateway drives it
//!
//! ```
//! use oms::events::{NewOrder, VenueAck, VenueFill};
//! use oms::*;
//! use rust_decimal_macros::dec;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! // Embedded default: files under a data directory. (PostgreSQL:
//! // `PgJournal::connect("host=... user=... dbname=...", None).await?`.)
//! let journal = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
//! let config = OmsConfig {
//!     venues: vec![VenueId::from("SIM1")],
//!     default_venues: [(Symbol::from("AAPL"), VenueId::from("SIM1"))].into(),
//!     drop_copy: true,
//! };
//! let checker = Box::new(LimitsChecker { max_qty: Qty(10_000), max_notional: dec!(5_000_000) });
//! // `open` recovers: it replays whatever the journal holds.
//! let mut oms = JournaledOms::open(config, checker, Box::new(DefaultRouter), journal)
//!     .await
//!     .unwrap();
//!
//! let now = Timestamp(1_772_636_400_000_000_000); // from the gateway's clock
//! let sim = VenueId::from("SIM1");
//! // Many events per call = one group commit; outputs come back only after
//! // the batch is durable.
//! let outputs = oms
//!     .handle(vec![
//!         Event::new(now, EventKind::VenueConnected { venue: sim.clone() }),
//!         Event::new(now, EventKind::ClientNew(NewOrder {
//!             session: "CLIENT1".into(),
//!             cl_ord_id: ClOrdId::from("ord-1"),
//!             account: AccountId::from("ACC1"),
//!             symbol: Symbol::from("AAPL"),
//!             side: Side::Buy,
//!             qty: Qty(100),
//!             ord_type: OrdType::Limit,
//!             price: Some(Px(dec!(190.00))),
//!             tif: TimeInForce::Ioc,
//!         })),
//!     ])
//!     .await
//!     .unwrap();
//! // A PendingNew report for the client (and its drop copy), then the
//! // child order for the venue session.
//! let child = outputs.iter().find_map(|o| match o {
//!     Output::VenueNew(v) => Some(v.clone()),
//!     _ => None,
//! }).unwrap();
//! assert_eq!(child.cl_ord_id.as_str(), "O1.1");
//!
//! let outputs = oms
//!     .handle(vec![
//!         Event::new(now, EventKind::VenueAck(VenueAck {
//!             venue: sim.clone(),
//!             cl_ord_id: child.cl_ord_id.clone(),
//!             venue_order_id: OrderId::from("X-1"),
//!         })),
//!         Event::new(now, EventKind::VenueFill(VenueFill {
//!             venue: sim.clone(),
//!             cl_ord_id: child.cl_ord_id.clone(),
//!             venue_order_id: Some(OrderId::from("X-1")),
//!             exec_id: ExecId::from("F-1"),
//!             trade_id: None,
//!             last_qty: Qty(100),
//!             last_px: Px(dec!(189.99)),
//!         })),
//!     ])
//!     .await
//!     .unwrap();
//! let last = outputs.iter().rev().find_map(|o| match o {
//!     Output::ExecReport(r) => Some(r),
//!     _ => None,
//! }).unwrap();
//! assert_eq!((last.ord_status, last.cum_qty, last.leaves_qty), (OrdStatus::Filled, Qty(100), Qty(0)));
//! assert_eq!(last.cl_ord_id.as_str(), "ord-1");
//!
//! // Restart: a new process replays the same journal to the same state.
//! let snapshot = oms.core().snapshot();
//! let (_, journal) = oms.into_parts();
//! drop(journal);
//! let journal = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
//! let config = OmsConfig {
//!     venues: vec![VenueId::from("SIM1")],
//!     default_venues: [(Symbol::from("AAPL"), VenueId::from("SIM1"))].into(),
//!     drop_copy: true,
//! };
//! let checker = Box::new(LimitsChecker { max_qty: Qty(10_000), max_notional: dec!(5_000_000) });
//! let oms = JournaledOms::open(config, checker, Box::new(DefaultRouter), journal).await.unwrap();
//! assert_eq!(oms.core().snapshot(), snapshot);
//! # });
//! ```
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

pub use crate::core::recovery::{Addressed, Delivery, DeliveryCursor, Recipient, Redelivery};
pub use crate::core::{JournalKeys, OmsConfig, OmsCore, OmsState, StreamPos};
pub use events::{Event, EventKind, SourcePos};
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
