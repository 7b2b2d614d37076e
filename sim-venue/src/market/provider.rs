//! The simulated liquidity provider: for every instrument it keeps a ladder
//! of resting quotes around the reference price (configurable levels, size,
//! spread and spacing), replenished at each refresh after fills, and moved
//! when the reference price walks. Its orders go through the same book as
//! everyone else's, so marketable orders fill against it, passive orders
//! rest, and a moving market trades through resting client orders.
//!
//! Quote size follows the intraday volume profile when configured.

use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::random_walk::RandomWalk;
use super::volume_profile::VolumeProfile;
use crate::instruments::Instrument;
use crate::matching::{NewOrder, OrderBook, Outputs};
use crate::types::{AccountId, Duration, OrderId, Side, Ticks, TimeInForce, Timestamp};

/// The account of the simulated liquidity provider in every book.
pub const LP_ACCOUNT: AccountId = AccountId(0);

/// Liquidity settings of a venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiquidityConfig {
    /// Quote at all.
    pub enabled: bool,
    /// Price levels per side.
    pub levels: u32,
    /// Quantity per level (rounded to the lot size, at least one lot).
    pub size: u64,
    /// Distance from the reference price to the best quote, in ticks.
    pub half_spread_ticks: u32,
    /// Distance between levels, in ticks.
    pub level_step_ticks: u32,
    /// How often quotes are refreshed (replenished and moved).
    pub refresh_ns: Duration,
    /// Random walk step.
    pub walk_step_ns: Duration,
    /// Scale quote size with the intraday volume profile.
    pub follow_volume_profile: bool,
}

impl Default for LiquidityConfig {
    fn default() -> Self {
        LiquidityConfig {
            enabled: true,
            levels: 5,
            size: 500,
            half_spread_ticks: 1,
            level_step_ticks: 1,
            refresh_ns: Duration::from_millis(100),
            walk_step_ns: Duration::from_secs(1),
            follow_volume_profile: true,
        }
    }
}

impl LiquidityConfig {
    /// Every problem with these settings, as (key, reason).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if self.enabled && self.levels == 0 {
            v.push(("liquidity.levels".into(), "must be at least 1".into()));
        }
        if self.enabled && self.size == 0 {
            v.push(("liquidity.size".into(), "must be at least 1".into()));
        }
        if self.half_spread_ticks == 0 {
            v.push((
                "liquidity.half_spread_ticks".into(),
                "must be at least 1 (quotes would cross)".into(),
            ));
        }
        if self.level_step_ticks == 0 {
            v.push((
                "liquidity.level_step_ticks".into(),
                "must be at least 1".into(),
            ));
        }
        if self.refresh_ns.is_zero() {
            v.push(("liquidity.refresh_ns".into(), "must be positive".into()));
        }
        if self.walk_step_ns.is_zero() {
            v.push(("liquidity.walk_step_ns".into(), "must be positive".into()));
        }
        v
    }
}

#[derive(Debug, Clone, Copy)]
struct Quote {
    side: Side,
    price: Ticks,
    id: OrderId,
}

/// The liquidity provider of one venue.
#[derive(Debug, Clone)]
pub struct LiquidityProvider {
    config: LiquidityConfig,
    profile: VolumeProfile,
    walks: Vec<RandomWalk>,
    lots: Vec<u64>,
    quotes: Vec<Vec<Quote>>,
    next_refresh: Timestamp,
}

impl LiquidityProvider {
    /// One walk per instrument, all from `seed` (stream = instrument
    /// index), starting at each reference price at `now`.
    pub fn new(
        config: LiquidityConfig,
        seed: u64,
        instruments: &[Instrument],
        now: Timestamp,
    ) -> Self {
        let walks = instruments
            .iter()
            .enumerate()
            .map(|(i, ins)| {
                RandomWalk::new(
                    seed,
                    i as u64,
                    ins.reference_ticks(),
                    ins.daily_volatility_pct.to_f64().unwrap_or(0.0),
                    config.walk_step_ns,
                    now,
                )
            })
            .collect();
        LiquidityProvider {
            profile: VolumeProfile::default(),
            walks,
            lots: instruments.iter().map(|i| i.lot_size.max(1)).collect(),
            quotes: vec![Vec::new(); instruments.len()],
            next_refresh: now,
            config,
        }
    }

