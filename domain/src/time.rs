//! The one time type: [`Timestamp`], UTC nanoseconds since the Unix epoch
//! in an `i64` (good until 2262), always passed in by the caller: no crate
//! of the domain reads a clock. Lengths of time (latencies, delays, timer
//! periods, offsets from a start) are a [`Duration`].
//!
//! Why a `Duration` of our own rather than `std::time::Duration`: the
//! simulated venue adds latencies and delays to `now` on every order and
//! every market data update. `Duration` is the same `i64` nanoseconds as
//! `Timestamp`, so `now + delay` is one saturating integer add, where the
//! standard type (seconds and nanoseconds, 16 bytes) needs a multiply to
//! reach nanoseconds and a division to come back. It is never negative and
//! its serde form is the plain unsigned nanosecond count, the form the
//! venue's configuration files already use. Convert to the standard type
//! (`std::time::Duration::from`) where a real timer sleeps.
//!
//! Arithmetic is explicit: [`Timestamp::saturating_add`] and friends, no
//! `+` operator, because offsets come from files and must not wrap.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

/// UTC time in nanoseconds since the Unix epoch.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// One second in nanoseconds.
    pub const SECOND: i64 = 1_000_000_000;

    /// From a UTC calendar time (tests and tools); the epoch when the
    /// date or time does not exist.
    pub fn from_utc(y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> Timestamp {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(hh, mm, ss))
            .map(|t| t.and_utc().timestamp_nanos_opt().unwrap_or(0))
            .unwrap_or(0);
        Timestamp(t)
    }

    /// From a chrono UTC time (saturating past 2262).
    pub fn from_datetime(t: DateTime<Utc>) -> Timestamp {
        Timestamp(t.timestamp_nanos_opt().unwrap_or(i64::MAX))
    }

    /// To a chrono UTC time.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }

    /// This time plus `secs` seconds (saturating).
    pub fn plus_secs(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs.saturating_mul(Self::SECOND)))
    }

    /// The New York calendar date of this instant (the trade date).
    pub fn ny_date(self) -> NaiveDate {
        self.to_datetime().with_timezone(&New_York).date_naive()
    }

    /// This instant plus `d`, or `None` past the end of `i64`.
    #[inline]
    pub fn checked_add(self, d: Duration) -> Option<Timestamp> {
        self.0.checked_add(d.0).map(Timestamp)
    }

    /// This instant plus `d`, stopping at the last representable instant.
    #[inline]
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(d.0))
    }

    /// This instant minus `d`, stopping at the first representable instant.
    #[inline]
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(d.0))
    }

    /// The time from `earlier` to this instant; zero when `earlier` is
    /// later.
    #[inline]
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration(self.0.saturating_sub(earlier.0).max(0))
    }
}

/// A length of time in nanoseconds, never negative (at most `i64::MAX`
/// nanoseconds, about 292 years). Serialized as the unsigned nanosecond
/// count; larger counts saturate.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(from = "u64", into = "u64")]
pub struct Duration(i64);

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);
    /// The longest duration.
    pub const MAX: Duration = Duration(i64::MAX);

    /// `n` nanoseconds (saturating).
    #[inline]
    pub const fn from_nanos(n: u64) -> Duration {
        if n > i64::MAX as u64 {
            Duration::MAX
        } else {
            Duration(n as i64)
        }
    }

    /// `n` microseconds (saturating).
    pub const fn from_micros(n: u64) -> Duration {
        Duration::from_nanos(n.saturating_mul(1_000))
    }

    /// `n` milliseconds (saturating).
    pub const fn from_millis(n: u64) -> Duration {
        Duration::from_nanos(n.saturating_mul(1_000_000))
    }

    /// `n` seconds (saturating).
    pub const fn from_secs(n: u64) -> Duration {
        Duration::from_nanos(n.saturating_mul(1_000_000_000))
    }

    /// The length in nanoseconds.
    #[inline]
    pub const fn as_nanos(self) -> u64 {
        self.0 as u64
    }

    /// True for the zero duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The sum, or `None` past the longest duration.
    pub const fn checked_add(self, other: Duration) -> Option<Duration> {
        match self.0.checked_add(other.0) {
            Some(n) => Some(Duration(n)),
            None => None,
        }
    }

    /// The sum, stopping at the longest duration.
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }

    /// `n` times this duration, stopping at the longest duration.
    pub const fn saturating_mul(self, n: u64) -> Duration {
        Duration::from_nanos(self.as_nanos().saturating_mul(n))
    }
}

impl From<u64> for Duration {
    fn from(n: u64) -> Self {
        Duration::from_nanos(n)
    }
}

impl From<Duration> for u64 {
    fn from(d: Duration) -> Self {
        d.as_nanos()
    }
}

impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> Self {
        std::time::Duration::from_nanos(d.as_nanos())
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ns", self.0)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp::from_datetime(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ny_trade_date_crosses_midnight_utc() {
        // 2026-03-03 02:00 UTC is still 2026-03-02 in New York.
        let t = Timestamp::from_utc(2026, 3, 3, 2, 0, 0);
        assert_eq!(t.ny_date(), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    }

    #[test]
    fn chrono_round_trip_and_serde_shape() {
        let t = Timestamp::from_utc(2026, 3, 4, 15, 0, 0);
        assert_eq!(Timestamp::from(t.to_datetime()), t);
        assert_eq!(t.plus_secs(2).0 - t.0, 2 * Timestamp::SECOND);
        assert_eq!(serde_json::to_string(&Timestamp(7)).unwrap(), "7");
    }

    #[test]
    fn instant_and_duration_arithmetic_saturates() {
        let t = Timestamp(1_000);
        let d = Duration::from_nanos(250);
        assert_eq!(t.saturating_add(d), Timestamp(1_250));
        assert_eq!(t.saturating_sub(d), Timestamp(750));
        assert_eq!(t.checked_add(d), Some(Timestamp(1_250)));
        assert_eq!(Timestamp(i64::MAX).checked_add(d), None);
        assert_eq!(Timestamp(i64::MAX).saturating_add(d), Timestamp(i64::MAX));
        assert_eq!(Timestamp(i64::MIN).saturating_sub(d), Timestamp(i64::MIN));
        assert_eq!(Timestamp(1_250).saturating_duration_since(t), d);
        assert_eq!(
            t.saturating_duration_since(Timestamp(1_250)),
            Duration::ZERO
        );
        assert_eq!(Duration::from_nanos(u64::MAX), Duration::MAX);
        assert_eq!(Duration::from_secs(u64::MAX), Duration::MAX);
        assert_eq!(Duration::from_millis(3).as_nanos(), 3_000_000);
        assert_eq!(Duration::from_micros(3).as_nanos(), 3_000);
        assert_eq!(Duration::MAX.saturating_add(d), Duration::MAX);
        assert_eq!(Duration::MAX.checked_add(d), None);
        assert_eq!(d.saturating_mul(4), Duration::from_nanos(1_000));
        assert_eq!(
            std::time::Duration::from(Duration::from_millis(1_500)),
            std::time::Duration::from_millis(1_500)
        );
    }

    #[test]
    fn duration_serde_is_the_unsigned_nanosecond_count() {
        let d = Duration::from_millis(5);
        assert_eq!(serde_json::to_string(&d).unwrap(), "5000000");
        assert_eq!(serde_json::from_str::<Duration>("5000000").unwrap(), d);
        assert!(serde_json::from_str::<Duration>("-1").is_err());
        assert_eq!(
            serde_json::from_str::<Duration>("18446744073709551615").unwrap(),
            Duration::MAX
        );
    }
}
