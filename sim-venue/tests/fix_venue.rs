//! FIX-level tests of the simulated exchange with the engine's own
//! initiator over real TCP: order lifecycle, cancel, replace, IOC/FOK,
//! market data, halts through the control path, and rejects.

use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::transport::{InitiatorConfig, SessionHandle};
use rust_decimal::Decimal;
use sim_venue::fix::{self, control::Command, VenueInput};
use sim_venue::instruments::Instrument;
use sim_venue::venue::VenueConfig;
use std::time::Duration;
use test_support::fix::{self as tfix, s, u, NewOrderSingle};
use tokio::sync::{mpsc, oneshot};

/// How long any single expected message may take.
const WAIT: Duration = Duration::from_secs(10);

struct Client {
    handle: SessionHandle,
    rx: mpsc::UnboundedReceiver<Message>,
    input: mpsc::UnboundedSender<VenueInput>,
}

impl Client {
    async fn next(&mut self) -> Message {
        tfix::next_within(&mut self.rx, "TESTER", WAIT).await
    }

    /// Next message of type `t`, skipping market state broadcasts.
    async fn next_of(&mut self, t: &str) -> Message {
        loop {
            let m = self.next().await;
            if m.msg_type_str() == t {
                return m;
            }
            assert!(
                matches!(m.msg_type(), b"h" | b"f"),
                "expected {t}, got {m:?}"
            );
        }
    }

    async fn control(&self, line: &str) {
        let actions = fix::control::parse_commands(line).expect("command parses");
        let (reply, rx) = oneshot::channel();
        self.input
            .send(VenueInput::Control {
                venue: "SIMX".into(),
                command: Command::Actions(actions),
                reply,
            })
            .unwrap();
        rx.await.unwrap().expect("command applied");
    }
}

async fn start(begin: &str) -> Client {
    let mut vcfg = VenueConfig::new("SIMX");
    vcfg.seed = 7;
    let running = test_support::venue::serve(vcfg).await;
    let (handle, rx) = tfix::forwarding_initiator(
        InitiatorConfig::new(running.local_addr.to_string()),
        begin,
        "TESTER",
        "SIMX",
    );
    tfix::logged_on(&handle, "TESTER", WAIT).await;
    Client {
        handle,
        rx,
        input: running.input,
    }
}

fn order(id: &str, sym: &str, side: &str, qty: u64, px: Option<&str>, tif: &str) -> MessageBuilder {
    NewOrderSingle {
        cl_ord_id: id,
        account: "ACC1",
        symbol: sym,
        side,
        qty,
        price: px,
        tif,
    }
    .message()
}

