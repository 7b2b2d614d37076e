//! Volatility-based position sizing: plain functions over prices, so that
//! every position carries the same risk budget.
//!
//! Owns the EWMA volatility estimator ([`EwmaVol`]) and
//! [`size_position`]: quantity = risk budget / (price x volatility x
//! multiplier), rounded down to the lot. Higher volatility gives a smaller
//! position. Volatility is `f64` (a statistic); the budget and the price are
//! `Decimal` (money).

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use crate::types::SignedQty;

/// Exponentially weighted moving average of squared returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EwmaVol {
    lambda: f64,
    variance: Option<f64>,
    last_price: Option<f64>,
}

impl EwmaVol {
    /// New estimator with decay `lambda` (0.94 daily in RiskMetrics).
    pub fn new(lambda: f64) -> EwmaVol {
        EwmaVol {
            lambda,
            variance: None,
            last_price: None,
        }
    }

    /// Feed a return directly.
    pub fn update_return(&mut self, r: f64) {
        self.variance = Some(match self.variance {
            None => r * r,
            Some(v) => self.lambda * v + (1.0 - self.lambda) * r * r,
        });
    }

    /// Feed the next price (close); the first price only seeds.
    pub fn update_price(&mut self, price: Decimal) {
        let Some(p) = price.to_f64().filter(|p| *p > 0.0) else {
            return;
        };
        if let Some(prev) = self.last_price {
            self.update_return(p / prev - 1.0);
        }
        self.last_price = Some(p);
    }

    /// Current volatility per period, if at least one return was seen.
    pub fn volatility(&self) -> Option<f64> {
        self.variance.map(|v| v.max(0.0).sqrt())
    }
}

/// Why a size could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum SizingError {
    /// Volatility missing, zero, negative or not finite.
    #[error("volatility {0} is not usable for sizing")]
    BadVolatility(f64),
    /// Price or multiplier not positive.
    #[error("price {0} is not positive")]
    BadPrice(Decimal),
    /// Lot not positive.
    #[error("lot {0} is not positive")]
    BadLot(i64),
}

/// Quantity such that `qty x price x multiplier x volatility` is at most
/// `risk_budget`, rounded down to a multiple of `lot`.
pub fn size_position(
    risk_budget: Decimal,
    price: Decimal,
    multiplier: Decimal,
    volatility: f64,
    lot: i64,
) -> Result<SignedQty, SizingError> {
    if !(volatility.is_finite() && volatility > 0.0) {
        return Err(SizingError::BadVolatility(volatility));
    }
    if price <= Decimal::ZERO || multiplier <= Decimal::ZERO {
        return Err(SizingError::BadPrice(price));
    }
    if lot <= 0 {
        return Err(SizingError::BadLot(lot));
    }
    let vol = Decimal::from_f64(volatility).ok_or(SizingError::BadVolatility(volatility))?;
    let per_unit = price * multiplier * vol;
    if per_unit.is_zero() {
        return Err(SizingError::BadVolatility(volatility));
    }
    let raw = (risk_budget.max(Decimal::ZERO) / per_unit).floor();
    let units = raw.to_i64().unwrap_or(i64::MAX);
    Ok(SignedQty(units - units % lot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn budget_over_price_times_vol() {
        // 10,000 / (100 x 0.02) = 5,000.
        assert_eq!(
            size_position(dec!(10000), dec!(100), dec!(1), 0.02, 1),
            Ok(SignedQty(5000))
        );
        assert_eq!(
            size_position(dec!(10000), dec!(100), dec!(1), 0.03, 100),
            Ok(SignedQty(3300))
        );
        // Options: multiplier 100.
        assert_eq!(
            size_position(dec!(10000), dec!(5), dec!(100), 0.5, 1),
            Ok(SignedQty(40))
        );
    }

    #[test]
    fn higher_volatility_gives_a_smaller_position() {
        let mut prev = i64::MAX;
        for vol in [0.005, 0.01, 0.02, 0.04, 0.08] {
            let q = size_position(dec!(50000), dec!(42.17), dec!(1), vol, 1)
                .unwrap()
                .0;
            assert!(q < prev, "vol {vol} gave {q}, not below {prev}");
            prev = q;
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(size_position(dec!(1), dec!(1), dec!(1), 0.0, 1).is_err());
        assert!(size_position(dec!(1), dec!(1), dec!(1), f64::NAN, 1).is_err());
        assert!(size_position(dec!(1), dec!(0), dec!(1), 0.1, 1).is_err());
        assert!(size_position(dec!(1), dec!(1), dec!(1), 0.1, 0).is_err());
    }

    #[test]
    fn ewma_volatility_tracks_returns() {
        let mut v = EwmaVol::new(0.94);
        assert_eq!(v.volatility(), None);
        v.update_price(dec!(100));
        assert_eq!(v.volatility(), None);
        v.update_price(dec!(101)); // +1%
        assert!((v.volatility().unwrap() - 0.01).abs() < 1e-12);
        for _ in 0..100 {
            v.update_return(0.03);
        }
        assert!((v.volatility().unwrap() - 0.03).abs() < 1e-3);
        let calm = v.volatility().unwrap();
        v.update_return(0.2);
        assert!(v.volatility().unwrap() > calm);
    }
}
