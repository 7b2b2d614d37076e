//! Parent (client) and child (venue) orders: the records the core keeps.
//!
//! Owns the order records and their quantity arithmetic: cumulative
//! quantity, leaves, the notional sum behind AvgPx (exact in Decimal, so
//! the average after a set of fills does not depend on their order), the
//! client ClOrdID chain, and the cancel/replace in flight. It does not
//! decide anything: the core drives the records through the transition
//! table in `state`.

use rust_decimal::Decimal;

use crate::events::SessionId;
use crate::outputs::{VenueCancel, VenueNewOrder, VenueReplace};
use crate::state::OrdStatus;
use crate::types::{
    AccountId, ClOrdId, OrdType, OrderId, Px, Qty, Side, Symbol, TimeInForce, VenueId,
};

/// A cancel or replace the client (or an operator) asked for, in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingChange {
    /// Cancel or replace, with the replace's new terms.
    pub kind: ChangeKind,
    /// The request's ClOrdID; `None` for an operator's cancel.
    pub cl_ord_id: Option<ClOrdId>,
    /// The order's ClOrdID when the request came (OrigClOrdID).
    pub orig_cl_ord_id: ClOrdId,
}

/// What change is in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Cancel.
    Cancel,
    /// Replace with these terms.
    Replace {
        /// New total quantity.
        qty: Qty,
        /// New limit price.
        price: Option<Px>,
        /// Parent level only: the order works at several venues (or none),
        /// so the replace cancels every child and routes the new leaves
        /// afresh once they are all done.
        reroute: bool,
    },
}

/// A client order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentOrder {
    /// The OMS's id (OrderID on client reports).
    pub order_id: OrderId,
    /// Client session.
    pub session: SessionId,
    /// Account.
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Order type.
    pub ord_type: OrdType,
    /// Limit price (current terms).
    pub price: Option<Px>,
    /// Time in force.
    pub tif: TimeInForce,
    /// Order quantity (current terms).
    pub qty: Qty,
    /// The current ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// Every ClOrdID of the chain, first to last.
    pub chain: Vec<ClOrdId>,
    /// Status.
    pub status: OrdStatus,
    /// Filled quantity.
    pub cum: Qty,
    /// Sum of fill quantity x price.
    pub notional: Decimal,
    /// Venue orders.
    pub children: Vec<ChildOrder>,
    /// A cancel or replace in flight.
    pub pending: Option<PendingChange>,
    /// Venue child requests issued (for child request ClOrdIDs).
    pub child_requests: u32,
}

impl ParentOrder {
    /// The first ClOrdID (checkers key open orders by it).
    pub fn first_cl_ord_id(&self) -> &ClOrdId {
        &self.chain[0]
    }

    /// LeavesQty: open quantity while live, zero once done.
    pub fn leaves(&self) -> Qty {
        if self.status.is_terminal() {
            Qty::ZERO
        } else {
            self.qty.saturating_sub(self.cum)
        }
    }

    /// AvgPx.
    pub fn avg_px(&self) -> Px {
        average(self.notional, self.cum)
    }

    /// Children still working (not terminal).
    pub fn live_children(&self) -> impl Iterator<Item = (usize, &ChildOrder)> {
        self.children
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.status.is_terminal())
    }
}

/// Notional / quantity, or zero.
pub fn average(notional: Decimal, cum: Qty) -> Px {
    if cum.is_zero() {
        Px::ZERO
    } else {
        Px((notional / cum.dec()).round_dp(10).normalize())
    }
}

/// A venue order working part of a parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildOrder {
    /// The current ClOrdID (the OMS's).
    pub cl_ord_id: ClOrdId,
    /// Venue.
    pub venue: VenueId,
    /// The venue's order id, once acknowledged.
    pub venue_order_id: Option<OrderId>,
    /// Quantity (current terms).
    pub qty: Qty,
    /// Limit price (current terms).
    pub price: Option<Px>,
    /// Status.
    pub status: OrdStatus,
    /// Filled quantity.
    pub cum: Qty,
    /// A cancel or replace sent to the venue: its ClOrdID and kind.
    pub pending: Option<(ClOrdId, ChangeKind)>,
}

impl ChildOrder {
    /// This child as the new order to send its venue (the parent's terms,
    /// the child's quantity and price).
    pub fn venue_new(&self, p: &ParentOrder) -> VenueNewOrder {
        VenueNewOrder {
            venue: self.venue.clone(),
            cl_ord_id: self.cl_ord_id.clone(),
            parent: p.order_id.clone(),
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            side: p.side,
            qty: self.qty,
            ord_type: p.ord_type,
            price: self.price,
            tif: p.tif,
        }
    }

    /// The cancel of this child, under request id `req`.
    pub fn venue_cancel(&self, p: &ParentOrder, req: ClOrdId) -> VenueCancel {
        VenueCancel {
            venue: self.venue.clone(),
            cl_ord_id: req,
            orig_cl_ord_id: self.cl_ord_id.clone(),
            venue_order_id: self.venue_order_id.clone(),
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            side: p.side,
            qty: self.qty,
        }
    }

    /// The replace of this child by `qty` at `price`, under request id
    /// `req`.
    pub fn venue_replace(
        &self,
        p: &ParentOrder,
        req: ClOrdId,
        qty: Qty,
        price: Option<Px>,
    ) -> VenueReplace {
        VenueReplace {
            venue: self.venue.clone(),
            cl_ord_id: req,
            orig_cl_ord_id: self.cl_ord_id.clone(),
            venue_order_id: self.venue_order_id.clone(),
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            side: p.side,
            qty,
            ord_type: p.ord_type,
            price,
            tif: p.tif,
        }
    }

    /// Open quantity at the venue.
    pub fn leaves(&self) -> Qty {
        if self.status.is_terminal() {
            Qty::ZERO
        } else {
            self.qty.saturating_sub(self.cum)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn average_is_exact_and_order_independent() {
        let a = dec!(100) * dec!(10.01) + dec!(50) * dec!(10.02) + dec!(1) * dec!(10.03);
        let b = dec!(1) * dec!(10.03) + dec!(100) * dec!(10.01) + dec!(50) * dec!(10.02);
        assert_eq!(average(a, Qty(151)), average(b, Qty(151)));
        assert_eq!(average(dec!(2000), Qty(200)), Px(dec!(10)));
        assert_eq!(average(dec!(5), Qty::ZERO), Px::ZERO);
    }
}
