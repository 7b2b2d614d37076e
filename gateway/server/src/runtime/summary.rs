//! The summary of what the core holds: positions and P&L per account,
//! the marks, and each venue's top of book, as a typed snapshot
//! ([`Summary`], taken inside the core task) that tests and tools assert
//! on, and its text form (`Display`) that the demo prints.

use oms::events::Quote;
use oms::portfolio::{PnL, Position};
use oms::{AccountId, Px, Qty, Symbol, VenueId};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// Positions, P&L and market as the core knew them at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Every account with a position or cash.
    pub accounts: BTreeMap<AccountId, AccountSummary>,
    /// The marks of the symbols held or quoted.
    pub marks: BTreeMap<Symbol, Px>,
    /// Each venue's top of book per symbol.
    pub quotes: BTreeMap<Symbol, BTreeMap<VenueId, Quote>>,
}

/// One account in a [`Summary`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountSummary {
    pub cash: Decimal,
    pub settled_cash: Decimal,
    /// Realised P&L, and unrealised P&L at the marks (a position without
    /// a mark counts at cost).
    pub pnl: PnL,
    pub positions: BTreeMap<Symbol, Position>,
}

impl Summary {
    /// The summary of `core`'s state.
    pub fn of(core: &oms::OmsCore) -> Summary {
        let p = core.portfolio();
        let mut s = Summary::default();
        for (acc, a) in p.accounts() {
            for sym in a.positions.keys() {
                if let Some(m) = p.mark(sym) {
                    s.marks.insert(sym.clone(), m);
                }
            }
            s.accounts.insert(
                acc.clone(),
                AccountSummary {
                    cash: a.cash,
                    settled_cash: a.settled_cash,
                    pnl: p.pnl(acc),
                    positions: a.positions.clone(),
                },
            );
        }
        s.quotes = core.state().quotes.clone();
        for sym in s.quotes.keys() {
            if let Some(m) = p.mark(sym) {
                s.marks.insert(sym.clone(), m);
            }
        }
        s
    }

    /// `account`'s position in `symbol`, if it has one.
    pub fn position(&self, account: &str, symbol: &str) -> Option<&Position> {
        self.accounts
            .get(account)
            .and_then(|a| a.positions.get(symbol))
    }
}

impl fmt::Display for Summary {
    /// Positions and P&L per account, then the marks and each venue's
    /// top of book.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (acc, a) in &self.accounts {
            writeln!(
                f,
                "account {acc}: cash {} (settled {}), realised P&L {}, unrealised P&L {}",
                a.cash.round_dp(2),
                a.settled_cash.round_dp(2),
                a.pnl.realised.round_dp(2),
                a.pnl.unrealised.round_dp(2)
            )?;
            for (sym, pos) in &a.positions {
                let mark = match self.marks.get(sym) {
                    Some(m) => format!("mark {m}"),
                    None => "no mark (valued at cost)".to_owned(),
                };
                writeln!(
                    f,
                    "  {sym}: position {} (settled {}), average cost {}, {mark}",
                    pos.qty,
                    pos.settled_qty,
                    pos.avg_cost.round_dp(4)
                )?;
            }
        }
        if !self.quotes.is_empty() {
            writeln!(f, "market (mark; venue bid / offer)")?;
            for (sym, by_venue) in &self.quotes {
                let mark = self
                    .marks
                    .get(sym)
                    .map_or("none".to_owned(), |m| m.to_string());
                let side = |x: Option<(Px, Qty)>| {
                    x.map_or("-".to_owned(), |(px, q)| format!("{q} @ {px}"))
                };
                let venues: Vec<String> = by_venue
                    .iter()
                    .map(|(v, q)| format!("{v} {} / {}", side(q.bid), side(q.ask)))
                    .collect();
                writeln!(f, "- {sym}: mark {mark}; {}", venues.join("; "))?;
            }
        }
        Ok(())
    }
}
