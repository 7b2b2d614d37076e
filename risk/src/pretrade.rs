//! The pre-trade check: [`RiskEngine::pre_trade`].
//!
//! Owns the order of the checks and the reduce-to-fit search. Checks run
//! cheapest and most absolute first: trading states, lists, order type
//! and venue, price and size validity, session, halts, circuit breakers
//! and LULD, short sales (locate, hard-to-borrow, Rule 201), duplicates,
//! order rate, price collars, pattern day trading and wash sales; then the
//! size-related limits (order quantity and notional, daily notional,
//! credit and buying power, position, exposure, intraday margin), which
//! an account configured to `reduce` may satisfy with a smaller order.
//!
//! A violation that an operator override covers is recorded (in the
//! decision and as an event) and the checks go on. The accept path
//! allocates nothing: aggregates are read, not rebuilt, and the accepted
//! order is recorded in tables sized at start.

use rust_decimal::Decimal;

use crate::book::{Contribution, Position};
use crate::calendar;
use crate::compliance::pdt;
use crate::config::{AccountType, CollarReference, OnBreach, PdtRegime, WashSaleMode};
use crate::decision::{
    AcceptFlags, Decision, ExposureKind, Overridden, Session, TradingState, Violation,
};
use crate::engine::{
    update_position, InstrumentEntry, Level, OpenOrder, RecentOrder, RiskEngine, RECENT_CAP,
};
use crate::events::RiskEvent;
use crate::fixed::Money;
use crate::keys::{params_fingerprint, OrderKey};
use crate::types::{AssetClass, DeskId, OrdType, OrderRequest, Side, SignedQty, Timestamp};

/// Overrides used by one order's size checks.
type Waived = [Option<(u64, Violation)>; 8];

/// True if the order only shrinks the position towards zero, counting the
/// open orders on the same side.
pub(crate) fn reduces_risk(pos: &Position, side: Side, qty: i64) -> bool {
    match side {
        Side::Buy => pos.qty < 0 && pos.open_buy + qty <= -pos.qty,
        Side::Sell => pos.qty > 0 && pos.open_sell + qty <= pos.qty,
        Side::SellShort => false,
    }
}

