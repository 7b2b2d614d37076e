//! Inputs to the OMS core: every one an [`Event`] with a timestamp.
//!
//! Owns the event vocabulary: client requests (new, cancel, replace,
//! status), venue reports (ack, fill, cancel/expiry, replace, reject,
//! cancel reject, trade correction and bust), market prices and quotes,
//! settlement with clearing records, operator actions, venue
//! connectivity, and delivery cursors (how far each receiving session got,
//! recorded at start). An event may name its [`SourcePos`], an opaque
//! position in the inbound stream it came from. Events are what the
//! journal stores (serde, JSON) and what recovery replays; the core's
//! state is a fold over them. It does not own what happens in response:
//! that is `core`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::core::recovery::DeliveryCursor;
use crate::outputs::CxlRejReason;
use crate::types::{
    AccountId, ClOrdId, ExecId, OrdType, OrderId, Px, Qty, Side, Symbol, TimeInForce, Timestamp,
    VenueId,
};

/// An input with the time it happened (UTC nanoseconds, from the caller).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub ts: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// Where it came from in an inbound stream, if it did. Journaled with
    /// the event, so after a crash the caller knows, per stream, the last
    /// position whose effects are durable, and has everything after it
    /// delivered again (see [`crate::OmsState::inbound`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePos>,
}

impl Event {
    /// Build an event.
    pub fn new(ts: Timestamp, kind: EventKind) -> Event {
        Event {
            ts,
            kind,
            source: None,
        }
    }

    /// The same event, marked as coming from `source`.
    pub fn from_source(mut self, source: SourcePos) -> Event {
        self.source = Some(source);
        self
    }
}

/// A position in an inbound stream, opaque to the OMS: the stream, its
/// epoch (positions restart when a stream is reset, so a position alone
/// is ambiguous) and the position within the epoch. The caller names the
/// stream and numbers epochs and positions; the core only keeps the
/// highest per stream. (The aliases read journals written when this was
/// a FIX-shaped `{session, epoch_us, seq}`.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePos {
    /// The stream, as the caller names it.
    #[serde(alias = "session")]
    pub stream: std::sync::Arc<str>,
    /// The current epoch (the caller's numbering: the gateway uses the
    /// epoch's start in UTC microseconds).
    #[serde(alias = "epoch_us")]
    pub epoch: i64,
    /// The position within the epoch (increasing).
    #[serde(alias = "seq")]
    pub pos: u64,
}

/// Every kind of input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    /// A client's NewOrderSingle.
    ClientNew(NewOrder),
    /// A client's OrderCancelRequest.
    ClientCancel(CancelRequest),
    /// A client's OrderCancelReplaceRequest.
    ClientReplace(ReplaceRequest),
    /// A client's OrderStatusRequest.
    ClientStatus(StatusRequest),
    /// A venue acknowledged a child order (ExecType=New).
    VenueAck(VenueAck),
    /// A venue filled a child order (ExecType=Trade).
    VenueFill(VenueFill),
    /// A venue closed a child order: canceled (asked for or not), expired
    /// or done for the day.
    VenueClosed(VenueClosed),
    /// A venue accepted a replace of a child order.
    VenueReplaced(VenueReplaced),
    /// A venue rejected a new child order.
    VenueRejected(VenueRejected),
    /// A venue refused a cancel or replace of a child order.
    VenueCancelRejected(VenueCancelRejected),
    /// A venue corrected a trade (ExecType=TradeCorrect).
    VenueTradeCorrect(VenueTradeCorrect),
    /// A venue busted a trade (ExecType=TradeCancel).
    VenueTradeBust(VenueTradeBust),
    /// A mark price for an instrument (last trade or mid).
    MarketPrice {
        /// Instrument.
        symbol: Symbol,
        /// Price.
        px: Px,
    },
    /// Top of book at one venue, for routing.
    VenueQuote(Quote),
    /// Settle everything due on `date`, against the clearing records.
    Settle(Settlement),
    /// An operator action.
    Operator(OperatorAction),
    /// A venue session logged on.
    VenueConnected {
        /// Venue.
        venue: VenueId,
    },
    /// A venue session went down.
    VenueDisconnected {
        /// Venue.
        venue: VenueId,
    },
    /// How far a delivery stream's outputs reached one receiving session
    /// (recorded at each start, see `core::recovery`).
    Delivered(DeliveryCursor),
}

impl EventKind {
    /// A short stable name, stored in the journal's `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::ClientNew(_) => "ClientNew",
            EventKind::ClientCancel(_) => "ClientCancel",
            EventKind::ClientReplace(_) => "ClientReplace",
            EventKind::ClientStatus(_) => "ClientStatus",
            EventKind::VenueAck(_) => "VenueAck",
            EventKind::VenueFill(_) => "VenueFill",
            EventKind::VenueClosed(_) => "VenueClosed",
            EventKind::VenueReplaced(_) => "VenueReplaced",
            EventKind::VenueRejected(_) => "VenueRejected",
            EventKind::VenueCancelRejected(_) => "VenueCancelRejected",
            EventKind::VenueTradeCorrect(_) => "VenueTradeCorrect",
            EventKind::VenueTradeBust(_) => "VenueTradeBust",
            EventKind::MarketPrice { .. } => "MarketPrice",
            EventKind::VenueQuote(_) => "VenueQuote",
            EventKind::Settle(_) => "Settle",
            EventKind::Operator(_) => "Operator",
            EventKind::VenueConnected { .. } => "VenueConnected",
            EventKind::VenueDisconnected { .. } => "VenueDisconnected",
            EventKind::Delivered(_) => "Delivered",
        }
    }
}

pub use crate::types::SessionId;

