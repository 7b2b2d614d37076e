//! The core driven event by event: lifecycle, risk rejects, cancel and
//! replace chains with their CxlRejReasons, unsolicited venue cancels and
//! rejects, out-of-order and duplicate venue reports, busts and
//! corrections, positions and settlement.

mod common;

use common::*;
use oms::events::*;
use oms::outputs::*;
use oms::*;
use rust_decimal_macros::dec;

fn venue_new(out: &[Output]) -> Vec<&VenueNewOrder> {
    out.iter()
        .filter_map(|o| match o {
            Output::VenueNew(v) => Some(v),
            _ => None,
        })
        .collect()
}

#[test]
fn new_ack_partial_fill_fill() {
    let mut c = new_core();
    let out = step(&mut c, 1, new_order("A", 100, dec!(190)));
    let r = reports(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::PendingNew, OrdStatus::PendingNew)
    );
    assert_eq!(r[0].order_id, OrderId::from("O1"));
    let v = venue_new(&out);
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].venue.as_str(), v[0].cl_ord_id.as_str(), v[0].qty),
        ("V1", "O1.1", Qty(100))
    );

    let out = step(&mut c, 2, ack("V1", "O1.1"));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::New, OrdStatus::New)
    );

    let out = step(&mut c, 3, fill("V1", "O1.1", "X1", 40, dec!(190)));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::Trade, OrdStatus::PartiallyFilled)
    );
    assert_eq!(
        (r[0].last_qty, r[0].cum_qty, r[0].leaves_qty),
        (Qty(40), Qty(40), Qty(60))
    );
    assert_eq!(r[0].last_mkt, Some(VenueId::from("V1")));

    let out = step(&mut c, 4, fill("V1", "O1.1", "X2", 60, dec!(189.5)));
    let r = reports(&out);
    assert_eq!(
        (r[0].ord_status, r[0].cum_qty, r[0].leaves_qty),
        (OrdStatus::Filled, Qty(100), Qty(0))
    );
    // (40*190 + 60*189.5) / 100 = 189.7
    assert_eq!(r[0].avg_px, Px(dec!(189.7)));
    assert_eq!(r[0].cl_ord_id, ClOrdId::from("A"));
    let pos = c
        .portfolio()
        .position(&AccountId::from("ACC1"), &Symbol::from("AAPL"))
        .unwrap();
    assert_eq!((pos.qty, pos.avg_cost), (100, dec!(189.7)));
}

#[test]
fn risk_reject_carries_rule_and_limit() {
    let mut c = new_core();
    let out = step(&mut c, 1, new_order("A", 15_000, dec!(1)));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::Rejected, OrdStatus::Rejected)
    );
    assert_eq!(
        r[0].text.as_deref(),
        Some("MaxOrderQty: order qty 15000 exceeds limit 10000")
    );
    assert!(venue_new(&out).is_empty());
    // The rejected order is known (status request) and its ClOrdID used.
    let out = step(&mut c, 2, new_order("A", 10, dec!(1)));
    assert_eq!(
        reports(&out)[0].text.as_deref(),
        Some("DuplicateClOrdId: ClOrdID A already used on this session")
    );
    assert_eq!(
        c.order(&OrderId::from("O1")).unwrap().status,
        OrdStatus::Rejected
    );
    assert!(c.order(&OrderId::from("O2")).is_none());
}

#[test]
fn invalid_orders_and_no_venue_are_rejected() {
    let mut c = OmsCore::new(config(), checker(), Box::new(DefaultRouter));
    let out = step(&mut c, 1, new_order("A", 10, dec!(1)));
    assert_eq!(
        reports(&out)[0].text.as_deref(),
        Some("NoVenue: no connected venue for AAPL")
    );
    let out = step(&mut c, 2, new_order("B", 0, dec!(1)));
    assert_eq!(
        reports(&out)[0].text.as_deref(),
        Some("InvalidOrder: order qty must be positive")
    );
}