impl RiskEngine {
    /// Check an order before it goes to market. On acceptance (possibly
    /// reduced) the order is recorded as open at the accepted quantity,
    /// so that the next check sees it; the OMS reports its later life
    /// with [`RiskEngine::on_open_order_change`] and
    /// [`RiskEngine::on_fill`].
    pub fn pre_trade(&mut self, now: Timestamp, req: &OrderRequest) -> Decision {
        self.roll(now);
        let Some(ai) = self.accounts.get_index_of(&req.account) else {
            return Decision::Reject(Violation::UnknownAccount {
                account: req.account,
            });
        };
        let Some(ii) = self.instruments.get_index_of(&req.symbol) else {
            return Decision::Reject(Violation::UnknownInstrument { symbol: req.symbol });
        };
        self.instruments[ii]
            .market
            .on_time(req.symbol, now, &mut self.events);
        let desk_id = self.desk_id(ai);
        let mark = self.events.len();
        let mut overridden: Option<Overridden> = None;
        let mut flags = AcceptFlags::default();

        macro_rules! gate {
            ($check:expr) => {
                if let Some(v) = $check {
                    match self
                        .overrides
                        .find(now, v.rule(), req.account, desk_id, req.cl_ord_id)
                    {
                        Some(id) => {
                            overridden.get_or_insert(Overridden {
                                override_id: id,
                                violation: v,
                            });
                            self.events.push_back(RiskEvent::OverrideUsed {
                                id,
                                cl_ord_id: req.cl_ord_id,
                                violation: v,
                            });
                        }
                        None => {
                            self.events.truncate(mark);
                            return Decision::Reject(v);
                        }
                    }
                }
            };
        }

        gate!(self.check_states(ai, ii, req));
        gate!(self.check_static(ai, ii, req));
        let Some(px) = self.order_price(&self.instruments[ii], req) else {
            self.events.truncate(mark);
            return Decision::Reject(Violation::MissingPrice {
                ord_type: req.ord_type,
            });
        };
        gate!(self.check_session(ii, req, now));
        gate!(self.check_market_state(ii, req, now));
        let short_qty = self.short_qty(ai, ii, req);
        if short_qty > 0 {
            flags.short_sale = true;
            gate!(self.check_short_sale(ai, ii, req, short_qty));
        }
        let key = OrderKey::new(req.account, req.cl_ord_id);
        let fp = params_fingerprint(req.account, req.symbol, req.side, req.qty.0, req.price);
        gate!(self.check_duplicates(req, now, key, fp));
        gate!(self.check_rate(ai, now));
        gate!(self.check_collar(ai, ii, req));
        gate!(self.check_pdt(ai, ii, req));
        let wash = self.check_wash_sale(ai, ii, req, px, now);
        if let Some((v, block)) = wash {
            flags.possible_wash_sale = true;
            if block {
                gate!(Some(v));
            }
        }

        // Size-related limits, with reduce-to-fit.
        let q = req.qty.0;
        let (first, waived_full) = self.size_check_recorded(now, ai, ii, req, q, px, desk_id);
        let (decision_qty, reduced_by) = match first {
            None => (q, None),
            Some(v) => {
                let reducible =
                    self.accounts[ai].settings.on_breach == OnBreach::Reduce && v.is_size_related();
                match reducible
                    .then(|| self.largest_fit(now, ai, ii, req, px, desk_id))
                    .flatten()
                {
                    Some(fit) => (fit, Some(v)),
                    None => {
                        self.events.truncate(mark);
                        return Decision::Reject(v);
                    }
                }
            }
        };
        // Record the overrides the accepted size relies on (every one, or
        // the order does not go: an override must never act unrecorded).
        let (still, waived) = match reduced_by {
            None => (None, waived_full),
            Some(_) => self.size_check_recorded(now, ai, ii, req, decision_qty, px, desk_id),
        };
        let Some(waived) = waived.filter(|_| still.is_none()) else {
            self.events.truncate(mark);
            return Decision::Reject(still.or(first).unwrap_or(Violation::MaxOrderQty {
                qty: req.qty,
                limit: SignedQty(decision_qty),
            }));
        };
        for (id, v) in waived.iter().flatten() {
            if reduced_by.is_none() {
                overridden.get_or_insert(Overridden {
                    override_id: *id,
                    violation: *v,
                });
            }
            self.events.push_back(RiskEvent::OverrideUsed {
                id: *id,
                cl_ord_id: req.cl_ord_id,
                violation: *v,
            });
        }
        self.accept(
            now,
            ai,
            ii,
            req,
            decision_qty,
            px,
            short_qty,
            mark,
            (key, fp),
        );
        match reduced_by {
            None => Decision::Accept { flags, overridden },
            // The limit that the requested size broke.
            Some(violation) => Decision::Reduce {
                qty: SignedQty(decision_qty),
                requested: req.qty,
                violation,
                flags,
            },
        }
    }

    pub(crate) fn desk_id(&self, ai: usize) -> DeskId {
        self.accounts[ai].desk_id
    }

    fn reference_price(&self, e: &InstrumentEntry) -> Option<Decimal> {
        let m = &e.market;
        let r = match self.cfg.checks.collar_reference {
            CollarReference::Last => m.last.or_else(|| m.mid()),
            CollarReference::Mid => m.mid().or(m.last),
        };
        r.or(m.prior_close)
    }

    /// Price used to value the order: its limit, else the stop, else the
    /// reference (market orders).
    fn order_price(&self, e: &InstrumentEntry, req: &OrderRequest) -> Option<Decimal> {
        let reference = self
            .reference_price(e)
            .or((!e.mark.is_zero()).then_some(e.mark));
        match req.ord_type {
            OrdType::Limit | OrdType::StopLimit => req.price,
            OrdType::Stop => req.stop_price.or(reference),
            OrdType::Market => reference,
        }
        .filter(|p| *p > Decimal::ZERO)
    }

