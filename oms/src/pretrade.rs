//! Pre-trade risk as the OMS sees it: the [`PreTradeCheck`] trait the core
//! calls for every new order and every replace, and [`LimitsChecker`], a
//! simple built-in checker (maximum order quantity, maximum notional).
//!
//! Owns the seam only: the request ([`OrderRequest`]), the read-only view
//! of OMS state a check may use ([`OmsView`]), and the typed answer
//! ([`Decision`], [`Violation`], turned into text only by `Display`, e.g.
//! `MaxOrderQty: order qty 15000 exceeds limit 10000`). The full risk
//! engine plugs in through `risk_adapter`. A checker is called from the
//! single writer only, with journaled inputs, so its state is itself a
//! fold of events and a replay reaches the same decisions.

use std::fmt;

use rust_decimal::Decimal;

use crate::portfolio::Portfolio;
use crate::types::{
    AccountId, ClOrdId, OrdType, OrderId, Px, Qty, Side, Symbol, TimeInForce, Timestamp, VenueId,
};

/// An order (or the new terms of a replace) presented for checking.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRequest {
    /// The client's ClOrdID for this request.
    pub cl_ord_id: ClOrdId,
    /// For a replace: the order being replaced (its OMS id) and its first
    /// ClOrdID, the key checkers track open orders by.
    pub replaces: Option<(OrderId, ClOrdId)>,
    /// Account.
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Total quantity (for a replace: the new total).
    pub qty: Qty,
    /// Quantity already filled (non-zero only on replaces).
    pub cum_qty: Qty,
    /// Order type.
    pub ord_type: OrdType,
    /// Limit price.
    pub price: Option<Px>,
    /// Time in force.
    pub tif: TimeInForce,
    /// The venue the router chose (the first, if several).
    pub venue: Option<VenueId>,
}

/// What a check may read of the OMS.
#[derive(Clone, Copy, Debug)]
pub struct OmsView<'a> {
    /// Positions, cash and marks.
    pub portfolio: &'a Portfolio,
}

/// A fill, as reported to the checker after it is booked.
#[derive(Clone, Debug, PartialEq)]
pub struct FillNotice {
    /// Account.
    pub account: AccountId,
    /// The order's first ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Price.
    pub px: Px,
}

/// The answer of a check.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// The order may go.
    Accept,
    /// The order may go, reduced to this quantity (the client is told).
    Reduce(Qty),
    /// The order may not go, for this reason.
    Reject(Violation),
}

/// Why an order was refused: the rule, the limit, the observed value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// Order quantity over the limit.
    #[error("MaxOrderQty: order qty {qty} exceeds limit {limit}")]
    MaxOrderQty {
        /// Observed.
        qty: Qty,
        /// Limit.
        limit: Qty,
    },
    /// Order notional over the limit.
    #[error("MaxOrderNotional: order notional {notional} exceeds limit {limit}")]
    MaxOrderNotional {
        /// Observed.
        notional: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// A market order with no reference price to value it.
    #[error("MaxOrderNotional: no reference price for {symbol}")]
    NoReferencePrice {
        /// Instrument.
        symbol: Symbol,
    },
    /// A rule of an external checker (the risk engine), already worded.
    #[error("{0}")]
    External(String),
}

/// A pre-trade checker. `check` is required; the notifications let a
/// stateful checker (open orders, positions) follow the order's life.
pub trait PreTradeCheck {
    /// Decide on an order or replace.
    fn check(&mut self, now: Timestamp, req: &OrderRequest, view: &OmsView<'_>) -> Decision;

    /// A fill was booked.
    fn on_fill(&mut self, _now: Timestamp, _fill: &FillNotice) {}

    /// An accepted order is done (filled, canceled, rejected, expired),
    /// or was never sent (routing failed after the check).
    fn on_order_done(&mut self, _now: Timestamp, _account: &AccountId, _first: &ClOrdId) {}

    /// A replace took effect with these open terms.
    fn on_order_amended(
        &mut self,
        _now: Timestamp,
        _account: &AccountId,
        _first: &ClOrdId,
        _leaves: Qty,
        _price: Option<Px>,
    ) {
    }

    /// A new mark price.
    fn on_price(&mut self, _now: Timestamp, _symbol: &Symbol, _px: Px) {}

    /// Something the checker wants an operator to see (breaches, state
    /// changes), drained after every call.
    fn poll_alert(&mut self) -> Option<String> {
        None
    }
}

impl fmt::Debug for dyn PreTradeCheck + Send {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PreTradeCheck")
    }
}

