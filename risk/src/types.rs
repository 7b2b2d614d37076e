//! The types the risk crate speaks: its identifiers, instruments, order
//! requests, fills and open-order updates. Owns nothing stateful; every
//! type here is a plain value.
//!
//! Sides, order types, time in force, signed quantities and the
//! timestamp come from the `domain` crate (re-exported here), as they do
//! for the OMS and the simulated venue. The identifiers are risk's own:
//! short inline strings (`Copy`, no heap, bounded length), so that the
//! hot path can store them (duplicate-ClOrdID set, open-order book)
//! without allocating; the OMS's `Arc<str>` ids would cost a reference
//! count per copy and an unbounded length. Prices and money are
//! [`Decimal`]; quantities are [`SignedQty`] (a position can be short).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use domain::{AssetClass, OrdType, Side, SignedQty, TimeInForce, Timestamp};

/// Bit of an order type in allowed-type masks.
pub(crate) fn ord_type_bit(t: OrdType) -> u8 {
    1 << (t as u8)
}

/// An identifier that is too long or empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identifier {value:?} must be 1..={max} bytes")]
pub struct IdError {
    /// The rejected text.
    pub value: String,
    /// The maximum length for this kind of identifier.
    pub max: usize,
}

/// A short ASCII/UTF-8 string stored inline: `Copy`, hashable, ordered.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InlineStr<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineStr<N> {
    /// Build from text, failing if empty or longer than `N` bytes.
    pub fn new(s: &str) -> Result<Self, IdError> {
        if s.is_empty() || s.len() > N || N > u8::MAX as usize {
            return Err(IdError {
                value: s.to_owned(),
                max: N,
            });
        }
        let mut bytes = [0u8; N];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(InlineStr {
            len: s.len() as u8,
            bytes,
        })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Built only from a &str, cut at its own length: always valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// The bytes of the text (no UTF-8 check: for hashing).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! ident {
    ($(#[$m:meta])* $name:ident, $n:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(InlineStr<$n>);

        impl $name {
            /// Build from text (1..=N bytes).
            pub fn new(s: &str) -> Result<Self, IdError> {
                InlineStr::new(s).map($name)
            }
            /// The text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
            /// The bytes of the text.
            #[inline]
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

ident!(
    /// A client account (FIX Account, tag 1).
    AccountId,
    24
);
ident!(
    /// A trading desk: a group of accounts with its own limits.
    DeskId,
    24
);
ident!(
    /// An instrument symbol, unique within the engine.
    Symbol,
    24
);
ident!(
    /// A client order id (FIX ClOrdID, tag 11).
    ClOrdId,
    64
);
ident!(
    /// An execution venue (exchange, ATS) by its short code.
    Venue,
    16
);
ident!(
    /// A sector (e.g. "Technology"), used for exposure limits.
    Sector,
    32
);
ident!(
    /// An authorised operator (risk manager, compliance officer).
    OperatorId,
    32
);
ident!(
    /// A locate id obtained from a stock-loan desk (Reg SHO).
    LocateId,
    32
);

/// LULD tier of an NMS stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum LuldTier {
    /// S&P 500, Russell 1000 and selected ETPs.
    #[serde(rename = "1")]
    Tier1,
    /// All other NMS stocks.
    #[serde(rename = "2")]
    #[default]
    Tier2,
}

/// Static description of a tradable instrument.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Symbol.
    pub symbol: Symbol,
    /// Sector, for sector exposure limits.
    pub sector: Sector,
    /// Asset class.
    #[serde(default)]
    pub asset_class: AssetClass,
    /// LULD tier (equities and ETPs).
    #[serde(default)]
    pub tier: LuldTier,
    /// Minimum price increment.
    pub tick: Decimal,
    /// Round lot / minimum quantity increment.
    #[serde(default = "one_lot")]
    pub lot: i64,
    /// Contract multiplier (1 for stocks, 100 for US equity options).
    #[serde(default = "one_dec")]
    pub multiplier: Decimal,
    /// For options and futures: the underlying symbol (wash sales treat an
    /// option to buy the underlying as a purchase of it).
    #[serde(default)]
    pub underlying: Option<Symbol>,
    /// For options: true for a call (an option to buy).
    #[serde(default)]
    pub is_call: bool,
}

fn one_lot() -> i64 {
    1
}
fn one_dec() -> Decimal {
    Decimal::ONE
}

/// A new order (or the new terms of a replace) presented for checking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderRequest {
    /// Client order id.
    pub cl_ord_id: ClOrdId,
    /// Account.
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Order quantity (positive).
    pub qty: SignedQty,
    /// Order type.
    pub ord_type: OrdType,
    /// Limit price for Limit and StopLimit.
    pub price: Option<Decimal>,
    /// Stop price for Stop and StopLimit.
    pub stop_price: Option<Decimal>,
    /// Time in force.
    pub tif: TimeInForce,
    /// Destination venue.
    pub venue: Venue,
    /// The client asks for pre-market / after-hours eligibility.
    pub extended_hours: bool,
    /// Locate obtained for a short sale, if any.
    pub locate: Option<LocateId>,
}

/// A fill (execution) on an order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    /// The order filled.
    pub cl_ord_id: ClOrdId,
    /// Account.
    pub account: AccountId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side of the order.
    pub side: Side,
    /// Quantity filled (positive).
    pub qty: SignedQty,
    /// Price.
    pub price: Decimal,
}

/// What happened to an open order, as the OMS reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpenOrderChange {
    /// Accepted and working with this leaves quantity.
    Opened {
        /// Order.
        order: OrderRequest,
    },
    /// Leaves quantity or price changed (replace, or a venue's correction).
    Amended {
        /// Account.
        account: AccountId,
        /// Order id.
        cl_ord_id: ClOrdId,
        /// New leaves quantity.
        leaves: SignedQty,
        /// New limit price, if any.
        price: Option<Decimal>,
    },
    /// Done: filled, cancelled, rejected or expired.
    Closed {
        /// Account.
        account: AccountId,
        /// Order id.
        cl_ord_id: ClOrdId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_ids_round_trip_and_reject_bad_lengths() {
        let a = AccountId::new("ACC1").unwrap();
        assert_eq!(a.as_str(), "ACC1");
        assert_eq!(a.to_string(), "ACC1");
        assert!(AccountId::new("").is_err());
        assert!(AccountId::new(&"x".repeat(25)).is_err());
        assert!(AccountId::new(&"x".repeat(24)).is_ok());
        assert!(ClOrdId::new(&"c".repeat(64)).is_ok());
    }
}
