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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_text_is_what_the_demo_prints() {
        let mut s = Summary::default();
        let aapl = Symbol::from("AAPL");
        let msft = Symbol::from("MSFT");
        s.accounts.insert(
            AccountId::from("ACC1"),
            AccountSummary {
                cash: d("-19001.005"),
                settled_cash: Decimal::ZERO,
                pnl: PnL {
                    realised: d("1.5"),
                    unrealised: d("-2.25"),
                },
                positions: [
                    (
                        aapl.clone(),
                        Position {
                            qty: 100,
                            avg_cost: d("190.01005"),
                            realised: Decimal::ZERO,
                            settled_qty: 0,
                        },
                    ),
                    (
                        msft.clone(),
                        Position {
                            qty: -5,
                            avg_cost: d("420"),
                            realised: Decimal::ZERO,
                            settled_qty: -5,
                        },
                    ),
                ]
                .into(),
            },
        );
        s.marks.insert(aapl.clone(), Px(d("189.99")));
        s.quotes.insert(
            aapl.clone(),
            [(
                VenueId::from("SIMX"),
                Quote {
                    venue: VenueId::from("SIMX"),
                    symbol: aapl.clone(),
                    bid: Some((Px(d("189.98")), Qty(100))),
                    ask: None,
                },
            )]
            .into(),
        );
        assert_eq!(
            s.to_string(),
            "account ACC1: cash -19001.00 (settled 0), realised P&L 1.5, unrealised P&L -2.25\n\
             \x20 AAPL: position 100 (settled 0), average cost 190.0100, mark 189.99\n\
             \x20 MSFT: position -5 (settled -5), average cost 420, no mark (valued at cost)\n\
             market (mark; venue bid / offer)\n\
             - AAPL: mark 189.99; SIMX 100 @ 189.98 / -\n"
        );
        assert_eq!(s.position("ACC1", "MSFT").map(|p| p.qty), Some(-5));
        assert!(s.position("ACC2", "MSFT").is_none());
    }
}
