//! Limits compiled for the hot path, and the rolling order-rate window.
//!
//! Owns [`LevelLimits`]: a [`crate::config::Limits`] turned into dense
//! tables indexed by instrument and sector, so a check is an array load,
//! not a map lookup. Owns [`RateWindow`]: the timestamps of the orders
//! accepted in the last second, in a ring sized by the limit (so it never
//! grows after construction).

use std::collections::VecDeque;

use indexmap::{IndexMap, IndexSet};
use rust_decimal::Decimal;

use crate::config::{ExposureLimit, Limits};
use crate::fixed::Money;
use crate::types::{Instrument, Sector, Symbol, Timestamp};

/// Gross and net limits of a bucket, in fixed point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BucketLimit {
    /// Maximum gross.
    pub gross: Option<Money>,
    /// Maximum absolute net.
    pub net: Option<Money>,
}

impl From<ExposureLimit> for BucketLimit {
    fn from(e: ExposureLimit) -> BucketLimit {
        BucketLimit {
            gross: e.gross.map(Money::from_decimal),
            net: e.net.map(Money::from_decimal),
        }
    }
}

/// Limits of one level, in dense form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LevelLimits {
    /// See [`Limits::max_order_qty`].
    pub max_order_qty: Option<i64>,
    /// See [`Limits::max_order_notional`].
    pub max_order_notional: Option<Money>,
    /// See [`Limits::collar_pct`].
    pub collar_pct: Option<Decimal>,
    /// See [`Limits::collar_abs`].
    pub collar_abs: Option<Decimal>,
    /// `collar_pct` in fixed point.
    pub collar_pct_fx: Option<Money>,
    /// `collar_abs` in fixed point.
    pub collar_abs_fx: Option<Money>,
    /// See [`Limits::daily_notional`].
    pub daily_notional: Option<Money>,
    /// See [`Limits::orders_per_second`].
    pub orders_per_second: Option<u32>,
    /// See [`Limits::credit_limit`].
    pub credit_limit: Option<Money>,
    /// Position limit per instrument index (explicit or the default).
    pub position: Vec<Option<i64>>,
    /// See [`Limits::gross_exposure`].
    pub gross: Option<Money>,
    /// See [`Limits::net_exposure`].
    pub net: Option<Money>,
    /// Per sector index.
    pub sectors: Vec<BucketLimit>,
    /// Per asset class index.
    pub classes: [BucketLimit; 4],
    /// See [`Limits::var_limit`].
    pub var_limit: Option<Decimal>,
}

impl LevelLimits {
    /// Compile `l` against the instrument and sector tables.
    pub fn compile(
        l: &Limits,
        instruments: &IndexMap<Symbol, Instrument>,
        sectors: &IndexSet<Sector>,
    ) -> LevelLimits {
        let position = instruments
            .keys()
            .map(|s| l.position_limits.get(s).copied().or(l.max_position))
            .collect();
        let sectors_v = sectors
            .iter()
            .map(|s| l.sectors.get(s).copied().unwrap_or_default().into())
            .collect();
        let mut classes = [BucketLimit::default(); 4];
        for (c, e) in &l.asset_classes {
            classes[c.index()] = (*e).into();
        }
        let m = |x: Option<Decimal>| x.map(Money::from_decimal);
        LevelLimits {
            max_order_qty: l.max_order_qty,
            max_order_notional: m(l.max_order_notional),
            collar_pct: l.collar_pct,
            collar_abs: l.collar_abs,
            collar_pct_fx: m(l.collar_pct),
            collar_abs_fx: m(l.collar_abs),
            daily_notional: m(l.daily_notional),
            orders_per_second: l.orders_per_second,
            credit_limit: m(l.credit_limit),
            position,
            gross: m(l.gross_exposure),
            net: m(l.net_exposure),
            sectors: sectors_v,
            classes,
            var_limit: l.var_limit,
        }
    }
}

/// Timestamps of recently accepted orders, at most `limit` of them.
#[derive(Clone, Debug, Default)]
pub struct RateWindow {
    times: VecDeque<Timestamp>,
}

impl RateWindow {
    /// A window for `limit` orders per second.
    pub fn new(limit: Option<u32>) -> RateWindow {
        RateWindow {
            times: VecDeque::with_capacity(limit.unwrap_or(0) as usize + 1),
        }
    }

    /// Orders in the second before `now` plus one, after dropping old ones.
    pub fn count_with_one_more(&mut self, now: Timestamp) -> u32 {
        let cutoff = now.0 - Timestamp::SECOND;
        while self.times.front().is_some_and(|t| t.0 <= cutoff) {
            self.times.pop_front();
        }
        self.times.len() as u32 + 1
    }

    /// Record an accepted order (keeps at most `limit` entries).
    pub fn record(&mut self, now: Timestamp, limit: Option<u32>) {
        let Some(limit) = limit else { return };
        if self.times.len() >= limit as usize {
            self.times.pop_front();
        }
        self.times.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_counts_the_last_second() {
        let mut w = RateWindow::new(Some(3));
        for i in 0..3 {
            assert_eq!(w.count_with_one_more(Timestamp(i)), i as u32 + 1);
            w.record(Timestamp(i), Some(3));
        }
        assert_eq!(w.count_with_one_more(Timestamp(999_999_999)), 4);
        // At exactly one second after the first, it has left the window.
        assert_eq!(w.count_with_one_more(Timestamp(Timestamp::SECOND)), 3);
        assert_eq!(w.count_with_one_more(Timestamp(Timestamp::SECOND + 2)), 1);
    }
}
