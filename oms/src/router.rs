//! Routing: which venue(s) a client order goes to, behind the [`Router`]
//! trait so the smart router and execution algorithms can replace it.
//!
//! Owns the routing decision only: the router is a pure function of the
//! request and a [`RouteView`] (connected venues, per-instrument default
//! venue, top of book per venue) that the core builds from journaled
//! events, so a replay routes identically. It does not send anything or
//! keep state; the core turns the [`Slice`]s into child orders.
//!
//! [`DefaultRouter`]: the instrument's default venue if one is set and
//! connected; otherwise the best price across connected venues (lowest
//! offer for buys, highest bid for sells), taking each venue's displayed
//! size in price order and leaving any remainder at the best venue (so an
//! order may become several child orders); with no quotes, the first
//! connected venue by name.

use std::collections::BTreeMap;

use crate::events::Quote;
use crate::types::{OrdType, Px, Qty, Side, Symbol, VenueId};

/// What is being routed.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteRequest<'a> {
    /// Instrument.
    pub symbol: &'a Symbol,
    /// Side.
    pub side: Side,
    /// Quantity to place.
    pub qty: Qty,
    /// Order type.
    pub ord_type: OrdType,
    /// Limit price.
    pub price: Option<Px>,
}

/// The market as the core knows it.
#[derive(Clone, Copy, Debug)]
pub struct RouteView<'a> {
    /// Venues and whether each is connected.
    pub venues: &'a BTreeMap<VenueId, bool>,
    /// The instrument's default venue, if configured.
    pub default_venue: Option<&'a VenueId>,
    /// Top of book per venue for this instrument.
    pub quotes: Option<&'a BTreeMap<VenueId, Quote>>,
}

/// A piece of the order for one venue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    /// Venue.
    pub venue: VenueId,
    /// Quantity.
    pub qty: Qty,
}

/// Why an order could not be routed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No venue is connected.
    #[error("NoVenue: no connected venue for {symbol}")]
    NoVenue {
        /// Instrument.
        symbol: Symbol,
    },
}

/// Chooses venues for an order.
pub trait Router {
    /// Split `req` into venue slices whose quantities sum to `req.qty`.
    fn route(&self, req: &RouteRequest<'_>, view: &RouteView<'_>)
        -> Result<Vec<Slice>, RouteError>;
}

/// Default venue per instrument, else best price across connected venues.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultRouter;

