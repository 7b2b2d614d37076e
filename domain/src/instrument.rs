//! Instrument vocabulary shared by risk and the simulated venue.
//!
//! Only what both mean the same way lives here: the [`AssetClass`]. The
//! two `Instrument` structs stay with their owners because they describe
//! different things: risk's carries limits inputs (sector, LULD tier,
//! average daily volume), the venue's carries listing terms (tick, lot,
//! reference price, option and future terms).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Asset class: exposure limits and trading hours (risk), listing terms
/// and clearing (the venue). Written in lower case in files (`equity`,
/// `etf`, `option`, `future`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    /// Common stock.
    #[default]
    Equity,
    /// Exchange-traded product.
    Etf,
    /// Listed option.
    Option,
    /// Future.
    Future,
}

impl AssetClass {
    /// All classes, in index order.
    pub const ALL: [AssetClass; 4] = [
        AssetClass::Equity,
        AssetClass::Etf,
        AssetClass::Option,
        AssetClass::Future,
    ];

    /// Dense index.
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for classes that follow the NYSE equity calendar, LULD and
    /// market-wide circuit breakers.
    pub fn is_us_equity_like(self) -> bool {
        matches!(self, AssetClass::Equity | AssetClass::Etf)
    }
}

impl AssetClass {
    /// The name files use (`equity`, `etf`, `option`, `future`).
    pub fn as_str(self) -> &'static str {
        match self {
            AssetClass::Equity => "equity",
            AssetClass::Etf => "etf",
            AssetClass::Option => "option",
            AssetClass::Future => "future",
        }
    }
}

impl fmt::Display for AssetClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
