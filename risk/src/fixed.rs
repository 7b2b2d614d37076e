//! Fixed-point money for the hot path: [`Money`] is an `i128` count of
//! 10^-8 currency units.
//!
//! Owns the conversion between `Decimal` (the crate's public money type)
//! and the internal fixed-point form used by the aggregates and the limit
//! comparisons, where a `Decimal` operation (10-20 ns, with rescaling)
//! would dominate the pre-trade check. Adding, subtracting and multiplying
//! by a quantity are exact integer operations; prices and limits with more
//! than 8 decimal places are rounded (half even) when converted. Values
//! leave as `Decimal` (in violations, events and views) via
//! [`Money::to_decimal`].

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::Decimal;

/// Decimal places kept.
pub const SCALE: u32 = 8;
const ONE: i128 = 100_000_000;
const POW10: [i128; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Money in units of 10^-8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i128);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// From a Decimal, rounded half even to 8 places.
    #[inline]
    pub fn from_decimal(d: Decimal) -> Money {
        let scale = d.scale();
        if scale <= SCALE {
            Money(d.mantissa() * POW10[(SCALE - scale) as usize])
        } else {
            let r = d.round_dp(SCALE);
            Money(r.mantissa() * POW10[(SCALE - r.scale()) as usize])
        }
    }

    /// To a Decimal (normalised: no trailing zeros).
    pub fn to_decimal(self) -> Decimal {
        Decimal::try_from_i128_with_scale(self.0, SCALE)
            .map(|d| d.normalize())
            .unwrap_or(if self.0 < 0 {
                Decimal::MIN
            } else {
                Decimal::MAX
            })
    }

    /// As f64 currency units (for statistics).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / ONE as f64
    }

    /// Times a quantity.
    #[inline]
    pub fn times(self, qty: i64) -> Money {
        Money(self.0.saturating_mul(i128::from(qty)))
    }

    /// Times a rate given as Money (0.5 is Money(50_000_000)), truncated.
    #[inline]
    pub fn times_rate(self, rate: Money) -> Money {
        Money(self.0.saturating_mul(rate.0) / ONE)
    }

    /// Absolute value.
    #[inline]
    pub fn abs(self) -> Money {
        Money(self.0.saturating_abs())
    }

    /// True if zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add for Money {
    type Output = Money;
    #[inline]
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}

impl Sub for Money {
    type Output = Money;
    #[inline]
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl AddAssign for Money {
    #[inline]
    fn add_assign(&mut self, o: Money) {
        *self = *self + o;
    }
}

impl SubAssign for Money {
    #[inline]
    fn sub_assign(&mut self, o: Money) {
        *self = *self - o;
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn round_trips_and_arithmetic() {
        for d in [
            dec!(0),
            dec!(190.01),
            dec!(-0.00000001),
            dec!(123456789012.5),
            dec!(1e-8),
        ] {
            assert_eq!(Money::from_decimal(d).to_decimal(), d.normalize());
        }
        assert_eq!(
            Money::from_decimal(dec!(0.123456785)).to_decimal(),
            dec!(0.12345678)
        );
        assert_eq!(
            Money::from_decimal(dec!(0.123456795)).to_decimal(),
            dec!(0.1234568)
        );
        let px = Money::from_decimal(dec!(190.01));
        assert_eq!(px.times(300).to_decimal(), dec!(57003));
        assert_eq!(px.times(-3).abs(), px.times(3));
        assert_eq!(
            Money::from_decimal(dec!(1000))
                .times_rate(Money::from_decimal(dec!(0.25)))
                .to_decimal(),
            dec!(250)
        );
        assert!(Money::from_decimal(dec!(1.5)) > Money::from_decimal(dec!(1.49999999)));
        assert_eq!(Money::from_decimal(dec!(2.5)).to_f64(), 2.5);
    }
}
