//! Session schedules: when a FIX session may be logged on, and when a new
//! session (with sequence numbers reset) begins.
//!
//! This module owns the calendar arithmetic only. It is pure: every
//! question takes `now: DateTime<Utc>` and nothing reads a clock. The
//! transport asks [`Schedule::is_in_session`] before a logon, arms timers
//! at [`Schedule::next_start`] and [`Schedule::next_end`], and resets the
//! message store when [`Schedule::is_new_session`] says the store was
//! created before the current window began.
//!
//! # Kinds of schedule
//!
//! - **Always on**: never ends, never resets by schedule.
//! - **Daily**: a window from `start_time` to `end_time` every day, or only
//!   on the listed `weekdays`, in a named IANA time zone. A window whose
//!   end time is not after its start time crosses midnight (22:00 to 06:00
//!   ends the next morning); equal times make a 24-hour session that
//!   resets at that time each day. With `weekdays`, a window belongs to the
//!   day on which it *starts*: `weekdays = ["mon", "tue", "wed", "thu",
//!   "fri"]` with 22:00 to 06:00 runs from Monday 22:00 to Saturday 06:00
//!   in five windows.
//! - **Weekly**: one window from `start_day start_time` to `end_day
//!   end_time`, e.g. Sunday 17:00 to Friday 17:00 America/New_York. When
//!   the end is not after the start within the week (same day, end time not
//!   after start time) the window lasts about a week.
//!
//! Windows are half-open, `[start, end)`: at the exact end instant the
//! session is over, and when windows abut the later one contains the
//! instant.
//!
//! # Daylight saving time
//!
//! Wall-clock times are converted to instants in the schedule's time zone
//! on each date, so a 17:00 New York start is 22:00 UTC in winter and 21:00
//! UTC in summer. A wall-clock time that occurs twice (autumn, clocks go
//! back) means its first occurrence; one that does not occur (spring, clocks
//! go forward) means the first instant after the gap, i.e. the moment of
//! the transition. Both rules amount to "the first instant at which the
//! local clock reads that time or later", which keeps windows in order and
//! never overlapping. A window that becomes empty this way (start and end
//! both inside the same gap) does not happen that day.
//!
//! # Configuration
//!
//! [`Schedule`] deserializes (through [`ScheduleConfig`]) from tables such
//! as
//!
//! ```toml
//! schedule = { start_day = "sun", start_time = "17:00:00", end_day = "fri", end_time = "17:00:00", time_zone = "America/New_York" }
//! schedule = { start_time = "08:00", end_time = "18:00", time_zone = "Europe/London", weekdays = ["mon", "tue", "wed", "thu", "fri"] }
//! schedule = { always = true }
//! ```
//!
//! and invalid tables are refused with every problem named by key (a
//! `domain::config::ConfigProblem`; see `docs/CONFIG.md`, "Session
//! schedules").

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
    Utc, Weekday, WeekdaySet,
};
use chrono_tz::Tz;
use domain::config::{ConfigError, ConfigProblem};
use serde::{Deserialize, Deserializer};

/// When a session may be logged on. See the module doc for the semantics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Always in session; no scheduled reset.
    AlwaysOn,
    /// A window every day, or on some weekdays.
    Daily(Daily),
    /// One window a week.
    Weekly(Weekly),
}

/// A daily window (see [`Schedule::daily`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daily {
    start: NaiveTime,
    end: NaiveTime,
    /// Days on which a window starts.
    weekdays: WeekdaySet,
    tz: Tz,
}

/// A weekly window (see [`Schedule::weekly`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weekly {
    start_day: Weekday,
    start: NaiveTime,
    end_day: Weekday,
    end: NaiveTime,
    tz: Tz,
}

/// One session window, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionWindow {
    /// The first instant in session.
    pub start: DateTime<Utc>,
    /// The first instant out of session.
    pub end: DateTime<Utc>,
}

impl SessionWindow {
    /// Whether `now` is inside the window.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }
}

impl Schedule {
    /// A daily window from `start` to `end` (local times in `tz`), starting
    /// on every day of `weekdays` (see the module doc for windows that
    /// cross midnight and for equal times). Use [`WeekdaySet::ALL`] for
    /// every day.
    pub fn daily(
        start: NaiveTime,
        end: NaiveTime,
        weekdays: WeekdaySet,
        tz: Tz,
    ) -> Result<Schedule, ScheduleError> {
        let mut problems = Vec::new();
        check_time("start_time", start, &mut problems);
        check_time("end_time", end, &mut problems);
        if weekdays.is_empty() {
            problems.push(problem("weekdays", "must name at least one day"));
        }
        ScheduleError::or_ok(
            problems,
            Schedule::Daily(Daily {
                start,
                end,
                weekdays,
                tz,
            }),
        )
    }

    /// A weekly window from `start_day start` to `end_day end` (local times
    /// in `tz`).
    pub fn weekly(
        start_day: Weekday,
        start: NaiveTime,
        end_day: Weekday,
        end: NaiveTime,
        tz: Tz,
    ) -> Result<Schedule, ScheduleError> {
        let mut problems = Vec::new();
        check_time("start_time", start, &mut problems);
        check_time("end_time", end, &mut problems);
        ScheduleError::or_ok(
            problems,
            Schedule::Weekly(Weekly {
                start_day,
                start,
                end_day,
                end,
                tz,
            }),
        )
    }

