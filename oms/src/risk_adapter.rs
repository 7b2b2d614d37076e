//! The risk crate's [`risk::RiskEngine`] behind the OMS's
//! [`PreTradeCheck`] seam.
//!
//! Both crates speak the `domain` model (sides, order types, time in
//! force, timestamps), so what is left to translate is what really
//! differs: identifiers (the OMS's `Arc<str>` ids against the engine's
//! inline, length-bounded ones), quantities (unsigned order quantities
//! against the engine's signed ones) and decisions (the engine's typed
//! violation becomes the OMS's reject Text). The adapter also owns the
//! small book-keeping the engine needs to follow an order's life: the
//! engine keys open orders by ClOrdID, and the OMS keys them by the
//! order's first ClOrdID, so the adapter remembers which risk key each
//! order is open under. Translations that cannot be made (an identifier
//! too long for the engine's inline ids) are rejects, never panics.
//! Everything the engine reports through `poll_event` comes out as an
//! alert.
//!
//! Replaces: the engine checks new orders; a replace is presented as the
//! old open order closed and the new terms (the remaining quantity, under
//! the replace's ClOrdID) checked as an order; if refused, the old order
//! is re-opened with the leaves it had (the adapter follows each order's
//! leaves through fills and amendments). This counts a replace against
//! order-rate and daily-notional limits like a new order (conservative).
//! If the venue then refuses the replace, the engine keeps the new terms
//! open until the order is done (conservative as well).
//!
//! Fills: every fill the OMS books reaches the engine (positions, cash,
//! P&L), also one for an order the engine no longer has open (a late
//! fill after the order was done). A fill is not a price input: marks,
//! collars' reference prices and LULD come from `on_price` (the OMS's
//! `MarketPrice` events) only. Trade busts and corrections do not reach
//! the engine (the seam has no call for them).
//!
//! Time: every engine call gets the event's timestamp, never a clock, so
//! replaying the journal reaches the same decisions (market hours, order
//! rate, day boundaries).
//!
//! Standing waivers ([`RiskAdapter::waive_rule`]): a rule waived
//! firm-wide from start-up configuration, such as market hours for a demo
//! that runs at night; granted as an engine override (so the engine
//! records who and why), its uses are counted instead of alerted one by
//! one.
//!
//! Short sales: the OMS's order carries no locate yet; the engine's
//! locates (`RiskEngine::add_locate`) are reached through
//! [`RiskAdapter::engine_mut`].

use std::collections::BTreeMap;

use crate::pretrade::{Decision, FillNotice, OmsView, OrderRequest, PreTradeCheck, Violation};
use crate::types::{AccountId, ClOrdId, Px, Qty, Symbol, Timestamp};
use domain::SignedQty;

/// A [`PreTradeCheck`] backed by the risk engine.
pub struct RiskAdapter {
    engine: risk::RiskEngine,
    /// (account, first ClOrdID) -> the request the engine has open, its
    /// quantity kept at the order's leaves.
    open: BTreeMap<(AccountId, ClOrdId), risk::OrderRequest>,
    /// Override ids of the standing waivers.
    standing: Vec<u64>,
    /// Orders let through by a standing waiver.
    waived: u64,
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

impl RiskAdapter {
    /// Wrap an engine.
    pub fn new(engine: risk::RiskEngine) -> RiskAdapter {
        RiskAdapter {
            engine,
            open: BTreeMap::new(),
            standing: Vec::new(),
            waived: 0,
        }
    }

    /// Waive `rule` firm-wide from now on: an engine override with no
    /// expiry, granted by `op` (who needs the override permission in the
    /// engine's configuration). Its grant is an engine event (alerted
    /// once); each use is counted ([`RiskAdapter::waived`]) rather than
    /// alerted. Grant it before the journal is replayed, from
    /// configuration, so that a replay decides as the live run did.
    pub fn waive_rule(
        &mut self,
        rule: risk::Rule,
        op: risk::Operator,
    ) -> Result<u64, risk::RiskError> {
        let id =
            self.engine
                .override_rule(rule, risk::Scope::Firm, None, Timestamp(i64::MAX), op)?;
        self.standing.push(id);
        Ok(id)
    }

