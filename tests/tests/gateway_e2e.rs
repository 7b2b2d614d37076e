//! End-to-end tests of the gateway over real sockets: a FIX 4.4 client ->
//! the gateway (in process, or the `fixgw` binary for the kill -9 test) ->
//! the OMS core and its journal -> a simulated venue over FIX and back, on
//! both storage backends (files under a tempdir; PostgreSQL at
//! FIXGW_TEST_PG_URL in schemas of the test's own; the PostgreSQL tests
//! fail when the database cannot be reached).

mod common;

use common::*;
use fix_engine::codec::Message;
use fix_engine::store::SessionKey;
use rust_decimal::Decimal;
use std::time::Duration;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

// (1) order -> New -> fills -> Filled; positions; settlement.
async fn lifecycle(b: Backend) {
    let rig = Rig::start(b, "life").await;
    let mut c = rig.client("CLIENT1").await;
    // Marketable: takes three levels of 100 (190.01, 190.02, 190.03).
    let o = Ord::buy("L1", "ACC1", "AAPL", 300, "191.00", "0");
    c.new_order(&o);
    let reports = c.until_done(&o).await;
    let types: Vec<&str> = reports.iter().map(|m| s(m, 150)).collect();
    assert!(types.contains(&"0"), "a New ack: {types:?}");
    let first_fill = types.iter().position(|t| *t == "F").expect("fills");
    assert!(
        types.iter().position(|t| *t == "0").unwrap() < first_fill,
        "New before fills: {types:?}"
    );
    let last = reports.last().unwrap();
    assert_eq!((s(last, 39), u(last, 14), u(last, 151)), ("2", 300, 0));
    for m in &reports {
        assert_eq!(s(m, 1), "ACC1");
        assert_eq!(s(m, 55), "AAPL");
        assert_ne!(s(m, 37), "NONE");
    }
    let cost: Decimal = reports
        .iter()
        .filter(|m| s(m, 150) == "F")
        .map(|m| Decimal::from(u(m, 32)) * d(m, 31))
        .sum();
    assert_eq!(
        d(last, 6) * Decimal::from(300),
        cost,
        "AvgPx * CumQty = cost"
    );

    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL"),
        (Decimal::from(300), Decimal::ZERO),
        "{}",
        sum.text
    );
    let acc = &sum.accounts["ACC1"];
    assert_eq!(acc.cash, -cost.round_dp(2), "{}", sum.text);
    assert_eq!(acc.settled_cash, Decimal::ZERO, "{}", sum.text);

    // Settlement with the venue's clearing records for our trades.
    let records = clearing_for_gateway(&rig.venues.input).await;
    assert_eq!(
        records.iter().map(|r| r.qty.0).sum::<u64>(),
        300,
        "{records:?}"
    );
    let date = records[0].settlement_date;
    assert!(records.iter().all(|r| r.settlement_date == date));
    rig.core_event(oms::EventKind::Settle(oms::events::Settlement {
        date,
        records,
    }));
    // The summary query is answered after the settle event is applied.
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL"),
        (Decimal::from(300), Decimal::from(300)),
        "settled view: {}",
        sum.text
    );
    let acc = &sum.accounts["ACC1"];
    assert_eq!(acc.settled_cash, -cost.round_dp(2), "{}", sum.text);
    assert_eq!(acc.cash, -cost.round_dp(2), "{}", sum.text);
}
on_both_backends!(lifecycle, lifecycle_files, lifecycle_postgres);