    fn check_states(&self, ai: usize, ii: usize, req: &OrderRequest) -> Option<Violation> {
        let acc = &self.accounts[ai];
        let desk = &self.desks[acc.desk];
        for l in [&self.firm, desk, &acc.level] {
            match l.effective {
                TradingState::Active => {}
                TradingState::Halted => {
                    return Some(Violation::TradingState {
                        scope: l.scope,
                        state: l.effective,
                    })
                }
                TradingState::Reducing => {
                    if !reduces_risk(&acc.positions[ii], req.side, req.qty.0) {
                        return Some(Violation::TradingState {
                            scope: l.scope,
                            state: l.effective,
                        });
                    }
                }
            }
        }
        None
    }

    fn check_static(&self, ai: usize, ii: usize, req: &OrderRequest) -> Option<Violation> {
        let e = &self.instruments[ii];
        let s = &self.accounts[ai].settings;
        if e.restricted {
            return Some(Violation::RestrictedList { symbol: req.symbol });
        }
        if s.ord_type_mask & crate::types::ord_type_bit(req.ord_type) == 0 {
            return Some(Violation::OrderType {
                ord_type: req.ord_type,
                account: req.account,
            });
        }
        if !s.venues.is_empty() && !s.venues.contains(&req.venue) {
            return Some(Violation::Venue {
                venue: req.venue,
                account: req.account,
            });
        }
        let needs_limit = matches!(req.ord_type, OrdType::Limit | OrdType::StopLimit);
        let needs_stop = matches!(req.ord_type, OrdType::Stop | OrdType::StopLimit);
        if (needs_limit && req.price.is_none()) || (needs_stop && req.stop_price.is_none()) {
            return Some(Violation::MissingPrice {
                ord_type: req.ord_type,
            });
        }
        for p in [req.price, req.stop_price].into_iter().flatten() {
            if !e.on_tick(p) {
                return Some(Violation::TickSize {
                    price: p,
                    tick: e.spec.tick,
                });
            }
        }
        if req.qty.0 <= 0 || req.qty.0 % e.spec.lot != 0 {
            return Some(Violation::LotSize {
                qty: req.qty,
                lot: e.spec.lot,
            });
        }
        None
    }

    fn check_session(&self, ii: usize, req: &OrderRequest, now: Timestamp) -> Option<Violation> {
        let e = &self.instruments[ii];
        let session = calendar::session_for(
            e.spec.asset_class,
            &self.cfg.hours.option,
            &self.cfg.hours.future,
            &self.day,
            now,
        );
        match session {
            Session::Regular => None,
            Session::PreMarket | Session::AfterHours if req.extended_hours => None,
            s => Some(Violation::MarketHours {
                session: s,
                extended_hours: req.extended_hours,
            }),
        }
    }

    fn check_market_state(
        &self,
        ii: usize,
        req: &OrderRequest,
        now: Timestamp,
    ) -> Option<Violation> {
        let e = &self.instruments[ii];
        if let Some(reason) = e.market.halted(now) {
            return Some(Violation::Halt {
                symbol: req.symbol,
                reason,
            });
        }
        let class = e.spec.asset_class;
        if class != AssetClass::Future {
            if let Some((level, decline_pct)) = self.market_wide.halted(now) {
                return Some(Violation::CircuitBreaker { level, decline_pct });
            }
        }
        if class.is_us_equity_like() {
            if let (Some(price), Some((lower, upper))) =
                (req.price, e.market.luld_bands(e.spec.tier, &self.day, now))
            {
                if req.side == Side::Buy && price > upper {
                    return Some(Violation::Luld {
                        symbol: req.symbol,
                        side: req.side,
                        price,
                        band: upper,
                    });
                }
                if req.side.is_sell() && price < lower {
                    return Some(Violation::Luld {
                        symbol: req.symbol,
                        side: req.side,
                        price,
                        band: lower,
                    });
                }
            }
        }
        None
    }

    /// Quantity of the order that is a short sale: all of a SellShort, and
    /// the part of a Sell beyond the long not already being sold.
    fn short_qty(&self, ai: usize, ii: usize, req: &OrderRequest) -> i64 {
        let pos = &self.accounts[ai].positions[ii];
        match req.side {
            Side::Buy => 0,
            Side::SellShort => req.qty.0,
            Side::Sell => (req.qty.0 - (pos.qty - pos.open_sell).max(0)).max(0),
        }
    }