    /// Whether a session may be logged on at `now`.
    pub fn is_in_session(&self, now: DateTime<Utc>) -> bool {
        match self {
            Schedule::AlwaysOn => true,
            _ => self.window_at(now).is_some(),
        }
    }

    /// The window containing `now`; `None` when out of session, and always
    /// `None` for [`Schedule::AlwaysOn`], which has no windows.
    pub fn window_at(&self, now: DateTime<Utc>) -> Option<SessionWindow> {
        let today = self.local_date(now)?;
        // Windows are ordered and never overlap, so only the latest one
        // starting at or before `now` can contain it. Walk back from
        // tomorrow (a local date can start a window a little earlier in UTC
        // than `now`'s date suggests) over at most a week and a gap.
        days_after(today, 1)
            .iter_days()
            .rev()
            .take(11)
            .filter_map(|d| self.window_starting_on(d))
            .find(|w| w.start <= now)
            .filter(|w| w.contains(now))
    }

    /// The start of the window containing `now`: the instant the current
    /// session began. `None` when out of session or always on.
    pub fn session_start_for(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.window_at(now).map(|w| w.start)
    }

    /// Whether a session whose message store was created at `created` must
    /// start afresh (sequence numbers reset) at `now`: true when `now` is in
    /// a window that began after `created`. False when out of session (there
    /// is no current session to reset into) and always false when always
    /// on.
    pub fn is_new_session(&self, created: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.session_start_for(now)
            .is_some_and(|start| created < start)
    }

    /// The first window start strictly after `now` (when in session, the
    /// start of the next window, not of the current one). `None` when
    /// always on. Looks two weeks ahead, enough for any window to recur
    /// even when a DST gap swallows one.
    pub fn next_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = self.local_date(now)?;
        self.windows(days_before(today, 1), days_after(today, 16))
            .map(|w| w.start)
            .find(|&start| start > now)
    }

    /// The first window end strictly after `now`: the end of the current
    /// window when in session, else the end of the next one. `None` when
    /// always on.
    pub fn next_end(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = self.local_date(now)?;
        // In session: the current window's end. Out of session every window
        // that started has ended, so it is the end of the next one.
        match self.window_at(now) {
            Some(w) => Some(w.end),
            None => self
                .windows(days_before(today, 1), days_after(today, 16))
                .find(|w| w.start > now)
                .map(|w| w.end),
        }
    }

    /// The time zone of the schedule; `None` when always on.
    pub fn time_zone(&self) -> Option<Tz> {
        match self {
            Schedule::AlwaysOn => None,
            Schedule::Daily(d) => Some(d.tz),
            Schedule::Weekly(w) => Some(w.tz),
        }
    }

    fn local_date(&self, now: DateTime<Utc>) -> Option<NaiveDate> {
        self.time_zone()
            .map(|tz| now.with_timezone(&tz).date_naive())
    }

    /// The non-empty windows whose start falls on a local date in
    /// `[from, to]`, in order of start (which is also order of end: windows
    /// never overlap).
    fn windows(&self, from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = SessionWindow> + '_ {
        from.iter_days()
            .take_while(move |d| *d <= to)
            .filter_map(move |d| self.window_starting_on(d))
    }

    fn window_starting_on(&self, date: NaiveDate) -> Option<SessionWindow> {
        let (tz, start, end_date, end) = match self {
            Schedule::AlwaysOn => return None,
            Schedule::Daily(d) => {
                if !d.weekdays.contains(date.weekday()) {
                    return None;
                }
                let end_date = if d.end <= d.start {
                    days_after(date, 1)
                } else {
                    date
                };
                (d.tz, d.start, end_date, d.end)
            }
            Schedule::Weekly(w) => {
                if date.weekday() != w.start_day {
                    return None;
                }
                let mut span =
                    (w.end_day.num_days_from_monday() + 7 - w.start_day.num_days_from_monday()) % 7;
                if span == 0 && w.end <= w.start {
                    span = 7;
                }
                (w.tz, w.start, days_after(date, u64::from(span)), w.end)
            }
        };
        let window = SessionWindow {
            start: localize(tz, date.and_time(start)),
            end: localize(tz, end_date.and_time(end)),
        };
        (window.end > window.start).then_some(window)
    }
}

fn days_before(date: NaiveDate, n: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(n))
        .unwrap_or(NaiveDate::MIN)
}

