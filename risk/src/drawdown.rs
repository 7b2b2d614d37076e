//! Drawdown protection from the intraday high-water mark of equity.
//!
//! Owns the per-level high-water mark and tier. Tiers (percent below the
//! high-water mark, see [`crate::config::DrawdownConfig`]): warn, reduce
//! only (REDUCING), halt and flatten (HALTED plus a flatten request). A
//! tier, once reached, holds for the rest of the day even if equity
//! recovers: lifting it is an operator decision. The defaults (1%, 1.5%,
//! 1.8%) halt before a 2% loss.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::config::DrawdownConfig;
use crate::events::DrawdownTier;

/// High-water mark and tier of one account, desk or the firm.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Drawdown {
    /// Intraday high-water mark of equity.
    pub high_water_mark: Option<Decimal>,
    /// Tier reached today.
    pub tier: Option<DrawdownTier>,
}

impl Drawdown {
    /// Drawdown in percent of the high-water mark.
    pub fn pct(&self, equity: Decimal) -> Decimal {
        match self.high_water_mark {
            Some(h) if h > Decimal::ZERO && equity < h => (h - equity) / h * dec!(100),
            _ => Decimal::ZERO,
        }
    }

    /// New equity; returns the new tier and the drawdown if the tier rose.
    pub fn update(
        &mut self,
        equity: Decimal,
        cfg: &DrawdownConfig,
    ) -> Option<(DrawdownTier, Decimal)> {
        if self.high_water_mark.is_none_or(|h| equity > h) {
            self.high_water_mark = Some(equity);
        }
        let pct = self.pct(equity);
        let tier = if pct >= cfg.halt_pct {
            DrawdownTier::Halt
        } else if pct >= cfg.reduce_pct {
            DrawdownTier::Reduce
        } else if pct >= cfg.warn_pct {
            DrawdownTier::Warn
        } else {
            DrawdownTier::None
        };
        if tier > self.tier.unwrap_or(DrawdownTier::None) {
            self.tier = Some(tier);
            Some((tier, pct))
        } else {
            None
        }
    }

    /// New day: restart from the current equity.
    pub fn reset(&mut self) {
        *self = Drawdown::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_from_the_high_water_mark_latch() {
        let cfg = DrawdownConfig::default();
        let mut d = Drawdown::default();
        assert_eq!(d.update(dec!(1000000), &cfg), None);
        assert_eq!(d.update(dec!(1010000), &cfg), None); // new high
                                                         // 0.99% below 1,010,000: nothing. 1.0%: warn.
        assert_eq!(d.update(dec!(1000001), &cfg), None);
        assert_eq!(
            d.update(dec!(999900), &cfg),
            Some((DrawdownTier::Warn, dec!(1)))
        );
        assert_eq!(
            d.update(dec!(994850), &cfg),
            Some((DrawdownTier::Reduce, dec!(1.5)))
        );
        assert_eq!(d.update(dec!(994900), &cfg), None);
        assert_eq!(
            d.update(dec!(991820), &cfg),
            Some((DrawdownTier::Halt, dec!(1.8)))
        );
        // Recovery does not lower the tier.
        assert_eq!(d.update(dec!(1010000), &cfg), None);
        assert_eq!(d.tier, Some(DrawdownTier::Halt));
        d.reset();
        assert_eq!(d.tier, None);
    }
}
