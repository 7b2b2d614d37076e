//! UTCTimestamp formatting and parsing (`YYYYMMDD-HH:MM:SS[.sss]`). All
//! times inside the engine are UTC.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// Sub-second precision of timestamps we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimePrecision {
    Seconds,
    #[default]
    Millis,
    Micros,
    Nanos,
}

/// Formats `t` as a FIX UTCTimestamp into `out` (cleared first).
pub fn format_utc(t: DateTime<Utc>, precision: TimePrecision, out: &mut Vec<u8>) {
    out.clear();
    let d = t.date_naive();
    let tm = t.time();
    push_num(out, d.year() as u32, 4);
    push_num(out, d.month(), 2);
    push_num(out, d.day(), 2);
    out.push(b'-');
    push_num(out, tm.hour(), 2);
    out.push(b':');
    push_num(out, tm.minute(), 2);
    out.push(b':');
    push_num(out, tm.second(), 2);
    let nanos = tm.nanosecond() % 1_000_000_000;
    match precision {
        TimePrecision::Seconds => {}
        TimePrecision::Millis => {
            out.push(b'.');
            push_num(out, nanos / 1_000_000, 3);
        }
        TimePrecision::Micros => {
            out.push(b'.');
            push_num(out, nanos / 1_000, 6);
        }
        TimePrecision::Nanos => {
            out.push(b'.');
            push_num(out, nanos, 9);
        }
    }
}

pub fn format_utc_string(t: DateTime<Utc>, precision: TimePrecision) -> String {
    let mut v = Vec::with_capacity(27);
    format_utc(t, precision, &mut v);
    String::from_utf8(v).unwrap_or_default()
}

fn push_num(out: &mut Vec<u8>, mut n: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for i in (0..width).rev() {
        out[start + i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Parses a UTCTimestamp with 0, 3, 6 or 9 fractional digits.
pub fn parse_utc(v: &[u8]) -> Option<DateTime<Utc>> {
    if v.len() < 17 || v[8] != b'-' || v[11] != b':' || v[14] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &b in &v[r] {
            if !b.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(b - b'0');
        }
        Some(n)
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?;
    let (h, m, s) = (num(9..11)?, num(12..14)?, num(15..17)?);
    let nanos = match v.len() - 17 {
        0 => 0,
        n @ (4 | 7 | 10) if v[17] == b'.' => {
            let frac = num(18..v.len())?;
            frac * 10u32.pow(10 - n as u32)
        }
        _ => return None,
    };
    // Leap second 60 is allowed by the spec; chrono represents it in nanos.
    let time = if s == 60 {
        NaiveTime::from_hms_nano_opt(h, m, 59, 1_000_000_000 + nanos)?
    } else {
        NaiveTime::from_hms_nano_opt(h, m, s, nanos)?
    };
    Some(NaiveDateTime::new(date, time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trip_millis() {
        let t = Utc.with_ymd_and_hms(2026, 11, 24, 23, 5, 9).unwrap()
            + chrono::Duration::milliseconds(42);
        let s = format_utc_string(t, TimePrecision::Millis);
        assert_eq!(s, "20261124-23:05:09.042");
        assert_eq!(parse_utc(s.as_bytes()), Some(t));
    }

    #[test]
    fn parses_all_precisions_and_rejects_junk() {
        assert!(parse_utc(b"20260101-00:00:00").is_some());
        assert!(parse_utc(b"20260101-00:00:00.123456").is_some());
        assert!(parse_utc(b"20260101-00:00:00.123456789").is_some());
        assert!(parse_utc(b"20260101-00:00:00.12").is_none());
        assert!(parse_utc(b"20261301-00:00:00").is_none());
        assert!(parse_utc(b"20260101 00:00:00").is_none());
        assert!(parse_utc(b"2026010-00:00:00").is_none());
    }
}
