//! The US equity exchange calendar data (NYSE, 2026 and 2027): full-day
//! holidays, early closes, and the day arithmetic built on them (trading
//! days, T+n business days). One table for the whole broker: risk's
//! trading sessions, the OMS's settlement dates and the simulated venue's
//! clearing dates all read it.
//!
//! Does not own session hours or time zones of sessions (risk's
//! `calendar` module does).
//!
//! The calendar fails closed for trading: a date outside the years it
//! knows is [`DayKind::Unknown`], not a trading day, so that a stale table
//! stops trading instead of trading on a holiday. Settlement
//! ([`is_business_day`]) counts weekends only in those years. Add the
//! next year's dates here when NYSE publishes them.
//!
//! Sources: NYSE "Holidays and Trading Hours" for 2026 and 2027, checked
//! against the NYSE Group calendar announcement of 23 December 2025 (which
//! also gives 2028, not yet entered here). When a holiday falls on a
//! Saturday the exchange closes the Friday before (Jul 3 2026, Jun 18
//! 2027, Dec 24 2027), on a Sunday the Monday after (Jul 5 2027); New
//! Year's Day 2028 (a Saturday) is not observed on Dec 31 2027. Real US
//! settlement follows the DTC (Federal Reserve) calendar, which also
//! closes on Columbus Day and Veterans Day; the broker and the simulated
//! venue both use the NYSE calendar, so they agree.

use chrono::{Datelike, NaiveDate, Weekday};

/// NYSE full-day closures, 2026 and 2027.
pub const NYSE_HOLIDAYS: [(i32, u32, u32); 20] = [
    (2026, 1, 1),
    (2026, 1, 19),
    (2026, 2, 16),
    (2026, 4, 3),
    (2026, 5, 25),
    (2026, 6, 19),
    (2026, 7, 3),
    (2026, 9, 7),
    (2026, 11, 26),
    (2026, 12, 25),
    (2027, 1, 1),
    (2027, 1, 18),
    (2027, 2, 15),
    (2027, 3, 26),
    (2027, 5, 31),
    (2027, 6, 18),
    (2027, 7, 5),
    (2027, 9, 6),
    (2027, 11, 25),
    (2027, 12, 24),
];

/// NYSE 13:00 closes, 2026 and 2027.
pub const NYSE_EARLY_CLOSES: [(i32, u32, u32); 3] =
    [(2026, 11, 27), (2026, 12, 24), (2027, 11, 26)];

/// Years the tables above cover.
pub const COVERED_YEARS: std::ops::RangeInclusive<i32> = 2026..=2027;

/// What kind of day a date is on the exchange calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// A normal trading day.
    Full,
    /// Closes at 13:00.
    EarlyClose,
    /// Saturday or Sunday.
    Weekend,
    /// Exchange holiday.
    Holiday,
    /// Outside the years the calendar knows: treated as closed.
    Unknown,
}

impl DayKind {
    /// True for days with a regular session.
    pub fn is_trading(self) -> bool {
        matches!(self, DayKind::Full | DayKind::EarlyClose)
    }
}