// (2) partial fills: an IOC larger than the book fills what is there and
// the rest is canceled; a resting order partly hit after a price shock.
async fn partial_fills(b: Backend) {
    let rig = Rig::start(b, "partial").await;
    let mut c = rig.client("CLIENT1").await;
    // 5 levels of 100 from 190.01: at most 300 up to 190.03.
    let o = Ord::buy("P1", "ACC1", "AAPL", 450, "190.03", "3");
    c.new_order(&o);
    let reports = c.until_done(&o).await;
    let last = reports.last().unwrap();
    assert!(
        matches!(s(last, 39), "4" | "C"),
        "IOC remainder canceled or expired: {last:?}"
    );
    assert_eq!(u(last, 14), 300, "{last:?}");
    assert!(
        reports.iter().any(|m| s(m, 39) == "1"),
        "PartiallyFilled on the way"
    );
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(300),
        "{}",
        sum.text
    );

    // A resting sell above the market, then the market moves up through it:
    // the venue's liquidity fills it (in part or whole) while it rests.
    let r = Ord::sell("P2", "ACC1", "MSFT", 150, "425.00", "0");
    c.new_order(&r);
    let ack = c.next_of("8").await;
    let mut fills = Fills::default();
    fills.check(&ack, 150);
    let ack = if s(&ack, 39) == "A" {
        let m = c.next_of("8").await;
        fills.check(&m, 150);
        m
    } else {
        ack
    };
    assert_eq!((s(&ack, 150), s(&ack, 39)), ("0", "0"), "{ack:?}");
    rig.control("shock MSFT 2%").await;
    let first = c.next_of("8").await;
    fills.check(&first, 150);
    assert_eq!(s(&first, 150), "F", "{first:?}");
    let mut seen = vec![first];
    while !is_done(seen.last().unwrap()) && fills.qty < 150 {
        let m = c.next_of("8").await;
        fills.check(&m, 150);
        seen.push(m);
    }
    assert!(fills.qty > 0);
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "MSFT").0,
        -Decimal::from(fills.qty),
        "{}",
        sum.text
    );
}
on_both_backends!(partial_fills, partial_fills_files, partial_fills_postgres);

/// Sends a passive order and returns once it is acknowledged New.
async fn rest(c: &mut Client, o: &Ord) -> Fills {
    c.new_order(o);
    let mut fills = Fills::default();
    loop {
        let m = c.next_of("8").await;
        assert_eq!(s(&m, 11), o.cl, "{m:?}");
        fills.check(&m, o.qty);
        match s(&m, 39) {
            "A" => continue,
            "0" => {
                assert_eq!(s(&m, 150), "0", "{m:?}");
                return fills;
            }
            _ => panic!("expected the order to rest: {m:?}"),
        }
    }
}

// (3) cancel of a resting order.
async fn cancel(b: Backend) {
    let rig = Rig::start(b, "cancel").await;
    let mut c = rig.client("CLIENT1").await;
    let o = Ord::buy("C1", "ACC1", "AAPL", 100, "185.00", "0");
    rest(&mut c, &o).await;
    c.cancel("C2", "C1", &o);
    let m = loop {
        let m = c.next_of("8").await;
        assert_eq!((s(&m, 11), s(&m, 41)), ("C2", "C1"), "{m:?}");
        Fills::default().check(&m, 100);
        if s(&m, 150) == "6" {
            assert_eq!(s(&m, 39), "6", "PendingCancel: {m:?}");
            continue;
        }
        break m;
    };
    assert_eq!(
        (s(&m, 150), s(&m, 39), u(&m, 151), u(&m, 14)),
        ("4", "4", 0, 0)
    );
    // Asking again: the order is done; a cancel reject says so.
    c.cancel("C3", "C1", &o);
    let rej = c.next_of("9").await;
    assert_eq!((s(&rej, 11), s(&rej, 41), s(&rej, 434)), ("C3", "C1", "1"));
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::ZERO,
        "{}",
        sum.text
    );
}
on_both_backends!(cancel, cancel_files, cancel_postgres);

// (4) replace of a resting order: new quantity and price.
async fn replace(b: Backend) {
    let rig = Rig::start(b, "replace").await;
    let mut c = rig.client("CLIENT1").await;
    let o = Ord::buy("R1", "ACC1", "MSFT", 100, "410.00", "0");
    rest(&mut c, &o).await;
    c.replace("R2", "R1", &o, 200, "411.00");
    let m = loop {
        let m = c.next_of("8").await;
        assert_eq!((s(&m, 11), s(&m, 41)), ("R2", "R1"), "{m:?}");
        if s(&m, 150) == "E" {
            continue;
        }
        break m;
    };
    assert_eq!((s(&m, 150), s(&m, 39)), ("5", "0"), "{m:?}");
    assert_eq!((u(&m, 38), u(&m, 151), u(&m, 14)), (200, 200, 0), "{m:?}");
    assert_eq!(d(&m, 44), dec("411.00"));
    // The replaced order is live under R2: cancel it by that id.
    let r2 = Ord {
        cl: "R2".into(),
        qty: 200,
        ..o.clone()
    };
    c.cancel("R3", "R2", &r2);
    let m = loop {
        let m = c.next_of("8").await;
        if s(&m, 150) == "6" {
            continue;
        }
        break m;
    };
    assert_eq!(
        (s(&m, 150), s(&m, 11), s(&m, 41)),
        ("4", "R3", "R2"),
        "{m:?}"
    );
    assert_eq!(u(&m, 38), 200);
}
on_both_backends!(replace, replace_files, replace_postgres);

