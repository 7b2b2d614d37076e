//! What an order asks for: its side, its type and its time in force.
//!
//! Each is defined once for the whole workspace (the FIX codes for them
//! live in the gateway's FIX mapping and the simulated venue's FIX layer).
//! Every crate accepts the superset it can name; a crate that does not
//! support a value refuses it where orders enter it (the OMS and the
//! venue take only market and limit orders, for instance). Serialised by
//! variant name (`"Buy"`, `"Limit"`, `"Ioc"`), the shape the OMS journal
//! and the scenario files already use.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Order side. `SellShort` is a client-declared short sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Side {
    /// Buy (also covers a short).
    Buy,
    /// Sell out of a long position.
    Sell,
    /// Declared short sale.
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

    /// True for `Sell` and `SellShort`.
    pub fn is_sell(self) -> bool {
        self.sign() < 0
    }

    /// True for `Buy`.
    pub fn is_buy(self) -> bool {
        self == Side::Buy
    }

    /// The side an order trades against: `Sell` for a buy, `Buy` for
    /// either kind of sell.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell | Side::SellShort => Side::Buy,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "Buy",
            Side::Sell => "Sell",
            Side::SellShort => "SellShort",
        })
    }
}

/// Order type. A market order carries no price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrdType {
    /// Market.
    Market,
    /// Limit.
    Limit,
    /// Stop (becomes market).
    Stop,
    /// Stop limit.
    StopLimit,
}

impl fmt::Display for OrdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Time in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Rests until the end of the trading day, then expires.
    Day,
    /// Good till cancel: rests across days until canceled.
    Gtc,
    /// Immediate or cancel: fill what crosses now, cancel the rest.
    Ioc,
    /// Fill or kill: fill all of it now or none of it.
    Fok,
    /// At the opening.
    Opg,
    /// At the close.
    Cls,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_signs() {
        assert_eq!(Side::Buy.sign(), 1);
        assert!(Side::SellShort.is_sell());
        assert!(!Side::Buy.is_sell());
        assert!(Side::Buy.is_buy());
        assert_eq!(Side::SellShort.opposite(), Side::Buy);
        assert_eq!(Side::Buy.opposite(), Side::Sell);
    }

    #[test]
    fn serialised_by_variant_name() {
        assert_eq!(
            serde_json::to_string(&Side::SellShort).unwrap(),
            "\"SellShort\""
        );
        assert_eq!(serde_json::to_string(&OrdType::Limit).unwrap(), "\"Limit\"");
        assert_eq!(serde_json::to_string(&TimeInForce::Ioc).unwrap(), "\"Ioc\"");
    }
}
