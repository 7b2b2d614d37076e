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
//!
//! This module runs the checks in order and records an accepted order;
//! the checks themselves live in [`rules`] (states, lists, session,
//! market state, short sales, duplicates, rate, collars, PDT, wash sales)
//! and [`size`] (the size-related limits and the reduce-to-fit search).

mod rules;
mod size;

use rust_decimal::Decimal;

use crate::book::Position;
use crate::config::{CollarReference, OnBreach};
use crate::decision::{AcceptFlags, Decision, Overridden, Violation};
use crate::engine::{
    update_position, InstrumentEntry, OpenOrder, RecentOrder, RiskEngine, RECENT_CAP,
};
use crate::events::RiskEvent;
use crate::keys::{params_fingerprint, OrderKey};
use crate::types::{DeskId, OrdType, OrderRequest, Side, SignedQty, Timestamp};

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