// (5) a risk reject names the rule and the limit.
async fn risk_reject(b: Backend) {
    let rig = Rig::start(b, "risk").await;
    let mut c = rig.client("CLIENT1").await;
    let o = Ord::buy("K1", "ACC1", "AAPL", 6_000, "190.00", "0");
    c.new_order(&o);
    let m = c.next_of("8").await;
    assert_eq!(
        (s(&m, 11), s(&m, 150), s(&m, 39)),
        ("K1", "8", "8"),
        "{m:?}"
    );
    assert_eq!((u(&m, 14), u(&m, 151)), (0, 0));
    let text = s(&m, 58).to_ascii_lowercase();
    assert!(
        text.contains("qty") || text.contains("quantity"),
        "the rule: {text}"
    );
    assert!(
        text.contains("5000") || text.contains("5,000"),
        "the limit: {text}"
    );
    // Nothing reached the venue; the next order goes through.
    let ok = Ord::buy("K2", "ACC1", "AAPL", 100, "191.00", "3");
    c.new_order(&ok);
    let last = c.until_done(&ok).await.pop().unwrap();
    assert_eq!(s(&last, 39), "2");
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(100),
        "{}",
        sum.text
    );
}
on_both_backends!(risk_reject, risk_reject_files, risk_reject_postgres);

// (6) venue rejects: a halted symbol and a symbol the venue does not know.
async fn venue_reject(b: Backend) {
    let rig = Rig::start(b, "vreject").await;
    let mut c = rig.client("CLIENT1").await;
    rig.control("halt AAPL news pending").await;
    let o = Ord::buy("V1", "ACC1", "AAPL", 100, "191.00", "0");
    c.new_order(&o);
    let last = c.until_done(&o).await.pop().unwrap();
    assert_eq!((s(&last, 150), s(&last, 39)), ("8", "8"), "{last:?}");
    assert!(
        s(&last, 58).contains("halted"),
        "the venue's reason: {last:?}"
    );
    let z = Ord::buy("V2", "ACC1", "ZZZZ", 10, "1.00", "0");
    c.new_order(&z);
    let last = c.until_done(&z).await.pop().unwrap();
    assert_eq!(s(&last, 39), "8", "{last:?}");
    assert!(
        s(&last, 58).to_ascii_lowercase().contains("symbol"),
        "the venue's reason: {last:?}"
    );
    rig.control("resume AAPL").await;
    let ok = Ord::buy("V3", "ACC1", "AAPL", 100, "191.00", "3");
    c.new_order(&ok);
    assert_eq!(s(c.until_done(&ok).await.last().unwrap(), 39), "2");
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(100),
        "{}",
        sum.text
    );
    assert_eq!(
        sum.position("ACC1", "ZZZZ").0,
        Decimal::ZERO,
        "{}",
        sum.text
    );
}
on_both_backends!(venue_reject, venue_reject_files, venue_reject_postgres);

/// Reads reports of order `o` until it is Filled, checking quantities.
async fn until_filled(c: &mut Client, o: &Ord, fills: &mut Fills) -> Vec<Message> {
    let mut seen = Vec::new();
    loop {
        let m = c.next_of("8").await;
        assert_eq!(s(&m, 11), o.cl, "{m:?}");
        fills.check(&m, o.qty);
        let st = s(&m, 39).to_owned();
        seen.push(m);
        match st.as_str() {
            "2" => return seen,
            "0" | "1" => {}
            _ => panic!("expected fills of {}: {:?}", o.cl, seen.last()),
        }
    }
}

/// Cancels a resting order and expects it canceled.
async fn cancel_ok(c: &mut Client, cl: &str, o: &Ord) -> Message {
    c.cancel(cl, &o.cl, o);
    loop {
        let m = c.next_of("8").await;
        assert_eq!((s(&m, 11), s(&m, 41)), (cl, o.cl.as_str()), "{m:?}");
        if s(&m, 150) == "6" {
            continue;
        }
        assert_eq!((s(&m, 150), s(&m, 39), u(&m, 151)), ("4", "4", 0), "{m:?}");
        return m;
    }
}