#[test]
fn absurd_quantities_and_prices_never_panic() {
    let mut c = new_core();
    let out = step(&mut c, 1, new_order("A", u64::MAX, dec!(1)));
    assert_eq!(
        reports(&out)[0].text.as_deref(),
        Some("InvalidOrder: order qty 18446744073709551615 above 1000000000000")
    );
    let out = step(
        &mut c,
        2,
        new_order("B", 10, dec!(79228162514264337593543950335)),
    );
    assert_eq!(
        reports(&out)[0].text.as_deref(),
        Some("InvalidOrder: limit order needs a price in (0, 1000000000000]")
    );
    let out = step(&mut c, 3, new_order("C", 10, dec!(-5)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Rejected);
    // A venue fill with an absurd size or price is refused with an alert.
    step(&mut c, 4, new_order("D", 10, dec!(190)));
    let out = step(&mut c, 5, fill("V1", "O4.1", "X1", u64::MAX, dec!(190)));
    assert!(matches!(&out[0], Output::Alert(a) if a.text.contains("out of range")));
    let out = step(
        &mut c,
        6,
        fill("V1", "O4.1", "X2", 5, dec!(79228162514264337593543950335)),
    );
    assert!(matches!(&out[0], Output::Alert(_)));
    assert_eq!(c.order(&OrderId::from("O4")).unwrap().cum, Qty(0));
    // Absurd marks and deposits are refused too (P&L stays computable).
    let out = step(
        &mut c,
        7,
        EventKind::MarketPrice {
            symbol: Symbol::from("AAPL"),
            px: Px(dec!(79228162514264337593543950335)),
        },
    );
    assert!(matches!(&out[0], Output::Alert(a) if a.text.contains("out of range")));
    let out = step(
        &mut c,
        8,
        EventKind::Operator(OperatorAction::Deposit {
            account: AccountId::from("ACC1"),
            amount: Px(dec!(79228162514264337593543950335)),
        }),
    );
    assert!(matches!(&out[0], Output::Alert(a) if a.text.contains("refused")));
    let _ = c.portfolio().pnl(&AccountId::from("ACC1"));
    // The limits checker itself refuses an overflowing notional.
    let mut lc = LimitsChecker {
        max_qty: Qty(u64::MAX),
        max_notional: dec!(1),
    };
    let req = OrderRequest {
        cl_ord_id: ClOrdId::from("Z"),
        replaces: None,
        account: AccountId::from("ACC1"),
        symbol: Symbol::from("AAPL"),
        side: Side::Buy,
        qty: Qty(u64::MAX),
        cum_qty: Qty(0),
        ord_type: OrdType::Limit,
        price: Some(Px(dec!(79228162514264337593543950335))),
        tif: TimeInForce::Day,
        venue: None,
    };
    let view = OmsView {
        portfolio: c.portfolio(),
    };
    assert!(matches!(
        lc.check(t(7), &req, &view),
        Decision::Reject(Violation::MaxOrderNotional { .. })
    ));
}

#[test]
fn cancel_flow_and_cancel_reject_reasons() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(&mut c, 2, ack("V1", "O1.1"));
    // Unknown order: 1.
    let out = step(&mut c, 3, cancel("C0", "NOPE"));
    let cr = cancel_rejects(&out);
    assert_eq!(cr[0].reason, CxlRejReason::UnknownOrder);
    assert_eq!(cr[0].order_id, None);
    // Duplicate ClOrdID: 6.
    let out = step(&mut c, 4, cancel("A", "A"));
    assert_eq!(
        cancel_rejects(&out)[0].reason,
        CxlRejReason::DuplicateClOrdId
    );

    let out = step(&mut c, 5, cancel("C1", "A"));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::PendingCancel, OrdStatus::PendingCancel)
    );
    assert_eq!(
        (
            r[0].cl_ord_id.as_str(),
            r[0].orig_cl_ord_id.as_ref().unwrap().as_str()
        ),
        ("C1", "A")
    );
    let vc: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::VenueCancel(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(vc.len(), 1);
    assert_eq!(vc[0].orig_cl_ord_id.as_str(), "O1.1");
    assert_eq!(vc[0].account.as_str(), "ACC1");
    assert_eq!(vc[0].venue_order_id.as_ref().unwrap().as_str(), "V1-O1.1");
    // Already pending: 3.
    let out = step(&mut c, 6, cancel("C2", "A"));
    let cr = cancel_rejects(&out);
    assert_eq!(cr[0].reason, CxlRejReason::AlreadyPending);
    assert_eq!(cr[0].ord_status, OrdStatus::PendingCancel);

    let child_cancel_id = vc[0].cl_ord_id.as_str().to_owned();
    let out = step(
        &mut c,
        7,
        closed("V1", &child_cancel_id, CloseKind::Canceled),
    );
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::Canceled, OrdStatus::Canceled)
    );
    assert_eq!(
        (
            r[0].cl_ord_id.as_str(),
            r[0].orig_cl_ord_id.as_ref().unwrap().as_str()
        ),
        ("C1", "A")
    );
    assert_eq!((r[0].cum_qty, r[0].leaves_qty), (Qty(0), Qty(0)));
    // Too late to cancel: 0, looked up by any id of the chain.
    for orig in ["A", "C1"] {
        let out = step(&mut c, 8, cancel(&format!("C3{orig}"), orig));
        let cr = cancel_rejects(&out);
        assert_eq!(cr[0].reason, CxlRejReason::TooLateToCancel);
        assert_eq!(cr[0].text, "TooLateToCancel: order is Canceled");
    }
}

