//! The checks that do not depend on the order's size: trading states,
//! restricted lists, order type and venue, session, halts, circuit
//! breakers and LULD, short sales, duplicates, order rate, price collars,
//! pattern day trading and wash sales. Each returns the violation it
//! finds, if any; the order in which they run is [`super`]'s.

use rust_decimal::Decimal;

use crate::calendar;
use crate::compliance::pdt;
use crate::config::{AccountType, PdtRegime, WashSaleMode};
use crate::decision::{Session, TradingState, Violation};
use crate::engine::{Level, RiskEngine};
use crate::fixed::Money;
use crate::keys::OrderKey;
use crate::types::{AssetClass, OrdType, OrderRequest, Side, SignedQty, Timestamp};

use super::reduces_risk;

impl RiskEngine {
    pub(super) fn check_states(
        &self,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
    ) -> Option<Violation> {
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

    pub(super) fn check_static(
        &self,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
    ) -> Option<Violation> {
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

    pub(super) fn check_session(
        &self,
        ii: usize,
        req: &OrderRequest,
        now: Timestamp,
    ) -> Option<Violation> {
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

    pub(super) fn check_market_state(
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
    pub(super) fn short_qty(&self, ai: usize, ii: usize, req: &OrderRequest) -> i64 {
        let pos = &self.accounts[ai].positions[ii];
        match req.side {
            Side::Buy => 0,
            Side::SellShort => req.qty.0,
            Side::Sell => (req.qty.0 - (pos.qty - pos.open_sell).max(0)).max(0),
        }
    }

    pub(super) fn check_short_sale(
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

    pub(super) fn check_duplicates(
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

    pub(super) fn check_rate(&mut self, ai: usize, now: Timestamp) -> Option<Violation> {
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

    pub(super) fn check_collar(
        &self,
        ai: usize,
        ii: usize,
        req: &OrderRequest,
    ) -> Option<Violation> {
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

    pub(super) fn check_pdt(&self, ai: usize, ii: usize, req: &OrderRequest) -> Option<Violation> {
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
    pub(super) fn check_wash_sale(
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
}