// (7) the venue drops the gateway's session with orders open; the venue
// fills one while the session is down; the gateway reconnects, the resend
// brings the fill, and the other order is still live and cancels.
async fn venue_reconnect(b: Backend) {
    let rig = Rig::start(b, "vdrop").await;
    let mut c = rig.client("CLIENT1").await;
    let a = Ord::buy("A1", "ACC1", "AAPL", 100, "185.00", "0");
    let bo = Ord::sell("B1", "ACC1", "MSFT", 100, "425.00", "0");
    rest(&mut c, &a).await;
    let mut fills = rest(&mut c, &bo).await;
    let venue = rig.gw.venues[0].clone();
    let at_venue = rig
        .venues
        .acceptor
        .session(&SessionKey::new("FIX.4.4", "SIMX", "GATEWAY"))
        .expect("the venue's session with the gateway");
    let sent_before = at_venue.status().next_sender_seq;

    rig.control("drop_session GATEWAY").await;
    tokio::time::timeout(WAIT, venue.wait_for(|s| !s.logged_on))
        .await
        .expect("the gateway sees its venue session drop");
    // While the session is down the market moves through B1: the venue's
    // fill goes into its message store only.
    rig.control("shock MSFT 2%").await;
    let st = tokio::time::timeout(WAIT, at_venue.wait_for(|s| s.next_sender_seq > sent_before))
        .await
        .expect("the venue reports the fill");
    assert!(
        !st.connected,
        "the fill was reported while the session was down: {st:?}"
    );
    // The gateway's initiator reconnects by itself; sequence numbers carry
    // on and the gap is filled by a resend.
    tokio::time::timeout(WAIT, venue.wait_for(|s| s.logged_on))
        .await
        .expect("the venue session logs on again");
    until_filled(&mut c, &bo, &mut fills).await;
    let v = at_venue.status();
    tokio::time::timeout(
        WAIT,
        venue.wait_for(|s| s.next_target_seq >= v.next_sender_seq),
    )
    .await
    .expect("the gateway received everything the venue sent");

    // A1 stayed open across the outage and still cancels at the venue.
    cancel_ok(&mut c, "A2", &a).await;
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "MSFT").0,
        Decimal::from(-100),
        "{}",
        sum.text
    );
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::ZERO,
        "{}",
        sum.text
    );
    c.quiet_for(Duration::from_millis(300)).await;
}
on_both_backends!(
    venue_reconnect,
    venue_reconnect_files,
    venue_reconnect_postgres
);

// (8) the client's connection drops; reports produced while it is away are
// resent (PossDupFlag=Y) when its initiator logs on again with its
// sequence numbers.
async fn client_reconnect(b: Backend) {
    let rig = Rig::start(b, "cdrop").await;
    // A slow redial leaves a window for the market to move while away.
    let mut c =
        Client::connect_with(&rig.addr().to_string(), "CLIENT1", Duration::from_secs(1)).await;
    let a = Ord::buy("A1", "ACC1", "AAPL", 100, "185.00", "0");
    let bo = Ord::sell("B1", "ACC1", "MSFT", 100, "425.00", "0");
    rest(&mut c, &a).await;
    let mut fills = rest(&mut c, &bo).await;
    let gw_side = rig
        .gw
        .clients
        .iter()
        .find(|h| h.key.target_comp_id == "CLIENT1")
        .expect("CLIENT1 session")
        .clone();
    let before = c.handle.status();
    assert!(before.next_sender_seq > 1 && before.next_target_seq > 1);

    assert!(c.handle.disconnect());
    tokio::time::timeout(WAIT, gw_side.wait_for(|s| !s.connected))
        .await
        .expect("the gateway sees the client go");
    let gw_sent = gw_side.status().next_sender_seq;
    rig.control("shock MSFT 2%").await;
    let st = tokio::time::timeout(WAIT, gw_side.wait_for(|s| s.next_sender_seq > gw_sent))
        .await
        .expect("the gateway reports the fill to the absent client");
    assert!(!st.connected, "reported while the client was away: {st:?}");
    assert!(
        !c.handle.status().logged_on,
        "the client is still away when the fill is reported"
    );

    c.wait_logged_on().await;
    let after = c.handle.status();
    assert!(
        after.next_sender_seq >= before.next_sender_seq,
        "no sequence reset: {before:?} -> {after:?}"
    );
    let got = until_filled(&mut c, &bo, &mut fills).await;
    for m in &got {
        assert_eq!(s(m, 43), "Y", "a resent report carries PossDupFlag: {m:?}");
        assert!(m.get(122).is_some(), "and OrigSendingTime: {m:?}");
    }
    // Business as usual afterwards, on the same sequence.
    cancel_ok(&mut c, "A2", &a).await;
    let st = c.handle.status();
    tokio::time::timeout(
        WAIT,
        gw_side.wait_for(|s| s.next_target_seq == st.next_sender_seq),
    )
    .await
    .expect("the gateway is in step with the client");
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "MSFT").0,
        Decimal::from(-100),
        "{}",
        sum.text
    );
}
on_both_backends!(
    client_reconnect,
    client_reconnect_files,
    client_reconnect_postgres
);