#[test]
fn cancel_crossing_a_fill_is_rejected_too_late() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(&mut c, 2, ack("V1", "O1.1"));
    step(&mut c, 3, cancel("C1", "A"));
    let out = step(&mut c, 4, fill("V1", "O1.1", "X1", 100, dec!(190)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Filled);
    // The fill made every child done: the pending cancel is answered now.
    let cr = cancel_rejects(&out);
    assert_eq!(cr.len(), 1);
    assert_eq!(
        (cr[0].reason, cr[0].cl_ord_id.as_str()),
        (CxlRejReason::TooLateToCancel, "C1")
    );
    // The venue's own cancel reject afterwards is stale: nothing more.
    let out = step(
        &mut c,
        5,
        EventKind::VenueCancelRejected(VenueCancelRejected {
            venue: VenueId::from("V1"),
            cl_ord_id: ClOrdId::from("O1.1.1"),
            reason: CxlRejReason::TooLateToCancel,
            text: None,
        }),
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn venue_cancel_reject_returns_order_to_working() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(&mut c, 2, ack("V1", "O1.1"));
    step(&mut c, 3, fill("V1", "O1.1", "X1", 30, dec!(190)));
    step(&mut c, 4, cancel("C1", "A"));
    let out = step(
        &mut c,
        5,
        EventKind::VenueCancelRejected(VenueCancelRejected {
            venue: VenueId::from("V1"),
            cl_ord_id: ClOrdId::from("O1.1.1"),
            reason: CxlRejReason::BrokerOption,
            text: Some("venue busy".into()),
        }),
    );
    let cr = cancel_rejects(&out);
    assert_eq!(cr.len(), 1);
    assert_eq!(
        (cr[0].ord_status, cr[0].reason, cr[0].text.as_str()),
        (
            OrdStatus::PartiallyFilled,
            CxlRejReason::BrokerOption,
            "venue busy"
        )
    );
    assert_eq!(
        c.order(&OrderId::from("O1")).unwrap().status,
        OrdStatus::PartiallyFilled
    );
    // And it can be canceled again.
    let out = step(&mut c, 6, cancel("C2", "A"));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::PendingCancel);
}

