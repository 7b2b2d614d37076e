//! Inputs after the check: fills, open-order changes, market data, halts,
//! the S&P 500 index, daily closes and the passage of time; and the
//! real-time evaluation they trigger (mark-to-market P&L, drawdown tiers,
//! VaR limits, exposure breaches after price moves).
//!
//! Owns the `on_*` half of [`RiskEngine`]'s API. Each input updates the
//! aggregates by deltas, then re-evaluates only the levels it touched and
//! queues an event for every breach and state change.

use std::collections::VecDeque;

use rust_decimal::Decimal;

use crate::book::Contribution;
use crate::compliance::pdt;
use crate::config::DrawdownConfig;
use crate::decision::{ExposureKind, Scope, TradingState, Violation};
use crate::engine::{
    to_f64, update_position, Level, MarketUpdate, OpenOrder, RiskEngine, RiskError,
};
use crate::events::{DrawdownTier, RiskEvent, StateCause, VarMethod};
use crate::fixed::Money;
use crate::keys::OrderKey;
use crate::market::HaltNotice;
use crate::types::{
    AccountId, AssetClass, Fill, OpenOrderChange, Side, SignedQty, Symbol, Timestamp,
};
use crate::var::VarModel;

impl RiskEngine {
    fn indices(&self, account: AccountId, symbol: Symbol) -> Result<(usize, usize), RiskError> {
        let ai = self
            .accounts
            .get_index_of(&account)
            .ok_or(RiskError::UnknownAccount(account))?;
        let ii = self
            .instruments
            .get_index_of(&symbol)
            .ok_or(RiskError::UnknownInstrument(symbol))?;
        Ok((ai, ii))
    }

    /// A fill: updates the open order (leaves), the position, cash,
    /// realised and unrealised P&L, VaR, the day-trade log and the wash
    /// sale ledger, then re-evaluates drawdown and VaR limits.
    pub fn on_fill(&mut self, now: Timestamp, fill: &Fill) -> Result<(), RiskError> {
        self.roll(now);
        let (ai, ii) = self.indices(fill.account, fill.symbol)?;
        let q = fill.qty.0;
        let key = OrderKey::new(fill.account, fill.cl_ord_id);
        let (first_fill, open_reduce) = match self.open.get_mut(&key) {
            Some(o) => {
                let first = !o.filled;
                o.filled = true;
                let r = q.min(o.leaves);
                o.leaves -= r;
                if o.leaves == 0 {
                    self.open.swap_remove(&key);
                }
                (first, r)
            }
            None => (true, 0),
        };
        let date = self.day.date;
        let acc = &mut self.accounts[ai];
        let held_before = acc.positions[ii].qty;
        if first_fill {
            let dt = pdt::is_day_trade(&acc.positions[ii], fill.side);
            acc.pdt.record(date, dt);
        }
        let mult = self.instruments[ii].spec.multiplier;
        let signed = fill.side.sign() * q;
        let mut effect = None;
        update_position(self, ai, ii, |p| {
            if fill.side == Side::Buy {
                p.open_buy -= open_reduce;
            } else {
                p.open_sell -= open_reduce;
            }
            effect = Some(p.apply_fill(signed, fill.price, mult));
        });
        let Some(effect) = effect else { return Ok(()) };
        let desk = self.accounts[ai].desk;
        for l in [
            &mut self.accounts[ai].level,
            &mut self.desks[desk],
            &mut self.firm,
        ] {
            l.agg.cash += Money::from_decimal(effect.cash);
            l.agg.realised += Money::from_decimal(effect.realised);
        }
        if self.instruments[ii].mark.is_zero() {
            self.revalue(ii, fill.price);
        }
        self.wash_sales(now, ai, ii, fill, held_before, effect.realised);
        self.evaluate_account(ai);
        self.evaluate_desk(desk);
        self.evaluate_firm();
        Ok(())
    }

    fn wash_sales(
        &mut self,
        now: Timestamp,
        ai: usize,
        ii: usize,
        fill: &Fill,
        held_before: i64,
        realised: Decimal,
    ) {
        let e = &self.instruments[ii];
        let Some(key) = e.wash_key else { return };
        let symbol = self
            .instruments
            .get_index(key)
            .map(|(s, _)| *s)
            .unwrap_or(fill.symbol);
        let is_option = e.spec.asset_class == AssetClass::Option;
        let shares = if is_option {
            e.shares(fill.qty.0)
        } else {
            fill.qty.0
        };
        let acc = &mut self.accounts[ai];
        let held_after = acc.positions[ii].qty.max(0);
        let mut out = Vec::new();
        if fill.side == Side::Buy {
            acc.wash
                .on_purchase(fill.account, symbol, now, key, shares, &mut out);
        } else if !is_option {
            let closed = fill.qty.0.min(held_before.max(0));
            if closed > 0 && realised < Decimal::ZERO {
                let loss_per_share = -realised / Decimal::from(closed);
                acc.wash.on_loss_sale(
                    fill.account,
                    symbol,
                    now,
                    key,
                    closed,
                    loss_per_share,
                    held_after,
                    &mut out,
                );
            } else if closed > 0 {
                acc.wash.on_sale_without_loss(key, closed, held_after);
            }
        }
        self.events.extend(out.into_iter().map(RiskEvent::WashSale));
    }

