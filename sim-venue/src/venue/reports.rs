//! The venue's API types at the FIX edge: requests in (new order, cancel,
//! cancel/replace), reports out (execution reports, cancel rejects), and
//! the typed reasons for rejecting an order. Prices are Decimal here.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::market_state::{HaltReason, SessionStatus};
use crate::matching::{CancelReason, CancelRejectReason, OrdStatus};
use crate::types::{
    ExecId, Liquidity, OrdType, OrderId, Qty, Side, TimeInForce, Timestamp, TradeId,
};

/// A new order (35=D) in domain terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderRequest {
    /// ClOrdID (11), unique per account for the day.
    pub cl_ord_id: String,
    /// Account (1).
    pub account: String,
    /// Symbol (55).
    pub symbol: String,
    /// Side (54).
    pub side: Side,
    /// OrdType (40).
    pub ord_type: OrdType,
    /// Price (44), required for limit orders, absent for market orders.
    pub price: Option<Decimal>,
    /// OrderQty (38).
    pub qty: Decimal,
    /// DisplayQty (1138) or MaxFloor (111) for iceberg orders.
    pub display_qty: Option<Decimal>,
    /// TimeInForce (59).
    pub tif: TimeInForce,
}

/// A cancel request (35=F).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    /// ClOrdID of this request.
    pub cl_ord_id: String,
    /// OrigClOrdID (41): the order's current ClOrdID.
    pub orig_cl_ord_id: String,
    /// OrderID (37), if the client sent it.
    pub order_id: Option<OrderId>,
    /// Account.
    pub account: String,
    /// Symbol.
    pub symbol: String,
}

/// A cancel/replace request (35=G).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaceRequest {
    /// ClOrdID of this request (the order's new ClOrdID).
    pub cl_ord_id: String,
    /// OrigClOrdID (41).
    pub orig_cl_ord_id: String,
    /// OrderID (37), if sent.
    pub order_id: Option<OrderId>,
    /// Account.
    pub account: String,
    /// Symbol.
    pub symbol: String,
    /// New limit price (`None` keeps it).
    pub price: Option<Decimal>,
    /// New total order quantity.
    pub qty: Decimal,
}

