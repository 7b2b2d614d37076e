//! Wash sales (IRC section 1091): a purchase of the same security, or of
//! an option to buy it, within 30 days before or after a sale at a loss.
//!
//! Owns the per-account ledger of recent loss sales and purchases, keyed
//! by the underlying security, and the matching: each matched share
//! disallows its part of the loss, which is added to the basis of the
//! replacement share. Shares are matched first in, first out, and each
//! share is matched at most once. A purchase made before the loss sale
//! is a replacement only for shares still held after the sale (shares
//! that were themselves sold are not their own replacement).

use rust_decimal::Decimal;

use crate::events::WashSale;
use crate::types::{AccountId, SignedQty, Symbol, Timestamp};

/// 30 calendar days.
pub const WINDOW_NANOS: i64 = 30 * 24 * 3600 * Timestamp::SECOND;

#[derive(Clone, Copy, Debug, PartialEq)]
struct LossSale {
    at: Timestamp,
    key: usize,
    qty_left: i64,
    loss_per_share: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Purchase {
    at: Timestamp,
    key: usize,
    qty_left: i64,
}

/// One account's recent loss sales and purchases.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WashLedger {
    loss_sales: Vec<LossSale>,
    purchases: Vec<Purchase>,
}

impl WashLedger {
    fn prune(&mut self, now: Timestamp) {
        let cutoff = now.0 - WINDOW_NANOS;
        self.loss_sales
            .retain(|l| l.at.0 >= cutoff && l.qty_left > 0);
        self.purchases
            .retain(|p| p.at.0 >= cutoff && p.qty_left > 0);
    }

    /// Estimated disallowed loss if `shares` of `key` were bought now
    /// (None if no loss sale is in the window).
    pub fn pending_loss(&self, now: Timestamp, key: usize, shares: i64) -> Option<Decimal> {
        let cutoff = now.0 - WINDOW_NANOS;
        let mut left = shares;
        let mut loss = Decimal::ZERO;
        let mut any = false;
        for l in self
            .loss_sales
            .iter()
            .filter(|l| l.key == key && l.at.0 >= cutoff)
        {
            let q = left.min(l.qty_left);
            if q > 0 {
                any = true;
                loss += l.loss_per_share * Decimal::from(q);
                left -= q;
            }
        }
        any.then_some(loss)
    }

    /// Shares of `key` bought in the last 30 days and not yet matched.
    pub fn recent_purchases(&self, now: Timestamp, key: usize) -> i64 {
        let cutoff = now.0 - WINDOW_NANOS;
        self.purchases
            .iter()
            .filter(|p| p.key == key && p.at.0 >= cutoff)
            .map(|p| p.qty_left)
            .sum()
    }

    /// A purchase of `shares` of `key` at `now`: match against earlier loss
    /// sales, remember the rest for later ones.
    pub fn on_purchase(
        &mut self,
        account: AccountId,
        symbol: Symbol,
        now: Timestamp,
        key: usize,
        shares: i64,
        out: &mut Vec<WashSale>,
    ) {
        self.prune(now);
        let mut left = shares;
        for l in self.loss_sales.iter_mut().filter(|l| l.key == key) {
            let q = left.min(l.qty_left);
            if q <= 0 {
                continue;
            }
            l.qty_left -= q;
            left -= q;
            let loss = l.loss_per_share * Decimal::from(q);
            out.push(WashSale {
                account,
                symbol,
                loss_sale_at: l.at,
                replacement_at: now,
                qty: SignedQty(q),
                disallowed_loss: loss,
                basis_adjustment: loss,
            });
        }
        if left > 0 {
            self.purchases.push(Purchase {
                at: now,
                key,
                qty_left: left,
            });
        }
    }