    /// The OMS reports a change to an open order. Orders accepted by
    /// [`RiskEngine::pre_trade`] are already open; `Opened` is for orders
    /// that did not pass through it (recovery of working GTC orders) and is
    /// idempotent. Fills reduce leaves by themselves ([`RiskEngine::on_fill`]).
    pub fn on_open_order_change(
        &mut self,
        now: Timestamp,
        change: &OpenOrderChange,
    ) -> Result<(), RiskError> {
        self.roll(now);
        match *change {
            OpenOrderChange::Opened { order } => {
                let key = OrderKey::new(order.account, order.cl_ord_id);
                if self.open.contains_key(&key) {
                    return self.on_open_order_change(
                        now,
                        &OpenOrderChange::Amended {
                            account: order.account,
                            cl_ord_id: order.cl_ord_id,
                            leaves: order.qty,
                            price: order.price,
                        },
                    );
                }
                let (ai, ii) = self.indices(order.account, order.symbol)?;
                // Its ClOrdID is taken, like those of orders checked here.
                self.seen.insert(key.short());
                self.open.insert(
                    key,
                    OpenOrder {
                        req: order,
                        leaves: order.qty.0,
                        acc: ai,
                        ins: ii,
                        filled: false,
                    },
                );
                update_position(self, ai, ii, |p| {
                    if order.side == Side::Buy {
                        p.open_buy += order.qty.0;
                    } else {
                        p.open_sell += order.qty.0;
                    }
                });
                self.after_open_change(ai);
            }
            OpenOrderChange::Amended {
                account,
                cl_ord_id,
                leaves,
                price,
            } => {
                let Some(k) = self.open.get_index_of(&OrderKey::new(account, cl_ord_id)) else {
                    return Ok(());
                };
                let o = &mut self.open[k];
                let delta = leaves.0.max(0) - o.leaves;
                o.leaves = leaves.0.max(0);
                o.req.price = price.or(o.req.price);
                let (ai, ii, side) = (o.acc, o.ins, o.req.side);
                if o.leaves == 0 {
                    self.open.swap_remove_index(k);
                }
                update_position(self, ai, ii, |p| {
                    if side == Side::Buy {
                        p.open_buy += delta;
                    } else {
                        p.open_sell += delta;
                    }
                });
                self.after_open_change(ai);
            }
            OpenOrderChange::Closed { account, cl_ord_id } => {
                let Some(k) = self.open.get_index_of(&OrderKey::new(account, cl_ord_id)) else {
                    return Ok(());
                };
                let Some((_, o)) = self.open.swap_remove_index(k) else {
                    return Ok(());
                };
                update_position(self, o.acc, o.ins, |p| {
                    if o.req.side == Side::Buy {
                        p.open_buy -= o.leaves;
                    } else {
                        p.open_sell -= o.leaves;
                    }
                });
                self.after_open_change(o.acc);
            }
        }
        Ok(())
    }

    /// Open orders change neither equity nor VaR (positions do): only the
    /// exposure breach state needs a look.
    fn after_open_change(&mut self, ai: usize) {
        let desk = self.accounts[ai].desk;
        evaluate_exposure(&mut self.accounts[ai].level, &mut self.events);
        evaluate_exposure(&mut self.desks[desk], &mut self.events);
        evaluate_exposure(&mut self.firm, &mut self.events);
    }

    /// Load a start-of-day position (quantity and average price); cash is
    /// the account's configured start-of-day cash.
    pub fn load_position(
        &mut self,
        account: AccountId,
        symbol: Symbol,
        qty: SignedQty,
        avg_price: Decimal,
    ) -> Result<(), RiskError> {
        let (ai, ii) = self.indices(account, symbol)?;
        let mult = self.instruments[ii].spec.multiplier;
        update_position(self, ai, ii, |p| {
            p.qty = qty.0;
            p.cost = qty.dec() * avg_price * mult;
        });
        if self.instruments[ii].mark.is_zero() {
            self.revalue(ii, avg_price);
        }
        Ok(())
    }