#[test]
fn replace_chain_by_orig_cl_ord_id() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    // Replace before the venue's ack: broker option (2).
    let out = step(&mut c, 2, replace("B", "A", 200, dec!(191)));
    assert_eq!(cancel_rejects(&out)[0].reason, CxlRejReason::BrokerOption);
    step(&mut c, 3, ack("V1", "O1.1"));
    step(&mut c, 4, fill("V1", "O1.1", "X1", 50, dec!(190)));

    let out = step(&mut c, 5, replace("B", "A", 200, dec!(191)));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::PendingReplace, OrdStatus::PendingReplace)
    );
    let vr: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::VenueReplace(v) => Some(v),
            _ => None,
        })
        .collect();
    // Child keeps its 50 filled and gets the new leaves 150.
    assert_eq!((vr[0].qty, vr[0].price), (Qty(200), Some(Px(dec!(191)))));
    let child_new = vr[0].cl_ord_id.as_str().to_owned();
    // A fill while the replace is in flight.
    let out = step(&mut c, 6, fill("V1", "O1.1", "X2", 10, dec!(190)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::PendingReplace);
    assert_eq!(reports(&out)[0].cl_ord_id.as_str(), "A");

    let out = step(
        &mut c,
        7,
        EventKind::VenueReplaced(VenueReplaced {
            venue: VenueId::from("V1"),
            cl_ord_id: ClOrdId::new(child_new.clone()),
        }),
    );
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::Replaced, OrdStatus::Replaced)
    );
    assert_eq!(
        (
            r[0].cl_ord_id.as_str(),
            r[0].orig_cl_ord_id.as_ref().unwrap().as_str()
        ),
        ("B", "A")
    );
    assert_eq!(
        (r[0].order_qty, r[0].cum_qty, r[0].leaves_qty),
        (Qty(200), Qty(60), Qty(140))
    );
    assert_eq!(r[0].price, Some(Px(dec!(191))));

    // Second replace names the first ClOrdID: still found.
    let out = step(&mut c, 8, replace("C", "A", 300, dec!(192)));
    assert_eq!(
        reports(&out)[0].orig_cl_ord_id.as_ref().unwrap().as_str(),
        "B"
    );
    for id in ["A", "B", "C"] {
        assert_eq!(
            c.order_by_cl_ord_id(S, &ClOrdId::from(id))
                .unwrap()
                .order_id
                .as_str(),
            "O1"
        );
    }
    // A fill on the child's newest id still lands.
    let out = step(&mut c, 9, fill("V1", &child_new, "X3", 5, dec!(191)));
    assert_eq!(reports(&out)[0].cum_qty, Qty(65));
    // Replace below cum qty is refused (99).
    let out = step(&mut c, 10, cancel("D", "C"));
    assert_eq!(cancel_rejects(&out)[0].reason, CxlRejReason::AlreadyPending);
}

#[test]
fn replace_rejected_by_venue_and_by_risk() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(&mut c, 2, ack("V1", "O1.1"));
    let out = step(&mut c, 3, replace("B", "A", 20_000, dec!(190)));
    let cr = cancel_rejects(&out);
    assert_eq!(cr[0].response_to, CxlRejResponseTo::Replace);
    assert_eq!(
        cr[0].text,
        "MaxOrderQty: order qty 20000 exceeds limit 10000"
    );
    let out = step(&mut c, 4, replace("B", "A", 200, dec!(191)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::PendingReplace);
    let out = step(
        &mut c,
        5,
        EventKind::VenueCancelRejected(VenueCancelRejected {
            venue: VenueId::from("V1"),
            cl_ord_id: ClOrdId::from("O1.1.1"),
            reason: CxlRejReason::Other,
            text: None,
        }),
    );
    let cr = cancel_rejects(&out);
    assert_eq!(
        (
            cr[0].response_to,
            cr[0].ord_status,
            cr[0].cl_ord_id.as_str()
        ),
        (CxlRejResponseTo::Replace, OrdStatus::New, "B")
    );
    let p = c.order(&OrderId::from("O1")).unwrap();
    assert_eq!((p.qty, p.cl_ord_id.as_str()), (Qty(100), "A"));
}

#[test]
fn unsolicited_cancel_expiry_and_venue_reject() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(&mut c, 2, ack("V1", "O1.1"));
    step(&mut c, 3, fill("V1", "O1.1", "X1", 30, dec!(190)));
    let out = step(&mut c, 4, closed("V1", "O1.1", CloseKind::Canceled));
    let r = reports(&out);
    assert_eq!(
        (
            r[0].exec_type,
            r[0].ord_status,
            r[0].cum_qty,
            r[0].leaves_qty
        ),
        (ExecType::Canceled, OrdStatus::Canceled, Qty(30), Qty(0))
    );
    assert_eq!(r[0].cl_ord_id.as_str(), "A");

    step(&mut c, 5, new_order("B", 100, dec!(190)));
    step(&mut c, 6, ack("V1", "O2.1"));
    let out = step(&mut c, 7, closed("V1", "O2.1", CloseKind::Expired));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Expired);

    step(&mut c, 8, new_order("C", 100, dec!(190)));
    let out = step(
        &mut c,
        9,
        EventKind::VenueRejected(VenueRejected {
            venue: VenueId::from("V1"),
            cl_ord_id: ClOrdId::from("O3.1"),
            text: Some("unknown symbol".into()),
        }),
    );
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::Rejected, OrdStatus::Rejected)
    );
    assert_eq!(r[0].text.as_deref(), Some("unknown symbol"));
    // A report for a ClOrdID nobody issued is an alert, not a crash.
    let out = step(&mut c, 10, fill("V1", "ZZ", "X9", 1, dec!(1)));
    assert!(matches!(&out[0], Output::Alert(a) if a.kind == AlertKind::UnexpectedVenueReport));
}

