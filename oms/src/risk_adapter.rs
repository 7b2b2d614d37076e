//! The risk crate's [`risk::RiskEngine`] behind the OMS's
//! [`PreTradeCheck`] seam.
//!
//! Owns the translation between OMS and risk vocabularies (identifiers,
//! quantities, sides, order types, time in force, decisions) and the small
//! book-keeping the engine needs to follow an order's life: the engine
//! keys open orders by ClOrdID, and the OMS keys them by the order's
//! first ClOrdID, so the adapter remembers which risk key each order is
//! open under. Translations that cannot be made (an identifier too long
//! for the engine's inline ids) are rejects, never panics. Everything the
//! engine reports through `poll_event` comes out as an alert.
//!
//! Replaces: the engine checks new orders; a replace is presented as the
//! old open order closed and the new terms (the remaining quantity, under
//! the replace's ClOrdID) checked as an order; if refused, the old order
//! is re-opened as it was. This counts a replace against order-rate and
//! daily-notional limits like a new order (conservative). If the venue
//! then refuses the replace, the engine keeps the new terms open until
//! the order is done (conservative as well).
//!
//! Short sales: the OMS's order carries no locate yet; the engine's
//! locates (`RiskEngine::add_locate`) are reached through
//! [`RiskAdapter::engine_mut`].

use std::collections::BTreeMap;

use crate::pretrade::{Decision, FillNotice, OmsView, OrderRequest, PreTradeCheck, Violation};
use crate::types::{AccountId, ClOrdId, OrdType, Px, Qty, Side, Symbol, TimeInForce, Timestamp};

/// A [`PreTradeCheck`] backed by the risk engine.
pub struct RiskAdapter {
    engine: risk::RiskEngine,
    /// (account, first ClOrdID) -> the request the engine has open.
    open: BTreeMap<(AccountId, ClOrdId), risk::OrderRequest>,
}

impl std::fmt::Debug for RiskAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RiskAdapter")
            .field("open", &self.open.len())
            .finish()
    }
}

fn id<T>(
    what: &str,
    s: &str,
    f: impl FnOnce(&str) -> Result<T, risk::types::IdError>,
) -> Result<T, Violation> {
    f(s).map_err(|e| Violation::External(format!("InvalidId: {what} {e}")))
}

fn side(s: Side) -> risk::Side {
    match s {
        Side::Buy => risk::Side::Buy,
        Side::Sell => risk::Side::Sell,
        Side::SellShort => risk::Side::SellShort,
    }
}

fn qty(q: Qty) -> risk::Qty {
    risk::Qty(i64::try_from(q.0).unwrap_or(i64::MAX))
}

fn nanos(t: Timestamp) -> risk::Nanos {
    risk::Nanos(t.0)
}

impl RiskAdapter {
    /// Wrap an engine.
    pub fn new(engine: risk::RiskEngine) -> RiskAdapter {
        RiskAdapter {
            engine,
            open: BTreeMap::new(),
        }
    }

    /// The engine (views: P&L, VaR, trading states).
    pub fn engine(&self) -> &risk::RiskEngine {
        &self.engine
    }

    /// The engine, for operator actions (kill switch, overrides, config,
    /// locates). Such actions must themselves come from journaled events
    /// for a replay to reach the same state.
    pub fn engine_mut(&mut self) -> &mut risk::RiskEngine {
        &mut self.engine
    }

    fn translate(
        &self,
        req: &OrderRequest,
        open_qty: Qty,
    ) -> Result<risk::OrderRequest, Violation> {
        let venue = match &req.venue {
            Some(v) => id("venue", v.as_str(), risk::Venue::new)?,
            None => return Err(Violation::External("Venue: no venue chosen".to_owned())),
        };
        Ok(risk::OrderRequest {
            cl_ord_id: id("ClOrdID", req.cl_ord_id.as_str(), risk::ClOrdId::new)?,
            account: id("account", req.account.as_str(), risk::AccountId::new)?,
            symbol: id("symbol", req.symbol.as_str(), risk::Symbol::new)?,
            side: side(req.side),
            qty: qty(open_qty),
            ord_type: match req.ord_type {
                OrdType::Market => risk::OrdType::Market,
                OrdType::Limit => risk::OrdType::Limit,
            },
            price: req.price.map(|p| p.dec()),
            stop_price: None,
            tif: match req.tif {
                TimeInForce::Day => risk::TimeInForce::Day,
                TimeInForce::Gtc => risk::TimeInForce::Gtc,
                TimeInForce::Ioc => risk::TimeInForce::Ioc,
                TimeInForce::Fok => risk::TimeInForce::Fok,
            },
            venue,
            extended_hours: false,
            locate: None,
        })
    }