fn days_after(date: NaiveDate, n: u64) -> NaiveDate {
    date.checked_add_days(Days::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// The first instant at which the local clock in `tz` reads `local` or
/// later: the instant itself when it exists once, its first occurrence when
/// it exists twice, and the end of the gap (the transition) when it does
/// not exist.
fn localize(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: find the transition, the first instant whose local
            // reading is at least `local`. `local` read as UTC, -+26 h,
            // brackets it (offsets stay within -12 h..+14 h): at `lo` the
            // local clock reads at most `local` - 12 h, at `hi` at least
            // `local` + 12 h. Bisect on whole seconds, the granularity of
            // transitions, keeping !reads_at_least(lo) && reads_at_least(hi).
            let as_utc = local.and_utc().timestamp();
            let mut lo = as_utc - 26 * 3600;
            let mut hi = as_utc + 26 * 3600;
            let reads_at_least = |t: i64| {
                DateTime::from_timestamp(t, 0)
                    .is_some_and(|t| t.with_timezone(&tz).naive_local() >= local)
            };
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if reads_at_least(mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            DateTime::from_timestamp(hi, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
        }
    }
}

fn check_time(key: &'static str, t: NaiveTime, problems: &mut Vec<ConfigProblem>) {
    if t.nanosecond() >= 1_000_000_000 {
        problems.push(problem(key, "a leap second is not a schedule time"));
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::AlwaysOn => f.write_str("always on"),
            Schedule::Daily(d) => {
                write!(f, "daily {} to {}", d.start, d.end)?;
                if d.weekdays != WeekdaySet::ALL {
                    f.write_str(" starting on")?;
                    for day in d.weekdays.iter(Weekday::Mon) {
                        write!(f, " {day}")?;
                    }
                }
                write!(f, " {}", d.tz.name())
            }
            Schedule::Weekly(w) => write!(
                f,
                "weekly {} {} to {} {} {}",
                w.start_day,
                w.start,
                w.end_day,
                w.end,
                w.tz.name()
            ),
        }
    }
}

/// A schedule as written in a config file, before validation. Deserialize
/// [`Schedule`] directly unless you collect problems of a larger config:
/// then call [`ScheduleConfig::build`] from your own `validate()`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// `true` for a session that is always on; no other key may be given.
    #[serde(default)]
    pub always: Option<bool>,
    /// Local start time, `HH:MM:SS` or `HH:MM`.
    #[serde(default)]
    pub start_time: Option<String>,
    /// Local end time, `HH:MM:SS` or `HH:MM`.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Weekly schedules: the day the window starts (`sun`, `sunday`...).
    #[serde(default)]
    pub start_day: Option<String>,
    /// Weekly schedules: the day the window ends.
    #[serde(default)]
    pub end_day: Option<String>,
    /// Daily schedules: the days on which a window starts (all when absent).
    #[serde(default)]
    pub weekdays: Option<Vec<String>>,
    /// IANA time zone name, e.g. `America/New_York`, `Europe/London`, `UTC`.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Every problem found in a schedule, reported at once. Each is a
/// [`ConfigProblem`] keyed relative to the schedule's table (`start_time`,
/// `weekdays`) and without a file: the configuration that embeds the
/// schedule places them ([`ScheduleError::into_problems`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScheduleError {
    /// The problems, in key order of the config table.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid session schedule: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl ScheduleError {
    fn or_ok(problems: Vec<ConfigProblem>, schedule: Schedule) -> Result<Schedule, Self> {
        if problems.is_empty() {
            Ok(schedule)
        } else {
            Err(ScheduleError { problems })
        }
    }

    /// The problems as those of the schedule at `key` (e.g.
    /// `session[0].schedule`) in `file`.
    pub fn into_problems(self, file: &str, key: &str) -> Vec<ConfigProblem> {
        self.problems
            .into_iter()
            .map(|p| p.under(key).in_file(file))
            .collect()
    }
}

impl From<ScheduleError> for ConfigError {
    fn from(e: ScheduleError) -> ConfigError {
        ConfigError::Invalid(e.problems)
    }
}

fn problem(key: &str, reason: impl Into<String>) -> ConfigProblem {
    ConfigProblem::at(key, reason)
}

const WEEKDAY_HINT: &str = "expected mon, tue, wed, thu, fri, sat or sun";

impl ScheduleConfig {
    /// Validates the table and builds the schedule, reporting every problem
    /// at once.
    pub fn build(&self) -> Result<Schedule, ScheduleError> {
        let mut problems = Vec::new();
        match self.always {
            Some(true) => {
                for (key, present) in self.present_keys() {
                    if present {
                        problems.push(problem(key, "not allowed with always = true"));
                    }
                }
                return ScheduleError::or_ok(problems, Schedule::AlwaysOn);
            }
            Some(false) => problems.push(problem(
                "always",
                "false is not a schedule: remove it and give start_time, end_time and time_zone",
            )),
            None => {}
        }

        let start = required_time("start_time", self.start_time.as_deref(), &mut problems);
        let end = required_time("end_time", self.end_time.as_deref(), &mut problems);
        let start_day = optional_weekday("start_day", self.start_day.as_deref(), &mut problems);
        let end_day = optional_weekday("end_day", self.end_day.as_deref(), &mut problems);
        let weekly = self.start_day.is_some() || self.end_day.is_some();
        if self.start_day.is_some() && self.end_day.is_none() {
            problems.push(problem(
                "end_day",
                "required with start_day (a weekly schedule)",
            ));
        }
        if self.end_day.is_some() && self.start_day.is_none() {
            problems.push(problem(
                "start_day",
                "required with end_day (a weekly schedule)",
            ));
        }
        let weekdays = match &self.weekdays {
            None => Some(WeekdaySet::ALL),
            Some(_) if weekly => {
                problems.push(problem(
                    "weekdays",
                    "not allowed with start_day/end_day: a schedule is either daily on weekdays or weekly",
                ));
                None
            }
            Some(days) => parse_weekdays(days, &mut problems),
        };
        let tz = match self.time_zone.as_deref() {
            None => {
                problems.push(problem(
                    "time_zone",
                    "required: an IANA time zone name such as \"America/New_York\" or \"UTC\"",
                ));
                None
            }
            Some(name) => match Tz::from_str(name) {
                Ok(tz) => Some(tz),
                Err(_) => {
                    problems.push(problem(
                        "time_zone",
                        format!("unknown IANA time zone {name:?} (names look like \"America/New_York\", \"Europe/London\", \"UTC\")"),
                    ));
                    None
                }
            },
        };

        if !problems.is_empty() {
            return Err(ScheduleError { problems });
        }
        match (start, end, tz, weekly, start_day, end_day, weekdays) {
            (Some(start), Some(end), Some(tz), true, Some(sd), Some(ed), _) => {
                Schedule::weekly(sd, start, ed, end, tz)
            }
            (Some(start), Some(end), Some(tz), false, _, _, Some(days)) => {
                Schedule::daily(start, end, days, tz)
            }
            // Every `None` above pushed a problem.
            _ => Err(ScheduleError {
                problems: vec![problem("schedule", "incomplete")],
            }),
        }
    }

