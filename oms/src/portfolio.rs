//! Accounts and portfolios: positions per account and instrument, cash,
//! realised and unrealised P&L, in two views (traded and settled).
//!
//! Owns the arithmetic: average-cost positions (a fill in the direction
//! of the position moves the average; a fill against it realises P&L at
//! the average and, past zero, opens the other way at the fill price),
//! cash (buys pay, sells receive), marks fed in by price events. The
//! traded view moves on every fill; the settled view moves when the
//! settlement module settles a trade. Accounts are independent entries of
//! one map. Trade corrections and busts rebuild the affected position from
//! the trade ledger (see `settlement`), since average-cost accounting is
//! not invertible fill by fill. Everything is in `BTreeMap`s so the state
//! serializes identically after a replay.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::{AccountId, Px, Qty, Side, Symbol};

/// One account's holding of one instrument.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Traded quantity, signed (negative = short).
    pub qty: i64,
    /// Average cost per share of the open quantity.
    pub avg_cost: Decimal,
    /// Realised P&L.
    pub realised: Decimal,
    /// Settled quantity, signed.
    pub settled_qty: i64,
}

impl Position {
    /// Apply a trade of `signed` shares at `px`.
    pub fn apply(&mut self, signed: i64, px: Decimal) {
        if signed == 0 {
            return;
        }
        let same_way = self.qty == 0 || (self.qty > 0) == (signed > 0);
        if same_way {
            let old = Decimal::from(self.qty.abs());
            let add = Decimal::from(signed.abs());
            self.avg_cost = (self.avg_cost * old + px * add) / (old + add);
            self.qty += signed;
            return;
        }
        let closing = signed.abs().min(self.qty.abs());
        let dir = if self.qty > 0 {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        self.realised += (px - self.avg_cost) * Decimal::from(closing) * dir;
        self.qty += signed;
        if self.qty == 0 {
            self.avg_cost = Decimal::ZERO;
        } else if (self.qty > 0) == (signed > 0) {
            // Crossed zero: the rest opens at the fill price.
            self.avg_cost = px;
        }
    }

    /// Unrealised P&L at `mark`.
    pub fn unrealised(&self, mark: Decimal) -> Decimal {
        (mark - self.avg_cost) * Decimal::from(self.qty)
    }
}

/// One account: cash and positions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Cash, traded view (every fill counted).
    pub cash: Decimal,
    /// Cash, settled view.
    pub settled_cash: Decimal,
    /// Positions by instrument.
    pub positions: BTreeMap<Symbol, Position>,
}

/// Both views of an account's P&L.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnL {
    /// Realised.
    pub realised: Decimal,
    /// Unrealised, at the marks (positions without a mark count at cost).
    pub unrealised: Decimal,
}

/// All accounts and the marks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portfolio {
    accounts: BTreeMap<AccountId, Account>,
    marks: BTreeMap<Symbol, Px>,
}

impl Portfolio {
    /// An account, if it has ever traded or been funded.
    pub fn account(&self, account: &AccountId) -> Option<&Account> {
        self.accounts.get(account)
    }

    /// All accounts.
    pub fn accounts(&self) -> impl Iterator<Item = (&AccountId, &Account)> {
        self.accounts.iter()
    }

    /// A position, if any.
    pub fn position(&self, account: &AccountId, symbol: &Symbol) -> Option<&Position> {
        self.accounts.get(account)?.positions.get(symbol)
    }

    /// The mark of an instrument.
    pub fn mark(&self, symbol: &Symbol) -> Option<Px> {
        self.marks.get(symbol).copied()
    }

    /// Set a mark.
    pub fn set_mark(&mut self, symbol: Symbol, px: Px) {
        self.marks.insert(symbol, px);
    }

    /// Cash in or out; settled at once.
    pub fn deposit(&mut self, account: &AccountId, amount: Decimal) {
        let a = self.accounts.entry(account.clone()).or_default();
        a.cash += amount;
        a.settled_cash += amount;
    }

    /// Book a fill in the traded view.
    pub fn on_fill(&mut self, account: &AccountId, symbol: &Symbol, side: Side, qty: Qty, px: Px) {
        let signed = side.sign() * qty.0 as i64;
        let a = self.accounts.entry(account.clone()).or_default();
        a.cash -= Decimal::from(signed) * px.dec();
        a.positions
            .entry(symbol.clone())
            .or_default()
            .apply(signed, px.dec());
    }

    /// Reverse the cash of a fill (bust or the old side of a correction);
    /// the position is rebuilt separately with [`Portfolio::rebuild`].
    pub fn reverse_cash(&mut self, account: &AccountId, side: Side, qty: Qty, px: Px) {
        let signed = side.sign() * qty.0 as i64;
        let a = self.accounts.entry(account.clone()).or_default();
        a.cash += Decimal::from(signed) * px.dec();
    }

