//! Pattern day trading, in the two regimes a broker supports during the
//! 2026-2027 phase-in, chosen per account.
//!
//! Owns the per-account log of trades and day trades over the last five
//! business days, and the two checks:
//! - legacy FINRA 4210(f)(8)(B): a margin account that would make its
//!   fourth day trade in five business days, with day trades more than 6%
//!   of its trades in that period, while its equity is under $25,000, is
//!   blocked before the trade;
//! - intraday margin: a trade that would leave the maintenance requirement
//!   on the resulting positions above the account's equity is blocked in
//!   real time.
//!
//! A day trade is an order that closes (part of) a position opened the
//! same day: a sell while today's purchases exceed today's sales, or a
//! buy while today's sales exceed today's purchases. Each order counts
//! once, on its first fill.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::book::Position;
use crate::decision::Violation;
use crate::types::Side;

/// Day trades needed to be a pattern day trader.
pub const PDT_DAY_TRADES: u32 = 4;

/// Trades and day trades per business day, last five days.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayTradeLog {
    days: [(Option<NaiveDate>, u32, u32); 5],
}

impl DayTradeLog {
    /// Record an order's first fill on `date`.
    pub fn record(&mut self, date: NaiveDate, day_trade: bool) {
        let slot = match self.days.iter().position(|d| d.0 == Some(date)) {
            Some(i) => i,
            None => {
                // Replace the oldest (or an empty) slot.
                let i = (0..5).min_by_key(|&i| self.days[i].0).unwrap_or(0);
                self.days[i] = (Some(date), 0, 0);
                i
            }
        };
        self.days[slot].2 += 1;
        if day_trade {
            self.days[slot].1 += 1;
        }
    }

    /// (day trades, trades) on days from `window_start` on.
    pub fn window(&self, window_start: NaiveDate) -> (u32, u32) {
        self.days
            .iter()
            .filter(|d| d.0.is_some_and(|x| x >= window_start))
            .fold((0, 0), |acc, d| (acc.0 + d.1, acc.1 + d.2))
    }
}

/// True if an order on `side` for `qty` against `pos` would be a day trade.
pub fn is_day_trade(pos: &Position, side: Side) -> bool {
    match side {
        Side::Sell | Side::SellShort => pos.qty > 0 && pos.bought_today > pos.sold_today,
        Side::Buy => pos.qty < 0 && pos.sold_today > pos.bought_today,
    }
}

/// Legacy FINRA 4210 check for a day trade about to be made.
pub fn legacy_check(
    log: &DayTradeLog,
    window_start: NaiveDate,
    equity: Decimal,
    min_equity: Decimal,
) -> Option<Violation> {
    let (dt, trades) = log.window(window_start);
    let dt = dt + 1;
    let trades = trades + 1;
    let share = Decimal::from(dt) * dec!(100) / Decimal::from(trades);
    if dt >= PDT_DAY_TRADES && share > dec!(6) && equity < min_equity {
        Some(Violation::PatternDayTrader {
            day_trades: dt,
            limit: PDT_DAY_TRADES - 1,
            equity,
            min_equity,
        })
    } else {
        None
    }
}

/// Intraday margin check: requirement on positions after the trade.
pub fn intraday_margin_check(
    pos_gross_after: Decimal,
    maintenance: Decimal,
    equity: Decimal,
) -> Option<Violation> {
    let requirement = pos_gross_after * maintenance;
    (requirement > equity).then_some(Violation::IntradayMargin {
        requirement,
        equity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    #[test]
    fn fourth_day_trade_in_five_days_is_blocked_under_25k() {
        let mut log = DayTradeLog::default();
        log.record(d(2), true);
        log.record(d(3), true);
        // Two day trades so far: the third is fine.
        assert_eq!(legacy_check(&log, d(2), dec!(20000), dec!(25000)), None);
        log.record(d(4), true);
        let v = legacy_check(&log, d(2), dec!(20000), dec!(25000)).unwrap();
        assert_eq!(
            v.to_string(),
            "PatternDayTrader: day trade would be number 4 in 5 business days (limit 3) with equity 20000 below 25000"
        );
        // At 25,000 exactly the account may day trade.
        assert_eq!(legacy_check(&log, d(2), dec!(25000), dec!(25000)), None);
        // Just under.
        assert!(legacy_check(&log, d(2), dec!(24999.99), dec!(25000)).is_some());
        // Outside the five-day window the old ones no longer count.
        assert_eq!(legacy_check(&log, d(3), dec!(20000), dec!(25000)), None);
    }

    #[test]
    fn six_percent_rule() {
        let mut log = DayTradeLog::default();
        for _ in 0..3 {
            log.record(d(2), true);
        }
        // 4 of 66 trades = 6.06% > 6%: blocked. 4 of 67 = 5.97%: allowed.
        for _ in 0..62 {
            log.record(d(2), false);
        }
        assert!(legacy_check(&log, d(2), dec!(1000), dec!(25000)).is_some());
        log.record(d(2), false);
        assert_eq!(legacy_check(&log, d(2), dec!(1000), dec!(25000)), None);
    }

    #[test]
    fn day_trade_detection() {
        let opened_today = Position {
            qty: 100,
            bought_today: 100,
            ..Default::default()
        };
        assert!(is_day_trade(&opened_today, Side::Sell));
        assert!(!is_day_trade(&opened_today, Side::Buy));
        let overnight = Position {
            qty: 100,
            ..Default::default()
        };
        assert!(!is_day_trade(&overnight, Side::Sell));
        let short_today = Position {
            qty: -100,
            sold_today: 100,
            ..Default::default()
        };
        assert!(is_day_trade(&short_today, Side::Buy));
    }

    #[test]
    fn intraday_margin_at_the_limit() {
        // 25% of 40,000 = 10,000.
        assert_eq!(
            intraday_margin_check(dec!(40000), dec!(0.25), dec!(10000)),
            None
        );
        let v = intraday_margin_check(dec!(40004), dec!(0.25), dec!(10000)).unwrap();
        assert_eq!(
            v.to_string(),
            "IntradayMargin: intraday margin requirement 10001 would exceed equity 10000"
        );
    }
}