/// Why a new order was rejected (ExecType 8, OrdStatus 8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// The symbol is not listed on this venue.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
    /// The instrument is halted.
    #[error("instrument halted ({0:?})")]
    Halted(HaltReason),
    /// The session is not open.
    #[error("trading session is {0:?}")]
    SessionNotOpen(SessionStatus),
    /// The operator rejects everything.
    #[error("venue rejects all orders: {0}")]
    RejectAll(String),
    /// Price outside the band.
    #[error("price {price} outside the band [{lo}, {hi}]")]
    PriceOutsideBand {
        /// Order price.
        price: Decimal,
        /// Lower band limit.
        lo: Decimal,
        /// Upper band limit.
        hi: Decimal,
    },
    /// Price not a positive multiple of the tick.
    #[error("price {price} is not a positive multiple of the tick size {tick}")]
    BadTick {
        /// Order price.
        price: Decimal,
        /// Tick size.
        tick: Decimal,
    },
    /// Quantity zero, fractional, or not a multiple of the lot.
    #[error("bad quantity {qty}: {why}")]
    BadQuantity {
        /// Order quantity as sent.
        qty: Decimal,
        /// Why.
        why: &'static str,
    },
    /// Limit order without a price, or a market order with one.
    #[error("{0}")]
    BadPriceField(&'static str),
    /// An order type or time in force the venue does not trade (stop
    /// orders; at the opening, at the close).
    #[error("{0} not supported")]
    Unsupported(&'static str),
    /// ClOrdID already used by this account today.
    #[error("duplicate ClOrdID {0:?}")]
    DuplicateClOrdId(String),
    /// The account name is reserved by the venue.
    #[error("account {0:?} is reserved by the venue")]
    ReservedAccount(String),
}

impl RejectReason {
    /// FIX OrdRejReason (103): 1 unknown symbol, 2 exchange closed,
    /// 6 duplicate order, 13 incorrect quantity, 16 price exceeds current
    /// price band, 18 invalid price increment, 99 other.
    pub fn fix_code(&self) -> u32 {
        match self {
            RejectReason::UnknownSymbol(_) => 1,
            RejectReason::Halted(_) | RejectReason::SessionNotOpen(_) => 2,
            RejectReason::DuplicateClOrdId(_) => 6,
            RejectReason::BadQuantity { .. } => 13,
            RejectReason::PriceOutsideBand { .. } => 16,
            RejectReason::BadTick { .. } => 18,
            RejectReason::RejectAll(_)
            | RejectReason::BadPriceField(_)
            | RejectReason::Unsupported(_)
            | RejectReason::ReservedAccount(_) => 99,
        }
    }

    /// [`RejectReason::fix_code`] as the session's FIX version defines
    /// OrdRejReason: FIX 4.4 has no 16 or 18 (sent as 99, Other), FIX 4.2
    /// only 0-8 (anything else is 0, Broker/Exchange option). The Text
    /// (58) says what it was either way.
    pub fn fix_code_for(&self, begin_string: &str) -> u32 {
        ord_rej_reason_for(self.fix_code(), begin_string)
    }
}

/// An OrdRejReason (103) as `begin_string` defines the field: FIX 4.2
/// has 0-8 (anything else becomes 0, Broker/Exchange option), FIX 4.3
/// and 4.4 have no 12, 16, 17 or 18 (they become 99, Other).
pub fn ord_rej_reason_for(code: u32, begin_string: &str) -> u32 {
    match begin_string {
        "FIX.4.2" if code > 8 => 0,
        "FIX.4.4" | "FIX.4.3" if matches!(code, 12 | 16 | 17 | 18) => 99,
        _ => code,
    }
}

#[cfg(test)]
mod ord_rej_reason_tests {
    use super::ord_rej_reason_for;

    fn defined(begin_string: &str) -> Vec<u32> {
        let dict = fix_dictionaries::for_begin_string(if begin_string == "FIXT.1.1" {
            "FIX.5.0SP2"
        } else {
            begin_string
        })
        .expect("a dictionary");
        let field = dict.field_by_tag(103).expect("OrdRejReason");
        field
            .enums()
            .expect("an enumerated field")
            .map(|e| e.value().parse().expect("numeric"))
            .collect()
    }

    #[test]
    fn every_reason_code_is_one_the_session_version_defines() {
        for begin in ["FIX.4.2", "FIX.4.4", "FIXT.1.1"] {
            let ok = defined(begin);
            // Every code RejectReason::fix_code returns.
            for code in [1, 2, 6, 13, 16, 18, 99] {
                let sent = ord_rej_reason_for(code, begin);
                assert!(
                    ok.contains(&sent),
                    "{begin}: {code} is sent as {sent}, not in {ok:?}"
                );
                if ok.contains(&code) {
                    assert_eq!(sent, code, "{begin}: a defined code is sent as it is");
                }
            }
        }
    }
}

/// FIX ExecType (150).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecType {
    /// 0
    New,
    /// F
    Trade,
    /// 4
    Canceled,
    /// 5
    Replaced,
    /// C
    Expired,
    /// 8
    Rejected,
}

impl ExecType {
    /// The FIX 4.4 / 5.0 character for tag 150 (FIX 4.2 uses 1/2 for
    /// partial/full fills instead of F: the FIX layer maps those).
    pub fn fix_char(self) -> char {
        match self {
            ExecType::New => '0',
            ExecType::Trade => 'F',
            ExecType::Canceled => '4',
            ExecType::Replaced => '5',
            ExecType::Expired => 'C',
            ExecType::Rejected => '8',
        }
    }
}