fn contains(table: &[(i32, u32, u32)], d: NaiveDate) -> bool {
    table
        .iter()
        .any(|&(y, m, day)| d.year() == y && d.month() == m && d.day() == day)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The kind of day `d` is.
pub fn day_kind(d: NaiveDate) -> DayKind {
    if is_weekend(d) {
        DayKind::Weekend
    } else if !COVERED_YEARS.contains(&d.year()) {
        DayKind::Unknown
    } else if contains(&NYSE_HOLIDAYS, d) {
        DayKind::Holiday
    } else if contains(&NYSE_EARLY_CLOSES, d) {
        DayKind::EarlyClose
    } else {
        DayKind::Full
    }
}

/// The next trading day strictly after `d` (None past the covered years).
pub fn next_trading_day(d: NaiveDate) -> Option<NaiveDate> {
    let mut x = d;
    for _ in 0..15 {
        x = x.succ_opt()?;
        if day_kind(x).is_trading() {
            return Some(x);
        }
    }
    None
}

/// The trading day strictly before `d` (None before the covered years).
pub fn prev_trading_day(d: NaiveDate) -> Option<NaiveDate> {
    let mut x = d;
    for _ in 0..15 {
        x = x.pred_opt()?;
        if day_kind(x).is_trading() {
            return Some(x);
        }
    }
    None
}

/// A settlement business day: a weekday that is not an NYSE holiday.
/// Years the calendar does not cover count weekends only.
pub fn is_business_day(d: NaiveDate) -> bool {
    !is_weekend(d) && !contains(&NYSE_HOLIDAYS, d)
}

/// `d` plus `n` business days (n = 0 returns `d`).
pub fn add_business_days(d: NaiveDate, n: u32) -> NaiveDate {
    let mut d = d;
    let mut left = n;
    while left > 0 {
        match d.succ_opt() {
            Some(next) => d = next,
            None => return d,
        }
        if is_business_day(d) {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn holidays_2026_and_2027() {
        for (y, m, day) in NYSE_HOLIDAYS {
            assert_eq!(day_kind(d(y, m, day)), DayKind::Holiday, "{y}-{m}-{day}");
        }
        assert_eq!(day_kind(d(2026, 4, 3)), DayKind::Holiday); // Good Friday
        assert_eq!(day_kind(d(2027, 3, 26)), DayKind::Holiday); // Good Friday
        assert_eq!(day_kind(d(2026, 7, 2)), DayKind::Full);
        assert_eq!(day_kind(d(2027, 12, 31)), DayKind::Full);
        assert_eq!(day_kind(d(2026, 11, 27)), DayKind::EarlyClose);
        assert_eq!(day_kind(d(2026, 12, 24)), DayKind::EarlyClose);
        assert_eq!(day_kind(d(2027, 11, 26)), DayKind::EarlyClose);
        assert_eq!(day_kind(d(2026, 11, 28)), DayKind::Weekend);
        assert_eq!(day_kind(d(2028, 1, 3)), DayKind::Unknown);
        assert_eq!(day_kind(d(2025, 12, 31)), DayKind::Unknown);
    }

    #[test]
    fn every_holiday_is_a_weekday() {
        for (y, m, day) in NYSE_HOLIDAYS.iter().chain(&NYSE_EARLY_CLOSES) {
            assert!(!is_weekend(d(*y, *m, *day)), "{y}-{m}-{day}");
        }
    }

    #[test]
    fn trading_day_navigation() {
        assert_eq!(next_trading_day(d(2026, 12, 31)), Some(d(2027, 1, 4)));
        assert_eq!(prev_trading_day(d(2026, 11, 27)), Some(d(2026, 11, 25)));
        assert_eq!(next_trading_day(d(2026, 7, 2)), Some(d(2026, 7, 6)));
    }

    #[test]
    fn t_plus_one_skips_weekends_and_holidays() {
        // Plain weekday.
        assert_eq!(add_business_days(d(2026, 3, 10), 1), d(2026, 3, 11));
        // Friday -> Monday.
        assert_eq!(add_business_days(d(2026, 3, 13), 1), d(2026, 3, 16));
        // Before Good Friday 2026-04-03: Thursday -> Monday.
        assert_eq!(add_business_days(d(2026, 4, 2), 1), d(2026, 4, 6));
        // Before Thanksgiving 2026-11-26.
        assert_eq!(add_business_days(d(2026, 11, 25), 1), d(2026, 11, 27));
        // Christmas Eve 2026 (Thu) -> Christmas is a holiday -> Mon 28th.
        assert_eq!(add_business_days(d(2026, 12, 24), 1), d(2026, 12, 28));
        // 2026-12-31 -> 2027-01-01 holiday -> Mon 2027-01-04.
        assert_eq!(add_business_days(d(2026, 12, 31), 1), d(2027, 1, 4));
        // Friday 2026-07-03 is the observed holiday: Thu 2nd -> Mon 6th.
        assert_eq!(add_business_days(d(2026, 7, 2), 1), d(2026, 7, 6));
        // 2027: Friday 2027-06-18 holiday; Thu 17th -> Mon 21st.
        assert_eq!(add_business_days(d(2027, 6, 17), 1), d(2027, 6, 21));
        // 2027-12-23 Thu -> 24th holiday -> Mon 27th.
        assert_eq!(add_business_days(d(2027, 12, 23), 1), d(2027, 12, 27));
        // MLK 2027-01-18 Monday: Fri 15th -> Tue 19th.
        assert_eq!(add_business_days(d(2027, 1, 15), 1), d(2027, 1, 19));
        assert!(!is_business_day(d(2027, 3, 26)));
        assert!(is_business_day(d(2027, 3, 25)));
        assert_eq!(add_business_days(d(2026, 3, 10), 0), d(2026, 3, 10));
        // Outside the covered years: weekends only.
        assert!(is_business_day(d(2028, 1, 3)));
        assert!(!is_business_day(d(2028, 1, 1)));
        assert_eq!(NYSE_HOLIDAYS.len(), 20);
        for (y, m, dd) in NYSE_HOLIDAYS {
            assert!(!is_business_day(d(y, m, dd)));
        }
    }
}