/// A new client order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewOrder {
    /// Client session.
    pub session: SessionId,
    /// Client order id.
    pub cl_ord_id: ClOrdId,
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
    /// Limit price (Limit orders).
    pub price: Option<Px>,
    /// Time in force.
    pub tif: TimeInForce,
}

/// A client cancel request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// Client session.
    pub session: SessionId,
    /// The cancel request's own ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// Any ClOrdID of the order's chain (normally the latest).
    pub orig_cl_ord_id: ClOrdId,
}

/// A client cancel/replace request: new quantity and/or price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplaceRequest {
    /// Client session.
    pub session: SessionId,
    /// The new ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// Any ClOrdID of the order's chain (normally the latest).
    pub orig_cl_ord_id: ClOrdId,
    /// New total order quantity.
    pub qty: Qty,
    /// New limit price.
    pub price: Option<Px>,
}

/// A client order status request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusRequest {
    /// Client session.
    pub session: SessionId,
    /// Any ClOrdID of the order's chain.
    pub cl_ord_id: ClOrdId,
}

/// A venue's New ack of a child order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueAck {
    /// Venue.
    pub venue: VenueId,
    /// The child's ClOrdID (the OMS's).
    pub cl_ord_id: ClOrdId,
    /// The venue's OrderID.
    pub venue_order_id: OrderId,
}

/// A venue fill of a child order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueFill {
    /// Venue.
    pub venue: VenueId,
    /// The child's ClOrdID (any of its chain).
    pub cl_ord_id: ClOrdId,
    /// The venue's OrderID, if sent.
    pub venue_order_id: Option<OrderId>,
    /// The venue's ExecID: fills are deduplicated by (venue, exec id).
    pub exec_id: ExecId,
    /// The venue's trade (match) id, if sent: matched against clearing.
    pub trade_id: Option<String>,
    /// LastQty.
    pub last_qty: Qty,
    /// LastPx.
    pub last_px: Px,
}

/// How a venue closed a child order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CloseKind {
    /// Canceled, on request or unsolicited.
    Canceled,
    /// Expired (time in force, IOC/FOK remainder).
    Expired,
    /// Done for the day.
    DoneForDay,
}

/// A venue closed a child order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueClosed {
    /// Venue.
    pub venue: VenueId,
    /// The child's ClOrdID (any of its chain, or the cancel request's).
    pub cl_ord_id: ClOrdId,
    /// Canceled, expired or done for the day.
    pub how: CloseKind,
    /// The venue's Text.
    pub text: Option<String>,
}

/// A venue accepted a replace of a child order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueReplaced {
    /// Venue.
    pub venue: VenueId,
    /// The new child ClOrdID (the replace request's).
    pub cl_ord_id: ClOrdId,
}

/// A venue rejected a new child order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueRejected {
    /// Venue.
    pub venue: VenueId,
    /// The child's ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// The venue's reason.
    pub text: Option<String>,
}

/// A venue refused a cancel or replace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueCancelRejected {
    /// Venue.
    pub venue: VenueId,
    /// The cancel/replace request's ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// The venue's CxlRejReason.
    pub reason: CxlRejReason,
    /// The venue's Text.
    pub text: Option<String>,
}

/// A venue corrected a fill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueTradeCorrect {
    /// Venue.
    pub venue: VenueId,
    /// The correction's own ExecID.
    pub exec_id: ExecId,
    /// The ExecID of the fill being corrected (ExecRefID).
    pub exec_ref_id: ExecId,
    /// Corrected quantity.
    pub last_qty: Qty,
    /// Corrected price.
    pub last_px: Px,
}

/// A venue busted a fill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueTradeBust {
    /// Venue.
    pub venue: VenueId,
    /// The bust's own ExecID.
    pub exec_id: ExecId,
    /// The ExecID of the fill being busted (ExecRefID).
    pub exec_ref_id: ExecId,
}

/// Top of book at a venue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Best bid and its size.
    pub bid: Option<(Px, Qty)>,
    /// Best offer and its size.
    pub ask: Option<(Px, Qty)>,
}

/// One side of a cleared trade, as the venue's clearing output states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClearingRecord {
    /// Venue.
    pub venue: VenueId,
    /// The venue's trade (match) id.
    pub trade_id: String,
    /// The venue's order id.
    pub venue_order_id: OrderId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell (short sales clear as sells).
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Price.
    pub price: Px,
    /// Settlement date the venue computed.
    pub settlement_date: NaiveDate,
}

/// Settle what is due on `date`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    /// The settlement date being processed.
    pub date: NaiveDate,
    /// The clearing records for trades settling on that date.
    pub records: Vec<ClearingRecord>,
}

/// Operator actions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OperatorAction {
    /// Cash in (positive) or out (negative) of an account; settled at once.
    Deposit {
        /// Account.
        account: AccountId,
        /// Amount.
        amount: Px,
    },
    /// Set (or clear) an instrument's default venue.
    SetDefaultVenue {
        /// Instrument.
        symbol: Symbol,
        /// Venue, or None to fall back to best price.
        venue: Option<VenueId>,
    },
    /// Cancel every open order, of one account or of all.
    CancelAll {
        /// Account, or None for all.
        account: Option<AccountId>,
        /// Who asked and why (journaled, shown in the alert).
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_written_before_the_rename_still_reads() {
        let old = r#"{"session":"FIX.4.4:GW->C1","epoch_us":7,"seq":42}"#;
        let pos: SourcePos = serde_json::from_str(old).unwrap();
        assert_eq!(
            pos,
            SourcePos {
                stream: "FIX.4.4:GW->C1".into(),
                epoch: 7,
                pos: 42
            }
        );
    }
}