    /// Market data for one instrument: updates its market state (LULD,
    /// Rule 201), its mark, and everyone's P&L, exposure and VaR.
    pub fn on_price(
        &mut self,
        now: Timestamp,
        symbol: Symbol,
        update: MarketUpdate,
    ) -> Result<(), RiskError> {
        self.roll(now);
        let ii = self
            .instruments
            .get_index_of(&symbol)
            .ok_or(RiskError::UnknownInstrument(symbol))?;
        let day = self.day;
        let e = &mut self.instruments[ii];
        match update {
            MarketUpdate::Trade { price } => {
                e.market
                    .on_trade(symbol, &day, now, price, &mut self.events)
            }
            MarketUpdate::Quote { bid, ask } => {
                e.market
                    .on_quote(symbol, e.spec.tier, &day, now, bid, ask, &mut self.events)
            }
        }
        let m = &e.market;
        if let Some(mark) = m.last.or_else(|| m.mid()).or(m.prior_close) {
            if mark != e.mark {
                self.revalue(ii, mark);
            }
        }
        Ok(())
    }

    /// A halt or resumption for one instrument.
    pub fn on_halt(
        &mut self,
        now: Timestamp,
        symbol: Symbol,
        notice: HaltNotice,
    ) -> Result<(), RiskError> {
        self.roll(now);
        let e = self
            .instruments
            .get_mut(&symbol)
            .ok_or(RiskError::UnknownInstrument(symbol))?;
        e.market.on_halt(symbol, notice, &mut self.events);
        Ok(())
    }

    /// An S&P 500 index value: drives the market-wide circuit breakers.
    pub fn on_index(&mut self, now: Timestamp, value: Decimal) {
        self.roll(now);
        let day = self.day;
        self.market_wide
            .on_index(&day, now, value, &mut self.events);
    }

    /// Time passed with no other input: LULD pauses start and end, the
    /// day rolls over.
    pub fn on_time(&mut self, now: Timestamp) {
        self.roll(now);
        for (s, e) in self.instruments.iter_mut() {
            e.market.on_time(*s, now, &mut self.events);
        }
    }

    /// End-of-day closes: prior closes for tomorrow (Rule 201, LULD), the
    /// S&P 500 close for the circuit breakers, EWMA volatilities, and a new
    /// VaR day (covariance and scenarios), after which every portfolio's
    /// VaR is rebuilt.
    pub fn on_daily_close(&mut self, closes: &[(Symbol, Decimal)], index_close: Option<Decimal>) {
        let mut v = vec![None; self.instruments.len()];
        for (s, px) in closes {
            if let Some((i, _, e)) = self.instruments.get_full_mut(s) {
                e.market.prior_close = Some(*px);
                e.vol.update_price(*px);
                v[i] = Some(to_f64(*px));
            }
        }
        if index_close.is_some() {
            self.market_wide.index_prior_close = index_close;
        }
        self.var_model.on_close(&v);
        let model = &self.var_model;
        for a in self.accounts.values_mut() {
            if let Some(p) = &mut a.level.var {
                p.rebuild(model);
            }
        }
        if let Some(p) = &mut self.firm.var {
            p.rebuild(model);
        }
    }

    /// New valuation price for instrument `ii`: revalue every holder.
    pub(crate) fn revalue(&mut self, ii: usize, mark: Decimal) {
        let e = &mut self.instruments[ii];
        let old_unit = e.unit();
        e.set_mark(mark);
        let unit = e.unit();
        let (sector, class) = (e.sector, e.class);
        let holders = std::mem::take(&mut e.holders);
        let mut firm_qty = 0i64;
        for &ai in &holders {
            let ai = ai as usize;
            let acc = &mut self.accounts[ai];
            let pos = acc.positions[ii];
            let old = Contribution::of(&pos, old_unit);
            let new = Contribution::of(&pos, unit);
            let desk = acc.desk;
            for l in [&mut acc.level, &mut self.desks[desk], &mut self.firm] {
                l.agg.apply(ii, sector, class, &old, &new);
            }
            if pos.qty != 0 {
                firm_qty += pos.qty;
                if let Some(v) = &mut self.accounts[ai].level.var {
                    v.set_weight(&self.var_model, ii, unit.times(pos.qty).to_f64());
                }
            }
        }
        if let Some(v) = &mut self.firm.var {
            v.set_weight(&self.var_model, ii, unit.times(firm_qty).to_f64());
        }
        for &ai in &holders {
            self.evaluate_account(ai as usize);
        }
        for d in 0..self.desks.len() {
            self.evaluate_desk(d);
        }
        self.evaluate_firm();
        self.instruments[ii].holders = holders;
    }