    fn check_short_sale(
        &self,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
        short_qty: i64,
    ) -> Option<Violation> {
        let e = &self.instruments[ii];
        let inferred = req.side == Side::Sell;
        if e.htb {
            let ok = req.locate.is_some_and(|id| {
                self.locates.iter().any(|l| {
                    l.id == id
                        && l.account == req.account
                        && l.symbol == req.symbol
                        && l.remaining >= short_qty
                })
            });
            if !ok {
                return Some(Violation::HardToBorrow { symbol: req.symbol });
            }
        } else if req.locate.is_none() {
            return Some(Violation::LocateRequired {
                symbol: req.symbol,
                short_qty: SignedQty(short_qty),
                inferred,
            });
        }
        let _ = ai;
        if e.market.ssr_active(self.day.date) {
            let best_bid = e.market.bid.or(e.market.last).unwrap_or(Decimal::ZERO);
            let ok = match (req.ord_type, req.price) {
                (OrdType::Limit | OrdType::StopLimit, Some(p)) => {
                    p > best_bid && best_bid > Decimal::ZERO
                }
                _ => false,
            };
            if !ok {
                let price = if req.ord_type == OrdType::Market {
                    None
                } else {
                    req.price
                };
                return Some(Violation::ShortSaleRestriction {
                    symbol: req.symbol,
                    price,
                    best_bid,
                });
            }
        }
        None
    }

    fn check_duplicates(
        &self,
        req: &OrderRequest,
        now: Timestamp,
        key: OrderKey,
        fp: u64,
    ) -> Option<Violation> {
        if self.seen.contains(&key.short()) {
            return Some(Violation::DuplicateClOrdId {
                cl_ord_id: req.cl_ord_id,
            });
        }
        let window_ms = self.cfg.checks.duplicate_window_ms;
        let window = window_ms * 1_000_000;
        let &last = self.recent_index.get(&fp)?;
        let age = now.0 - last.0;
        if age >= window {
            return None;
        }
        // Confirm field by field (a fingerprint match is almost surely one).
        let same = self
            .recent
            .iter()
            .rev()
            .take_while(|r| now.0 - r.at.0 < window)
            .any(|r| {
                r.fp == fp
                    && r.account == req.account
                    && r.symbol == req.symbol
                    && r.side == req.side
                    && r.qty == req.qty
                    && r.price == req.price
            });
        if same {
            return Some(Violation::DuplicateOrder {
                since_ms: age / 1_000_000,
                window_ms,
            });
        }
        None
    }

    fn check_rate(&mut self, ai: usize, now: Timestamp) -> Option<Violation> {
        let desk = self.accounts[ai].desk;
        let check = |l: &mut Level| {
            let limit = l.limits.orders_per_second?;
            let count = l.rate.count_with_one_more(now);
            (count > limit).then_some(Violation::OrderRate {
                scope: l.scope,
                count,
                limit,
            })
        };
        if let Some(v) = check(&mut self.accounts[ai].level) {
            return Some(v);
        }
        if let Some(v) = check(&mut self.desks[desk]) {
            return Some(v);
        }
        check(&mut self.firm)
    }

    fn check_collar(&self, ai: usize, ii: usize, req: &OrderRequest) -> Option<Violation> {
        let price = req.price?;
        let e = &self.instruments[ii];
        let reference = self.reference_price(e)?;
        if reference <= Decimal::ZERO {
            return None;
        }
        let (p_fx, r_fx) = (Money::from_decimal(price), Money::from_decimal(reference));
        let dev = (p_fx - r_fx).abs();
        let acc = &self.accounts[ai];
        for l in [&acc.level, &self.desks[acc.desk], &self.firm] {
            if let (Some(limit_pct), Some(pct_fx)) = (l.limits.collar_pct, l.limits.collar_pct_fx) {
                // deviation / reference > limit%, in integers, no division.
                if dev.0.saturating_mul(100 * 100_000_000) > pct_fx.0.saturating_mul(r_fx.0) {
                    let deviation = (price - reference).abs();
                    return Some(Violation::PriceCollarPercent {
                        price,
                        reference,
                        deviation_pct: deviation * Decimal::ONE_HUNDRED / reference,
                        limit_pct,
                    });
                }
            }
            if let (Some(limit), Some(abs_fx)) = (l.limits.collar_abs, l.limits.collar_abs_fx) {
                if dev > abs_fx {
                    return Some(Violation::PriceCollarAbsolute {
                        price,
                        reference,
                        deviation: (price - reference).abs(),
                        limit,
                    });
                }
            }
        }
        None
    }

