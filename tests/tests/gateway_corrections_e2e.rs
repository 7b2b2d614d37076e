//! End-to-end tests of venue trade corrections and busts over real
//! sockets, on both storage backends: a client order is filled by the
//! simulated venue, then the venue's side of the FIX session sends an
//! ExecutionReport with ExecType G (Trade Correct) and one with ExecType
//! H (Trade Cancel) naming the venue fills by ExecRefID. The client gets
//! ExecutionReports 150=G / 150=H whose CumQty and AvgPx agree with the
//! fills left, positions and cash follow, a repeated correction changes
//! nothing, and the journal replayed from scratch reaches the same state.

mod common;

use common::*;
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::store::SessionKey;
use fix_engine::transport::SessionHandle;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The venue's session with the gateway (the gateway has logged on).
fn venue_side(rig: &Rig) -> SessionHandle {
    rig.venues
        .acceptor
        .session(&SessionKey::new("FIX.4.4", "SIMX", "GATEWAY"))
        .expect("the venue's session with the gateway")
}

/// A venue ExecutionReport correcting (`exec_type` G, with `new`) or
/// busting (H) the venue fill `f`.
fn adjustment(
    exec_type: &str,
    exec_id: &str,
    f: &BookedFill,
    new: Option<(u64, &str)>,
) -> MessageBuilder {
    let mut m = MessageBuilder::new("8");
    m.field(37, f.venue_order_id.as_str())
        .field(11, f.child_cl_ord_id.as_str())
        .field(17, exec_id)
        .field(19, f.exec_id.as_str())
        .field(150, exec_type)
        .field(39, "2")
        .field(1, "ACC1")
        .field(55, "AAPL")
        .field(54, "1");
    if let Some((q, px)) = new {
        m.field_u64(32, q).field(31, px);
    }
    m.field(151, "0")
        .field(14, "0")
        .field(6, "0")
        .field(60, "20260304-15:00:00.000");
    m
}

/// Waits until the gateway's venue session has received everything the
/// venue's side sent, then until the core has applied it.
/// Waits until the venue's side has sent a message after `sent_before`
/// (its next MsgSeqNum when the test handed it the message: the send is
/// asynchronous) and the gateway has received it and applied its event.
async fn delivered(rig: &Rig, at_venue: &SessionHandle, sent_before: u64) {
    tokio::time::timeout(WAIT, at_venue.wait_for(|s| s.next_sender_seq > sent_before))
        .await
        .expect("the venue's side sends the report");
    let sent = at_venue.status().next_sender_seq;
    tokio::time::timeout(
        WAIT,
        rig.gw.venues[0].wait_for(|s| s.next_target_seq >= sent),
    )
    .await
    .expect("the gateway receives the venue's report");
    // The venue app hands the event to the core before the session's
    // status moves; this query is answered after that event's batch.
    rig.summary().await;
}

/// CumQty, LeavesQty, OrdStatus and AvgPx of a client report.
fn state_of(m: &Message) -> (u64, u64, String, Decimal) {
    (u(m, 14), u(m, 151), s(m, 39).to_owned(), d(m, 6))
}

