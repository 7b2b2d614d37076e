//! The one time type: [`Timestamp`], UTC nanoseconds since the Unix epoch
//! in an `i64` (good until 2262), always passed in by the caller: no crate
//! of the domain reads a clock.

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
}
