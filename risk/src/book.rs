//! Positions and their aggregates: what a fill does to a position, cash and
//! realised P&L, and what a position (with its open orders) contributes to
//! exposure, market value and unrealised P&L.
//!
//! Owns [`Position`] (one account, one instrument), [`Contribution`] (one
//! position's share of every aggregate) and [`Aggregates`] (the sums kept
//! per account, desk and firm). Aggregates are maintained by deltas: when
//! a position, an open order or a price changes, the engine subtracts the
//! old contribution and adds the new one, so no check ever walks the
//! book. "Projected" means "if every open order fills": buys push the
//! position up to `qty + open_buy`, sells down to `qty - open_sell`.

use rust_decimal::Decimal;

use crate::fixed::Money;

/// One account's position in one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Position {
    /// Signed quantity.
    pub qty: i64,
    /// Signed cost basis of the open quantity (qty x avg price x multiplier).
    pub cost: Decimal,
    /// Realised P&L today.
    pub realised: Decimal,
    /// Leaves quantity of open buy orders.
    pub open_buy: i64,
    /// Leaves quantity of open sell orders.
    pub open_sell: i64,
    /// Quantity bought today (pattern day trading).
    pub bought_today: i64,
    /// Quantity sold today.
    pub sold_today: i64,
    /// Listed among the instrument's holders (engine bookkeeping).
    pub(crate) listed: bool,
}

impl Position {
    /// Position if every open buy fills.
    pub fn projected_long(&self) -> i64 {
        self.qty.saturating_add(self.open_buy)
    }

    /// Position if every open sell fills.
    pub fn projected_short(&self) -> i64 {
        self.qty.saturating_sub(self.open_sell)
    }

    /// Largest absolute projected position.
    pub fn projected_abs(&self) -> i64 {
        self.projected_long()
            .saturating_abs()
            .max(self.projected_short().saturating_abs())
    }

    /// Average price per unit (without multiplier).
    pub fn avg_price(&self, multiplier: Decimal) -> Option<Decimal> {
        if self.qty == 0 || multiplier.is_zero() {
            None
        } else {
            Some(self.cost / Decimal::from(self.qty) / multiplier)
        }
    }

    /// Apply a fill of `signed_qty` (positive buys) at `price`; returns the
    /// realised P&L of the part that closed an existing position, and the
    /// cash change (negative for buys).
    pub fn apply_fill(
        &mut self,
        signed_qty: i64,
        price: Decimal,
        multiplier: Decimal,
    ) -> FillEffect {
        let value = Decimal::from(signed_qty) * price * multiplier;
        let mut realised = Decimal::ZERO;
        if self.qty != 0 && (self.qty > 0) != (signed_qty > 0) {
            // Closing (part of) the position.
            let closed = signed_qty.abs().min(self.qty.abs());
            let closed_cost = self.cost * Decimal::from(closed) / Decimal::from(self.qty.abs());
            // Both signed like the position: realised = value - cost.
            let sign = Decimal::from(self.qty.signum());
            let closed_value = price * multiplier * Decimal::from(closed) * sign;
            realised = closed_value - closed_cost;
            self.cost -= closed_cost;
            let rest = signed_qty.abs() - closed;
            self.qty += if signed_qty > 0 { closed } else { -closed };
            if self.qty == 0 {
                self.cost = Decimal::ZERO;
            }
            if rest > 0 {
                let opened = if signed_qty > 0 { rest } else { -rest };
                self.qty += opened;
                self.cost += Decimal::from(opened) * price * multiplier;
            }
        } else {
            self.qty += signed_qty;
            self.cost += value;
        }
        self.realised += realised;
        if signed_qty > 0 {
            self.bought_today += signed_qty;
        } else {
            self.sold_today -= signed_qty;
        }
        FillEffect {
            realised,
            cash: -value,
        }
    }
}

/// What a fill did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FillEffect {
    /// Realised P&L.
    pub realised: Decimal,
    /// Cash change.
    pub cash: Decimal,
}

/// Gross / net-high / net-low triple for a bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bucket {
    /// Projected gross.
    pub gross: Money,
    /// Net if every buy fills.
    pub net_hi: Money,
    /// Net if every sell fills.
    pub net_lo: Money,
}

impl Bucket {
    /// Worst absolute net.
    #[inline]
    pub fn net_abs(&self) -> Money {
        self.net_hi.abs().max(self.net_lo.abs())
    }

    #[inline]
    fn replace(&mut self, old: &Contribution, new: &Contribution) {
        self.gross += new.gross - old.gross;
        self.net_hi += new.net_hi - old.net_hi;
        self.net_lo += new.net_lo - old.net_lo;
    }

    /// This bucket with `old` replaced by `new`: (gross, worst absolute net).
    #[inline]
    pub fn projected(&self, old: &Contribution, new: &Contribution) -> (Money, Money) {
        let mut b = *self;
        b.replace(old, new);
        (b.gross, b.net_abs())
    }
}

/// One position's share of every aggregate, valued at `unit`
/// (mark price x multiplier).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Contribution {
    /// Projected gross notional.
    pub gross: Money,
    /// Projected net if all buys fill.
    pub net_hi: Money,
    /// Projected net if all sells fill.
    pub net_lo: Money,
    /// Gross notional of the position alone (no open orders).
    pub pos_gross: Money,
    /// Signed market value of the position.
    pub mv: Money,
    /// Projected long quantity.
    pub long_q: i64,
    /// Projected short quantity.
    pub short_q: i64,
}

