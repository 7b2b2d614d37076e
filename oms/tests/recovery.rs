//! Recovery: apply random events through the journal, snapshot the state,
//! replay the journal into a fresh core, and compare (byte-identical
//! snapshots). Also: re-sending every venue fill after a recovery books
//! nothing twice.

mod common;

use common::*;
use oms::events::*;
use oms::outputs::*;
use oms::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

#[derive(Clone, Debug)]
enum Op {
    New(u8, u64, u8, bool),
    Ack(u8),
    Fill(u8, u8, u64, u8),
    Cancel(u8, u8),
    Replace(u8, u8, u64),
    VenueCancel(u8),
    VenueCancelReject(u8),
    Replaced(u8),
    Bust(u8),
    Correct(u8, u64),
    Price(u8),
    Status(u8),
    Settle(u8),
    Down,
    Up,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6, 1u64..300, 0u8..5, any::<bool>()).prop_map(|(o, q, p, s)| Op::New(o, q, p, s)),
        3 => (0u8..6).prop_map(Op::Ack),
        6 => (0u8..6, 0u8..12, 1u64..120, 0u8..5).prop_map(|(o, x, q, p)| Op::Fill(o, x, q, p)),
        2 => (0u8..6, 0u8..4).prop_map(|(o, k)| Op::Cancel(o, k)),
        2 => (0u8..6, 0u8..4, 1u64..400).prop_map(|(o, k, q)| Op::Replace(o, k, q)),
        1 => (0u8..6).prop_map(Op::VenueCancel),
        1 => (0u8..6).prop_map(Op::VenueCancelReject),
        1 => (0u8..6).prop_map(Op::Replaced),
        1 => (0u8..12).prop_map(Op::Bust),
        1 => (0u8..12, 1u64..50).prop_map(|(x, q)| Op::Correct(x, q)),
        1 => (0u8..5).prop_map(Op::Price),
        1 => (0u8..6).prop_map(Op::Status),
        1 => (0u8..3).prop_map(Op::Settle),
        1 => Just(Op::Down),
        1 => Just(Op::Up),
    ]
}

fn px(i: u8) -> Decimal {
    Decimal::new(19000 + i as i64 * 3, 2)
}

/// Turn ops into events. Ids are guesses (order k is usually `O{k+1}`), so
/// some events hit nothing, which is part of the test.
fn events(ops: &[Op]) -> Vec<Event> {
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let child = |k: u8| format!("O{}.1", k + 1);
            let kind = match o {
                Op::New(k, q, p, sell) => new_order_for(
                    if k % 2 == 0 { "ACC1" } else { "ACC2" },
                    if k % 3 == 0 { "MSFT" } else { "AAPL" },
                    &format!("C{k}"),
                    if *sell { Side::Sell } else { Side::Buy },
                    *q,
                    px(*p),
                ),
                Op::Ack(k) => ack("V1", &child(*k)),
                Op::Fill(k, x, q, p) => fill("V1", &child(*k), &format!("X{x}"), *q, px(*p)),
                Op::Cancel(k, r) => cancel(
                    &format!("K{i}"),
                    &format!("C{k}{}", "R".repeat(*r as usize % 2)),
                ),
                Op::Replace(k, r, q) => replace(
                    &format!("C{k}R"),
                    &format!("C{k}{}", "R".repeat(*r as usize % 2)),
                    *q,
                    px(1),
                ),
                Op::VenueCancel(k) => closed("V1", &child(*k), CloseKind::Canceled),
                Op::VenueCancelReject(k) => EventKind::VenueCancelRejected(VenueCancelRejected {
                    venue: VenueId::from("V1"),
                    cl_ord_id: ClOrdId::new(format!("{}.1", child(*k))),
                    reason: CxlRejReason::TooLateToCancel,
                    text: None,
                }),
                Op::Replaced(k) => EventKind::VenueReplaced(VenueReplaced {
                    venue: VenueId::from("V1"),
                    cl_ord_id: ClOrdId::new(format!("{}.1", child(*k))),
                }),
                Op::Bust(x) => EventKind::VenueTradeBust(VenueTradeBust {
                    venue: VenueId::from("V1"),
                    exec_id: ExecId::new(format!("B{i}")),
                    exec_ref_id: ExecId::new(format!("X{x}")),
                }),
                Op::Correct(x, q) => EventKind::VenueTradeCorrect(VenueTradeCorrect {
                    venue: VenueId::from("V1"),
                    exec_id: ExecId::new(format!("K{i}")),
                    exec_ref_id: ExecId::new(format!("X{x}")),
                    last_qty: Qty(*q),
                    last_px: Px(px(2)),
                }),
                Op::Price(p) => EventKind::MarketPrice {
                    symbol: Symbol::from("AAPL"),
                    px: Px(px(*p)),
                },
                Op::Status(k) => EventKind::ClientStatus(StatusRequest {
                    session: S.into(),
                    cl_ord_id: ClOrdId::new(format!("C{k}")),
                }),
                Op::Settle(d) => EventKind::Settle(Settlement {
                    date: chrono::NaiveDate::from_ymd_opt(2026, 3, 5 + *d as u32).unwrap(),
                    records: vec![],
                }),
                Op::Down => EventKind::VenueDisconnected {
                    venue: VenueId::from("V1"),
                },
                Op::Up => EventKind::VenueConnected {
                    venue: VenueId::from("V1"),
                },
            };
            Event::new(t(i as i64), kind)
        })
        .collect()
}