/// Quantities reconcile on every report.
fn check_qty(m: &Message, order_qty: u64) {
    let (cum, leaves) = (u(m, 14), u(m, 151));
    match s(m, 39) {
        "2" | "4" | "C" | "8" => assert_eq!(leaves, 0, "{m:?}"),
        _ => assert_eq!(cum + leaves, order_qty, "{m:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marketable_ioc_fills_and_passive_order_rests_then_cancels() {
    let mut c = start("FIX.4.4").await;
    c.handle
        .send(order("B1", "AAPL", "1", 100, Some("199.00"), "3"));
    let mut filled = 0;
    loop {
        let er = c.next_of("8").await;
        assert_eq!(s(&er, 11), "B1");
        check_qty(&er, 100);
        if s(&er, 150) == "F" {
            filled += u(&er, 32);
            assert!(
                er.get(31).is_some() && er.get(851).is_some(),
                "fill carries LastPx and liquidity: {er:?}"
            );
        }
        if s(&er, 39) == "2" {
            break;
        }
    }
    assert_eq!(filled, 100);

    // A passive buy far below the market rests, then cancels.
    c.handle
        .send(order("P1", "AAPL", "1", 50, Some("185.00"), "0"));
    let ack = c.next_of("8").await;
    assert_eq!((s(&ack, 150), s(&ack, 39)), ("0", "0"));
    check_qty(&ack, 50);
    let mut cxl = MessageBuilder::new("F");
    cxl.field(11, "C1")
        .field(41, "P1")
        .field(1, "ACC1")
        .field(55, "AAPL")
        .field(54, "1");
    cxl.field(60, "20260101-00:00:00");
    c.handle.send(cxl);
    let done = c.next_of("8").await;
    assert_eq!(
        (s(&done, 150), s(&done, 39), s(&done, 41)),
        ("4", "4", "P1")
    );
    assert_eq!(u(&done, 151), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_then_cancel_reject_for_unknown_order() {
    let mut c = start("FIX.4.4").await;
    c.handle
        .send(order("R1", "MSFT", "1", 10, Some("405.00"), "0"));
    assert_eq!(s(&c.next_of("8").await, 39), "0");
    let mut rep = MessageBuilder::new("G");
    rep.field(11, "R2")
        .field(41, "R1")
        .field(1, "ACC1")
        .field(55, "MSFT")
        .field(54, "1");
    rep.field(38, "20")
        .field(40, "2")
        .field(44, "406.00")
        .field(60, "20260101-00:00:00")
        .field(21, "1");
    c.handle.send(rep);
    let r = c.next_of("8").await;
    assert_eq!((s(&r, 150), s(&r, 11), s(&r, 41)), ("5", "R2", "R1"));
    assert_eq!(u(&r, 38), 20);
    assert_eq!(s(&r, 44).parse::<Decimal>().unwrap(), Decimal::new(406, 0));

    let mut cxl = MessageBuilder::new("F");
    cxl.field(11, "C9")
        .field(41, "NOPE")
        .field(1, "ACC1")
        .field(55, "MSFT")
        .field(54, "1");
    cxl.field(60, "20260101-00:00:00");
    c.handle.send(cxl);
    let rej = c.next_of("9").await;
    assert_eq!(
        (s(&rej, 11), s(&rej, 41), s(&rej, 102), s(&rej, 434)),
        ("C9", "NOPE", "1", "1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fok_that_cannot_fill_is_canceled_without_fills() {
    let mut c = start("FIX.4.2").await;
    // Far more than the simulated book holds at any price.
    c.handle
        .send(order("F1", "AAPL", "1", 50_000_000, Some("199.00"), "4"));
    loop {
        let er = c.next_of("8").await;
        assert_eq!(s(&er, 11), "F1");
        assert_eq!(s(&er, 20), "0", "FIX 4.2 carries ExecTransType");
        assert_eq!(u(&er, 14), 0, "FOK never fills partly: {er:?}");
        assert!(!matches!(s(&er, 150), "1" | "2"), "no fills: {er:?}");
        if matches!(s(&er, 39), "4" | "C") {
            break;
        }
        assert_eq!(s(&er, 39), "0", "{er:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halted_symbol_rejects_with_reason_and_unknown_symbol_rejects() {
    let mut c = start("FIXT.1.1").await;
    c.control("halt AAPL news pending").await;
    c.handle
        .send(order("H1", "AAPL", "1", 10, Some("190.00"), "0"));
    let er = c.next_of("8").await;
    assert_eq!((s(&er, 150), s(&er, 39), s(&er, 103)), ("8", "8", "2"));
    assert!(s(&er, 58).contains("halted"), "{er:?}");
    c.handle
        .send(order("U1", "ZZZZ", "1", 10, Some("1.00"), "0"));
    let er = c.next_of("8").await;
    assert_eq!((s(&er, 39), s(&er, 103)), ("8", "1"));
    c.control("resume AAPL").await;
    c.handle
        .send(order("H2", "AAPL", "1", 10, Some("199.00"), "3"));
    let er = c.next_of("8").await;
    assert_ne!(s(&er, 39), "8", "trading again after resume: {er:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_data_snapshot_then_updates_and_reject_for_unknown_symbol() {
    let mut c = start("FIX.4.4").await;
    let mut md = MessageBuilder::new("V");
    md.field(262, "MD1")
        .field(263, "1")
        .field(264, "5")
        .field(265, "1");
    md.field(267, "3")
        .field(269, "0")
        .field(269, "1")
        .field(269, "2");
    md.field(146, "1").field(55, "AAPL");
    c.handle.send(md);
    let snap = c.next_of("W").await;
    assert_eq!((s(&snap, 262), s(&snap, 55)), ("MD1", "AAPL"));
    assert!(u(&snap, 268) >= 2, "both sides quoted: {snap:?}");
    // A trade changes the book: an incremental refresh follows.
    c.handle
        .send(order("T1", "AAPL", "1", 100, Some("199.00"), "3"));
    let inc = loop {
        let m = c.next().await;
        if m.msg_type() == b"X" {
            break m;
        }
    };
    assert_eq!(s(&inc, 262), "MD1");
    assert!(inc.get(273).is_some(), "updates carry MDEntryTime");

    let mut bad = MessageBuilder::new("V");
    bad.field(262, "MD2")
        .field(263, "1")
        .field(264, "1")
        .field(267, "1")
        .field(269, "0");
    bad.field(146, "1").field(55, "NOPE");
    c.handle.send(bad);
    let rej = c.next_of("Y").await;
    assert_eq!((s(&rej, 262), s(&rej, 281)), ("MD2", "0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_client_gets_every_order_acknowledged_and_closed() {
    // A venue for the load client alone.
    let mut vcfg = VenueConfig::new("SIMX");
    vcfg.seed = 3;
    let aapl = Instrument::equity("AAPL", Decimal::new(19000, 2), Decimal::new(1, 2));
    let running = test_support::venue::serve_instruments(vcfg, vec![aapl]).await;
    let cfg = sim_venue::load::LoadConfig {
        target: running.local_addr.to_string(),
        begin_string: "FIX.4.4".into(),
        sender_comp_id: "LOAD1".into(),
        target_comp_id: "SIMX".into(),
        account: Some("ACC1".into()),
        orders: vec![("AAPL".into(), "199.00".into())],
        side: "1".into(),
        qty: 100,
        tif: "3".into(),
        count: 300,
        window: 20,
        tls: None,
    };
    let report = sim_venue::load::run(cfg, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((report.sent, report.acked, report.closed), (300, 300, 300));
    assert_eq!(report.inconsistent, 0);
    assert!(report.filled_qty > 0, "marketable orders fill");
}
