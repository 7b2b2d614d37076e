//! Trading sessions in America/New_York on the US equity exchange
//! calendar.
//!
//! Owns: the pre-market (04:00), regular (09:30-16:00, 13:00 on
//! early-close days) and after-hours (until 20:00, 17:00 on early-close
//! days) sessions, and the configurable hours of options and futures.
//! Does not own the holiday and early-close tables (`domain::calendar`,
//! re-exported here: the calendar fails closed, a date outside the years
//! it knows is not a trading day) nor halts (see [`crate::market`]).

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::America::New_York;

pub use domain::calendar::{day_kind, next_trading_day, prev_trading_day, DayKind, COVERED_YEARS};

use crate::config::SessionHours;
use crate::decision::Session;
use crate::types::{AssetClass, Timestamp};

/// New York local date of a UTC time.
pub fn local_date(now: Timestamp) -> NaiveDate {
    now.to_datetime().with_timezone(&New_York).date_naive()
}

/// UTC nanos of a New York local date and time.
pub fn ny_to_utc(d: NaiveDate, t: NaiveTime) -> Timestamp {
    let local = d.and_time(t);
    let dt = New_York
        .from_local_datetime(&local)
        .earliest()
        .unwrap_or_else(|| New_York.from_utc_datetime(&local));
    Timestamp::from_datetime(dt.with_timezone(&chrono::Utc))
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// The session boundaries of one New York day, in UTC nanos, so that the
/// hot path compares integers instead of converting time zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradingDay {
    /// The New York date.
    pub date: NaiveDate,
    /// Kind of day.
    pub kind: DayKind,
    /// Local midnight.
    pub start: Timestamp,
    /// Next local midnight.
    pub end: Timestamp,
    /// 04:00.
    pub pre_open: Timestamp,
    /// 09:30.
    pub open: Timestamp,
    /// 16:00 or 13:00.
    pub close: Timestamp,
    /// 20:00 or 17:00.
    pub after_close: Timestamp,
    /// UTC offset of the day in nanoseconds (local = utc + offset).
    pub utc_offset: i64,
}

impl TradingDay {
    /// The day containing `now` (New York time).
    pub fn containing(now: Timestamp) -> TradingDay {
        TradingDay::of(local_date(now))
    }

    /// The given New York date.
    pub fn of(date: NaiveDate) -> TradingDay {
        let kind = day_kind(date);
        let early = kind == DayKind::EarlyClose;
        let start = ny_to_utc(date, NaiveTime::MIN);
        let next = date.succ_opt().unwrap_or(date);
        let end = ny_to_utc(next, NaiveTime::MIN);
        let open = ny_to_utc(date, t(9, 30));
        TradingDay {
            date,
            kind,
            start,
            end,
            pre_open: ny_to_utc(date, t(4, 0)),
            open,
            close: ny_to_utc(date, if early { t(13, 0) } else { t(16, 0) }),
            after_close: ny_to_utc(date, if early { t(17, 0) } else { t(20, 0) }),
            utc_offset: (open.0 - start.0) - (9 * 3600 + 30 * 60) * Timestamp::SECOND,
        }
    }

    /// True if `now` falls in this local day.
    pub fn contains(&self, now: Timestamp) -> bool {
        self.start <= now && now < self.end
    }

    /// The US equity session at `now` (which must be in this day).
    pub fn equity_session(&self, now: Timestamp) -> Session {
        if !self.kind.is_trading() || now < self.pre_open {
            Session::Closed
        } else if now < self.open {
            Session::PreMarket
        } else if now < self.close {
            Session::Regular
        } else if now < self.after_close {
            Session::AfterHours
        } else {
            Session::Closed
        }
    }

    /// New York time of `now` as nanoseconds since local midnight.
    pub fn local_nanos(&self, now: Timestamp) -> i64 {
        now.0 - self.start.0
    }

    /// UTC nanos of a local time on this day (valid on non-DST-switch days,
    /// which every trading day is).
    pub fn at(&self, h: u32, m: u32) -> Timestamp {
        Timestamp(self.start.0 + (i64::from(h) * 3600 + i64::from(m) * 60) * Timestamp::SECOND)
    }
}

/// Whether an options or futures session (hours from config) is open.
pub fn configured_session_open(hours: &SessionHours, day: &TradingDay, now: Timestamp) -> bool {
    let local = now.to_datetime().with_timezone(&New_York);
    let tod = local.time();
    let date = local.date_naive();
    let weekday_ok = |d: NaiveDate| {
        let wk = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let hol = hours.follow_exchange_holidays && !day_kind(d).is_trading();
        wk && !hol
    };
    if hours.open < hours.close {
        if hours.follow_exchange_holidays && day.kind == DayKind::EarlyClose {
            // Early-close days shorten equity-derivative sessions by the
            // same three hours (16:15 becomes 13:15).
            let close = if hours.close >= t(16, 0) {
                t(13, 0) + (hours.close - t(16, 0))
            } else {
                hours.close.min(t(13, 0))
            };
            return weekday_ok(date) && tod >= hours.open && tod < close;
        }
        weekday_ok(date) && tod >= hours.open && tod < hours.close
    } else {
        // Overnight session: opens in the evening for the next weekday.
        let next = date.succ_opt().unwrap_or(date);
        (tod >= hours.open && weekday_ok(next)) || (tod < hours.close && weekday_ok(date))
    }
}