    fn evaluate_account(&mut self, ai: usize) {
        let flatten = evaluate_level(
            &mut self.accounts[ai].level,
            &self.cfg.drawdown,
            &self.var_model,
            &mut self.events,
        );
        if flatten {
            if let Some((id, _)) = self.accounts.get_index(ai) {
                self.flatten(Scope::Account(*id));
            }
        }
    }

    fn evaluate_desk(&mut self, d: usize) {
        let Some((id, l)) = self.desks.get_index_mut(d) else {
            return;
        };
        let id = *id;
        if evaluate_level(l, &self.cfg.drawdown, &self.var_model, &mut self.events) {
            self.flatten(Scope::Desk(id));
        }
    }

    fn evaluate_firm(&mut self) {
        if evaluate_level(
            &mut self.firm,
            &self.cfg.drawdown,
            &self.var_model,
            &mut self.events,
        ) {
            self.flatten(Scope::Firm);
        }
    }

    fn flatten(&mut self, scope: Scope) {
        let cancel = self.open_orders(scope);
        let mut close = Vec::new();
        for (ai, (id, a)) in self.accounts.iter().enumerate() {
            if !self.in_scope(ai, scope) {
                continue;
            }
            for (p, sym) in a.positions.iter().zip(self.instruments.keys()) {
                if p.qty != 0 {
                    close.push((*id, *sym, SignedQty(-p.qty)));
                }
            }
        }
        self.events.push_back(RiskEvent::Flatten {
            scope,
            cancel,
            close,
        });
    }
}

/// Drawdown, VaR and post-trade exposure for one level. Returns true if
/// the level must be flattened (drawdown halt tier reached just now).
fn evaluate_level(
    l: &mut Level,
    dd_cfg: &DrawdownConfig,
    model: &VarModel,
    events: &mut VecDeque<RiskEvent>,
) -> bool {
    let mut flatten = false;
    let equity = l.agg.equity().to_decimal();
    if let Some((tier, pct)) = l.dd.update(equity, dd_cfg) {
        events.push_back(RiskEvent::Drawdown {
            scope: l.scope,
            tier,
            pct,
            high_water_mark: l.dd.high_water_mark.unwrap_or(equity),
            equity,
        });
        let state = match tier {
            DrawdownTier::None | DrawdownTier::Warn => TradingState::Active,
            DrawdownTier::Reduce => TradingState::Reducing,
            DrawdownTier::Halt => {
                flatten = true;
                TradingState::Halted
            }
        };
        if state > l.dd_state {
            l.dd_state = state;
            l.refresh(StateCause::Drawdown { pct }, events);
        }
    }
    if let (Some(limit), Some(v)) = (l.limits.var_limit, l.var.as_mut()) {
        let limit_f = to_f64(limit);
        let p = v.parametric();
        let h = v.historical(model);
        let (method, var) = if p >= h {
            (VarMethod::Parametric, p)
        } else {
            (VarMethod::Historical, h)
        };
        if var > limit_f && l.var_state == TradingState::Active {
            l.var_state = TradingState::Reducing;
            let var = crate::engine::money(var);
            events.push_back(RiskEvent::VarBreach {
                scope: l.scope,
                method,
                var,
                limit,
            });
            l.refresh(StateCause::Var { var, limit }, events);
        } else if var <= limit_f && l.var_state != TradingState::Active {
            l.var_state = TradingState::Active;
            let var = crate::engine::money(var);
            l.refresh(StateCause::Var { var, limit }, events);
        }
    }
    evaluate_exposure(l, events);
    flatten
}

/// Post-trade exposure breach (a price move took the level over a limit):
/// one event when it starts.
fn evaluate_exposure(l: &mut Level, events: &mut VecDeque<RiskEvent>) {
    let gross = l.agg.total.gross;
    let net = l.agg.total.net_abs();
    let gross_over = l.limits.gross.filter(|m| gross > *m);
    let net_over = l.limits.net.filter(|m| net > *m);
    let breached = gross_over.is_some() || net_over.is_some();
    if breached && !l.exposure_breached {
        let (kind, projected, limit) = match (gross_over, net_over) {
            (Some(limit), _) => (ExposureKind::Gross, gross, limit),
            (None, Some(limit)) => (ExposureKind::Net, net, limit),
            (None, None) => (ExposureKind::Gross, gross, gross),
        };
        let violation = Violation::Exposure {
            scope: l.scope,
            kind,
            projected: projected.to_decimal(),
            limit: limit.to_decimal(),
        };
        events.push_back(RiskEvent::LimitBreach { violation });
    }
    l.exposure_breached = breached;
}