fn setup_events() -> Vec<Event> {
    let mut v: Vec<Event> = ["V1", "V2"]
        .iter()
        .map(|x| {
            Event::new(
                t(0),
                EventKind::VenueConnected {
                    venue: VenueId::from(*x),
                },
            )
        })
        .collect();
    v.push(Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("AAPL"),
            venue: Some(VenueId::from("V1")),
        }),
    ));
    v.push(Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("MSFT"),
            venue: Some(VenueId::from("V1")),
        }),
    ));
    v
}

/// Drive `evs` through a journaled OMS in batches of 1-3; return the
/// snapshot and the outputs.
async fn drive<J: Journal>(j: J, evs: &[Event]) -> (String, JournaledOms<J>) {
    let mut oms = JournaledOms::open(config(), checker(), Box::new(DefaultRouter), j)
        .await
        .unwrap();
    let all: Vec<Event> = setup_events()
        .into_iter()
        .chain(evs.iter().cloned())
        .collect();
    let mut i = 0;
    while i < all.len() {
        let n = (i % 3 + 1).min(all.len() - i);
        oms.handle(all[i..i + n].to_vec()).await.unwrap();
        i += n;
    }
    (oms.core().snapshot(), oms)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn replay_gives_identical_state(ops in prop::collection::vec(op(), 1..120)) {
        let evs = events(&ops);
        rt().block_on(async {
            // In memory, and a core fed directly without a journal.
            let (snap, oms) = drive(MemJournal::new(), &evs).await;
            let (_, j) = oms.into_parts();
            let again = OmsCore::recover(config(), checker(), Box::new(DefaultRouter), &j).await.unwrap();
            assert_eq!(again.snapshot(), snap);
            let mut direct = OmsCore::new(config(), checker(), Box::new(DefaultRouter));
            let mut counts = std::collections::BTreeMap::new();
            for e in setup_events().iter().chain(evs.iter()) {
                for o in direct.apply(e) {
                    if let Output::ExecReport(r) = &o {
                        check_report(r);
                        *counts.entry(format!("{:?}", r.exec_type)).or_insert(0u32) += 1;
                    }
                }
            }
            assert_eq!(direct.snapshot(), snap);
            check_books(&direct, counts.get("Trade").copied().unwrap_or(0));

            // On files: close, reopen, recover.
            let dir = tempfile::tempdir().unwrap();
            let (fsnap, _) = drive(FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap(), &evs).await;
            assert_eq!(fsnap, snap);
            let j = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap();
            let rec = OmsCore::recover(config(), checker(), Box::new(DefaultRouter), &j).await.unwrap();
            assert_eq!(rec.snapshot(), snap);
        });
    }
}