    /// Recompute the traded quantity, average cost and realised P&L of a
    /// position from its trades, in booking order (settled quantity kept).
    pub fn rebuild(
        &mut self,
        account: &AccountId,
        symbol: &Symbol,
        trades: impl Iterator<Item = (Side, Qty, Px)>,
    ) {
        let a = self.accounts.entry(account.clone()).or_default();
        let p = a.positions.entry(symbol.clone()).or_default();
        let settled = p.settled_qty;
        *p = Position {
            settled_qty: settled,
            ..Position::default()
        };
        for (side, qty, px) in trades {
            p.apply(side.sign() * qty.0 as i64, px.dec());
        }
    }

    /// Move a trade into the settled view.
    pub fn on_settled(
        &mut self,
        account: &AccountId,
        symbol: &Symbol,
        side: Side,
        qty: Qty,
        px: Px,
    ) {
        let signed = side.sign() * qty.0 as i64;
        let a = self.accounts.entry(account.clone()).or_default();
        a.settled_cash -= Decimal::from(signed) * px.dec();
        a.positions.entry(symbol.clone()).or_default().settled_qty += signed;
    }

    /// Realised and unrealised P&L of an account.
    pub fn pnl(&self, account: &AccountId) -> PnL {
        let mut out = PnL::default();
        if let Some(a) = self.accounts.get(account) {
            for (sym, p) in &a.positions {
                out.realised += p.realised;
                let mark = self.marks.get(sym).map(|m| m.dec()).unwrap_or(p.avg_cost);
                out.unrealised += p.unrealised(mark);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn acc(s: &str) -> AccountId {
        AccountId::from(s)
    }

    #[test]
    fn average_cost_realised_and_unrealised() {
        let mut p = Portfolio::default();
        let (a, s) = (acc("A"), Symbol::from("AAPL"));
        p.deposit(&a, dec!(100000));
        p.on_fill(&a, &s, Side::Buy, Qty(100), Px(dec!(10)));
        p.on_fill(&a, &s, Side::Buy, Qty(100), Px(dec!(12)));
        let pos = p.position(&a, &s).unwrap();
        assert_eq!((pos.qty, pos.avg_cost), (200, dec!(11)));
        p.on_fill(&a, &s, Side::Sell, Qty(50), Px(dec!(15)));
        let pos = p.position(&a, &s).unwrap();
        assert_eq!(
            (pos.qty, pos.avg_cost, pos.realised),
            (150, dec!(11), dec!(200))
        );
        p.set_mark(s.clone(), Px(dec!(13)));
        assert_eq!(
            p.pnl(&a),
            PnL {
                realised: dec!(200),
                unrealised: dec!(300)
            }
        );
        // 100000 - 1000 - 1200 + 750
        assert_eq!(p.account(&a).unwrap().cash, dec!(98550));
        // Not settled yet.
        assert_eq!(p.account(&a).unwrap().settled_cash, dec!(100000));
        assert_eq!(p.position(&a, &s).unwrap().settled_qty, 0);
    }

    #[test]
    fn crossing_zero_and_shorts() {
        let mut pos = Position::default();
        pos.apply(100, dec!(10));
        pos.apply(-150, dec!(11));
        assert_eq!(
            (pos.qty, pos.avg_cost, pos.realised),
            (-50, dec!(11), dec!(100))
        );
        assert_eq!(pos.unrealised(dec!(9)), dec!(100));
        pos.apply(50, dec!(12));
        assert_eq!(
            (pos.qty, pos.avg_cost, pos.realised),
            (0, dec!(0), dec!(50))
        );
    }

    #[test]
    fn accounts_are_independent_and_rebuild_matches_incremental() {
        let mut p = Portfolio::default();
        let s = Symbol::from("MSFT");
        p.on_fill(&acc("A"), &s, Side::Buy, Qty(10), Px(dec!(420)));
        p.on_fill(&acc("B"), &s, Side::SellShort, Qty(5), Px(dec!(421)));
        assert_eq!(p.position(&acc("A"), &s).unwrap().qty, 10);
        assert_eq!(p.position(&acc("B"), &s).unwrap().qty, -5);
        let before = p.position(&acc("A"), &s).cloned();
        p.rebuild(
            &acc("A"),
            &s,
            [(Side::Buy, Qty(10), Px(dec!(420)))].into_iter(),
        );
        assert_eq!(p.position(&acc("A"), &s).cloned(), before);
    }
}
