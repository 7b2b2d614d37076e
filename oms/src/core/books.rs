//! Everything else the core applies: settlement against clearing
//! records, operator actions, venue connectivity.

use super::*;

impl Cx<'_> {
    pub(super) fn settle(&mut self, s: &Settlement) {
        let outcome = self.st.ledger.settle(s.date, &s.records);
        for id in outcome.settled {
            let t = self
                .st
                .ledger
                .get(id)
                .cloned()
                .expect("settled trade exists");
            self.st
                .portfolio
                .on_settled(&t.account, &t.symbol, t.side, t.qty, t.px);
        }
        for b in outcome.breaks {
            self.alert(
                AlertKind::SettlementBreak,
                format!("settlement {}: {b}", s.date),
            );
        }
    }

    pub(super) fn operator(&mut self, a: &OperatorAction) {
        match a {
            OperatorAction::Deposit { account, amount } => {
                // 10^18 bounds every cash balance far inside Decimal's range.
                if amount.dec().abs() > Decimal::from(1_000_000_000_000_000_000u64) {
                    self.alert(
                        AlertKind::OperatorAction,
                        format!("deposit {amount} to {account} refused: out of range"),
                    );
                    return;
                }
                self.st.portfolio.deposit(account, amount.dec());
                self.alert(
                    AlertKind::OperatorAction,
                    format!("deposit {amount} to {account}"),
                );
            }
            OperatorAction::SetDefaultVenue { symbol, venue } => {
                match venue {
                    Some(v) => self.st.default_venues.insert(symbol.clone(), v.clone()),
                    None => self.st.default_venues.remove(symbol),
                };
                self.alert(
                    AlertKind::OperatorAction,
                    format!("default venue of {symbol} set to {venue:?}"),
                );
            }
            OperatorAction::CancelAll { account, reason } => {
                let ids: Vec<OrderId> = self
                    .st
                    .orders
                    .values()
                    .filter(|p| account.as_ref().is_none_or(|a| &p.account == a))
                    .filter(|p| !p.status.is_terminal() && p.pending.is_none())
                    .map(|p| p.order_id.clone())
                    .collect();
                self.alert(
                    AlertKind::OperatorAction,
                    format!(
                        "cancel all ({}) of {}: {reason}",
                        ids.len(),
                        account.as_ref().map_or("all accounts", |a| a.as_str())
                    ),
                );
                for id in ids {
                    self.start_cancel(&id, None);
                }
            }
        }
    }

    pub(super) fn venue_down(&mut self, venue: &VenueId) {
        self.st.venues.insert(venue.clone(), false);
        let open = self
            .st
            .orders
            .values()
            .flat_map(|p| p.children.iter())
            .filter(|c| &c.venue == venue && !c.status.is_terminal())
            .count();
        if open > 0 {
            self.alert(
                AlertKind::VenueDown,
                format!("venue {venue} disconnected with {open} open child orders"),
            );
        }
    }
}
