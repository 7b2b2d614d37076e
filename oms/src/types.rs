//! Domain vocabulary of the OMS: identifiers, sides, order types, time in
//! force, quantities, prices and timestamps.
//!
//! Owns only plain values. Identifiers are string newtypes over
//! `Arc<str>` (the gateway hands over whatever the client or venue sent;
//! the core copies ids into reports, maps and trade records, and an `Arc`
//! clone is a reference count, not an allocation); quantities are whole
//! shares ([`Qty`], `u64`); prices and money are [`Px`] /
//! `rust_decimal::Decimal`, never `f64`; time is [`Timestamp`], UTC
//! nanoseconds since the Unix epoch, always passed in by the caller (the
//! OMS never reads a clock).

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Arc<str>);

        impl $name {
            /// Build from text.
            pub fn new(s: impl AsRef<str>) -> Self {
                $name(Arc::from(s.as_ref()))
            }
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }
    };
}

string_id!(
    /// A client order id (FIX ClOrdID, 11). Changes on every cancel or
    /// replace request; the OMS also uses this type for the ClOrdIDs it
    /// gives its own child orders at venues.
    ClOrdId
);
string_id!(
    /// The OMS's order id (FIX OrderID, 37, on client reports), stable
    /// across a cancel/replace chain. Also used for the venue's order id.
    OrderId
);
string_id!(
    /// An execution id (FIX ExecID, 17): the OMS's own on client reports,
    /// the venue's on venue reports.
    ExecId
);
string_id!(
    /// A client account (FIX Account, 1).
    AccountId
);
string_id!(
    /// An execution venue (its FIX CompID or short code).
    VenueId
);
string_id!(
    /// An instrument symbol (FIX Symbol, 55).
    Symbol
);

/// Order side (FIX Side, 54).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Side {
    /// Buy (1).
    Buy,
    /// Sell (2).
    Sell,
    /// Sell short (5).
    SellShort,
}

impl Side {
    /// +1 for buys, -1 for sells.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell | Side::SellShort => -1,
        }
    }
}

/// Order type (FIX OrdType, 40).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrdType {
    /// Market (1).
    Market,
    /// Limit (2).
    Limit,
}

/// Time in force (FIX TimeInForce, 59).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Day (0).
    Day,
    /// Good till cancel (1).
    Gtc,
    /// Immediate or cancel (3).
    Ioc,
    /// Fill or kill (4).
    Fok,
}

/// The largest order or fill quantity the OMS accepts (10^12 shares):
/// with [`MAX_PX`] it keeps every product and sum of them far inside
/// Decimal's range, so money arithmetic cannot overflow on any input.
pub const MAX_QTY: Qty = Qty(1_000_000_000_000);

/// The largest price the OMS accepts (10^12).
pub const MAX_PX: Px = Px(Decimal::from_parts(3_567_587_328, 232, 0, false, 0));

/// A quantity of shares: whole, non-negative.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Qty(pub u64);

impl Qty {
    /// Zero shares.
    pub const ZERO: Qty = Qty(0);

    /// As a Decimal, for money arithmetic.
    pub fn dec(self) -> Decimal {
        Decimal::from(self.0)
    }

    /// `self - other`, floored at zero.
    pub fn saturating_sub(self, other: Qty) -> Qty {
        Qty(self.0.saturating_sub(other.0))
    }

    /// True when zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::ops::Add for Qty {
    type Output = Qty;
    fn add(self, o: Qty) -> Qty {
        Qty(self.0 + o.0)
    }
}

impl std::ops::AddAssign for Qty {
    fn add_assign(&mut self, o: Qty) {
        self.0 += o.0;
    }
}

/// A price (or any money amount per share): a Decimal, never a float.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Px(pub Decimal);

impl Px {
    /// Zero.
    pub const ZERO: Px = Px(Decimal::ZERO);

    /// The Decimal.
    pub fn dec(self) -> Decimal {
        self.0
    }

    /// Positive and at most [`MAX_PX`].
    pub fn is_sane(self) -> bool {
        self.0 > Decimal::ZERO && self <= MAX_PX
    }
}

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// UTC time in nanoseconds since the Unix epoch.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From a UTC calendar time (tests and tools).
    pub fn from_utc(y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> Timestamp {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(hh, mm, ss))
            .map(|t| t.and_utc().timestamp_nanos_opt().unwrap_or(0))
            .unwrap_or(0);
        Timestamp(t)
    }

    /// The New York calendar date of this instant (the trade date).
    pub fn ny_date(self) -> NaiveDate {
        chrono::DateTime::from_timestamp_nanos(self.0)
            .with_timezone(&New_York)
            .date_naive()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The client session an order came in on (the gateway's name for it), so
/// reports go back to the same place.
pub type SessionId = Arc<str>;

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
    fn bounds() {
        assert_eq!(MAX_PX.dec(), Decimal::from(1_000_000_000_000u64));
        assert!(Px(Decimal::ONE).is_sane());
        assert!(!Px(Decimal::ZERO).is_sane());
        assert!(!Px(MAX_PX.dec() + Decimal::ONE).is_sane());
        // The largest notional fits easily.
        assert!(MAX_QTY.dec().checked_mul(MAX_PX.dec()).is_some());
    }

    #[test]
    fn ids_serialize_as_plain_strings() {
        let c = ClOrdId::from("A1");
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"A1\"");
        assert_eq!(Qty(5) + Qty(7), Qty(12));
        assert_eq!(Qty(5).saturating_sub(Qty(7)), Qty::ZERO);
    }
}