#[test]
fn fill_before_ack_and_duplicates_are_reported_once() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    let out = step(&mut c, 2, fill("V1", "O1.1", "X1", 40, dec!(190)));
    let r = reports(&out);
    // The client hears New, then the fill.
    assert_eq!(
        (r[0].exec_type, r[0].ord_status, r[0].cum_qty),
        (ExecType::New, OrdStatus::New, Qty(0))
    );
    assert_eq!(
        (r[1].exec_type, r[1].ord_status),
        (ExecType::Trade, OrdStatus::PartiallyFilled)
    );
    // The late ack says nothing; the duplicate fill says nothing.
    assert!(step(&mut c, 3, ack("V1", "O1.1")).is_empty());
    assert!(step(&mut c, 4, fill("V1", "O1.1", "X1", 40, dec!(190))).is_empty());
    assert_eq!(c.order(&OrderId::from("O1")).unwrap().cum, Qty(40));
    // Same ExecID from another venue is a different fill... but only if
    // that venue has the child; here it does not: alert.
    let out = step(&mut c, 5, fill("V2", "O1.1", "X1", 40, dec!(190)));
    assert!(matches!(&out[0], Output::Alert(_)));
}

#[test]
fn bust_and_correction() {
    let mut c = new_core();
    let acc = AccountId::from("ACC1");
    let sym = Symbol::from("AAPL");
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(&mut c, 2, ack("V1", "O1.1"));
    let out = step(&mut c, 3, fill("V1", "O1.1", "X1", 60, dec!(190)));
    let first_exec = reports(&out)[0].exec_id.clone();
    step(&mut c, 4, fill("V1", "O1.1", "X2", 40, dec!(191)));
    assert_eq!(c.portfolio().account(&acc).unwrap().cash, dec!(-19040));

    // Correct X2 to 40 @ 190.5.
    let out = step(
        &mut c,
        5,
        EventKind::VenueTradeCorrect(VenueTradeCorrect {
            venue: VenueId::from("V1"),
            exec_id: ExecId::from("K1"),
            exec_ref_id: ExecId::from("X2"),
            last_qty: Qty(40),
            last_px: Px(dec!(190.5)),
        }),
    );
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status, r[0].avg_px),
        (ExecType::TradeCorrect, OrdStatus::Filled, Px(dec!(190.2)))
    );
    assert_eq!(c.portfolio().account(&acc).unwrap().cash, dec!(-19020));

    // Bust X1: the order reopens with 60 leaves and nothing working.
    let bust = EventKind::VenueTradeBust(VenueTradeBust {
        venue: VenueId::from("V1"),
        exec_id: ExecId::from("K2"),
        exec_ref_id: ExecId::from("X1"),
    });
    let out = step(&mut c, 6, bust.clone());
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status),
        (ExecType::TradeCancel, OrdStatus::PartiallyFilled)
    );
    assert_eq!(
        (r[0].cum_qty, r[0].leaves_qty, r[0].avg_px),
        (Qty(40), Qty(60), Px(dec!(190.5)))
    );
    assert_eq!(r[0].exec_ref_id.as_ref(), Some(&first_exec));
    let pos = c.portfolio().position(&acc, &sym).unwrap();
    assert_eq!((pos.qty, pos.avg_cost), (40, dec!(190.5)));
    assert_eq!(c.portfolio().account(&acc).unwrap().cash, dec!(-7620));
    // The same bust again changes nothing.
    assert!(step(&mut c, 7, bust).is_empty());
    // Cancel of the reopened order: nothing at any venue, done at once.
    let out = step(&mut c, 8, cancel("C1", "A"));
    let r = reports(&out);
    assert_eq!(r.last().unwrap().ord_status, OrdStatus::Canceled);
}