    /// Settings.
    pub fn config(&self) -> &LiquidityConfig {
        &self.config
    }

    /// Current reference price of instrument `i` in ticks.
    pub fn reference(&self, i: usize) -> Ticks {
        self.walks.get(i).map_or(1, RandomWalk::ticks)
    }

    /// Advances every walk to `now`.
    pub fn advance(&mut self, now: Timestamp) {
        for w in &mut self.walks {
            w.advance(now);
        }
    }

    /// Shocks the reference price of instrument `i` by `pct` percent.
    pub fn shock(&mut self, i: usize, pct: f64) {
        if let Some(w) = self.walks.get_mut(i) {
            w.shock(pct);
        }
    }

    /// True when a refresh is due at `now`.
    pub fn refresh_due(&self, now: Timestamp) -> bool {
        self.config.enabled && now >= self.next_refresh
    }

    /// When the next refresh is due.
    pub fn next_refresh(&self) -> Option<Timestamp> {
        self.config.enabled.then_some(self.next_refresh)
    }

    /// Marks a refresh done at `now`.
    pub fn refreshed(&mut self, now: Timestamp) {
        self.next_refresh = now.saturating_add(self.config.refresh_ns);
    }

    /// Quote size at `now` for instrument `i`.
    pub fn quote_size(&self, i: usize, now: Timestamp) -> u64 {
        let lot = self.lots.get(i).copied().unwrap_or(1);
        let w = if self.config.follow_volume_profile {
            self.profile.weight_at(now)
        } else {
            1.0
        };
        let raw = (self.config.size as f64 * w).round() as u64;
        (raw / lot).max(1) * lot
    }