    /// A sale of `shares` of `key` at a loss of `loss_per_share`, leaving
    /// `held_after` shares: match against purchases in the 30 days before
    /// (only as many as are still held), remember the rest for purchases
    /// in the next 30 days.
    #[allow(clippy::too_many_arguments)]
    pub fn on_loss_sale(
        &mut self,
        account: AccountId,
        symbol: Symbol,
        now: Timestamp,
        key: usize,
        shares: i64,
        loss_per_share: Decimal,
        held_after: i64,
        out: &mut Vec<WashSale>,
    ) {
        self.prune(now);
        let mut left = shares;
        let mut can_match = held_after.max(0).min(shares);
        for p in self.purchases.iter_mut().filter(|p| p.key == key) {
            let q = can_match.min(p.qty_left);
            if q <= 0 {
                continue;
            }
            p.qty_left -= q;
            can_match -= q;
            left -= q;
            let loss = loss_per_share * Decimal::from(q);
            out.push(WashSale {
                account,
                symbol,
                loss_sale_at: now,
                replacement_at: p.at,
                qty: SignedQty(q),
                disallowed_loss: loss,
                basis_adjustment: loss,
            });
        }
        if left > 0 {
            self.loss_sales.push(LossSale {
                at: now,
                key,
                qty_left: left,
                loss_per_share,
            });
        }
    }

    /// Shares bought now that do not replace anything should not be
    /// matched against their own later sale: consume them when sold
    /// without loss.
    pub fn on_sale_without_loss(&mut self, key: usize, shares: i64, held_after: i64) {
        // Purchases beyond what is still held were the shares just sold.
        let mut excess = self
            .purchases
            .iter()
            .filter(|p| p.key == key)
            .map(|p| p.qty_left)
            .sum::<i64>()
            - held_after.max(0);
        let _ = shares;
        for p in self.purchases.iter_mut().filter(|p| p.key == key) {
            if excess <= 0 {
                break;
            }
            let q = excess.min(p.qty_left);
            p.qty_left -= q;
            excess -= q;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const DAY: i64 = 24 * 3600 * Timestamp::SECOND;

    fn ids() -> (AccountId, Symbol) {
        (AccountId::new("A").unwrap(), Symbol::new("XYZ").unwrap())
    }

    #[test]
    fn purchase_within_30_days_after_a_loss_sale() {
        let (a, s) = ids();
        let mut w = WashLedger::default();
        let mut out = Vec::new();
        w.on_loss_sale(a, s, Timestamp(0), 0, 100, dec!(2), 0, &mut out);
        assert!(out.is_empty());
        assert_eq!(w.pending_loss(Timestamp(30 * DAY), 0, 60), Some(dec!(120)));
        assert_eq!(
            w.pending_loss(Timestamp(30 * DAY + 1), 0, 60),
            None,
            "day 31 is outside"
        );
        w.on_purchase(a, s, Timestamp(30 * DAY), 0, 60, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].qty, SignedQty(60));
        assert_eq!(out[0].disallowed_loss, dec!(120));
        assert_eq!(out[0].basis_adjustment, dec!(120));
        // 40 shares of loss remain; a purchase of 100 matches 40.
        w.on_purchase(a, s, Timestamp(30 * DAY), 0, 100, &mut out);
        assert_eq!(out[1].qty, SignedQty(40));
        // Other securities are unaffected.
        assert_eq!(w.pending_loss(Timestamp(DAY), 1, 10), None);
    }

    #[test]
    fn purchase_within_30_days_before_a_loss_sale_of_other_shares() {
        let (a, s) = ids();
        let mut w = WashLedger::default();
        let mut out = Vec::new();
        // Held 100 long ago; bought 50 more on day 10; sold 100 at a loss on
        // day 20, still holding 50: those 50 replace.
        w.on_purchase(a, s, Timestamp(10 * DAY), 0, 50, &mut out);
        w.on_loss_sale(a, s, Timestamp(20 * DAY), 0, 100, dec!(3), 50, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].qty, SignedQty(50));
        assert_eq!(out[0].disallowed_loss, dec!(150));
        assert_eq!(out[0].replacement_at, Timestamp(10 * DAY));
    }

    #[test]
    fn selling_the_shares_just_bought_is_not_a_wash_sale() {
        let (a, s) = ids();
        let mut w = WashLedger::default();
        let mut out = Vec::new();
        w.on_purchase(a, s, Timestamp(0), 0, 100, &mut out);
        w.on_loss_sale(a, s, Timestamp(DAY), 0, 100, dec!(1), 0, &mut out);
        assert!(out.is_empty());
        // ... but buying again within 30 days is.
        w.on_purchase(a, s, Timestamp(2 * DAY), 0, 100, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].disallowed_loss, dec!(100));
    }
}
