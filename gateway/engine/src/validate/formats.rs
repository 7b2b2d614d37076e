//! Field data formats: the [`Kind`] of a field (from its FIX datatype) and
//! whether a value is well formed for it (integers, floats, chars,
//! booleans, UTC timestamps, times and dates with optional time-zone
//! suffixes, month-year). Byte checks only, no allocation.
//!
//! Does not own: which kind a tag has (the compiled tables) or enumerated
//! values (the tables' enum sets).

use fefix::dict::FixDatatype;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    NonNegInt,
    Float,
    Char,
    Bool,
    Timestamp,
    TimeOnly,
    Date,
    MonthYear,
    /// Space-separated values, each checked against the enum.
    Multi,
    Any,
}

pub(super) fn kind_of(t: FixDatatype) -> Kind {
    use FixDatatype as T;
    match t {
        T::Int => Kind::Int,
        T::Length | T::NumInGroup | T::SeqNum | T::TagNum | T::DayOfMonth => Kind::NonNegInt,
        T::Float | T::Qty | T::Price | T::PriceOffset | T::Amt | T::Percentage => Kind::Float,
        T::Char => Kind::Char,
        T::Boolean => Kind::Bool,
        T::UtcTimestamp => Kind::Timestamp,
        T::UtcTimeOnly => Kind::TimeOnly,
        T::UtcDateOnly | T::LocalMktDate => Kind::Date,
        T::MonthYear => Kind::MonthYear,
        T::MultipleCharValue | T::MultipleStringValue => Kind::Multi,
        _ => Kind::Any,
    }
}

impl Kind {
    pub(super) fn accepts(self, v: &[u8]) -> bool {
        match self {
            Kind::Int => {
                let d = v.strip_prefix(b"-").unwrap_or(v);
                !d.is_empty() && d.iter().all(u8::is_ascii_digit)
            }
            Kind::NonNegInt => !v.is_empty() && v.iter().all(u8::is_ascii_digit),
            Kind::Float => is_float(v),
            Kind::Char => v.len() == 1,
            Kind::Bool => v == b"Y" || v == b"N",
            Kind::Timestamp => is_timestamp(v),
            Kind::TimeOnly => is_time(strip_tz(v)),
            Kind::Date => is_date(v),
            Kind::MonthYear => is_month_year(v),
            Kind::Multi | Kind::Any => true,
        }
    }
}

fn is_float(v: &[u8]) -> bool {
    let d = v.strip_prefix(b"-").unwrap_or(v);
    let mut digits = 0;
    let mut dots = 0;
    for &b in d {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

fn num(v: &[u8]) -> Option<u32> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
}

fn is_date(v: &[u8]) -> bool {
    if v.len() != 8 {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (num(&v[..4]), num(&v[4..6]), num(&v[6..8])) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// HH:MM:SS with an optional fraction of 1 to 9 digits.
fn is_time(v: &[u8]) -> bool {
    if v.len() < 8 || v[2] != b':' || v[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(s)) = (num(&v[..2]), num(&v[3..5]), num(&v[6..8])) else {
        return false;
    };
    if h > 23 || m > 59 || s > 60 {
        return false;
    }
    match &v[8..] {
        [] => true,
        [b'.', frac @ ..] => (1..=9).contains(&frac.len()) && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Strips a time-zone suffix (`Z`, `+hh`, `-hh`, `+hh:mm`, `+hhmm`).
fn strip_tz(v: &[u8]) -> &[u8] {
    if let Some(rest) = v.strip_suffix(b"Z") {
        return rest;
    }
    // The sign cannot be inside HH:MM:SS, so look only past it.
    if v.len() > 8 {
        if let Some(p) = v[8..].iter().position(|&b| b == b'+' || b == b'-') {
            let (time, zone) = v.split_at(8 + p);
            let z = &zone[1..];
            let ok = match z.len() {
                2 | 4 => z.iter().all(u8::is_ascii_digit),
                5 => z[2] == b':' && z[..2].iter().chain(&z[3..]).all(u8::is_ascii_digit),
                _ => false,
            };
            if ok {
                return time;
            }
        }
    }
    v
}

fn is_timestamp(v: &[u8]) -> bool {
    v.len() >= 17 && is_date(&v[..8]) && v[8] == b'-' && is_time(strip_tz(&v[9..]))
}

fn is_month_year(v: &[u8]) -> bool {
    if v.len() < 6 {
        return false;
    }
    let (Some(_), Some(m)) = (num(&v[..4]), num(&v[4..6])) else {
        return false;
    };
    if !(1..=12).contains(&m) {
        return false;
    }
    match &v[6..] {
        [] => true,
        [b'w', n] => (b'1'..=b'5').contains(n),
        [d1, d2] => num(&[*d1, *d2]).is_some_and(|d| (1..=31).contains(&d)),
        _ => false,
    }
}