    /// Brings instrument `i`'s quotes in `book` to the target ladder:
    /// cancels quotes away from it, tops up levels below size.
    pub fn requote(&mut self, i: usize, book: &mut OrderBook, now: Timestamp, out: &mut Outputs) {
        if !self.config.enabled || i >= self.walks.len() {
            return;
        }
        let r = self.walks[i].ticks();
        let size = self.quote_size(i, now);
        let hs = Ticks::from(self.config.half_spread_ticks);
        let step = Ticks::from(self.config.level_step_ticks);
        let limits = book.price_limits();
        let in_band = |p: Ticks| p >= 1 && limits.is_none_or(|(lo, hi)| p >= lo && p <= hi);
        let levels = Ticks::from(self.config.levels);
        let wanted = |side: Side, p: Ticks| -> bool {
            let k = match side {
                Side::Buy => r - hs - p,
                Side::Sell | Side::SellShort => p - r - hs,
            };
            k >= 0 && k % step == 0 && k / step < levels && in_band(p)
        };
        let quotes = &mut self.quotes[i];
        quotes.retain(|q| book.order(q.id).is_some());
        let mut kept = Vec::with_capacity(quotes.len());
        for q in quotes.drain(..) {
            if wanted(q.side, q.price) {
                kept.push(q);
            } else {
                // The id was checked just above, so this cannot fail.
                let _ = book.cancel(q.id, now, out);
            }
        }
        *quotes = kept;
        for k in 0..levels {
            for side in [Side::Buy, Side::Sell] {
                let p = match side {
                    Side::Buy => r - hs - k * step,
                    Side::Sell | Side::SellShort => r + hs + k * step,
                };
                if !in_band(p) {
                    continue;
                }
                let have: u64 = quotes
                    .iter()
                    .filter(|q| q.side == side && q.price == p)
                    .filter_map(|q| book.order(q.id))
                    .map(|o| o.leaves_qty)
                    .sum();
                if have >= size {
                    continue;
                }
                let o = NewOrder::limit(LP_ACCOUNT, side, p, size - have, TimeInForce::Day);
                if let Ok(id) = book.submit(&o, now, out) {
                    if book.order(id).is_some() {
                        quotes.push(Quote { side, price: p, id });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::ExecKind;
    use rust_decimal_macros::dec;

    fn setup() -> (LiquidityProvider, OrderBook) {
        let ins = vec![Instrument::equity("AAPL", dec!(190.00), dec!(0.01))];
        let cfg = LiquidityConfig {
            follow_volume_profile: false,
            size: 100,
            levels: 3,
            ..LiquidityConfig::default()
        };
        (
            LiquidityProvider::new(cfg, 9, &ins, Timestamp(0)),
            OrderBook::new(0),
        )
    }

    #[test]
    fn quotes_a_ladder_around_the_reference() {
        let (mut lp, mut book) = setup();
        let mut out = Outputs::default();
        lp.requote(0, &mut book, Timestamp(0), &mut out);
        let bids: Vec<_> = book
            .depth(Side::Buy, 10)
            .map(|l| (l.price, l.visible_qty))
            .collect();
        let asks: Vec<_> = book
            .depth(Side::Sell, 10)
            .map(|l| (l.price, l.visible_qty))
            .collect();
        assert_eq!(bids, vec![(18_999, 100), (18_998, 100), (18_997, 100)]);
        assert_eq!(asks, vec![(19_001, 100), (19_002, 100), (19_003, 100)]);
    }

    #[test]
    fn replenishes_after_fills_and_follows_the_walk() {
        let (mut lp, mut book) = setup();
        let mut out = Outputs::default();
        lp.requote(0, &mut book, Timestamp(0), &mut out);
        let taker = NewOrder::limit(AccountId(5), Side::Buy, 19_002, 150, TimeInForce::Ioc);
        book.submit(&taker, Timestamp(1), &mut out).unwrap();
        assert_eq!(book.best_ask().unwrap().price, 19_002);
        out.clear();
        lp.requote(0, &mut book, Timestamp(2), &mut out);
        assert_eq!(book.best_ask().unwrap().price, 19_001);
        assert_eq!(book.best_ask().unwrap().visible_qty, 100);
        let lv: Vec<_> = book.depth(Side::Sell, 10).map(|l| l.visible_qty).collect();
        assert_eq!(lv, vec![100, 100, 100]);
        // Move the reference: the ladder follows, stale quotes are canceled.
        lp.shock(0, 1.0);
        let r = lp.reference(0);
        lp.requote(0, &mut book, Timestamp(3), &mut out);
        assert_eq!(book.best_bid().unwrap().price, r - 1);
        assert_eq!(book.best_ask().unwrap().price, r + 1);
        assert_eq!(book.order_count(), 6);
        assert!(!book.is_crossed());
    }

    #[test]
    fn a_moving_market_fills_resting_client_orders() {
        let (mut lp, mut book) = setup();
        let mut out = Outputs::default();
        lp.requote(0, &mut book, Timestamp(0), &mut out);
        let client = NewOrder::limit(AccountId(5), Side::Sell, 19_050, 10, TimeInForce::Day);
        let id = book.submit(&client, Timestamp(1), &mut out).unwrap();
        out.clear();
        lp.shock(0, 1.0); // reference to ~19190: LP bids now above 19050
        lp.requote(0, &mut book, Timestamp(2), &mut out);
        assert!(out
            .events
            .iter()
            .any(|e| e.order_id == id && matches!(e.kind, ExecKind::Fill { .. })));
        assert!(book.order(id).is_none());
    }

    #[test]
    fn quote_size_follows_profile_and_lot() {
        let ins = vec![Instrument {
            lot_size: 100,
            ..Instrument::equity("X", dec!(10), dec!(0.01))
        }];
        let lp = LiquidityProvider::new(
            LiquidityConfig {
                size: 1000,
                ..LiquidityConfig::default()
            },
            1,
            &ins,
            Timestamp(0),
        );
        // 1970-01-01 00:00 UTC is outside the session: midday weight 0.5.
        assert_eq!(lp.quote_size(0, Timestamp(0)), 500);
        let bad = LiquidityConfig {
            levels: 0,
            half_spread_ticks: 0,
            ..LiquidityConfig::default()
        };
        assert_eq!(bad.problems().len(), 2);
    }
}