/// An execution report (35=8): everything a FIX ExecutionReport needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionReport {
    /// OrderID (37); `None` for orders rejected before entering a book.
    pub order_id: Option<OrderId>,
    /// ClOrdID (11): the order's current ClOrdID.
    pub cl_ord_id: Arc<str>,
    /// OrigClOrdID (41) on replace and requested cancel reports.
    pub orig_cl_ord_id: Option<Arc<str>>,
    /// ExecID (17), unique per venue.
    pub exec_id: ExecId,
    /// ExecType (150).
    pub exec_type: ExecType,
    /// OrdStatus (39).
    pub ord_status: OrdStatus,
    /// Account (1).
    pub account: Arc<str>,
    /// Symbol (55).
    pub symbol: Arc<str>,
    /// Side (54).
    pub side: Side,
    /// OrdType (40).
    pub ord_type: OrdType,
    /// TimeInForce (59).
    pub tif: TimeInForce,
    /// Price (44), limit orders.
    pub price: Option<Decimal>,
    /// OrderQty (38).
    pub order_qty: Decimal,
    /// LastQty (32), fills only (0 otherwise).
    pub last_qty: Qty,
    /// LastPx (31), fills only.
    pub last_px: Option<Decimal>,
    /// CumQty (14).
    pub cum_qty: Qty,
    /// LeavesQty (151): 0 once the order is done.
    pub leaves_qty: Qty,
    /// AvgPx (6), 0 before any fill.
    pub avg_px: Decimal,
    /// LastLiquidityInd (851), fills only.
    pub liquidity: Option<Liquidity>,
    /// TrdMatchID (880), fills only.
    pub trade_id: Option<TradeId>,
    /// Fee of this fill (maker rebate negative), fills only.
    pub fee: Option<Decimal>,
    /// Why the order was rejected.
    pub reject_reason: Option<RejectReason>,
    /// Why the order was canceled.
    pub cancel_reason: Option<CancelReason>,
    /// Text (58).
    pub text: Option<String>,
    /// TransactTime (60), UTC nanoseconds.
    pub transact_time: Timestamp,
}

/// Which request a cancel reject answers (CxlRejResponseTo 434).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CxlRejResponseTo {
    /// 1: cancel request.
    Cancel,
    /// 2: cancel/replace request.
    Replace,
}

/// Why a cancel or replace was refused, at the venue level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelRejectCause {
    /// From the book or the order state.
    #[error(transparent)]
    Book(#[from] CancelRejectReason),
    /// The request's own ClOrdID was already used.
    #[error("duplicate ClOrdID {0:?}")]
    DuplicateClOrdId(String),
    /// The new price or quantity is invalid.
    #[error(transparent)]
    Invalid(RejectReason),
}

impl CancelRejectCause {
    /// FIX CxlRejReason (102): 0 too late, 1 unknown order, 6 duplicate
    /// ClOrdID, 99 other.
    pub fn fix_code(&self) -> u32 {
        match self {
            CancelRejectCause::Book(b) => b.fix_code(),
            CancelRejectCause::DuplicateClOrdId(_) => 6,
            CancelRejectCause::Invalid(_) => 99,
        }
    }
}

/// An order cancel reject (35=9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReject {
    /// ClOrdID of the refused request.
    pub cl_ord_id: Arc<str>,
    /// OrigClOrdID of the refused request.
    pub orig_cl_ord_id: Arc<str>,
    /// OrderID when the order is known.
    pub order_id: Option<OrderId>,
    /// Current status of the order when known (39 is required in 35=9:
    /// the FIX layer sends 8 when `None`).
    pub ord_status: Option<OrdStatus>,
    /// Account.
    pub account: Arc<str>,
    /// Cancel or replace.
    pub response_to: CxlRejResponseTo,
    /// Why.
    pub cause: CancelRejectCause,
    /// TransactTime.
    pub transact_time: Timestamp,
}

/// Something the FIX layer must send to the order's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// 35=8.
    Execution(ExecutionReport),
    /// 35=9.
    CancelReject(CancelReject),
}

impl Report {
    /// The account this report belongs to.
    pub fn account(&self) -> &str {
        match self {
            Report::Execution(e) => &e.account,
            Report::CancelReject(c) => &c.account,
        }
    }
}