async fn correct_and_bust(b: Backend) {
    let rig = Rig::start(b, "corr").await;
    let mut c = rig.client("CLIENT1").await;
    // Marketable IOC: three levels of 100 (190.01, 190.02, 190.03).
    let o = Ord::buy("L1", "ACC1", "AAPL", 300, "191.00", "3");
    c.new_order(&o);
    let reports = c.until_done(&o).await;
    let last = reports.last().unwrap();
    assert_eq!((s(last, 39), u(last, 14)), ("2", 300), "{last:?}");
    let fills = booked_fills(&rig.gw).await;
    assert_eq!(fills.len(), 3, "{fills:?}");
    let prices: Vec<Decimal> = fills.iter().map(|f| f.px).collect();
    assert_eq!(prices, [dec("190.01"), dec("190.02"), dec("190.03")]);
    let at_venue = venue_side(&rig);

    // The venue corrects its first fill: 100 @ 190.01 was 100 @ 189.50.
    assert!(at_venue.send(adjustment("G", "CORR-1", &fills[0], Some((100, "189.50")))));
    let m = c.next_of("8").await;
    assert_eq!(
        (s(&m, 11), s(&m, 150), s(&m, 19)),
        ("L1", "G", fills[0].client_exec_id.as_str()),
        "{m:?}"
    );
    assert_eq!((u(&m, 32), d(&m, 31)), (100, dec("189.50")), "{m:?}");
    let notional = dec("18950") + dec("19002") + dec("19003");
    assert_eq!(
        state_of(&m),
        (300, 0, "2".into(), notional / Decimal::from(300)),
        "CumQty, LeavesQty, OrdStatus, AvgPx after the correction: {m:?}"
    );
    assert_ne!(s(&m, 17), fills[0].client_exec_id, "a report of its own");
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(300),
        "{}",
        sum.text
    );
    assert_eq!(sum.accounts["ACC1"].cash, -notional, "{}", sum.text);

    // The venue busts its second fill (100 @ 190.02): CumQty 200, and the
    // order, whose only venue order was filled, is open again for 100.
    assert!(at_venue.send(adjustment("H", "BUST-2", &fills[1], None)));
    let m = c.next_of("8").await;
    assert_eq!(
        (s(&m, 11), s(&m, 150), s(&m, 19)),
        ("L1", "H", fills[1].client_exec_id.as_str()),
        "{m:?}"
    );
    let notional = dec("18950") + dec("19003");
    assert_eq!(
        state_of(&m),
        (200, 100, "1".into(), notional / Decimal::from(200)),
        "CumQty, LeavesQty, OrdStatus, AvgPx after the bust: {m:?}"
    );
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(200),
        "{}",
        sum.text
    );
    assert_eq!(sum.accounts["ACC1"].cash, -notional, "{}", sum.text);

    // The same correction again (a venue resend): applied once only.
    // Nothing reaches the client before the answer to a status request
    // sent after the gateway has taken the repeat in.
    let before = at_venue.status().next_sender_seq;
    assert!(at_venue.send(adjustment("G", "CORR-1", &fills[0], Some((100, "189.50")))));
    delivered(&rig, &at_venue, before).await;
    c.status_request("L1", &o);
    let m = c.next_of("8").await;
    assert_eq!(s(&m, 150), "I", "no second correction report: {m:?}");
    assert_eq!(
        state_of(&m),
        (200, 100, "1".into(), notional / Decimal::from(200))
    );
    // A correction of a fill the gateway never booked changes nothing.
    let mut unknown = fills[2].clone();
    unknown.exec_id = "NO-SUCH-FILL".into();
    let before = at_venue.status().next_sender_seq;
    assert!(at_venue.send(adjustment("G", "CORR-9", &unknown, Some((1, "1.00")))));
    delivered(&rig, &at_venue, before).await;
    let sum = rig.summary().await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        Decimal::from(200),
        "{}",
        sum.text
    );
    assert_eq!(sum.accounts["ACC1"].cash, -notional, "{}", sum.text);

    // What the OMS holds now: the fills as corrected and busted (a busted
    // fill counts for nothing).
    let now = booked_fills(&rig.gw).await;
    let got: Vec<(u64, Decimal, bool)> = now.iter().map(|f| (f.qty, f.px, f.busted)).collect();
    assert_eq!(
        got,
        [
            (100, dec("189.50"), false),
            (0, dec("190.02"), true),
            (100, dec("190.03"), false)
        ]
    );

    // A restart replays the journal to the same state.
    let live = rig
        .gw
        .inspect(|core| core.snapshot())
        .await
        .expect("core alive");
    let cfg = config(&rig.storage, rig.venues.local_addr, 0);
    let replayed = replayed_core(&rig.storage, &cfg).await;
    assert_eq!(
        replayed.snapshot(),
        live,
        "the replay agrees with the live core"
    );
    let pos = replayed
        .portfolio()
        .position(&oms::AccountId::from("ACC1"), &oms::Symbol::from("AAPL"))
        .expect("position")
        .clone();
    assert_eq!(pos.qty, 200);
    assert_eq!(pos.avg_cost, notional / Decimal::from(200));
}
on_both_backends!(
    correct_and_bust,
    correct_and_bust_files,
    correct_and_bust_postgres
);
