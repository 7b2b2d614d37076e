//! The intraday volume profile: a U shape over the US equity session
//! (09:30 to 16:00 New York time), heavier at the open and the close.
//!
//! The density over the session fraction `x` in `[0, 1]` is
//! `f(x) = a + b (2x - 1)^2` with `a + b/3 = 1`, so its mean is 1: the
//! weight is a multiplier of average activity (2.0 at the open and close,
//! 0.5 at midday by default).

use chrono::{TimeZone, Timelike};
use chrono_tz::America::New_York;

use crate::types::Timestamp;

/// Session open, minutes after midnight New York time.
pub const SESSION_OPEN_MIN: u32 = 9 * 60 + 30;
/// Session close, minutes after midnight New York time.
pub const SESSION_CLOSE_MIN: u32 = 16 * 60;

/// A U-shaped intraday profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeProfile {
    /// Weight at midday (the floor of the U), between 0 and 1.
    pub midday: f64,
}

impl Default for VolumeProfile {
    fn default() -> Self {
        VolumeProfile { midday: 0.5 }
    }
}

impl VolumeProfile {
    fn b(&self) -> f64 {
        3.0 * (1.0 - self.midday)
    }

    /// Weight (multiplier of average activity) at session fraction `x`.
    pub fn weight(&self, x: f64) -> f64 {
        let x = x.clamp(0.0, 1.0);
        let u = 2.0 * x - 1.0;
        self.midday + self.b() * u * u
    }

    /// Share of the day's volume between session fractions `a` and `b`.
    pub fn share(&self, a: f64, b: f64) -> f64 {
        let (a, b) = (a.clamp(0.0, 1.0), b.clamp(0.0, 1.0));
        let prim = |x: f64| {
            let u = 2.0 * x - 1.0;
            self.midday * x + self.b() * u * u * u / 6.0
        };
        prim(b) - prim(a)
    }

    /// Shares of the day's volume in `n` equal buckets (sums to 1).
    pub fn buckets(&self, n: usize) -> Vec<f64> {
        let n = n.max(1);
        (0..n)
            .map(|i| self.share(i as f64 / n as f64, (i + 1) as f64 / n as f64))
            .collect()
    }

    /// Session fraction of a UTC time, `None` outside 09:30-16:00 New York.
    pub fn session_fraction(now: Timestamp) -> Option<f64> {
        let secs = now.0.div_euclid(Timestamp::SECOND);
        let local = New_York.timestamp_opt(secs, 0).single()?;
        let sec_of_day = local.num_seconds_from_midnight() as f64
            + now.0.rem_euclid(Timestamp::SECOND) as f64 / 1e9;
        let open = f64::from(SESSION_OPEN_MIN) * 60.0;
        let close = f64::from(SESSION_CLOSE_MIN) * 60.0;
        if sec_of_day < open || sec_of_day >= close {
            return None;
        }
        Some((sec_of_day - open) / (close - open))
    }

    /// Weight at a UTC time; outside the session, the midday weight.
    pub fn weight_at(&self, now: Timestamp) -> f64 {
        Self::session_fraction(now).map_or(self.midday, |x| self.weight(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ny(h: u32, m: u32) -> Timestamp {
        let t = New_York
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(2026, 3, 10)
                    .unwrap()
                    .and_hms_opt(h, m, 0)
                    .unwrap(),
            )
            .single()
            .unwrap();
        Timestamp(t.timestamp() * Timestamp::SECOND)
    }

    #[test]
    fn u_shape_heavier_at_open_and_close() {
        let p = VolumeProfile::default();
        let b = p.buckets(13); // 30-minute buckets
        assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let mid = b[6];
        assert!(b[0] > 2.0 * mid && b[12] > 2.0 * mid, "{b:?}");
        // Monotone down to the middle, then up.
        for i in 0..6 {
            assert!(b[i] > b[i + 1]);
            assert!(b[12 - i] > b[11 - i]);
        }
        assert!((p.weight(0.0) - 2.0).abs() < 1e-12);
        assert!((p.weight(0.5) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn session_fraction_uses_new_york_time() {
        assert_eq!(VolumeProfile::session_fraction(ny(9, 29)), None);
        assert_eq!(VolumeProfile::session_fraction(ny(9, 30)), Some(0.0));
        let noon = VolumeProfile::session_fraction(ny(12, 45)).unwrap();
        assert!((noon - 0.5).abs() < 1e-9);
        assert_eq!(VolumeProfile::session_fraction(ny(16, 0)), None);
        let p = VolumeProfile::default();
        assert!(p.weight_at(ny(9, 35)) > p.weight_at(ny(12, 0)));
        assert!(p.weight_at(ny(15, 55)) > p.weight_at(ny(12, 0)));
    }
}