    fn check_pdt(&self, ai: usize, ii: usize, req: &OrderRequest) -> Option<Violation> {
        let acc = &self.accounts[ai];
        if acc.settings.pdt_regime != PdtRegime::Legacy
            || acc.settings.account_type != AccountType::Margin
        {
            return None;
        }
        if !pdt::is_day_trade(&acc.positions[ii], req.side) {
            return None;
        }
        pdt::legacy_check(
            &acc.pdt,
            self.pdt_window_start,
            acc.level.agg.equity().to_decimal(),
            self.cfg.checks.pdt_min_equity,
        )
    }

    /// Possible wash sale: (violation, block?).
    fn check_wash_sale(
        &self,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
        px: Decimal,
        now: Timestamp,
    ) -> Option<(Violation, bool)> {
        let e = &self.instruments[ii];
        let key = e.wash_key?;
        let acc = &self.accounts[ai];
        let block = acc.settings.wash_sales == WashSaleMode::Block;
        let symbol = self
            .instruments
            .get_index(key)
            .map(|(s, _)| *s)
            .unwrap_or(req.symbol);
        if req.side == Side::Buy {
            let shares = if e.spec.asset_class == AssetClass::Option {
                e.shares(req.qty.0)
            } else {
                req.qty.0
            };
            let loss = acc.wash.pending_loss(now, key, shares)?;
            return Some((
                Violation::WashSale {
                    symbol,
                    disallowed_loss: loss,
                },
                block,
            ));
        }
        let pos = &acc.positions[ii];
        let avg = pos.avg_price(e.spec.multiplier)?;
        let sold = req.qty.0.min(pos.qty.max(0));
        let held_after = pos.qty - sold;
        if sold > 0 && px < avg && held_after > 0 && acc.wash.recent_purchases(now, key) > 0 {
            let matched = held_after
                .min(sold)
                .min(acc.wash.recent_purchases(now, key));
            let loss = (avg - px) * Decimal::from(matched);
            return Some((
                Violation::WashSale {
                    symbol,
                    disallowed_loss: loss,
                },
                block,
            ));
        }
        None
    }