    /// How many orders a standing waiver let through.
    pub fn waived(&self) -> u64 {
        self.waived
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
            side: req.side,
            qty: SignedQty::from(open_qty),
            ord_type: req.ord_type,
            price: req.price.map(|p| p.dec()),
            stop_price: None,
            tif: req.tif,
            venue,
            extended_hours: false,
            locate: None,
        })
    }

    fn decide(&mut self, now: Timestamp, r: &risk::OrderRequest) -> Decision {
        match self.engine.pre_trade(now, r) {
            risk::Decision::Accept { .. } => Decision::Accept,
            risk::Decision::Reduce { qty, .. } => Decision::Reduce(qty.unsigned()),
            risk::Decision::Reject(v) => Decision::Reject(Violation::External(v.to_string())),
        }
    }

    fn close(&mut self, now: Timestamp, r: &risk::OrderRequest) {
        // An order the engine does not know is not an error worth raising.
        let _ = self.engine.on_open_order_change(
            now,
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
        // The old order as it stands (quantity = its leaves).
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
                self.open.insert(
                    key,
                    risk::OrderRequest {
                        qty: SignedQty::from(*q),
                        ..r
                    },
                );
            }
            Decision::Reject(_) => {
                if let Some(o) = old.filter(|o| o.qty.0 > 0) {
                    let _ = self
                        .engine
                        .on_open_order_change(now, &risk::OpenOrderChange::Opened { order: o });
                }
            }
        }
        d
    }

    fn on_fill(&mut self, now: Timestamp, fill: &FillNotice) {
        let key = (fill.account.clone(), fill.cl_ord_id.clone());
        let f = match self.open.get_mut(&key) {
            Some(r) => {
                r.qty = SignedQty(r.qty.0.saturating_sub(SignedQty::from(fill.qty).0).max(0));
                risk::Fill {
                    cl_ord_id: r.cl_ord_id,
                    account: r.account,
                    symbol: r.symbol,
                    side: r.side,
                    qty: SignedQty::from(fill.qty),
                    price: fill.px.dec(),
                }
            }
            None => {
                // Not open in the engine (done before this fill came in):
                // the position changes all the same.
                let (Ok(cl_ord_id), Ok(account), Ok(symbol)) = (
                    risk::ClOrdId::new(fill.cl_ord_id.as_str()),
                    risk::AccountId::new(fill.account.as_str()),
                    risk::Symbol::new(fill.symbol.as_str()),
                ) else {
                    return;
                };
                risk::Fill {
                    cl_ord_id,
                    account,
                    symbol,
                    side: fill.side,
                    qty: SignedQty::from(fill.qty),
                    price: fill.px.dec(),
                }
            }
        };
        let _ = self.engine.on_fill(now, &f);
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
        if let Some(r) = self.open.get_mut(&(account.clone(), first.clone())) {
            r.qty = SignedQty::from(leaves);
            r.price = price.map(|p| p.dec()).or(r.price);
            let _ = self.engine.on_open_order_change(
                now,
                &risk::OpenOrderChange::Amended {
                    account: r.account,
                    cl_ord_id: r.cl_ord_id,
                    leaves: SignedQty::from(leaves),
                    price: price.map(|p| p.dec()),
                },
            );
        }
    }

    fn on_price(&mut self, now: Timestamp, symbol: &Symbol, px: Px) {
        if let Ok(s) = risk::Symbol::new(symbol.as_str()) {
            let _ = self
                .engine
                .on_price(now, s, risk::MarketUpdate::Trade { price: px.dec() });
        }
    }

    fn poll_alert(&mut self) -> Option<String> {
        loop {
            let e = self.engine.poll_event()?;
            if let risk::RiskEvent::OverrideUsed { id, .. } = &e {
                if self.standing.contains(id) {
                    self.waived += 1;
                    continue;
                }
            }
            return Some(e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portfolio::Portfolio;
    use crate::types::{OrdType, OrderId, Side, TimeInForce, VenueId};
    use rust_decimal_macros::dec;
    use test_support::risk::RiskToml;

    /// ACC1 may hold at most 500 AAPL.
    fn cfg() -> String {
        RiskToml::new()
            .desk("EQ")
            .account_with_limits("ACC1", "EQ", "1000000", "position_limits = { AAPL = 500 }")
            .instruments(&["AAPL"])
            .operator("ops", &["override"])
            .to_string()
    }

    fn adapter() -> RiskAdapter {
        let cfg = risk::RiskConfig::from_toml("risk.toml", &cfg()).unwrap();
        RiskAdapter::new(risk::RiskEngine::new(cfg, Timestamp(0)).unwrap())
    }

    /// 2026-03-04 15:00 UTC (10:00 in New York, a Wednesday) + `ms`.
    fn t(ms: i64) -> Timestamp {
        Timestamp(Timestamp::from_utc(2026, 3, 4, 15, 0, 0).0 + ms * 1_000_000)
    }

    fn req(cl: &str, qty: u64) -> OrderRequest {
        OrderRequest {
            cl_ord_id: ClOrdId::from(cl),
            replaces: None,
            account: AccountId::from("ACC1"),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            qty: Qty(qty),
            cum_qty: Qty::ZERO,
            ord_type: OrdType::Limit,
            price: Some(Px(dec!(190))),
            tif: TimeInForce::Day,
            venue: Some(VenueId::from("V1")),
        }
    }

    fn fill(cl: &str, qty: u64) -> FillNotice {
        FillNotice {
            account: AccountId::from("ACC1"),
            cl_ord_id: ClOrdId::from(cl),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            qty: Qty(qty),
            px: Px(dec!(190)),
        }
    }

    fn rejected(d: &Decision) -> bool {
        matches!(d, Decision::Reject(_))
    }

    #[test]
    fn a_refused_replace_reopens_the_order_at_its_leaves() {
        let mut a = adapter();
        let p = Portfolio::default();
        let v = OmsView { portfolio: &p };
        assert_eq!(a.check(t(0), &req("A", 300), &v), Decision::Accept);
        a.on_fill(t(10), &fill("A", 200));
        // Replace A to 600 (400 open with 200 filled): 600 > 500.
        let mut r = req("B", 600);
        r.replaces = Some((OrderId::from("O1"), ClOrdId::from("A")));
        r.cum_qty = Qty(200);
        let d = a.check(t(20), &r, &v);
        assert!(rejected(&d), "{d:?}");
        // A is open again with its 100 leaves (not its first 300):
        // 200 filled + 100 open + 200 new = 500 fits, 201 would not.
        assert!(rejected(&a.check(t(30), &req("C", 201), &v)));
        assert_eq!(a.check(t(40), &req("D", 200), &v), Decision::Accept);
    }

    #[test]
    fn a_fill_after_the_order_is_done_still_moves_the_position() {
        let mut a = adapter();
        let p = Portfolio::default();
        let v = OmsView { portfolio: &p };
        assert_eq!(a.check(t(0), &req("A", 100), &v), Decision::Accept);
        a.on_order_done(t(10), &AccountId::from("ACC1"), &ClOrdId::from("A"));
        a.on_fill(t(20), &fill("A", 100));
        // Position 100: 400 more fits, 401 does not.
        assert!(rejected(&a.check(t(30), &req("B", 401), &v)));
        assert_eq!(a.check(t(40), &req("C", 400), &v), Decision::Accept);
    }

    #[test]
    fn a_standing_waiver_is_announced_once_and_counted() {
        let mut a = adapter();
        let p = Portfolio::default();
        let v = OmsView { portfolio: &p };
        let saturday = Timestamp::from_utc(2026, 3, 7, 15, 0, 0);
        let d = a.check(saturday, &req("A", 10), &v);
        assert_eq!(
            d,
            Decision::Reject(Violation::External("MarketHours: market is closed".into()))
        );
        let op = risk::Operator {
            id: risk::OperatorId::new("ops").unwrap(),
            at: Timestamp(0),
            reason: "demo".into(),
        };
        a.waive_rule(risk::Rule::MarketHours, op).unwrap();
        assert!(a.poll_alert().unwrap().contains("MarketHours"));
        assert_eq!(a.check(saturday, &req("B", 10), &v), Decision::Accept);
        assert_eq!(a.check(saturday, &req("C", 11), &v), Decision::Accept);
        assert_eq!(a.poll_alert(), None);
        assert_eq!(a.waived(), 2);
        // An operator without the permission cannot grant one.
        let nobody = risk::Operator {
            id: risk::OperatorId::new("nobody").unwrap(),
            at: Timestamp(0),
            reason: "demo".into(),
        };
        assert!(a.waive_rule(risk::Rule::Halt, nobody).is_err());
    }
}
