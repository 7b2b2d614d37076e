//! The size-related limits (order quantity and notional, daily notional,
//! credit and buying power, position, exposure, intraday margin) at a
//! given quantity, and the search for the largest quantity that fits
//! them, for accounts configured to `reduce`.

use rust_decimal::Decimal;

use crate::book::Contribution;
use crate::config::PdtRegime;
use crate::decision::{ExposureKind, Violation};
use crate::engine::RiskEngine;
use crate::fixed::Money;
use crate::types::{DeskId, OrderRequest, Side, SignedQty, Timestamp};

use super::Waived;

impl RiskEngine {
    /// The size-related limits at quantity `q`; waived violations are
    /// reported to `waive` and skipped.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn size_check(
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
    pub(super) fn size_check_recorded(
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
    pub(super) fn largest_fit(
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
}