    fn present_keys(&self) -> [(&'static str, bool); 6] {
        [
            ("start_time", self.start_time.is_some()),
            ("end_time", self.end_time.is_some()),
            ("start_day", self.start_day.is_some()),
            ("end_day", self.end_day.is_some()),
            ("weekdays", self.weekdays.is_some()),
            ("time_zone", self.time_zone.is_some()),
        ]
    }
}

fn required_time(
    key: &'static str,
    value: Option<&str>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<NaiveTime> {
    let Some(text) = value else {
        problems.push(problem(key, "required (HH:MM:SS local time)"));
        return None;
    };
    let parsed = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
        .filter(|t| t.nanosecond() < 1_000_000_000);
    if parsed.is_none() {
        problems.push(problem(
            key,
            format!(
                "{text:?} is not a time of day (expected HH:MM:SS or HH:MM, 00:00:00 to 23:59:59)"
            ),
        ));
    }
    parsed
}

fn optional_weekday(
    key: &'static str,
    value: Option<&str>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Weekday> {
    let text = value?;
    match Weekday::from_str(text) {
        Ok(day) => Some(day),
        Err(_) => {
            problems.push(problem(
                key,
                format!("unknown weekday {text:?} ({WEEKDAY_HINT})"),
            ));
            None
        }
    }
}

fn parse_weekdays(days: &[String], problems: &mut Vec<ConfigProblem>) -> Option<WeekdaySet> {
    if days.is_empty() {
        problems.push(problem(
            "weekdays",
            "must name at least one day (omit the key for every day)",
        ));
        return None;
    }
    let mut set = WeekdaySet::EMPTY;
    let mut ok = true;
    for text in days {
        match Weekday::from_str(text) {
            Ok(day) => {
                if !set.insert(day) {
                    problems.push(problem("weekdays", format!("{text:?} is listed twice")));
                    ok = false;
                }
            }
            Err(_) => {
                problems.push(problem(
                    "weekdays",
                    format!("unknown weekday {text:?} ({WEEKDAY_HINT})"),
                ));
                ok = false;
            }
        }
    }
    ok.then_some(set)
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ScheduleConfig::deserialize(deserializer)?
            .build()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .with_timezone(&Utc)
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    fn window(start: &str, end: &str) -> Option<SessionWindow> {
        Some(SessionWindow {
            start: utc(start),
            end: utc(end),
        })
    }

    fn ny_week() -> Schedule {
        Schedule::weekly(
            Weekday::Sun,
            t("17:00"),
            Weekday::Fri,
            t("17:00"),
            chrono_tz::America::New_York,
        )
        .unwrap()
    }

    fn daily(start: &str, end: &str, days: WeekdaySet, tz: Tz) -> Schedule {
        Schedule::daily(t(start), t(end), days, tz).unwrap()
    }

    const WORKDAYS: WeekdaySet = WeekdaySet::from_array([
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]);

    #[test]
    fn calendar_assumptions() {
        // US DST 2026: starts Sunday 8 March, ends Sunday 1 November.
        assert_eq!(
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap().weekday(),
            Weekday::Sun
        );
        assert_eq!(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().weekday(),
            Weekday::Sun
        );
    }

    #[test]
    fn weekly_new_york_in_winter() {
        let s = ny_week();
        // Wednesday 4 March 2026, EST (UTC-5).
        let now = utc("2026-03-04T12:00:00Z");
        assert!(s.is_in_session(now));
        assert_eq!(
            s.window_at(now),
            window("2026-03-01T22:00:00Z", "2026-03-06T22:00:00Z")
        );
        assert_eq!(s.session_start_for(now), Some(utc("2026-03-01T22:00:00Z")));
        assert_eq!(s.next_end(now), Some(utc("2026-03-06T22:00:00Z")));
        // The next window starts after the DST change: 17:00 EDT = 21:00 UTC.
        assert_eq!(s.next_start(now), Some(utc("2026-03-08T21:00:00Z")));
    }

    #[test]
    fn weekly_boundaries_are_half_open() {
        let s = ny_week();
        assert!(!s.is_in_session(utc("2026-03-01T21:59:59Z")));
        assert!(s.is_in_session(utc("2026-03-01T22:00:00Z")));
        assert!(s.is_in_session(utc("2026-03-06T21:59:59Z")));
        assert!(!s.is_in_session(utc("2026-03-06T22:00:00Z")));
        // At the exact start, the next start is a week later.
        assert_eq!(
            s.next_start(utc("2026-03-01T22:00:00Z")),
            Some(utc("2026-03-08T21:00:00Z"))
        );
        // At the exact end, the next end is the following week's.
        assert_eq!(
            s.next_end(utc("2026-03-06T22:00:00Z")),
            Some(utc("2026-03-13T21:00:00Z"))
        );
    }

    #[test]
    fn weekly_across_march_dst_change() {
        let s = ny_week();
        // Saturday 7 March: out of session over the weekend.
        let sat = utc("2026-03-07T12:00:00Z");
        assert!(!s.is_in_session(sat));
        assert_eq!(s.window_at(sat), None);
        assert_eq!(s.session_start_for(sat), None);
        assert_eq!(s.next_start(sat), Some(utc("2026-03-08T21:00:00Z")));
        assert_eq!(s.next_end(sat), Some(utc("2026-03-13T21:00:00Z")));
        // Sunday 8 March, 16:30 EDT is 20:30 UTC: still out (it would be in
        // if the offset were still EST's).
        assert!(!s.is_in_session(utc("2026-03-08T20:30:00Z")));
        assert!(s.is_in_session(utc("2026-03-08T21:00:00Z")));
        assert_eq!(
            s.window_at(utc("2026-03-10T00:00:00Z")),
            window("2026-03-08T21:00:00Z", "2026-03-13T21:00:00Z")
        );
    }

    #[test]
    fn weekly_across_november_dst_change() {
        let s = ny_week();
        assert_eq!(
            s.window_at(utc("2026-10-28T12:00:00Z")),
            window("2026-10-25T21:00:00Z", "2026-10-30T21:00:00Z")
        );
        // Sunday 1 November, clocks went back at 02:00: 17:00 EST = 22:00 UTC.
        assert!(!s.is_in_session(utc("2026-11-01T21:30:00Z")));
        assert_eq!(
            s.next_start(utc("2026-10-31T12:00:00Z")),
            Some(utc("2026-11-01T22:00:00Z"))
        );
        assert_eq!(
            s.window_at(utc("2026-11-02T00:00:00Z")),
            window("2026-11-01T22:00:00Z", "2026-11-06T22:00:00Z")
        );
    }

    #[test]
    fn new_session_detection() {
        let s = ny_week();
        let monday = utc("2026-03-09T14:00:00Z");
        // Store created during last week's session: reset.
        assert!(s.is_new_session(utc("2026-03-06T20:00:00Z"), monday));
        // Created over the weekend, before this window opened: reset.
        assert!(s.is_new_session(utc("2026-03-08T20:59:59Z"), monday));
        // Created at or after the start of this window: same session.
        assert!(!s.is_new_session(utc("2026-03-08T21:00:00Z"), monday));
        assert!(!s.is_new_session(utc("2026-03-09T13:00:00Z"), monday));
        // Out of session there is nothing to reset into.
        assert!(!s.is_new_session(utc("2026-03-01T00:00:00Z"), utc("2026-03-07T12:00:00Z")));
        // Always on never resets by schedule.
        assert!(!Schedule::AlwaysOn.is_new_session(utc("2020-01-01T00:00:00Z"), monday));
    }

    #[test]
    fn always_on() {
        let s = Schedule::AlwaysOn;
        let now = utc("2026-03-08T07:00:00Z");
        assert!(s.is_in_session(now));
        assert_eq!(s.window_at(now), None);
        assert_eq!(s.session_start_for(now), None);
        assert_eq!(s.next_start(now), None);
        assert_eq!(s.next_end(now), None);
        assert_eq!(s.to_string(), "always on");
    }

    #[test]
    fn daily_within_a_day_on_workdays() {
        let s = daily("08:00", "18:00", WORKDAYS, chrono_tz::Europe::London);
        // Friday 27 March 2026, GMT.
        let fri = utc("2026-03-27T12:00:00Z");
        assert_eq!(
            s.window_at(fri),
            window("2026-03-27T08:00:00Z", "2026-03-27T18:00:00Z")
        );
        assert!(!s.is_in_session(utc("2026-03-27T18:00:00Z")));
        assert!(!s.is_in_session(utc("2026-03-28T12:00:00Z")));
        // UK clocks go forward on Sunday 29 March: Monday 08:00 BST = 07:00 UTC.
        assert_eq!(
            s.next_start(utc("2026-03-27T18:00:00Z")),
            Some(utc("2026-03-30T07:00:00Z"))
        );
        assert_eq!(
            s.next_end(utc("2026-03-28T12:00:00Z")),
            Some(utc("2026-03-30T17:00:00Z"))
        );
        assert_eq!(
            s.to_string(),
            "daily 08:00:00 to 18:00:00 starting on Mon Tue Wed Thu Fri Europe/London"
        );
    }

    #[test]
    fn daily_window_crossing_midnight_belongs_to_its_start_day() {
        let s = daily("22:00", "06:00", WORKDAYS, Tz::UTC);
        // Friday's window ends Saturday 06:00.
        assert_eq!(
            s.window_at(utc("2026-03-07T05:00:00Z")),
            window("2026-03-06T22:00:00Z", "2026-03-07T06:00:00Z")
        );
        assert!(!s.is_in_session(utc("2026-03-07T22:30:00Z"))); // Saturday night
        assert!(!s.is_in_session(utc("2026-03-08T23:00:00Z"))); // Sunday night
        assert!(!s.is_in_session(utc("2026-03-09T05:00:00Z"))); // Monday early
        assert!(s.is_in_session(utc("2026-03-09T22:00:00Z"))); // Monday night
        assert_eq!(
            s.next_start(utc("2026-03-07T05:00:00Z")),
            Some(utc("2026-03-09T22:00:00Z"))
        );
    }

    #[test]
    fn daily_crossing_midnight_into_spring_forward() {
        let s = daily(
            "22:00",
            "06:00",
            WeekdaySet::ALL,
            chrono_tz::America::New_York,
        );
        // Saturday 7 March 22:00 EST to Sunday 8 March 06:00 EDT: 7 hours.
        let w = s.window_at(utc("2026-03-08T09:59:59Z")).unwrap();
        assert_eq!(
            w,
            window("2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z").unwrap()
        );
        assert!(!s.is_in_session(utc("2026-03-08T10:00:00Z")));
        // Back to 8 hours the following night, and in autumn 9 hours.
        assert_eq!(
            s.window_at(utc("2026-03-09T03:00:00Z")),
            window("2026-03-09T02:00:00Z", "2026-03-09T10:00:00Z")
        );
        assert_eq!(
            s.window_at(utc("2026-11-01T08:00:00Z")),
            window("2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z")
        );
    }

    #[test]
    fn start_time_in_the_spring_gap_means_the_transition() {
        // 02:30 does not exist in New York on 8 March 2026 (02:00 EST jumps
        // to 03:00 EDT, at 07:00 UTC).
        let s = daily(
            "02:30",
            "04:00",
            WeekdaySet::ALL,
            chrono_tz::America::New_York,
        );
        assert_eq!(
            s.window_at(utc("2026-03-07T08:00:00Z")),
            window("2026-03-07T07:30:00Z", "2026-03-07T09:00:00Z")
        );
        assert_eq!(
            s.window_at(utc("2026-03-08T07:00:00Z")),
            window("2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z")
        );
        assert!(!s.is_in_session(utc("2026-03-08T06:59:59Z")));
        assert_eq!(
            s.next_start(utc("2026-03-08T00:00:00Z")),
            Some(utc("2026-03-08T07:00:00Z"))
        );
        assert_eq!(
            s.window_at(utc("2026-03-09T07:00:00Z")),
            window("2026-03-09T06:30:00Z", "2026-03-09T08:00:00Z")
        );
    }

    #[test]
    fn window_entirely_inside_the_gap_is_skipped() {
        let s = daily(
            "02:15",
            "02:45",
            WeekdaySet::ALL,
            chrono_tz::America::New_York,
        );
        assert_eq!(
            s.next_start(utc("2026-03-07T08:00:00Z")),
            Some(utc("2026-03-09T06:15:00Z"))
        );
        assert_eq!(
            s.next_end(utc("2026-03-07T08:00:00Z")),
            Some(utc("2026-03-09T06:45:00Z"))
        );
        // Sundays only: the 8 March window does not happen, the next is a
        // fortnight after the previous one.
        let sundays = daily(
            "02:15",
            "02:45",
            WeekdaySet::single(Weekday::Sun),
            chrono_tz::America::New_York,
        );
        assert_eq!(
            sundays.next_start(utc("2026-03-02T00:00:00Z")),
            Some(utc("2026-03-15T06:15:00Z"))
        );
        assert_eq!(
            sundays.next_end(utc("2026-03-02T00:00:00Z")),
            Some(utc("2026-03-15T06:45:00Z"))
        );
    }

    #[test]
    fn ambiguous_time_in_autumn_means_the_first_occurrence() {
        // 01:30 happens twice in New York on 1 November 2026: 05:30 UTC (EDT)
        // and 06:30 UTC (EST). The window starts at the first.
        let s = daily(
            "01:30",
            "03:00",
            WeekdaySet::ALL,
            chrono_tz::America::New_York,
        );
        let w = window("2026-11-01T05:30:00Z", "2026-11-01T08:00:00Z");
        assert_eq!(s.window_at(utc("2026-11-01T05:30:00Z")), w);
        // 01:15 EST (the second pass through 01:xx) is inside.
        assert_eq!(s.window_at(utc("2026-11-01T06:15:00Z")), w);
        assert!(!s.is_in_session(utc("2026-11-01T05:29:59Z")));
        assert!(!s.is_in_session(utc("2026-11-01T08:00:00Z")));
    }

    #[test]
    fn equal_times_make_a_24_hour_session_that_resets_daily() {
        let s = daily(
            "00:00",
            "00:00",
            WeekdaySet::ALL,
            chrono_tz::America::New_York,
        );
        // Midnight to midnight local: 23 hours on the spring-forward day.
        assert_eq!(
            s.window_at(utc("2026-03-08T12:00:00Z")),
            window("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z")
        );
        // Windows abut: the later one owns the boundary.
        assert_eq!(
            s.session_start_for(utc("2026-03-09T04:00:00Z")),
            Some(utc("2026-03-09T04:00:00Z"))
        );
        assert!(s.is_new_session(utc("2026-03-09T03:59:59Z"), utc("2026-03-09T04:00:00Z")));
        // 25 hours on the fall-back day.
        assert_eq!(
            s.window_at(utc("2026-11-01T12:00:00Z")),
            window("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z")
        );
    }

    #[test]
    fn weekly_within_one_day() {
        let s =
            Schedule::weekly(Weekday::Mon, t("09:00"), Weekday::Mon, t("17:00"), Tz::UTC).unwrap();
        assert!(s.is_in_session(utc("2026-03-09T10:00:00Z")));
        assert!(!s.is_in_session(utc("2026-03-10T10:00:00Z")));
        assert_eq!(
            s.next_start(utc("2026-03-09T10:00:00Z")),
            Some(utc("2026-03-16T09:00:00Z"))
        );
        assert_eq!(s.to_string(), "weekly Mon 09:00:00 to Mon 17:00:00 UTC");
    }

    #[test]
    fn weekly_with_equal_ends_lasts_a_week() {
        let s =
            Schedule::weekly(Weekday::Sun, t("17:00"), Weekday::Sun, t("17:00"), Tz::UTC).unwrap();
        for day in 1..=14 {
            let now = Utc.with_ymd_and_hms(2026, 3, day, 3, 0, 0).unwrap();
            assert!(s.is_in_session(now), "{now}");
        }
        assert_eq!(
            s.window_at(utc("2026-03-04T00:00:00Z")),
            window("2026-03-01T17:00:00Z", "2026-03-08T17:00:00Z")
        );
        // Friday to Monday wraps the weekend.
        let s =
            Schedule::weekly(Weekday::Fri, t("20:00"), Weekday::Mon, t("04:00"), Tz::UTC).unwrap();
        assert_eq!(
            s.window_at(utc("2026-03-08T00:00:00Z")),
            window("2026-03-06T20:00:00Z", "2026-03-09T04:00:00Z")
        );
    }

    /// Invariants over every half hour of 2026 for several schedules.
    #[test]
    fn invariants_over_a_year() {
        let schedules = [
            ny_week(),
            daily("22:00", "06:00", WORKDAYS, chrono_tz::America::New_York),
            daily("02:30", "02:00", WeekdaySet::ALL, chrono_tz::Europe::London),
            daily(
                "00:00",
                "00:00",
                WeekdaySet::ALL,
                chrono_tz::Australia::Sydney,
            ),
        ];
        for s in &schedules {
            let all: Vec<_> = s
                .windows(
                    NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
                    NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
                )
                .collect();
            assert!(all.len() > 50, "{s}");
            for pair in all.windows(2) {
                assert!(pair[0].end <= pair[1].start, "{s}: {pair:?} overlap");
            }
            let mut now = utc("2026-01-01T00:00:00Z");
            let mut last_start = None;
            while now < utc("2027-01-01T00:00:00Z") {
                let w = s.window_at(now);
                // The same answer as a plain scan of every nearby window.
                let today = s.local_date(now).unwrap();
                let scanned = s
                    .windows(days_before(today, 9), days_after(today, 9))
                    .find(|w| w.contains(now));
                assert_eq!(w, scanned, "{s} at {now}");
                assert_eq!(s.is_in_session(now), w.is_some(), "{s} at {now}");
                let next_start = s.next_start(now).unwrap();
                let next_end = s.next_end(now).unwrap();
                assert!(next_start > now && next_end > now, "{s} at {now}");
                match w {
                    Some(w) => {
                        assert!(w.contains(now));
                        assert_eq!(next_end, w.end, "{s} at {now}");
                        assert!(next_start >= w.end, "{s} at {now}");
                        assert!(w.end - w.start <= chrono::Duration::days(7));
                        if let Some(prev) = last_start {
                            assert!(w.start >= prev, "{s}: windows went backwards at {now}");
                        }
                        last_start = Some(w.start);
                    }
                    None => {
                        assert!(next_start < next_end, "{s} at {now}");
                        assert!(!s.is_in_session(next_start - chrono::Duration::seconds(1)));
                    }
                }
                assert!(s.is_in_session(next_start), "{s} at {now}");
                now += chrono::Duration::minutes(30);
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Session {
        schedule: Schedule,
    }

    fn parse(toml_text: &str) -> Result<Schedule, String> {
        toml::from_str::<Session>(toml_text)
            .map(|s| s.schedule)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_weekly_daily_and_always() {
        let weekly = parse(
            r#"schedule = { start_time = "17:00:00", end_time = "17:00:00", start_day = "sun", end_day = "fri", time_zone = "America/New_York" }"#,
        )
        .unwrap();
        assert_eq!(weekly, ny_week());
        let daily = parse(
            r#"schedule = { start_time = "08:00", end_time = "18:00", time_zone = "Europe/London", weekdays = ["mon", "Tuesday", "WED", "thu", "fri"] }"#,
        )
        .unwrap();
        assert_eq!(
            daily,
            super::tests::daily("08:00", "18:00", WORKDAYS, chrono_tz::Europe::London)
        );
        let every_day = parse(
            "[schedule]\nstart_time = \"00:00:00\"\nend_time = \"00:00:00\"\ntime_zone = \"UTC\"\n",
        )
        .unwrap();
        assert_eq!(
            every_day,
            super::tests::daily("00:00", "00:00", WeekdaySet::ALL, Tz::UTC)
        );
        assert_eq!(
            parse("schedule = { always = true }").unwrap(),
            Schedule::AlwaysOn
        );
    }

    fn problems(config: ScheduleConfig) -> Vec<(String, String)> {
        config
            .build()
            .unwrap_err()
            .problems
            .into_iter()
            .inspect(|p| assert_eq!(p.file, "", "a schedule does not know its file"))
            .map(|p| (p.key, p.reason))
            .collect()
    }

    fn s(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn reports_every_problem_by_key() {
        let found = problems(ScheduleConfig {
            start_time: s("25:00:00"),
            end_time: None,
            start_day: s("sunday1"),
            time_zone: s("America/NewYork"),
            ..ScheduleConfig::default()
        });
        let keys: Vec<_> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "start_time",
                "end_time",
                "start_day",
                "end_day",
                "time_zone"
            ]
        );
        assert_eq!(
            found[0].1,
            "\"25:00:00\" is not a time of day (expected HH:MM:SS or HH:MM, 00:00:00 to 23:59:59)"
        );
        assert_eq!(found[1].1, "required (HH:MM:SS local time)");
        assert_eq!(
            found[2].1,
            "unknown weekday \"sunday1\" (expected mon, tue, wed, thu, fri, sat or sun)"
        );
        assert_eq!(found[3].1, "required with start_day (a weekly schedule)");
        assert!(found[4]
            .1
            .starts_with("unknown IANA time zone \"America/NewYork\""));
    }

    #[test]
    fn config_conflicts_and_empty_lists() {
        let base = ScheduleConfig {
            start_time: s("09:00"),
            end_time: s("17:00"),
            time_zone: s("UTC"),
            ..ScheduleConfig::default()
        };
        let found = problems(ScheduleConfig {
            weekdays: Some(vec!["mon".into()]),
            end_day: s("fri"),
            ..base.clone()
        });
        assert_eq!(found[0].0, "start_day");
        assert_eq!(found[1].0, "weekdays");
        assert!(found[1].1.starts_with("not allowed with start_day/end_day"));

        let found = problems(ScheduleConfig {
            weekdays: Some(vec![]),
            ..base.clone()
        });
        assert_eq!(
            found,
            [(
                "weekdays".to_owned(),
                "must name at least one day (omit the key for every day)".to_owned()
            )]
        );

        let found = problems(ScheduleConfig {
            weekdays: Some(vec!["mon".into(), "Monday".into(), "funday".into()]),
            ..base.clone()
        });
        assert_eq!(
            found[0],
            (
                "weekdays".to_owned(),
                "\"Monday\" is listed twice".to_owned()
            )
        );
        assert!(found[1].1.starts_with("unknown weekday \"funday\""));

        let found = problems(ScheduleConfig {
            always: Some(true),
            ..base.clone()
        });
        let keys: Vec<_> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["start_time", "end_time", "time_zone"]);
        assert_eq!(found[0].1, "not allowed with always = true");

        let found = problems(ScheduleConfig {
            always: Some(false),
            ..base.clone()
        });
        assert_eq!(found[0].0, "always");

        let found = problems(ScheduleConfig::default());
        let keys: Vec<_> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["start_time", "end_time", "time_zone"]);

        // A leap second is not a time of day here.
        let found = problems(ScheduleConfig {
            end_time: s("23:59:60"),
            ..base
        });
        assert_eq!(found[0].0, "end_time");
    }

    #[test]
    fn toml_errors_carry_the_problems_and_unknown_keys() {
        let err = parse(
            r#"schedule = { start_time = "17:00", end_time = "17:00", time_zone = "Mars/Olympus" }"#,
        )
        .unwrap_err();
        assert!(
            err.contains(
                "invalid session schedule: time_zone: unknown IANA time zone \"Mars/Olympus\""
            ),
            "{err}"
        );
        let err = parse(r#"schedule = { start = "17:00", end_time = "17:00", time_zone = "UTC" }"#)
            .unwrap_err();
        assert!(err.contains("unknown field `start`"), "{err}");
    }

    #[test]
    fn problems_are_placed_in_the_embedding_file() {
        let err = ScheduleConfig {
            start_time: s("09:00"),
            time_zone: s("UTC"),
            ..ScheduleConfig::default()
        }
        .build()
        .unwrap_err();
        let placed = err
            .clone()
            .into_problems("venue.toml", "session[2].schedule");
        assert_eq!(
            placed,
            [ConfigProblem::new(
                "venue.toml",
                "session[2].schedule.end_time",
                "required (HH:MM:SS local time)"
            )]
        );
        assert_eq!(
            ConfigError::from(err).to_string(),
            "1 problem(s) in configuration:\n  end_time: required (HH:MM:SS local time)"
        );
    }

    #[test]
    fn constructors_validate() {
        assert!(Schedule::daily(t("09:00"), t("17:00"), WeekdaySet::EMPTY, Tz::UTC).is_err());
        let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1_500).unwrap();
        let err =
            Schedule::weekly(Weekday::Mon, leap, Weekday::Fri, t("17:00"), Tz::UTC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid session schedule: start_time: a leap second is not a schedule time"
        );
    }
}