// (10) two clients on different accounts trading at once, with the same
// ClOrdIDs: each sees only its own orders; positions stay apart.
async fn two_clients(b: Backend) {
    let rig = Rig::start(b, "two").await;
    let mut c1 = rig.client("CLIENT1").await;
    let mut c2 = rig.client("CLIENT2").await;
    let n = 5;
    let o1: Vec<Ord> = (0..n)
        .map(|i| Ord::buy(&format!("T{i}"), "ACC1", "AAPL", 20, "191.00", "3"))
        .collect();
    let o2: Vec<Ord> = (0..n)
        .map(|i| Ord::buy(&format!("T{i}"), "ACC2", "AAPL", 30, "191.00", "3"))
        .collect();
    for i in 0..n {
        c1.new_order(&o1[i]);
        c2.new_order(&o2[i]);
    }
    // A client may not trade another's account.
    c1.new_order(&Ord::buy("X1", "ACC2", "AAPL", 10, "191.00", "3"));

    async fn drain(c: &mut Client, orders: &[Ord], acc: &str) -> u64 {
        let mut fills: Vec<Fills> = orders.iter().map(|_| Fills::default()).collect();
        let mut open = orders.len();
        let mut rejected_foreign = false;
        while open > 0 || (acc == "ACC1" && !rejected_foreign) {
            let m = c.next_of("8").await;
            if s(&m, 11) == "X1" {
                assert_eq!(s(&m, 39), "8", "{m:?}");
                assert!(s(&m, 58).contains("ACC2"), "{m:?}");
                rejected_foreign = true;
                continue;
            }
            assert_eq!(s(&m, 1), acc, "only its own account's reports: {m:?}");
            let i = orders
                .iter()
                .position(|o| o.cl == s(&m, 11))
                .unwrap_or_else(|| panic!("unknown ClOrdID {m:?}"));
            fills[i].check(&m, orders[i].qty);
            if is_done(&m) {
                assert_eq!(s(&m, 39), "2", "{m:?}");
                open -= 1;
            }
        }
        fills.iter().map(|f| f.qty).sum()
    }
    let (q1, q2) = tokio::join!(drain(&mut c1, &o1, "ACC1"), drain(&mut c2, &o2, "ACC2"));
    assert_eq!((q1, q2), (100, 150));
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(100),
        "{}",
        sum.text
    );
    assert_eq!(
        sum.position("ACC2", "AAPL").0,
        Decimal::from(150),
        "{}",
        sum.text
    );
    c1.quiet_for(Duration::from_millis(200)).await;
    c2.quiet_for(Duration::from_millis(10)).await;
}
on_both_backends!(two_clients, two_clients_files, two_clients_postgres);

