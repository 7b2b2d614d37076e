//! What the matching engine says happened: execution events (one per FIX
//! ExecutionReport), trades (one per match, for clearing and market data),
//! and the typed reasons for cancels and cancel/replace rejects.
//!
//! Events carry prices in ticks and notional in tick-units; the venue layer
//! (`crate::venue`) turns them into Decimal-priced reports.

use crate::types::{AccountId, ExecId, Liquidity, OrderId, Qty, Side, Ticks, Timestamp, TradeId};

/// Why the engine canceled (part of) an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// The owner asked for it (FIX 35=F).
    Requested,
    /// Remainder of an IOC order (or of a market order) after matching.
    ImmediateOrCancel,
    /// A fill-or-kill order could not be filled in full.
    FillOrKillUnfillable,
    /// Self-trade prevention canceled this order.
    SelfTradePrevention,
    /// An operator or a market-state action (halt with cancel, kill switch).
    Operator,
}

impl CancelReason {
    /// Human readable text, suitable for FIX Text (58).
    pub fn text(self) -> &'static str {
        match self {
            CancelReason::Requested => "canceled on request",
            CancelReason::ImmediateOrCancel => {
                "IOC remainder canceled: no more liquidity at or better than the limit"
            }
            CancelReason::FillOrKillUnfillable => {
                "FOK canceled: not enough liquidity to fill the whole quantity"
            }
            CancelReason::SelfTradePrevention => "canceled by self-trade prevention",
            CancelReason::Operator => "canceled by the venue operator",
        }
    }
}

/// What one execution event reports (maps to FIX ExecType 150).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecKind {
    /// The order was accepted (ExecType 0 New).
    New,
    /// A (partial) fill (ExecType F Trade).
    Fill {
        /// Match id shared with the contra side's event.
        trade_id: TradeId,
        /// Quantity of this fill (LastQty 32).
        last_qty: Qty,
        /// Price of this fill in ticks (LastPx 31).
        last_px: Ticks,
        /// Maker or taker (LastLiquidityInd 851).
        liquidity: Liquidity,
        /// The contra order.
        contra: OrderId,
    },
    /// The rest of the order was canceled (ExecType 4).
    Canceled(CancelReason),
    /// A cancel/replace was applied (ExecType 5).
    Replaced {
        /// True when the replace kept the order's time priority.
        kept_priority: bool,
    },
    /// A DAY order reached the end of its day (ExecType C).
    Expired,
}

/// FIX OrdStatus (39) of an order after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrdStatus {
    /// 0
    New,
    /// 1
    PartiallyFilled,
    /// 2
    Filled,
    /// 4
    Canceled,
    /// C
    Expired,
    /// 8 (validation rejects, produced by the venue layer)
    Rejected,
}

impl OrdStatus {
    /// The FIX character for tag 39.
    pub fn fix_char(self) -> char {
        match self {
            OrdStatus::New => '0',
            OrdStatus::PartiallyFilled => '1',
            OrdStatus::Filled => '2',
            OrdStatus::Canceled => '4',
            OrdStatus::Expired => 'C',
            OrdStatus::Rejected => '8',
        }
    }
}

/// One execution event: everything a FIX ExecutionReport needs, in ticks.
///
/// For live orders `cum_qty + leaves_qty == order_qty`. Once an order is
/// canceled or expired, `leaves_qty` is 0 (as FIX requires) and the
/// canceled quantity is `order_qty - cum_qty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecEvent {
    /// Unique per venue.
    pub exec_id: ExecId,
    /// The order this event is about.
    pub order_id: OrderId,
    /// The owner of the order.
    pub account: AccountId,
    /// What happened.
    pub kind: ExecKind,
    /// Order side.
    pub side: Side,
    /// Limit price in ticks, `None` for market orders.
    pub price: Option<Ticks>,
    /// Total order quantity (after any replace).
    pub order_qty: Qty,
    /// Executed so far.
    pub cum_qty: Qty,
    /// Still working.
    pub leaves_qty: Qty,
    /// Sum of fill quantity times fill price in ticks (AvgPx = this / cum).
    pub cum_notional: i128,
    /// Engine time of the event.
    pub timestamp: Timestamp,
}

impl ExecEvent {
    /// The order status after this event.
    pub fn ord_status(&self) -> OrdStatus {
        match self.kind {
            ExecKind::Canceled(_) => OrdStatus::Canceled,
            ExecKind::Expired => OrdStatus::Expired,
            _ if self.leaves_qty == 0 && self.cum_qty == self.order_qty => OrdStatus::Filled,
            _ if self.cum_qty > 0 => OrdStatus::PartiallyFilled,
            _ => OrdStatus::New,
        }
    }
}

/// One match between a buy and a sell order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    /// Match id.
    pub trade_id: TradeId,
    /// Price in ticks (always the resting order's price).
    pub price: Ticks,
    /// Quantity.
    pub qty: Qty,
    /// The side of the incoming (aggressor) order.
    pub aggressor: Side,
    /// Buy order.
    pub buy_order: OrderId,
    /// Sell order.
    pub sell_order: OrderId,
    /// Account of the buy order.
    pub buy_account: AccountId,
    /// Account of the sell order.
    pub sell_account: AccountId,
    /// Engine time.
    pub timestamp: Timestamp,
}

impl Trade {
    /// The resting (maker) order.
    pub fn maker(&self) -> OrderId {
        match self.aggressor {
            Side::Buy => self.sell_order,
            Side::Sell | Side::SellShort => self.buy_order,
        }
    }
}

/// Output buffers the caller owns and reuses between calls, so the hot path
/// does not allocate once they have grown.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    /// Execution events in the order they happened.
    pub events: Vec<ExecEvent>,
    /// Trades in the order they happened.
    pub trades: Vec<Trade>,
}

impl Outputs {
    /// Empties both buffers, keeping their capacity.
    pub fn clear(&mut self) {
        self.events.clear();
        self.trades.clear();
    }
}

/// Why the book refused a cancel or a cancel/replace (FIX 35=9
/// CxlRejReason 102 and Text 58).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CancelRejectReason {
    /// The order is not in this book (never existed or already gone).
    #[error("unknown order")]
    UnknownOrder,
    /// The order existed but is already filled, canceled or expired.
    #[error("too late to cancel: the order is already {0:?}")]
    TooLateToCancel(OrdStatus),
    /// The new quantity is not above what has already executed.
    #[error("new quantity {new_qty} is not above the executed quantity {cum_qty}")]
    QtyNotAboveExecuted {
        /// Requested total quantity.
        new_qty: Qty,
        /// Already executed.
        cum_qty: Qty,
    },
    /// Price or quantity invalid for this instrument.
    #[error("invalid replace: {0}")]
    Invalid(&'static str),
    /// The instrument is halted or the session does not accept changes.
    #[error("market not open for order changes: {0}")]
    MarketClosed(&'static str),
    /// The request does not belong to the owner of the order.
    #[error("order belongs to another account")]
    WrongAccount,
}

impl CancelRejectReason {
    /// FIX CxlRejReason (102): 0 too late, 1 unknown, 3 already pending,
    /// 99 other.
    pub fn fix_code(&self) -> u32 {
        match self {
            CancelRejectReason::TooLateToCancel(_) => 0,
            CancelRejectReason::UnknownOrder => 1,
            _ => 99,
        }
    }
}