    /// The size-related limits at quantity `q`; waived violations are
    /// reported to `waive` and skipped.
    #[allow(clippy::too_many_arguments)]
    fn size_check(
        &self,
        now: Timestamp,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
        q: i64,
        px: Decimal,
        desk_id: DeskId,
        waive: &mut dyn FnMut(u64, Violation),
    ) -> Option<Violation> {
        let acc = &self.accounts[ai];
        let e = &self.instruments[ii];
        let pos = &acc.positions[ii];
        let px_unit = e.value_at(px);
        let notional = px_unit.times(q);
        let unit_old = e.unit();
        let unit = if unit_old.is_zero() {
            px_unit
        } else {
            unit_old
        };
        let mut after = *pos;
        if req.side == Side::Buy {
            after.open_buy += q;
        } else {
            after.open_sell += q;
        }
        let old = Contribution::of(pos, unit_old);
        let new = Contribution::of(&after, unit);
        let increases = new.gross > old.gross;
        let d = Money::to_decimal;

        macro_rules! limit {
            ($breach:expr, $v:expr) => {
                if $breach {
                    let v = $v;
                    match self
                        .overrides
                        .find(now, v.rule(), req.account, desk_id, req.cl_ord_id)
                    {
                        Some(id) => waive(id, v),
                        None => return Some(v),
                    }
                }
            };
        }

        for l in [&acc.level, &self.desks[acc.desk], &self.firm] {
            let lim = &l.limits;
            let scope = l.scope;
            let agg = &l.agg;
            if let Some(m) = lim.max_order_qty {
                limit!(
                    q > m,
                    Violation::MaxOrderQty {
                        qty: SignedQty(q),
                        limit: SignedQty(m)
                    }
                );
            }
            if let Some(m) = lim.max_order_notional {
                limit!(
                    notional > m,
                    Violation::MaxOrderNotional {
                        notional: d(notional),
                        limit: d(m)
                    }
                );
            }
            if let Some(m) = lim.daily_notional {
                let t = l.daily_notional + notional;
                limit!(
                    t > m,
                    Violation::DailyNotional {
                        scope,
                        notional: d(t),
                        limit: d(m)
                    }
                );
            }
            let (gross, net) = agg.total.projected(&old, &new);
            if let Some(m) = lim.credit_limit {
                limit!(
                    increases && gross > m,
                    Violation::CreditLimit {
                        scope,
                        used: d(gross),
                        limit: d(m)
                    }
                );
            }
            if let Some(Some(m)) = lim.position.get(ii) {
                let (lq, sq) = agg.proj[ii];
                let before = lq.abs().max(sq.abs());
                let lq2 = lq - old.long_q + new.long_q;
                let sq2 = sq - old.short_q + new.short_q;
                let projected = lq2.abs().max(sq2.abs());
                limit!(
                    projected > *m && projected > before,
                    Violation::PositionLimit {
                        scope,
                        symbol: req.symbol,
                        projected: SignedQty(projected),
                        limit: SignedQty(*m),
                    }
                );
            }
            if let Some(m) = lim.gross {
                limit!(
                    increases && gross > m,
                    Violation::Exposure {
                        scope,
                        kind: ExposureKind::Gross,
                        projected: d(gross),
                        limit: d(m)
                    }
                );
            }
            if let Some(m) = lim.net {
                limit!(
                    net > m && net > agg.total.net_abs(),
                    Violation::Exposure {
                        scope,
                        kind: ExposureKind::Net,
                        projected: d(net),
                        limit: d(m)
                    }
                );
            }
            if let (Some(sl), Some(sb)) = (lim.sectors.get(e.sector), agg.sectors.get(e.sector)) {
                if sl.gross.is_some() || sl.net.is_some() {
                    let (g, n) = sb.projected(&old, &new);
                    let sector = self.sectors.get_index(e.sector).copied();
                    if let (Some(m), Some(sector)) = (sl.gross, sector) {
                        limit!(
                            increases && g > m,
                            Violation::SectorExposure {
                                scope,
                                sector,
                                kind: ExposureKind::Gross,
                                projected: d(g),
                                limit: d(m)
                            }
                        );
                    }
                    if let (Some(m), Some(sector)) = (sl.net, sector) {
                        limit!(
                            n > m && n > sb.net_abs(),
                            Violation::SectorExposure {
                                scope,
                                sector,
                                kind: ExposureKind::Net,
                                projected: d(n),
                                limit: d(m)
                            }
                        );
                    }
                }
            }
            let cl = &lim.classes[e.class];
            if cl.gross.is_some() || cl.net.is_some() {
                let cb = &agg.classes[e.class];
                let (g, n) = cb.projected(&old, &new);
                let class = e.spec.asset_class;
                if let Some(m) = cl.gross {
                    limit!(
                        increases && g > m,
                        Violation::AssetClassExposure {
                            scope,
                            class,
                            kind: ExposureKind::Gross,
                            projected: d(g),
                            limit: d(m)
                        }
                    );
                }
                if let Some(m) = cl.net {
                    limit!(
                        n > m && n > cb.net_abs(),
                        Violation::AssetClassExposure {
                            scope,
                            class,
                            kind: ExposureKind::Net,
                            projected: d(n),
                            limit: d(m)
                        }
                    );
                }
            }
        }

        // Account buying power: projected gross at the initial margin rate
        // must stay within equity (cash plus market value).
        let a = &acc.level.agg;
        let equity = a.equity();
        if increases {
            let rate = acc.settings.initial_margin;
            let gross_after = a.total.gross - old.gross + new.gross;
            limit!(
                gross_after.times_rate(rate) > equity,
                Violation::BuyingPower {
                    account: req.account,
                    required: d((new.gross - old.gross).times_rate(rate)).round_dp(2),
                    available: d(equity - a.total.gross.times_rate(rate)).round_dp(2),
                }
            );
        }
        if acc.settings.pdt_regime == PdtRegime::IntradayMargin {
            let after_qty = pos.qty + req.side.sign() * q;
            let pos_gross_after = a.pos_gross - old.pos_gross + unit.times(after_qty).abs();
            let requirement = pos_gross_after.times_rate(acc.settings.maintenance_margin);
            limit!(
                pos_gross_after > a.pos_gross && requirement > equity,
                Violation::IntradayMargin {
                    requirement: d(requirement),
                    equity: d(equity)
                }
            );
        }
        None
    }

