//! Quantities and prices: order quantities ([`Qty`], whole and
//! non-negative), signed quantities for positions ([`SignedQty`]) and
//! prices ([`Px`], a Decimal, never a float), with the bounds the OMS
//! accepts.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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

/// A signed quantity of shares or contracts: a position (which can be
/// short) or a quantity about to be added to one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SignedQty(pub i64);

impl SignedQty {
    /// Zero.
    pub const ZERO: SignedQty = SignedQty(0);

    /// As a Decimal, for money arithmetic.
    pub fn dec(self) -> Decimal {
        Decimal::from(self.0)
    }

    /// Absolute value.
    pub fn abs(self) -> SignedQty {
        SignedQty(self.0.saturating_abs())
    }

    /// The unsigned quantity, negative values floored at zero.
    pub fn unsigned(self) -> Qty {
        Qty(self.0.max(0).unsigned_abs())
    }
}

impl From<Qty> for SignedQty {
    /// Saturates at `i64::MAX` (far above [`MAX_QTY`]).
    fn from(q: Qty) -> SignedQty {
        SignedQty(i64::try_from(q.0).unwrap_or(i64::MAX))
    }
}

impl fmt::Display for SignedQty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn arithmetic_and_conversions() {
        assert_eq!(Qty(5) + Qty(7), Qty(12));
        assert_eq!(Qty(5).saturating_sub(Qty(7)), Qty::ZERO);
        assert_eq!(SignedQty::from(Qty(7)), SignedQty(7));
        assert_eq!(SignedQty::from(Qty(u64::MAX)), SignedQty(i64::MAX));
        assert_eq!(SignedQty(-3).unsigned(), Qty::ZERO);
        assert_eq!(SignedQty(-3).abs(), SignedQty(3));
        assert_eq!(serde_json::to_string(&Qty(5)).unwrap(), "5");
        assert_eq!(serde_json::to_string(&SignedQty(-5)).unwrap(), "-5");
    }
}