/// The ClOrdID a venue request goes out with.
fn request_id(o: &Output) -> Option<&ClOrdId> {
    match o {
        Output::VenueNew(v) => Some(&v.cl_ord_id),
        Output::VenueCancel(v) => Some(&v.cl_ord_id),
        Output::VenueReplace(v) => Some(&v.cl_ord_id),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every addressed output is numbered 1, 2, 3 ... per recipient; a
    /// replay numbers them the same; what a replay owes after a cursor is
    /// exactly what the live run numbered after it; and the venue requests
    /// still to send after a cursor are requests the live run numbered
    /// after it.
    #[test]
    fn deliveries_are_gap_free_and_replayed_alike(
        ops in prop::collection::vec(op(), 1..120),
        cut in 0u64..30,
    ) {
        let evs = events(&ops);
        rt().block_on(async {
            let mut oms = JournaledOms::open(config(), checker(), Box::new(DefaultRouter), MemJournal::new())
                .await
                .unwrap();
            let all: Vec<Event> = setup_events().into_iter().chain(evs).collect();
            let mut live = Vec::new();
            for chunk in all.chunks(3) {
                live.extend(oms.handle_addressed(chunk.to_vec()).await.unwrap());
            }
            let mut last = std::collections::BTreeMap::<Recipient, u64>::new();
            for a in &live {
                match (&a.delivery, Recipient::of(&a.output)) {
                    (Some(d), Some(to)) => {
                        assert_eq!(d.to, to);
                        let n = last.entry(to).or_insert(0);
                        *n += 1;
                        assert_eq!(d.no, *n, "{a:?}");
                    }
                    (None, None) => assert!(matches!(a.output, Output::Alert(_))),
                    other => panic!("numbered wrongly: {other:?}"),
                }
            }
            for (to, n) in &last {
                assert_eq!(oms.core().issued(to), *n);
            }
            let (core, j) = oms.into_parts();

            let mut redelivery =
                Redelivery::new(last.keys().map(|to| (to.clone(), cut)).collect());
            let mut replayed = Vec::new();
            let again = OmsCore::recover_replaying(
                config(),
                checker(),
                Box::new(DefaultRouter),
                &j,
                &mut |_, a| {
                    redelivery.see(a);
                    replayed.push(a.clone());
                },
            )
            .await
            .unwrap();
            assert_eq!(replayed, live);
            assert_eq!(again.snapshot(), core.snapshot());
            for to in last.keys() {
                let after_cut: Vec<Addressed> = live
                    .iter()
                    .filter(|a| a.delivery.as_ref().is_some_and(|d| &d.to == to && d.no > cut))
                    .cloned()
                    .collect();
                assert_eq!(redelivery.owed(to, cut), after_cut);
                if let Recipient::Venue(v) = to {
                    for a in again.venue_requests_after(v, cut) {
                        let live_one = after_cut
                            .iter()
                            .find(|l| l.delivery == a.delivery)
                            .unwrap_or_else(|| panic!("not numbered after {cut} live: {a:?}"));
                        assert_eq!(request_id(&live_one.output), request_id(&a.output));
                        assert_eq!(
                            std::mem::discriminant(&live_one.output),
                            std::mem::discriminant(&a.output)
                        );
                    }
                }
            }
        });
    }
}

#[test]
fn no_fill_is_applied_twice_after_recovery() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut evs = Vec::new();
        for k in 0..5u8 {
            evs.push(Event::new(
                t(k as i64),
                new_order(&format!("C{k}"), 100, px(0)),
            ));
            evs.push(Event::new(
                t(10 + k as i64),
                ack("V1", &format!("O{}.1", k + 1)),
            ));
            evs.push(Event::new(
                t(20 + k as i64),
                fill("V1", &format!("O{}.1", k + 1), &format!("X{k}"), 60, px(0)),
            ));
        }
        let (snap, oms) = drive(
            FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap(),
            &evs,
        )
        .await;
        drop(oms);
        let j = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
        let mut oms = JournaledOms::open(config(), checker(), Box::new(DefaultRouter), j)
            .await
            .unwrap();
        assert_eq!(oms.core().snapshot(), snap);
        // The venue resends every fill (PossDup after reconnect).
        let fills: Vec<Event> = evs
            .iter()
            .filter(|e| matches!(e.kind, EventKind::VenueFill(_)))
            .cloned()
            .collect();
        let out = oms.handle(fills).await.unwrap();
        assert!(out.is_empty(), "{out:?}");
        for k in 1..=5 {
            assert_eq!(
                oms.core()
                    .order(&OrderId::new(format!("O{k}")))
                    .unwrap()
                    .cum,
                Qty(60)
            );
        }
        let pos = oms
            .core()
            .portfolio()
            .position(&AccountId::from("ACC1"), &Symbol::from("AAPL"))
            .unwrap();
        assert_eq!(pos.qty, 300);
        // The journal is queryable by order, with the keys the core gave.
        let recs = oms
            .journal()
            .query(&Query {
                order_id: Some(OrderId::from("O3")),
                ..Query::default()
            })
            .await
            .unwrap();
        let kinds: Vec<_> = recs.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec!["ClientNew", "VenueAck", "VenueFill", "VenueFill"]
        );
        assert!(recs
            .iter()
            .all(|r| r.client.as_deref() == Some(S) && r.account.as_deref() == Some("ACC1")));
        let by_client = Query {
            client: Some(S.to_owned()),
            ..Query::default()
        };
        assert_eq!(oms.journal().query(&by_client).await.unwrap().len(), 20);
        assert_eq!(
            oms.journal().verify().await.unwrap(),
            oms.journal().last_seq()
        );
    });
}