    /// [`Self::size_check`] at `q`, also returning the overrides it used
    /// (None if more than fit the record, which the caller treats as a
    /// rejection).
    #[allow(clippy::too_many_arguments)]
    fn size_check_recorded(
        &self,
        now: Timestamp,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
        q: i64,
        px: Decimal,
        desk_id: DeskId,
    ) -> (Option<Violation>, Option<Waived>) {
        let mut waived = [None; 8];
        let mut n = 0usize;
        let v = self.size_check(now, ai, ii, req, q, px, desk_id, &mut |id, v| {
            if let Some(slot) = waived.get_mut(n) {
                *slot = Some((id, v));
            }
            n += 1;
        });
        (v, (n <= waived.len()).then_some(waived))
    }

    /// Largest multiple of the lot below the requested quantity that passes
    /// every size-related limit.
    fn largest_fit(
        &self,
        now: Timestamp,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
        px: Decimal,
        desk_id: DeskId,
    ) -> Option<i64> {
        let lot = self.instruments[ii].spec.lot;
        let fits = |k: i64| {
            self.size_check(now, ai, ii, req, k * lot, px, desk_id, &mut |_, _| {})
                .is_none()
        };
        let (mut lo, mut hi) = (0i64, req.qty.0 / lot - 1);
        if hi < 1 {
            return None;
        }
        // Invariant: lo fits (0 trivially), everything above hi is unknown.
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        (lo >= 1 && fits(lo)).then_some(lo * lot)
    }

    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        now: Timestamp,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
        q: i64,
        px: Decimal,
        short_qty: i64,
        mark: usize,
        (key, fp): (OrderKey, u64),
    ) {
        let notional = self.instruments[ii].value_at(px).times(q);
        self.seen.insert(key.short());
        let window = self.cfg.checks.duplicate_window_ms * 1_000_000;
        while let Some(front) = self.recent.front().copied() {
            if self.recent.len() < RECENT_CAP && now.0 - front.at.0 < window {
                break;
            }
            self.recent.pop_front();
            if self.recent_index.get(&front.fp) == Some(&front.at) {
                self.recent_index.remove(&front.fp);
            }
        }
        self.recent_index.insert(fp, now);
        self.recent.push_back(RecentOrder {
            at: now,
            fp,
            account: req.account,
            symbol: req.symbol,
            side: req.side,
            qty: req.qty,
            price: req.price,
        });
        let desk = self.accounts[ai].desk;
        for l in [
            &mut self.accounts[ai].level,
            &mut self.desks[desk],
            &mut self.firm,
        ] {
            l.daily_notional += notional;
            l.rate.record(now, l.limits.orders_per_second);
        }
        let mut order = *req;
        order.qty = SignedQty(q);
        self.open.insert(
            key,
            OpenOrder {
                req: order,
                leaves: q,
                acc: ai,
                ins: ii,
                filled: false,
            },
        );
        update_position(self, ai, ii, |p| {
            if req.side == Side::Buy {
                p.open_buy += q;
            } else {
                p.open_sell += q;
            }
        });
        if self.instruments[ii].mark.is_zero() {
            // First valuation of an instrument with no price yet.
            self.revalue(ii, px);
        }
        if short_qty > 0 && self.instruments[ii].htb {
            if let Some(id) = req.locate {
                if let Some(l) = self
                    .locates
                    .iter_mut()
                    .find(|l| l.id == id && l.account == req.account && l.symbol == req.symbol)
                {
                    l.remaining -= short_qty.min(q);
                }
            }
        }
        for i in mark..self.events.len() {
            if let Some(RiskEvent::OverrideUsed { id, .. }) = self.events.get(i) {
                let id = *id;
                self.overrides.used(id);
            }
        }
    }
}