/// The venue's session with the gateway, once the gateway has dialled in.
async fn venue_side_session(rig_venues: &sim_venue::fix::RunningVenues) -> SessionHandleAlias {
    let key = SessionKey::new("FIX.4.4", "SIMX", "GATEWAY");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(h) = rig_venues.acceptor.session(&key) {
            return h;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway never reached the venue"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

type SessionHandleAlias = fix_engine::transport::SessionHandle;

/// The OMS state the journal holds: what a restart recovers.
async fn recovered_position(storage: &Storage, acc: &str, sym: &str) -> i64 {
    let section = storage.section();
    let cfg = || oms::OmsConfig {
        venues: vec![oms::VenueId::new("SIMX")],
        default_venues: [("AAPL", "SIMX"), ("MSFT", "SIMX")]
            .iter()
            .map(|(s, v)| (oms::Symbol::new(*s), oms::VenueId::new(*v)))
            .collect(),
        drop_copy: false,
    };
    let checker = || {
        Box::new(oms::LimitsChecker {
            max_qty: oms::Qty(5_000),
            max_notional: Decimal::from(5_000_000),
        })
    };
    let core_pos = |core: &oms::OmsCore| {
        core.portfolio()
            .accounts()
            .find(|(a, _)| a.as_str() == acc)
            .and_then(|(_, a)| a.positions.iter().find(|(s, _)| s.as_str() == sym))
            .map_or(0, |(_, p)| p.qty)
    };
    match storage.backend {
        Backend::Files => {
            let j =
                oms::FileJournal::open(section.data_dir.join("journal"), oms::FsyncPolicy::Never)
                    .expect("open the journal");
            let o = oms::JournaledOms::open(cfg(), checker(), Box::new(oms::DefaultRouter), j)
                .await
                .expect("replay");
            core_pos(o.core())
        }
        Backend::Postgres => {
            let j =
                oms::PgJournal::connect(&test_support::pg::url(), Some(&section.journal_schema()))
                    .await
                    .expect("open the journal");
            let o = oms::JournaledOms::open(cfg(), checker(), Box::new(oms::DefaultRouter), j)
                .await
                .expect("replay");
            core_pos(o.core())
        }
    }
}

// (9) kill -9 of a real `fixgw run` process with orders in flight, then a
// restart on the same config and data: the client's session carries on
// (no reset, no gap), earlier orders are known, every order sent is
// answered, and no fill is lost or applied twice (the recovered position
// equals what the venue's clearing says the gateway bought).
async fn restart_after_kill(b: Backend) {
    kill_restart(b, KillAt::FirstFill).await;
}

/// When the kill lands during the burst.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KillAt {
    /// After the first burst order is done.
    FirstFill,
    /// After the first report of the burst: most of it is in flight.
    FirstReport,
}

async fn kill_restart(b: Backend, at: KillAt) {
    let storage = Storage::new(b, "kill");
    let venues = start_venues().await;
    let port = free_port();
    let cfg_path = storage.dir.path().join("gw.toml");
    write_file(&cfg_path, &config_toml(&storage, venues.local_addr, port));
    let mut gw = GatewayProcess::spawn(&cfg_path).await;
    let at_venue = venue_side_session(&venues).await;
    tokio::time::timeout(WAIT, at_venue.wait_for(|s| s.logged_on))
        .await
        .expect("the gateway logs on to the venue");
    let mut c = Client::connect(&format!("127.0.0.1:{port}"), "CLIENT1").await;

    // Before the kill: a resting order, a filled order, then a burst of
    // marketable IOCs, and the kill lands while they are in flight.
    let r = Ord::buy("R1", "ACC1", "AAPL", 100, "185.00", "0");
    rest(&mut c, &r).await;
    let f = Ord::buy("F1", "ACC1", "AAPL", 200, "191.00", "0");
    c.new_order(&f);
    let f_last = c.until_done(&f).await.pop().unwrap();
    assert_eq!(s(&f_last, 39), "2");
    let burst: Vec<Ord> = (0..10)
        .map(|i| Ord::buy(&format!("B{i}"), "ACC1", "AAPL", 10, "191.00", "3"))
        .collect();
    for o in &burst {
        c.new_order(o);
    }
    let mut seen_before: std::collections::BTreeMap<String, Message> = Default::default();
    loop {
        let m = c.next_of("8").await;
        let done = is_done(&m);
        seen_before.insert(s(&m, 11).to_owned(), m);
        if done || at == KillAt::FirstReport {
            break;
        }
    }
    gw.kill9().await;
    tokio::time::timeout(WAIT, c.handle.wait_for(|s| !s.logged_on))
        .await
        .expect("the client notices the gateway is gone");
    tokio::time::timeout(WAIT, at_venue.wait_for(|s| !s.logged_on))
        .await
        .expect("the venue notices the gateway is gone");
    let seq_at_kill = c.handle.status();
    let venue_at_kill = at_venue.status();

    // Restart: same config, same data.
    let mut gw2 = GatewayProcess::spawn(&cfg_path).await;
    tokio::time::timeout(WAIT, at_venue.wait_for(|s| s.logged_on))
        .await
        .expect("the restarted gateway logs on to the venue");
    let venue_after = at_venue.status();
    assert!(
        venue_after.next_target_seq >= venue_at_kill.next_target_seq
            && venue_after.next_sender_seq >= venue_at_kill.next_sender_seq,
        "the venue session's sequence numbers continue: {venue_at_kill:?} -> {venue_after:?}"
    );
    c.wait_logged_on().await;
    let seq_after = c.handle.status();
    assert!(
        seq_after.next_sender_seq >= seq_at_kill.next_sender_seq
            && seq_after.next_target_seq >= seq_at_kill.next_target_seq,
        "sequence numbers continue: {seq_at_kill:?} -> {seq_after:?}"
    );

    // Every order: its status, from the restarted gateway.
    let mut all = vec![r.clone(), f.clone()];
    all.extend(burst.iter().cloned());
    for o in &all {
        c.status_request(&o.cl, o);
    }
    let mut status: std::collections::BTreeMap<String, Message> = Default::default();
    let mut last: std::collections::BTreeMap<String, Message> = seen_before.clone();
    while status.len() < all.len() || burst.iter().any(|o| !last.get(&o.cl).is_some_and(is_done)) {
        let m = c.next_of("8").await;
        let cl = s(&m, 11).to_owned();
        let o = all
            .iter()
            .find(|o| o.cl == cl)
            .unwrap_or_else(|| panic!("unknown ClOrdID {m:?}"));
        assert_ne!(
            (s(&m, 150), s(&m, 39)),
            ("I", "8"),
            "the restarted gateway does not know {cl}: an order the client sent was lost"
        );
        assert_eq!(u(&m, 38), o.qty, "{m:?}");
        let (cum, leaves) = (u(&m, 14), u(&m, 151));
        if is_done(&m) {
            assert_eq!(leaves, 0, "{m:?}");
        } else {
            assert_eq!(cum + leaves, o.qty, "{m:?}");
        }
        if let Some(prev) = last.get(&cl) {
            assert!(
                u(prev, 14) <= cum,
                "CumQty never goes back: {prev:?} then {m:?}"
            );
        }
        if s(&m, 150) == "I" {
            status.insert(cl.clone(), m.clone());
        }
        last.insert(cl, m);
    }
    assert_eq!(s(&status["R1"], 39), "0", "the resting order is still open");
    assert_eq!(
        (s(&status["F1"], 39), u(&status["F1"], 14)),
        ("2", 200),
        "the filled order, filled once"
    );
    for o in &burst {
        let m = &last[&o.cl];
        assert_eq!((s(m, 39), u(m, 14)), ("2", 10), "{m:?}");
    }
    // Still trading after the restart.
    cancel_ok(&mut c, "R2", &r).await;
    let n = Ord::buy("N1", "ACC1", "AAPL", 50, "191.00", "3");
    c.new_order(&n);
    assert_eq!(s(c.until_done(&n).await.last().unwrap(), 39), "2");

    // Positions: the journal (what the process recovers) against the venue.
    let bought = venue_filled(&venues.input, "AAPL").await;
    assert_eq!(bought, 200 + 100 + 50, "what the venue filled");
    gw2.kill9().await;
    let pos = recovered_position(&storage, "ACC1", "AAPL").await;
    assert_eq!(pos, bought as i64, "no fill lost or applied twice");
}
on_both_backends!(
    restart_after_kill,
    restart_after_kill_files,
    restart_after_kill_postgres
);

// (9b) the same with the kill right after the first report of the burst:
// most of it is in flight, so venue reports reach the killed process's
// venue session (which counts them received) without their events being
// journaled, and client reports are journaled without reaching the client
// session. The restart has the venue resend the first (the journal says
// which inbound messages are durable) and sends the second from a replay.
on_both_backends!(
    restart_after_kill_mid_burst,
    restart_after_kill_mid_burst_files,
    restart_after_kill_mid_burst_postgres
);

async fn restart_after_kill_mid_burst(b: Backend) {
    kill_restart(b, KillAt::FirstReport).await;
}
