//! Everything else the core applies: settlement against clearing
//! records (once per settlement date), operator actions, venue
//! connectivity.

use super::*;

impl Cx<'_> {
    pub(super) fn settle(&mut self, s: &Settlement) {
        if !self.st.settled_dates.insert(s.date) {
            self.alert(
                AlertKind::SettlementBreak,
                format!(
                    "settlement {}: already processed; this one ({} clearing records) is ignored",
                    s.date,
                    s.records.len()
                ),
            );
            return;
        }
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

#[cfg(test)]
mod tests {
    use crate::events::{ClearingRecord, NewOrder, VenueFill};
    use crate::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_date_is_settled_once() {
        let v = VenueId::from("V1");
        let mut c = OmsCore::new(
            OmsConfig {
                venues: vec![v.clone()],
                default_venues: [(Symbol::from("AAPL"), v.clone())].into(),
                drop_copy: false,
            },
            Box::new(LimitsChecker {
                max_qty: Qty(1000),
                max_notional: dec!(1000000),
            }),
            Box::new(DefaultRouter),
        );
        // Wednesday 4 March 2026, 15:00 UTC: settles Thursday 5 March.
        let t = Timestamp::from_utc(2026, 3, 4, 15, 0, 0);
        c.apply(&Event::new(
            t,
            EventKind::VenueConnected { venue: v.clone() },
        ));
        c.apply(&Event::new(
            t,
            EventKind::ClientNew(NewOrder {
                session: "C".into(),
                cl_ord_id: ClOrdId::from("A"),
                account: AccountId::from("ACC1"),
                symbol: Symbol::from("AAPL"),
                side: Side::Buy,
                qty: Qty(100),
                ord_type: OrdType::Limit,
                price: Some(Px(dec!(190))),
                tif: TimeInForce::Day,
            }),
        ));
        c.apply(&Event::new(
            t,
            EventKind::VenueFill(VenueFill {
                venue: v.clone(),
                cl_ord_id: ClOrdId::from("O1.1"),
                venue_order_id: Some(OrderId::from("X1")),
                exec_id: ExecId::from("F1"),
                trade_id: Some("T1".into()),
                last_qty: Qty(100),
                last_px: Px(dec!(190)),
            }),
        ));
        let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let settle = || {
            Event::new(
                Timestamp::from_utc(2026, 3, 5, 22, 0, 0),
                EventKind::Settle(events::Settlement {
                    date,
                    records: vec![ClearingRecord {
                        venue: v.clone(),
                        trade_id: "T1".into(),
                        venue_order_id: OrderId::from("X1"),
                        symbol: Symbol::from("AAPL"),
                        side: Side::Buy,
                        qty: Qty(100),
                        price: Px(dec!(190)),
                        settlement_date: date,
                    }],
                }),
            )
        };
        assert!(c.apply(&settle()).is_empty());
        let acc = AccountId::from("ACC1");
        let settled = |c: &OmsCore| {
            let a = c.portfolio().account(&acc).unwrap();
            let p = c.portfolio().position(&acc, &Symbol::from("AAPL")).unwrap();
            (a.settled_cash, p.settled_qty)
        };
        assert_eq!(settled(&c), (dec!(-19000), 100));
        assert!(c.state().settled_dates.contains(&date));
        // Again (a job run twice, or after a restart): refused, nothing moves.
        let out = c.apply(&settle());
        assert!(
            matches!(&out[..], [Output::Alert(a)]
                if a.kind == outputs::AlertKind::SettlementBreak
                    && a.text.contains("already processed")),
            "{out:?}"
        );
        assert_eq!(settled(&c), (dec!(-19000), 100));
    }
}