/// Per-order limits: maximum quantity and maximum notional (limit price,
/// or the mark for market orders).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitsChecker {
    /// Largest order quantity.
    pub max_qty: Qty,
    /// Largest order notional.
    pub max_notional: Decimal,
}

impl PreTradeCheck for LimitsChecker {
    fn check(&mut self, _now: Timestamp, req: &OrderRequest, view: &OmsView<'_>) -> Decision {
        if req.qty > self.max_qty {
            return Decision::Reject(Violation::MaxOrderQty {
                qty: req.qty,
                limit: self.max_qty,
            });
        }
        let px = match req.price.or_else(|| view.portfolio.mark(&req.symbol)) {
            Some(p) => p,
            None => {
                return Decision::Reject(Violation::NoReferencePrice {
                    symbol: req.symbol.clone(),
                })
            }
        };
        // The core bounds quantities and prices, but a checker must not
        // trust its caller to: an overflow is a reject, not a panic.
        let Some(notional) = req.qty.dec().checked_mul(px.dec()) else {
            return Decision::Reject(Violation::MaxOrderNotional {
                notional: Decimal::MAX,
                limit: self.max_notional,
            });
        };
        if notional > self.max_notional {
            return Decision::Reject(Violation::MaxOrderNotional {
                notional,
                limit: self.max_notional,
            });
        }
        Decision::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn req(qty: u64, price: Option<Decimal>) -> OrderRequest {
        OrderRequest {
            cl_ord_id: ClOrdId::from("C1"),
            replaces: None,
            account: AccountId::from("ACC1"),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            qty: Qty(qty),
            cum_qty: Qty::ZERO,
            ord_type: if price.is_some() {
                OrdType::Limit
            } else {
                OrdType::Market
            },
            price: price.map(Px),
            tif: TimeInForce::Day,
            venue: None,
        }
    }

    #[test]
    fn limits_at_under_and_over() {
        let mut c = LimitsChecker {
            max_qty: Qty(10_000),
            max_notional: dec!(1_000_000),
        };
        let mut p = Portfolio::default();
        let t = Timestamp(0);
        let v = OmsView { portfolio: &p };
        assert_eq!(
            c.check(t, &req(10_000, Some(dec!(100))), &v),
            Decision::Accept
        );
        let d = c.check(t, &req(15_000, Some(dec!(1))), &v);
        match d {
            Decision::Reject(v) => {
                assert_eq!(
                    v.to_string(),
                    "MaxOrderQty: order qty 15000 exceeds limit 10000"
                )
            }
            other => panic!("{other:?}"),
        }
        let d = c.check(t, &req(10_000, Some(dec!(100.01))), &v);
        match d {
            Decision::Reject(v) => assert_eq!(
                v.to_string(),
                "MaxOrderNotional: order notional 1000100.00 exceeds limit 1000000"
            ),
            other => panic!("{other:?}"),
        }
        // Market order: valued at the mark, refused without one.
        assert!(matches!(
            c.check(t, &req(100, None), &v),
            Decision::Reject(Violation::NoReferencePrice { .. })
        ));
        p.set_mark(Symbol::from("AAPL"), Px(dec!(190)));
        let v = OmsView { portfolio: &p };
        assert_eq!(c.check(t, &req(100, None), &v), Decision::Accept);
    }
}