/// Which session an instrument of `class` is in at `now`, reduced to the
/// three the order checks care about. Options and futures only have a
/// regular session (their configured hours).
pub fn session_for(
    class: AssetClass,
    option: &SessionHours,
    future: &SessionHours,
    day: &TradingDay,
    now: Timestamp,
) -> Session {
    match class {
        AssetClass::Equity | AssetClass::Etf => day.equity_session(now),
        AssetClass::Option => open_or_closed(configured_session_open(option, day, now)),
        AssetClass::Future => open_or_closed(configured_session_open(future, day, now)),
    }
}

fn open_or_closed(open: bool) -> Session {
    if open {
        Session::Regular
    } else {
        Session::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ny(y: i32, m: u32, day: u32, h: u32, min: u32) -> Timestamp {
        ny_to_utc(d(y, m, day), t(h, min))
    }

    #[test]
    fn sessions_at_boundaries_in_winter_and_summer() {
        // EST (UTC-5) and EDT (UTC-4) days.
        for (y, m, day) in [(2026, 1, 20), (2026, 7, 15)] {
            let td = TradingDay::of(d(y, m, day));
            assert_eq!(td.equity_session(ny(y, m, day, 3, 59)), Session::Closed);
            assert_eq!(td.equity_session(ny(y, m, day, 4, 0)), Session::PreMarket);
            assert_eq!(td.equity_session(ny(y, m, day, 9, 29)), Session::PreMarket);
            assert_eq!(td.equity_session(ny(y, m, day, 9, 30)), Session::Regular);
            assert_eq!(td.equity_session(ny(y, m, day, 15, 59)), Session::Regular);
            assert_eq!(td.equity_session(ny(y, m, day, 16, 0)), Session::AfterHours);
            assert_eq!(
                td.equity_session(ny(y, m, day, 19, 59)),
                Session::AfterHours
            );
            assert_eq!(td.equity_session(ny(y, m, day, 20, 0)), Session::Closed);
        }
        // 09:30 New York is 14:30 UTC in January, 13:30 UTC in July.
        let jan = TradingDay::of(d(2026, 1, 20));
        assert_eq!(jan.open.to_datetime().format("%H:%M").to_string(), "14:30");
        let jul = TradingDay::of(d(2026, 7, 15));
        assert_eq!(jul.open.to_datetime().format("%H:%M").to_string(), "13:30");
        assert_eq!(jul.at(15, 25), ny(2026, 7, 15, 15, 25));
    }

    #[test]
    fn early_close_and_holiday_sessions() {
        let td = TradingDay::of(d(2026, 11, 27));
        assert_eq!(
            td.equity_session(ny(2026, 11, 27, 12, 59)),
            Session::Regular
        );
        assert_eq!(
            td.equity_session(ny(2026, 11, 27, 13, 0)),
            Session::AfterHours
        );
        assert_eq!(td.equity_session(ny(2026, 11, 27, 17, 0)), Session::Closed);
        let hol = TradingDay::of(d(2026, 11, 26));
        assert_eq!(hol.equity_session(ny(2026, 11, 26, 11, 0)), Session::Closed);
        let unknown = TradingDay::of(d(2028, 1, 4));
        assert_eq!(
            unknown.equity_session(ny(2028, 1, 4, 11, 0)),
            Session::Closed
        );
    }

    #[test]
    fn futures_overnight_and_options_hours() {
        let fut = SessionHours {
            open: t(18, 0),
            close: t(17, 0),
            follow_exchange_holidays: false,
        };
        let opt = SessionHours {
            open: t(9, 30),
            close: t(16, 15),
            follow_exchange_holidays: true,
        };
        let check = |h: &SessionHours, y, m, day, hh, mm| {
            let now = ny(y, m, day, hh, mm);
            configured_session_open(h, &TradingDay::containing(now), now)
        };
        assert!(check(&fut, 2026, 1, 20, 10, 0)); // Tue morning
        assert!(!check(&fut, 2026, 1, 20, 17, 30)); // daily break
        assert!(check(&fut, 2026, 1, 20, 18, 0)); // evening session
        assert!(!check(&fut, 2026, 1, 23, 18, 0)); // Friday evening: weekend
        assert!(!check(&fut, 2026, 1, 24, 12, 0)); // Saturday
        assert!(check(&fut, 2026, 1, 25, 18, 30)); // Sunday evening open
        assert!(check(&opt, 2026, 1, 20, 16, 10));
        assert!(!check(&opt, 2026, 1, 20, 16, 15));
        assert!(!check(&opt, 2026, 1, 19, 10, 0)); // MLK day
    }
}
