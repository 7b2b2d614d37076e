//! Outputs of the OMS core: what the caller must send or record after an
//! event was journaled and applied.
//!
//! Owns the client-facing report structs ([`ExecutionReport`] with every
//! field a FIX ExecutionReport needs, [`CancelReject`] with its
//! [`CxlRejReason`]), the venue-facing child order messages, drop-copy
//! records and alerts. Domain structs only: the field docs name the FIX
//! field each one fills, but the codes (ExecType and OrdStatus characters,
//! CxlRejReason numbers, version differences) live in the gateway's FIX
//! mapping, not here.

use serde::{Deserialize, Serialize};

use crate::state::OrdStatus;
use crate::types::{
    AccountId, ClOrdId, ExecId, OrdType, OrderId, Px, Qty, SessionId, Side, Symbol, TimeInForce,
    Timestamp, VenueId,
};

/// Something to send or record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// An ExecutionReport to the client session.
    ExecReport(ExecutionReport),
    /// An OrderCancelReject to the client session.
    CancelReject(CancelReject),
    /// A new child order to a venue.
    VenueNew(VenueNewOrder),
    /// A cancel of a child order to a venue.
    VenueCancel(VenueCancel),
    /// A replace of a child order to a venue.
    VenueReplace(VenueReplace),
    /// A copy of a client ExecutionReport for the drop-copy session.
    DropCopy(ExecutionReport),
    /// Something an operator should see.
    Alert(Alert),
}

/// What an execution report reports (FIX ExecType, 150).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExecType {
    /// New (0).
    New,
    /// Pending new (A).
    PendingNew,
    /// Trade (F).
    Trade,
    /// Canceled (4).
    Canceled,
    /// Pending cancel (6).
    PendingCancel,
    /// Replaced (5).
    Replaced,
    /// Pending replace (E).
    PendingReplace,
    /// Rejected (8).
    Rejected,
    /// Expired (C).
    Expired,
    /// Done for day (3).
    DoneForDay,
    /// Trade correct (G).
    TradeCorrect,
    /// Trade cancel / bust (H).
    TradeCancel,
    /// Order status (I).
    OrderStatus,
}

/// An execution report to a client, in domain terms.
///
/// Invariant on every report: while the order is live, `cum_qty +
/// leaves_qty == order_qty`; once it is done (filled, canceled, rejected,
/// expired, done for day) `leaves_qty` is zero, as FIX prescribes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionReport {
    /// The client session.
    pub session: SessionId,
    /// Account (1).
    pub account: AccountId,
    /// OrderID (37): the OMS's, stable over the chain.
    pub order_id: OrderId,
    /// ExecID (17): unique per report.
    pub exec_id: ExecId,
    /// ExecType (150).
    pub exec_type: ExecType,
    /// OrdStatus (39).
    pub ord_status: OrdStatus,
    /// ClOrdID (11): the client's, latest of the chain (or the request's).
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41), on cancel/replace reports.
    pub orig_cl_ord_id: Option<ClOrdId>,
    /// ExecRefID (19), on corrections and busts: the ExecID of the report
    /// being corrected.
    pub exec_ref_id: Option<ExecId>,
    /// Symbol (55).
    pub symbol: Symbol,
    /// Side (54).
    pub side: Side,
    /// OrdType (40).
    pub ord_type: OrdType,
    /// Price (44).
    pub price: Option<Px>,
    /// TimeInForce (59).
    pub tif: TimeInForce,
    /// OrderQty (38).
    pub order_qty: Qty,
    /// LastQty (32).
    pub last_qty: Qty,
    /// LastPx (31).
    pub last_px: Px,
    /// LastMkt (30): the venue of the fill.
    pub last_mkt: Option<VenueId>,
    /// CumQty (14).
    pub cum_qty: Qty,
    /// LeavesQty (151).
    pub leaves_qty: Qty,
    /// AvgPx (6).
    pub avg_px: Px,
    /// Text (58).
    pub text: Option<String>,
    /// TransactTime (60).
    pub transact_time: Timestamp,
}

/// What a cancel reject answers (FIX CxlRejResponseTo, 434).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CxlRejResponseTo {
    /// OrderCancelRequest (1).
    Cancel,
    /// OrderCancelReplaceRequest (2).
    Replace,
}

/// Why a cancel or replace was refused (FIX CxlRejReason, 102).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CxlRejReason {
    /// 0: too late to cancel (the order is done).
    TooLateToCancel,
    /// 1: unknown order.
    UnknownOrder,
    /// 2: broker / exchange option.
    BrokerOption,
    /// 3: order already in pending cancel or pending replace status.
    AlreadyPending,
    /// 6: duplicate ClOrdID received.
    DuplicateClOrdId,
    /// 99: other.
    Other,
}

/// An OrderCancelReject (35=9) to a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelReject {
    /// The client session.
    pub session: SessionId,
    /// OrderID (37); `None` for an unknown order (send "NONE").
    pub order_id: Option<OrderId>,
    /// ClOrdID (11): the request's.
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41): as the request gave it.
    pub orig_cl_ord_id: ClOrdId,
    /// OrdStatus (39) of the order after the reject (Rejected if unknown).
    pub ord_status: OrdStatus,
    /// CxlRejResponseTo (434).
    pub response_to: CxlRejResponseTo,
    /// CxlRejReason (102).
    pub reason: CxlRejReason,
    /// Text (58).
    pub text: String,
}

/// A new child order for a venue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueNewOrder {
    /// Venue.
    pub venue: VenueId,
    /// The child's ClOrdID (the OMS's).
    pub cl_ord_id: ClOrdId,
    /// The parent (client) order.
    pub parent: OrderId,
    /// Account.
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Order type.
    pub ord_type: OrdType,
    /// Limit price.
    pub price: Option<Px>,
    /// Time in force.
    pub tif: TimeInForce,
}

/// Cancel a child order at a venue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueCancel {
    /// Venue.
    pub venue: VenueId,
    /// The cancel request's ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// The child's current ClOrdID.
    pub orig_cl_ord_id: ClOrdId,
    /// The venue's order id, if acknowledged.
    pub venue_order_id: Option<OrderId>,
    /// Account (as on the child's NewOrderSingle).
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// The child's quantity.
    pub qty: Qty,
}

/// Replace a child order at a venue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueReplace {
    /// Venue.
    pub venue: VenueId,
    /// The new ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// The child's current ClOrdID.
    pub orig_cl_ord_id: ClOrdId,
    /// The venue's order id, if acknowledged.
    pub venue_order_id: Option<OrderId>,
    /// Account (as on the child's NewOrderSingle).
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// New total quantity.
    pub qty: Qty,
    /// Order type.
    pub ord_type: OrdType,
    /// New price.
    pub price: Option<Px>,
    /// Time in force.
    pub tif: TimeInForce,
}

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertKind {
    /// A venue report the OMS could not match or apply.
    UnexpectedVenueReport,
    /// A venue went down with orders open.
    VenueDown,
    /// Settlement found a break between trades and clearing.
    SettlementBreak,
    /// A trade was corrected or busted.
    TradeCorrection,
    /// An operator action was applied.
    OperatorAction,
    /// The pre-trade checker raised something.
    Risk,
}

/// An alert for operators (also journaled, as an output of a journaled
/// event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// When.
    pub ts: Timestamp,
    /// What about.
    pub kind: AlertKind,
    /// Human-readable detail.
    pub text: String,
}