#[test]
fn best_price_split_aggregates_child_fills() {
    let mut c = new_core();
    c.apply(&Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("AAPL"),
            venue: None,
        }),
    ));
    for (v, px) in [("V1", dec!(190.02)), ("V2", dec!(190.01))] {
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
    let out = step(&mut c, 1, new_order("A", 250, dec!(191)));
    let v = venue_new(&out);
    assert_eq!(
        v.iter()
            .map(|v| (v.venue.as_str(), v.qty.0))
            .collect::<Vec<_>>(),
        vec![("V2", 150), ("V1", 100)]
    );
    step(&mut c, 2, fill("V1", "O1.2", "A1", 100, dec!(190.02)));
    let out = step(&mut c, 3, fill("V2", "O1.1", "B1", 150, dec!(190.01)));
    let r = reports(&out);
    assert_eq!(
        (r[0].ord_status, r[0].cum_qty),
        (OrdStatus::Filled, Qty(250))
    );
    // (100*190.02 + 150*190.01)/250 = 190.014
    assert_eq!(r[0].avg_px, Px(dec!(190.014)));
    // Cancel of an order at two venues cancels both children; the parent
    // waits for both.
    step(&mut c, 4, new_order("B", 250, dec!(191)));
    let out = step(&mut c, 6, cancel("BC", "B"));
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, Output::VenueCancel(_)))
            .count(),
        2
    );
    let out = step(&mut c, 7, closed("V2", "O2.1", CloseKind::Canceled));
    assert!(reports(&out).is_empty());
    let out = step(&mut c, 8, closed("V1", "O2.2", CloseKind::Canceled));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Canceled);
}

#[test]
fn a_split_order_closes_when_its_last_child_fills_after_another_was_canceled() {
    let mut c = new_core();
    c.apply(&Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("AAPL"),
            venue: None,
        }),
    ));
    for (v, px) in [("V1", dec!(190.02)), ("V2", dec!(190.01))] {
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
    step(&mut c, 1, new_order("A", 250, dec!(191)));
    // V2 drops its child (150) unsolicited; V1's child is still working.
    assert!(reports(&step(&mut c, 2, closed("V2", "O1.1", CloseKind::Canceled))).is_empty());
    let out = step(&mut c, 3, fill("V1", "O1.2", "F1", 100, dec!(190.02)));
    let r = reports(&out);
    let last = r.last().unwrap();
    assert_eq!(
        (
            last.exec_type,
            last.ord_status,
            last.cum_qty,
            last.leaves_qty
        ),
        (ExecType::Canceled, OrdStatus::Canceled, Qty(100), Qty(0))
    );
    assert!(r.iter().any(|x| x.exec_type == ExecType::Trade));
}

#[test]
fn replace_of_an_order_at_several_venues_cancels_and_reroutes() {
    let mut c = new_core();
    c.apply(&Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("AAPL"),
            venue: None,
        }),
    ));
    for (v, px) in [("V1", dec!(190.02)), ("V2", dec!(190.01))] {
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
    step(&mut c, 1, new_order("A", 250, dec!(191)));
    step(&mut c, 2, fill("V2", "O1.1", "F1", 50, dec!(190.01)));
    let out = step(&mut c, 3, replace("B", "A", 300, dec!(191.5)));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].cl_ord_id.as_str()),
        (ExecType::PendingReplace, "B")
    );
    let cancels: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::VenueCancel(v) => Some(v.orig_cl_ord_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(cancels, vec!["O1.1", "O1.2"]);
    // A fill while the children are being canceled still counts.
    step(&mut c, 4, fill("V1", "O1.2", "F2", 30, dec!(190.02)));
    assert!(reports(&step(
        &mut c,
        5,
        closed("V2", "O1.1.1", CloseKind::Canceled)
    ))
    .is_empty());
    let out = step(&mut c, 6, closed("V1", "O1.2.2", CloseKind::Canceled));
    let r = reports(&out);
    assert_eq!(
        (r[0].exec_type, r[0].ord_status, r[0].cl_ord_id.as_str()),
        (ExecType::Replaced, OrdStatus::Replaced, "B")
    );
    assert_eq!(r[0].orig_cl_ord_id.as_ref().unwrap().as_str(), "A");
    assert_eq!(
        (r[0].order_qty, r[0].cum_qty, r[0].leaves_qty),
        (Qty(300), Qty(80), Qty(220))
    );
    // The new leaves (220) routed afresh at the new price.
    let v = venue_new(&out);
    assert_eq!(
        v.iter()
            .map(|v| (v.cl_ord_id.as_str(), v.venue.as_str(), v.qty.0, v.price))
            .collect::<Vec<_>>(),
        vec![
            ("O1.3", "V2", 120, Some(Px(dec!(191.5)))),
            ("O1.4", "V1", 100, Some(Px(dec!(191.5))))
        ]
    );
    step(&mut c, 7, fill("V2", "O1.3", "F3", 120, dec!(190.01)));
    let out = step(&mut c, 8, fill("V1", "O1.4", "F4", 100, dec!(190.02)));
    assert_eq!(
        (reports(&out)[0].ord_status, reports(&out)[0].cum_qty),
        (OrdStatus::Filled, Qty(300))
    );
}