impl Router for DefaultRouter {
    fn route(
        &self,
        req: &RouteRequest<'_>,
        view: &RouteView<'_>,
    ) -> Result<Vec<Slice>, RouteError> {
        let connected = |v: &VenueId| view.venues.get(v).copied().unwrap_or(false);
        if let Some(v) = view.default_venue.filter(|v| connected(v)) {
            return Ok(vec![Slice {
                venue: v.clone(),
                qty: req.qty,
            }]);
        }
        // Quotes on connected venues, best first (ties by venue name).
        let mut levels: Vec<(&VenueId, Px, Qty)> = view
            .quotes
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(|(v, _)| connected(v))
            .filter_map(|(v, q)| {
                let side = if req.side == Side::Buy { q.ask } else { q.bid };
                side.map(|(px, sz)| (v, px, sz))
            })
            .collect();
        if req.side == Side::Buy {
            levels.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
        } else {
            levels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        }
        if levels.is_empty() {
            let first = view
                .venues
                .iter()
                .find(|(_, up)| **up)
                .map(|(v, _)| v.clone());
            return match first {
                Some(venue) => Ok(vec![Slice {
                    venue,
                    qty: req.qty,
                }]),
                None => Err(RouteError::NoVenue {
                    symbol: req.symbol.clone(),
                }),
            };
        }
        let mut slices: Vec<Slice> = Vec::new();
        let mut left = req.qty;
        for (venue, _, size) in &levels {
            if left.is_zero() {
                break;
            }
            let take = Qty(left.0.min(size.0));
            if take.is_zero() {
                continue;
            }
            slices.push(Slice {
                venue: (*venue).clone(),
                qty: take,
            });
            left = left.saturating_sub(take);
        }
        if !left.is_zero() {
            let best = levels[0].0;
            match slices.iter_mut().find(|s| &s.venue == best) {
                Some(s) => s.qty += left,
                None => slices.insert(
                    0,
                    Slice {
                        venue: best.clone(),
                        qty: left,
                    },
                ),
            }
        }
        Ok(slices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn quote(v: &str, bid: Option<(i64, u64)>, ask: Option<(i64, u64)>) -> (VenueId, Quote) {
        let q = Quote {
            venue: VenueId::from(v),
            symbol: Symbol::from("AAPL"),
            bid: bid.map(|(p, s)| (Px(dec!(0.01) * rust_decimal::Decimal::from(p)), Qty(s))),
            ask: ask.map(|(p, s)| (Px(dec!(0.01) * rust_decimal::Decimal::from(p)), Qty(s))),
        };
        (VenueId::from(v), q)
    }

    fn req(side: Side, qty: u64) -> RouteRequest<'static> {
        static SYM: std::sync::OnceLock<Symbol> = std::sync::OnceLock::new();
        RouteRequest {
            symbol: SYM.get_or_init(|| Symbol::from("AAPL")),
            side,
            qty: Qty(qty),
            ord_type: OrdType::Limit,
            price: None,
        }
    }

    #[test]
    fn default_venue_when_connected_else_best_price() {
        let venues: BTreeMap<_, _> = [(VenueId::from("V1"), true), (VenueId::from("V2"), true)]
            .into_iter()
            .collect();
        let quotes: BTreeMap<_, _> = [
            quote("V1", Some((18999, 100)), Some((19001, 100))),
            quote("V2", Some((19000, 100)), Some((19002, 100))),
        ]
        .into_iter()
        .collect();
        let dv = VenueId::from("V2");
        let view = RouteView {
            venues: &venues,
            default_venue: Some(&dv),
            quotes: Some(&quotes),
        };
        let r = DefaultRouter.route(&req(Side::Buy, 50), &view).unwrap();
        assert_eq!(
            r,
            vec![Slice {
                venue: dv.clone(),
                qty: Qty(50)
            }]
        );

        let view = RouteView {
            default_venue: None,
            ..view
        };
        // Buy: best offer V1 (190.01).
        let r = DefaultRouter.route(&req(Side::Buy, 50), &view).unwrap();
        assert_eq!(r[0].venue, VenueId::from("V1"));
        // Sell: best bid V2 (190.00).
        let r = DefaultRouter.route(&req(Side::Sell, 50), &view).unwrap();
        assert_eq!(r[0].venue, VenueId::from("V2"));
        // Larger than the best size: split across venues, remainder at best.
        let r = DefaultRouter.route(&req(Side::Buy, 250), &view).unwrap();
        assert_eq!(
            r,
            vec![
                Slice {
                    venue: VenueId::from("V1"),
                    qty: Qty(150)
                },
                Slice {
                    venue: VenueId::from("V2"),
                    qty: Qty(100)
                },
            ]
        );
    }

    #[test]
    fn disconnected_venues_are_skipped_and_none_is_an_error() {
        let mut venues: BTreeMap<_, _> =
            [(VenueId::from("V1"), false), (VenueId::from("V2"), true)]
                .into_iter()
                .collect();
        let quotes: BTreeMap<_, _> = [quote("V1", None, Some((100, 10)))].into_iter().collect();
        let dv = VenueId::from("V1");
        let view = RouteView {
            venues: &venues,
            default_venue: Some(&dv),
            quotes: Some(&quotes),
        };
        let r = DefaultRouter.route(&req(Side::Buy, 5), &view).unwrap();
        assert_eq!(
            r,
            vec![Slice {
                venue: VenueId::from("V2"),
                qty: Qty(5)
            }]
        );
        venues.insert(VenueId::from("V2"), false);
        let view = RouteView {
            venues: &venues,
            default_venue: None,
            quotes: None,
        };
        let e = DefaultRouter.route(&req(Side::Buy, 5), &view).unwrap_err();
        assert_eq!(e.to_string(), "NoVenue: no connected venue for AAPL");
    }
}
