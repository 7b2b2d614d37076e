//! Order requests as the book sees them (already validated and converted
//! to ticks by the venue layer), and a read-only view of a resting order.

use crate::types::{AccountId, OrdType, OrderId, Qty, Side, StpMode, Ticks, TimeInForce};

/// A new order for one book. Prices are ticks; the venue layer has already
/// checked tick size, lot size, bands and market state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// Owner, for self-trade prevention and clearing.
    pub account: AccountId,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub ord_type: OrdType,
    /// Limit price in ticks; ignored for market orders.
    pub price: Ticks,
    /// Total quantity.
    pub qty: Qty,
    /// Iceberg display quantity (FIX DisplayQty 1138 / MaxFloor 111);
    /// `None` for a fully displayed order.
    pub display_qty: Option<Qty>,
    /// Time in force. A market order never rests: DAY and GTC act as IOC.
    pub tif: TimeInForce,
    /// Self-trade prevention of the owner's account; `None` allows
    /// self-trades.
    pub stp: Option<StpMode>,
}

impl NewOrder {
    /// A plain limit order, fully displayed, no STP.
    pub fn limit(account: AccountId, side: Side, price: Ticks, qty: Qty, tif: TimeInForce) -> Self {
        NewOrder {
            account,
            side,
            ord_type: OrdType::Limit,
            price,
            qty,
            display_qty: None,
            tif,
            stp: None,
        }
    }

    /// A market order (IOC semantics), no STP.
    pub fn market(account: AccountId, side: Side, qty: Qty) -> Self {
        NewOrder {
            account,
            side,
            ord_type: OrdType::Market,
            price: 0,
            qty,
            display_qty: None,
            tif: TimeInForce::Ioc,
            stp: None,
        }
    }

    /// Same order as an iceberg showing `display` at a time.
    pub fn with_display(mut self, display: Qty) -> Self {
        self.display_qty = Some(display);
        self
    }

    /// Same order with a self-trade prevention mode.
    pub fn with_stp(mut self, stp: StpMode) -> Self {
        self.stp = Some(stp);
        self
    }
}

/// Why the book refused a new order outright (the venue layer catches most
/// problems before the book sees them; these are the book's own guards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookReject {
    /// Quantity zero.
    #[error("order quantity must be positive")]
    ZeroQty,
    /// Display quantity zero or above the order quantity.
    #[error("display quantity must be positive and not above the order quantity")]
    BadDisplayQty,
    /// Limit price not positive.
    #[error("limit price must be positive")]
    BadPrice,
}

/// Read-only view of a resting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingOrder {
    /// Order id.
    pub id: OrderId,
    /// Owner.
    pub account: AccountId,
    /// Side.
    pub side: Side,
    /// Limit price in ticks.
    pub price: Ticks,
    /// Total order quantity.
    pub order_qty: Qty,
    /// Executed quantity.
    pub cum_qty: Qty,
    /// Remaining quantity (displayed plus hidden).
    pub leaves_qty: Qty,
    /// Currently displayed quantity.
    pub visible_qty: Qty,
    /// Iceberg display size, `None` when fully displayed.
    pub display_qty: Option<Qty>,
    /// Time in force.
    pub tif: TimeInForce,
}