#[test]
fn status_request_and_operator_cancel_all() {
    let mut c = new_core();
    step(&mut c, 1, new_order("A", 100, dec!(190)));
    step(
        &mut c,
        2,
        new_order_for("ACC2", "AAPL", "B", Side::Sell, 100, dec!(190)),
    );
    let out = step(
        &mut c,
        3,
        EventKind::ClientStatus(StatusRequest {
            session: S.into(),
            cl_ord_id: ClOrdId::from("A"),
        }),
    );
    assert_eq!(
        (reports(&out)[0].exec_type, reports(&out)[0].ord_status),
        (ExecType::OrderStatus, OrdStatus::PendingNew)
    );
    let out = c.apply(&Event::new(
        t(4),
        EventKind::ClientStatus(StatusRequest {
            session: S.into(),
            cl_ord_id: ClOrdId::from("nope"),
        }),
    ));
    assert_eq!(reports(&out)[0].order_id.as_str(), "NONE");
    let out = step(
        &mut c,
        5,
        EventKind::Operator(OperatorAction::CancelAll {
            account: Some(AccountId::from("ACC1")),
            reason: "kill switch by ops".into(),
        }),
    );
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, Output::VenueCancel(_)))
            .count(),
        1
    );
    assert_eq!(
        c.order(&OrderId::from("O1")).unwrap().status,
        OrdStatus::PendingCancel
    );
    assert_eq!(
        c.order(&OrderId::from("O2")).unwrap().status,
        OrdStatus::PendingNew
    );
    let r = reports(&out);
    assert_eq!(
        (r[0].cl_ord_id.as_str(), r[0].orig_cl_ord_id.as_ref()),
        ("A", None)
    );
    assert!(matches!(&out[0], Output::Alert(a) if a.text.contains("kill switch by ops")));
    let out = step(&mut c, 6, closed("V1", "O1.1.1", CloseKind::Canceled));
    let r = reports(&out);
    assert_eq!(
        (
            r[0].ord_status,
            r[0].cl_ord_id.as_str(),
            r[0].orig_cl_ord_id.as_ref()
        ),
        (OrdStatus::Canceled, "A", None)
    );
}