    fn decide(&mut self, now: Timestamp, r: &risk::OrderRequest) -> Decision {
        match self.engine.pre_trade(nanos(now), r) {
            risk::Decision::Accept { .. } => Decision::Accept,
            risk::Decision::Reduce { qty, .. } => Decision::Reduce(Qty(qty.0.max(0) as u64)),
            risk::Decision::Reject(v) => Decision::Reject(Violation::External(v.to_string())),
        }
    }

    fn close(&mut self, now: Timestamp, r: &risk::OrderRequest) {
        // An order the engine does not know is not an error worth raising.
        let _ = self.engine.on_open_order_change(
            nanos(now),
            &risk::OpenOrderChange::Closed {
                account: r.account,
                cl_ord_id: r.cl_ord_id,
            },
        );
    }
}

impl PreTradeCheck for RiskAdapter {
    fn check(&mut self, now: Timestamp, req: &OrderRequest, _view: &OmsView<'_>) -> Decision {
        let open_qty = req.qty.saturating_sub(req.cum_qty);
        let r = match self.translate(req, open_qty) {
            Ok(r) => r,
            Err(v) => return Decision::Reject(v),
        };
        let key = match &req.replaces {
            Some((_, first)) => (req.account.clone(), first.clone()),
            None => (req.account.clone(), req.cl_ord_id.clone()),
        };
        let old = if req.replaces.is_some() {
            self.open.get(&key).copied()
        } else {
            None
        };
        if let Some(o) = &old {
            self.close(now, o);
        }
        let d = self.decide(now, &r);
        match &d {
            Decision::Accept => {
                self.open.insert(key, r);
            }
            Decision::Reduce(q) => {
                self.open
                    .insert(key, risk::OrderRequest { qty: qty(*q), ..r });
            }
            Decision::Reject(_) => {
                if let Some(o) = old {
                    let _ = self.engine.on_open_order_change(
                        nanos(now),
                        &risk::OpenOrderChange::Opened { order: o },
                    );
                }
            }
        }
        d
    }

    fn on_fill(&mut self, now: Timestamp, fill: &FillNotice) {
        let Some(r) = self
            .open
            .get(&(fill.account.clone(), fill.cl_ord_id.clone()))
        else {
            return;
        };
        let f = risk::Fill {
            cl_ord_id: r.cl_ord_id,
            account: r.account,
            symbol: r.symbol,
            side: r.side,
            qty: qty(fill.qty),
            price: fill.px.dec(),
        };
        let _ = self.engine.on_fill(nanos(now), &f);
    }

    fn on_order_done(&mut self, now: Timestamp, account: &AccountId, first: &ClOrdId) {
        if let Some(r) = self.open.remove(&(account.clone(), first.clone())) {
            self.close(now, &r);
        }
    }

    fn on_order_amended(
        &mut self,
        now: Timestamp,
        account: &AccountId,
        first: &ClOrdId,
        leaves: Qty,
        price: Option<Px>,
    ) {
        if let Some(r) = self.open.get(&(account.clone(), first.clone())) {
            let _ = self.engine.on_open_order_change(
                nanos(now),
                &risk::OpenOrderChange::Amended {
                    account: r.account,
                    cl_ord_id: r.cl_ord_id,
                    leaves: qty(leaves),
                    price: price.map(|p| p.dec()),
                },
            );
        }
    }

    fn on_price(&mut self, now: Timestamp, symbol: &Symbol, px: Px) {
        if let Ok(s) = risk::Symbol::new(symbol.as_str()) {
            let _ =
                self.engine
                    .on_price(nanos(now), s, risk::MarketUpdate::Trade { price: px.dec() });
        }
    }

    fn poll_alert(&mut self) -> Option<String> {
        self.engine.poll_event().map(|e| e.to_string())
    }
}