#[test]
fn recovery_on_postgres_matches() {
    rt().block_on(async {
        let url = test_support::pg::url();
        let guard = test_support::pg::TestSchema::create("oms_recovery").await;
        let schema = guard.name();
        let ops: Vec<Op> = (0..60u8)
            .map(|i| match i % 5 {
                0 => Op::New(i / 5 % 6, 100, i % 5, i % 2 == 0),
                1 => Op::Ack(i / 5 % 6),
                2 => Op::Fill(i / 5 % 6, i % 12, 30, i % 5),
                3 => Op::Cancel(i / 5 % 6, 0),
                _ => Op::VenueCancel(i / 5 % 6),
            })
            .collect();
        let evs = events(&ops);
        let (snap, oms) = drive(PgJournal::connect(&url, Some(schema)).await.unwrap(), &evs).await;
        drop(oms);
        let j = PgJournal::connect(&url, Some(schema)).await.unwrap();
        let rec = OmsCore::recover(config(), checker(), Box::new(DefaultRouter), &j)
            .await
            .unwrap();
        assert_eq!(rec.snapshot(), snap);
        let (mem_snap, _) = drive(MemJournal::new(), &evs).await;
        assert_eq!(mem_snap, snap);
    });
}

/// Books that must agree with each other whatever happened.
fn check_books(c: &OmsCore, trade_reports: u32) {
    let st = c.state();
    let mut live_fills = 0u32;
    let mut fills = 0u32;
    for (oid, p) in &st.orders {
        let child_cum: u64 = p.children.iter().map(|ch| ch.cum.0).sum();
        assert_eq!(p.cum.0, child_cum, "order {oid}: parent cum vs children");
        let mut notional = Decimal::ZERO;
        for m in st.fills.values() {
            for f in m.values().filter(|f| &f.order_id == oid) {
                if !f.busted {
                    notional += f.qty.dec() * f.px.dec();
                }
            }
        }
        assert_eq!(p.notional, notional, "order {oid}: notional vs fills");
        // Nothing is left open with nothing working, unless a bust
        // reopened it (the client decides what to do then).
        let idle = !p.status.is_terminal()
            && p.pending.is_none()
            && p.children.iter().all(|ch| ch.status.is_terminal());
        if idle {
            // Only a bust or correction of a fill of a completely filled
            // order leaves it so: every child filled, the parent short.
            assert!(
                p.children.iter().all(|ch| ch.status == OrdStatus::Filled),
                "order {oid} open with nothing working: {p:?}"
            );
        }
    }
    for m in st.fills.values() {
        fills += m.len() as u32;
        live_fills += m.values().filter(|f| !f.busted).count() as u32;
    }
    // One client Trade report per venue fill, never more.
    assert_eq!(trade_reports, fills);
    // Positions and cash agree with the ledger.
    let mut pos = std::collections::BTreeMap::new();
    let mut cash = std::collections::BTreeMap::new();
    let mut n = 0;
    for (_, t) in c.ledger().trades() {
        if t.status == oms::settlement::TradeStatus::Busted {
            continue;
        }
        n += 1;
        let signed = t.side.sign() * t.qty.0 as i64;
        *pos.entry((t.account.clone(), t.symbol.clone()))
            .or_insert(0i64) += signed;
        *cash.entry(t.account.clone()).or_insert(Decimal::ZERO) -=
            Decimal::from(signed) * t.px.dec();
    }
    assert_eq!(n, live_fills);
    for ((a, s), q) in &pos {
        assert_eq!(c.portfolio().position(a, s).unwrap().qty, *q, "{a} {s}");
    }
    for (a, acc) in c.portfolio().accounts() {
        assert_eq!(
            acc.cash,
            cash.get(a).copied().unwrap_or(Decimal::ZERO),
            "{a}"
        );
    }
}

#[test]
fn recovery_refuses_a_tampered_journal() {
    rt().block_on(async {
        let evs: Vec<Event> = (0..3u8)
            .flat_map(|k| {
                [
                    Event::new(t(k as i64), new_order(&format!("C{k}"), 100, px(0))),
                    Event::new(
                        t(10 + k as i64),
                        fill("V1", &format!("O{}.1", k + 1), &format!("X{k}"), 100, px(0)),
                    ),
                ]
            })
            .collect();
        let (_, oms) = drive(MemJournal::new(), &evs).await;
        let (_, mut j) = oms.into_parts();
        // Someone doubles a fill's quantity in the stored event.
        let r = &mut j.records_mut()[7];
        assert_eq!(r.kind, "VenueFill");
        r.payload = r.payload.replace("\"last_qty\":100", "\"last_qty\":200");
        let e = OmsCore::recover(config(), checker(), Box::new(DefaultRouter), &j)
            .await
            .unwrap_err();
        assert!(matches!(e, JournalError::ChainBroken { seq: 8, .. }), "{e}");
    });
}