impl Contribution {
    /// The contribution of `p` valued at `unit`.
    #[inline]
    pub fn of(p: &Position, unit: Money) -> Contribution {
        let long_q = p.projected_long();
        let short_q = p.projected_short();
        let net_hi = unit.times(long_q);
        let net_lo = unit.times(short_q);
        let mv = unit.times(p.qty);
        Contribution {
            gross: net_hi.abs().max(net_lo.abs()),
            net_hi,
            net_lo,
            pos_gross: mv.abs(),
            mv,
            long_q,
            short_q,
        }
    }
}

/// Sums kept per account, desk and firm.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Aggregates {
    /// All instruments.
    pub total: Bucket,
    /// Per sector (dense sector index).
    pub sectors: Vec<Bucket>,
    /// Per asset class.
    pub classes: [Bucket; 4],
    /// Gross notional of positions only.
    pub pos_gross: Money,
    /// Market value of positions.
    pub mv: Money,
    /// Cost basis of positions.
    pub cost: Money,
    /// Cash.
    pub cash: Money,
    /// Realised P&L today.
    pub realised: Money,
    /// Projected long / short quantities per instrument (dense index).
    pub proj: Vec<(i64, i64)>,
}

impl Aggregates {
    /// Empty aggregates for `n_sectors` sectors and `n_instruments` instruments.
    pub fn new(n_sectors: usize, n_instruments: usize) -> Aggregates {
        Aggregates {
            sectors: vec![Bucket::default(); n_sectors],
            proj: vec![(0, 0); n_instruments],
            ..Default::default()
        }
    }

    /// Equity: cash plus market value.
    #[inline]
    pub fn equity(&self) -> Money {
        self.cash + self.mv
    }

    /// Unrealised P&L.
    pub fn unrealised(&self) -> Money {
        self.mv - self.cost
    }

    /// Replace `old` by `new` for an instrument in `sector` / `class`.
    #[inline]
    pub fn apply(
        &mut self,
        instrument: usize,
        sector: usize,
        class: usize,
        old: &Contribution,
        new: &Contribution,
    ) {
        self.total.replace(old, new);
        if let Some(s) = self.sectors.get_mut(sector) {
            s.replace(old, new);
        }
        self.classes[class].replace(old, new);
        self.pos_gross += new.pos_gross - old.pos_gross;
        self.mv += new.mv - old.mv;
        if let Some(p) = self.proj.get_mut(instrument) {
            p.0 += new.long_q - old.long_q;
            p.1 += new.short_q - old.short_q;
        }
    }

    /// Grow the per-instrument and per-sector tables (config change).
    pub fn grow(&mut self, n_sectors: usize, n_instruments: usize) {
        if self.sectors.len() < n_sectors {
            self.sectors.resize(n_sectors, Bucket::default());
        }
        if self.proj.len() < n_instruments {
            self.proj.resize(n_instruments, (0, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(d: Decimal) -> Money {
        Money::from_decimal(d)
    }

    #[test]
    fn fills_open_add_reduce_and_flip() {
        let mut p = Position::default();
        let e = p.apply_fill(100, dec!(10), dec!(1));
        assert_eq!(
            (p.qty, p.cost, e.cash, e.realised),
            (100, dec!(1000), dec!(-1000), dec!(0))
        );
        p.apply_fill(100, dec!(12), dec!(1));
        assert_eq!(p.avg_price(dec!(1)), Some(dec!(11)));
        let e = p.apply_fill(-50, dec!(15), dec!(1));
        assert_eq!(e.realised, dec!(200));
        assert_eq!(p.qty, 150);
        assert_eq!(p.cost, dec!(1650));
        // Sell 200: closes 150 at +4 and opens 50 short at 15.
        let e = p.apply_fill(-200, dec!(15), dec!(1));
        assert_eq!(e.realised, dec!(600));
        assert_eq!(p.qty, -50);
        assert_eq!(p.cost, dec!(-750));
        // Cover at 20: loss 5 x 50.
        let e = p.apply_fill(50, dec!(20), dec!(1));
        assert_eq!(e.realised, dec!(-250));
        assert_eq!((p.qty, p.cost), (0, dec!(0)));
        assert_eq!(p.realised, dec!(550));
        assert_eq!((p.bought_today, p.sold_today), (250, 250));
    }

    #[test]
    fn contribution_uses_projected_positions() {
        let p = Position {
            qty: 100,
            open_buy: 50,
            open_sell: 300,
            ..Default::default()
        };
        let c = Contribution::of(&p, m(dec!(10)));
        assert_eq!(c.net_hi, m(dec!(1500)));
        assert_eq!(c.net_lo, m(dec!(-2000)));
        assert_eq!(c.gross, m(dec!(2000)));
        assert_eq!(c.pos_gross, m(dec!(1000)));
        assert_eq!(p.projected_abs(), 200);
    }

    #[test]
    fn aggregates_apply_deltas() {
        let mut a = Aggregates::new(2, 3);
        let p = Position {
            qty: 10,
            open_buy: 5,
            ..Default::default()
        };
        let c = Contribution::of(&p, m(dec!(2)));
        a.apply(1, 1, 0, &Contribution::default(), &c);
        assert_eq!(a.total.gross, m(dec!(30)));
        assert_eq!(a.sectors[1].net_hi, m(dec!(30)));
        assert_eq!(a.proj[1], (15, 10));
        a.apply(1, 1, 0, &c, &Contribution::default());
        assert_eq!(a, Aggregates::new(2, 3));
    }
}
