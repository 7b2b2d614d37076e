//! Property: a parent split across three venues ends with the same totals,
//! and reports each venue fill exactly once, whatever order the venue
//! reports (acks, fills, duplicates) arrive in.

mod common;

use std::collections::BTreeSet;

use common::*;
use oms::events::*;
use oms::outputs::*;
use oms::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const PRICES: [Decimal; 4] = [dec!(190.01), dec!(190.02), dec!(190.03), dec!(189.99)];

fn core_with_three_venues() -> OmsCore {
    let mut c = new_core();
    c.apply(&Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("AAPL"),
            venue: None,
        }),
    ));
    for (v, px) in [
        ("V1", dec!(190.01)),
        ("V2", dec!(190.02)),
        ("V3", dec!(190.03)),
    ] {
        c.apply(&Event::new(
            t(0),
            EventKind::VenueQuote(Quote {
                venue: VenueId::from(v),
                symbol: Symbol::from("AAPL"),
                bid: None,
                ask: Some((Px(px), Qty(100))),
            }),
        ));
    }
    c
}

type ChildPlan = (u64, u64, usize, [usize; 3], u8);

/// Venue reports for three children of 100 each: an ack and 1-3 fills
/// per child, some sent twice.
fn reports_for(plan: &[ChildPlan]) -> (Vec<EventKind>, Decimal, usize) {
    let mut evs = Vec::new();
    let mut notional = Decimal::ZERO;
    let mut fills = 0;
    for (i, (a, b, n, px, dup)) in plan.iter().enumerate() {
        let venue = format!("V{}", i + 1);
        let child = format!("O1.{}", i + 1);
        let (lo, hi) = if a <= b { (*a, *b) } else { (*b, *a) };
        let parts: Vec<u64> = match n {
            1 => vec![100],
            2 => vec![lo, 100 - lo],
            _ if lo == hi => vec![lo, 100 - lo],
            _ => vec![lo, hi - lo, 100 - hi],
        };
        evs.push(ack(&venue, &child));
        for (k, q) in parts.iter().enumerate() {
            let p = PRICES[px[k]];
            let f = fill(&venue, &child, &format!("X{i}-{k}"), *q, p);
            if dup & (1 << k) != 0 {
                evs.push(f.clone());
            }
            evs.push(f);
            notional += Decimal::from(*q) * p;
            fills += 1;
        }
    }
    (evs, notional, fills)
}

fn scenario() -> impl Strategy<Value = (Vec<EventKind>, Decimal, usize)> {
    prop::collection::vec(
        (
            1u64..100,
            1u64..100,
            1usize..=3,
            prop::array::uniform3(0usize..4),
            any::<u8>(),
        ),
        3,
    )
    .prop_flat_map(|plan| {
        let (evs, notional, fills) = reports_for(&plan);
        (Just(evs).prop_shuffle(), Just(notional), Just(fills))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_order_of_child_reports_gives_the_same_parent((evs, notional, fills) in scenario()) {
        let mut c = core_with_three_venues();
        let out = step(&mut c, 1, new_order("P", 300, dec!(191)));
        let children: Vec<_> = out.iter().filter_map(|o| match o {
            Output::VenueNew(v) => Some((v.venue.as_str().to_owned(), v.cl_ord_id.as_str().to_owned(), v.qty)),
            _ => None,
        }).collect();
        prop_assert_eq!(children, vec![
            ("V1".to_owned(), "O1.1".to_owned(), Qty(100)),
            ("V2".to_owned(), "O1.2".to_owned(), Qty(100)),
            ("V3".to_owned(), "O1.3".to_owned(), Qty(100)),
        ]);

        let mut trades = 0;
        let mut news = 0;
        let mut last_qty_sum = 0;
        let mut last_cum = Qty::ZERO;
        let mut exec_ids = BTreeSet::new();
        for (i, e) in evs.into_iter().enumerate() {
            let out = step(&mut c, 2 + i as i64, e);
            for r in reports(&out) {
                prop_assert!(exec_ids.insert(r.exec_id.clone()), "ExecID reused");
                prop_assert!(r.cum_qty >= last_cum, "CumQty went down");
                last_cum = r.cum_qty;
                match r.exec_type {
                    ExecType::Trade => {
                        prop_assert_eq!(news, 1, "a fill reported before New");
                        trades += 1;
                        last_qty_sum += r.last_qty.0;
                    }
                    ExecType::New => news += 1,
                    other => prop_assert!(false, "unexpected report {:?}", other),
                }
            }
        }
        prop_assert_eq!(trades, fills);
        prop_assert_eq!(last_qty_sum, 300);
        // Whatever comes first (an ack or a fill), the client hears New
        // exactly once, before any fill.
        prop_assert_eq!(news, 1);
        let p = c.order(&OrderId::from("O1")).unwrap();
        prop_assert_eq!(p.status, OrdStatus::Filled);
        prop_assert_eq!(p.cum, Qty(300));
        prop_assert_eq!(p.avg_px(), oms::order::average(notional, Qty(300)));
        let pos = c.portfolio().position(&AccountId::from("ACC1"), &Symbol::from("AAPL")).unwrap();
        prop_assert_eq!(pos.qty, 300);
        prop_assert_eq!(c.portfolio().account(&AccountId::from("ACC1")).unwrap().cash, -notional);
    }
}
