//! Value types shared by every part of the venue: identifiers,
//! quantities, tick prices, timestamps and durations, and the domain's sides, order
//! types and time in force.
//!
//! Prices inside the engine are integer ticks ([`Ticks`]); conversion to and
//! from `rust_decimal::Decimal` happens only at the API edge (see
//! [`ticks_from_price`] and [`price_from_ticks`]). Quantities are whole
//! units (shares or contracts). Times are [`Timestamp`]s (UTC nanoseconds
//! since the Unix epoch), always passed in by the caller; lengths of time
//! are [`Duration`]s.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Sides, order types and time in force are the workspace's one
/// definition (`domain`). The book has two sides: a `SellShort` order
/// rests and matches as a sell (the FIX layer already maps 54=5 and 54=6
/// to `Sell`); the venue takes market and limit orders, day, GTC, IOC
/// and FOK only, and refuses the rest where orders enter it.
pub use domain::{OrdType, Side, TimeInForce};

/// Instants are the workspace's one time type (`domain::Timestamp`, UTC
/// nanoseconds since the Unix epoch, always supplied by the caller);
/// latencies, delays, timer periods and scenario offsets are a
/// `domain::Duration` (the same nanoseconds, never negative), added to an
/// instant explicitly and saturating.
pub use domain::{Duration, Timestamp};

/// Order quantity in whole units (shares, contracts).
pub type Qty = u64;

/// A price as an integer number of ticks of its instrument.
pub type Ticks = i64;

/// Venue-assigned order identifier. The top 16 bits are the instrument
/// index within its venue (so a cancel finds its book without a lookup), the
/// low 48 bits a per-book sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderId(pub u64);

impl OrderId {
    /// Builds an id from an instrument index and a per-book sequence.
    pub fn new(instrument: u16, seq: u64) -> Self {
        OrderId((u64::from(instrument) << 48) | (seq & 0xFFFF_FFFF_FFFF))
    }
    /// The instrument index this order belongs to.
    pub fn instrument(self) -> u16 {
        (self.0 >> 48) as u16
    }
    /// The per-book sequence number.
    pub fn seq(self) -> u64 {
        self.0 & 0xFFFF_FFFF_FFFF
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "O{}-{}", self.instrument(), self.seq())
    }
}

/// Venue-assigned execution identifier, unique within a venue for the life
/// of the process (same layout as [`OrderId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExecId(pub u64);

impl ExecId {
    /// Builds an id from an instrument index and a per-book sequence.
    pub fn new(instrument: u16, seq: u64) -> Self {
        ExecId((u64::from(instrument) << 48) | (seq & 0xFFFF_FFFF_FFFF))
    }
}

impl fmt::Display for ExecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E{}-{}", self.0 >> 48, self.0 & 0xFFFF_FFFF_FFFF)
    }
}

/// Identifier of one match (trade) between two orders, shared by the maker
/// and the taker execution reports (FIX TradeID / TrdMatchID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TradeId(pub u64);

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}-{}", self.0 >> 48, self.0 & 0xFFFF_FFFF_FFFF)
    }
}

/// Interned account handle used inside a book (the venue maps account names
/// to these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AccountId(pub u32);

/// Which side of a trade an order was on, for fee calculation
/// (FIX LastLiquidityInd 851: 1 added, 2 removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Liquidity {
    /// The resting order (maker).
    Added,
    /// The incoming order (taker).
    Removed,
}

/// Self-trade prevention mode, chosen per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StpMode {
    /// Cancel the resting order of the same account and keep matching.
    CancelResting,
    /// Cancel the rest of the incoming order.
    CancelIncoming,
    /// Cancel both the resting order and the rest of the incoming order.
    CancelBoth,
}

/// Converts a Decimal price into ticks of `tick`. Returns `None` when the
/// price is not an exact multiple of the tick or does not fit.
pub fn ticks_from_price(price: Decimal, tick: Decimal) -> Option<Ticks> {
    if tick <= Decimal::ZERO {
        return None;
    }
    let q = price.checked_div(tick)?;
    if q.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(q.mantissa() / 10i128.pow(q.scale())).ok()
}

/// Converts ticks back into a Decimal price.
pub fn price_from_ticks(ticks: Ticks, tick: Decimal) -> Decimal {
    (Decimal::from(ticks) * tick).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ids_pack_instrument_and_sequence() {
        let id = OrderId::new(7, 123_456);
        assert_eq!(id.instrument(), 7);
        assert_eq!(id.seq(), 123_456);
        assert_eq!(id.to_string(), "O7-123456");
    }

    #[test]
    fn price_tick_round_trip() {
        assert_eq!(ticks_from_price(dec!(190.00), dec!(0.01)), Some(19_000));
        assert_eq!(ticks_from_price(dec!(190.005), dec!(0.01)), None);
        assert_eq!(ticks_from_price(dec!(4500.25), dec!(0.25)), Some(18_001));
        assert_eq!(price_from_ticks(19_000, dec!(0.01)), dec!(190));
        assert_eq!(ticks_from_price(dec!(1), dec!(0)), None);
    }
}