#[test]
fn positions_pnl_and_settlement_over_a_holiday() {
    let mut c = new_core();
    let acc = AccountId::from("ACC1");
    let sym = Symbol::from("AAPL");
    // Wednesday 25 Nov 2026, 15:00 New York; Thursday 26 is Thanksgiving.
    let wed = Timestamp::from_utc(2026, 11, 25, 20, 0, 0);
    let ev = |k: EventKind| Event::new(wed, k);
    c.apply(&ev(EventKind::Operator(OperatorAction::Deposit {
        account: acc.clone(),
        amount: Px(dec!(100000)),
    })));
    c.apply(&ev(new_order("A", 100, dec!(190))));
    c.apply(&ev(fill("V1", "O1.1", "X1", 100, dec!(190))));
    c.apply(&ev(new_order_for(
        "ACC1",
        "AAPL",
        "B",
        Side::Sell,
        40,
        dec!(195),
    )));
    c.apply(&ev(fill("V1", "O2.1", "X2", 40, dec!(195))));
    c.apply(&ev(EventKind::MarketPrice {
        symbol: sym.clone(),
        px: Px(dec!(200)),
    }));
    let pnl = c.portfolio().pnl(&acc);
    assert_eq!((pnl.realised, pnl.unrealised), (dec!(200), dec!(600)));
    let a = c.portfolio().account(&acc).unwrap();
    assert_eq!((a.cash, a.settled_cash), (dec!(88800), dec!(100000)));
    let t1 = c.ledger().get(0).unwrap();
    assert_eq!(
        t1.settle_date,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    );

    let rec = |exec: &str, child: &str, side: Side, qty: u64, px| ClearingRecord {
        venue: VenueId::from("V1"),
        trade_id: format!("T-{exec}"),
        venue_order_id: OrderId::new(format!("V1-{child}")),
        symbol: sym.clone(),
        side,
        qty: Qty(qty),
        price: Px(px),
        settlement_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
    };
    // Thanksgiving: nothing is due.
    let out = c.apply(&Event::new(
        Timestamp::from_utc(2026, 11, 26, 22, 0, 0),
        EventKind::Settle(Settlement {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            records: vec![],
        }),
    ));
    assert!(out.is_empty());
    assert_eq!(c.portfolio().position(&acc, &sym).unwrap().settled_qty, 0);
    // Friday 27: X1 clears; X2 has no record: a break, still pending.
    let out = c.apply(&Event::new(
        Timestamp::from_utc(2026, 11, 27, 22, 0, 0),
        EventKind::Settle(Settlement {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            records: vec![rec("X1", "O1.1", Side::Buy, 100, dec!(190))],
        }),
    ));
    assert_eq!(out.len(), 1);
    assert!(
        matches!(&out[0], Output::Alert(a) if a.kind == AlertKind::SettlementBreak && a.text.contains("X2"))
    );
    let a = c.portfolio().account(&acc).unwrap();
    assert_eq!((a.cash, a.settled_cash), (dec!(88800), dec!(81000)));
    assert_eq!(c.portfolio().position(&acc, &sym).unwrap().settled_qty, 100);
    // The record arrives on Monday's run.
    let out = c.apply(&Event::new(
        Timestamp::from_utc(2026, 11, 30, 22, 0, 0),
        EventKind::Settle(Settlement {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            records: vec![rec("X2", "O2.1", Side::Sell, 40, dec!(195))],
        }),
    ));
    assert!(out.is_empty(), "{out:?}");
    let a = c.portfolio().account(&acc).unwrap();
    assert_eq!((a.cash, a.settled_cash), (dec!(88800), dec!(88800)));
    assert_eq!(c.portfolio().position(&acc, &sym).unwrap().settled_qty, 60);
    // A settled trade cannot be busted.
    let out = c.apply(&Event::new(
        Timestamp::from_utc(2026, 11, 30, 23, 0, 0),
        EventKind::VenueTradeBust(VenueTradeBust {
            venue: VenueId::from("V1"),
            exec_id: ExecId::from("K"),
            exec_ref_id: ExecId::from("X1"),
        }),
    ));
    assert!(matches!(&out[0], Output::Alert(a) if a.text.contains("settled")));
}

#[test]
fn accounts_are_independent() {
    let mut c = new_core();
    step(
        &mut c,
        1,
        new_order_for("ACC1", "AAPL", "A", Side::Buy, 10, dec!(190)),
    );
    step(
        &mut c,
        2,
        new_order_for("ACC2", "AAPL", "B", Side::SellShort, 10, dec!(190)),
    );
    step(&mut c, 3, fill("V1", "O1.1", "X1", 10, dec!(190)));
    step(&mut c, 4, fill("V1", "O2.1", "X2", 10, dec!(190)));
    let p = c.portfolio();
    assert_eq!(
        p.position(&AccountId::from("ACC1"), &Symbol::from("AAPL"))
            .unwrap()
            .qty,
        10
    );
    assert_eq!(
        p.position(&AccountId::from("ACC2"), &Symbol::from("AAPL"))
            .unwrap()
            .qty,
        -10
    );
    assert_eq!(
        p.account(&AccountId::from("ACC2")).unwrap().cash,
        dec!(1900)
    );
}
