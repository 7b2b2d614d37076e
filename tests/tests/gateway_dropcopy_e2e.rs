//! The drop copy over real sockets, on both storage backends: a
//! compliance session that receives every execution of every client, with
//! the client's own ids, including those issued while it was not
//! connected, and that cannot trade.

mod common;

use common::*;
use fix_engine::codec::MessageBuilder;
use std::collections::BTreeMap;

/// (ClOrdID, ExecID, ExecType, OrdStatus, CumQty) of a report.
fn key(m: &fix_engine::codec::Message) -> (String, String, String, String, u64) {
    (
        s(m, 11).to_owned(),
        s(m, 17).to_owned(),
        s(m, 150).to_owned(),
        s(m, 39).to_owned(),
        u(m, 14),
    )
}

async fn drop_copy_gets_every_execution(b: Backend) {
    let storage = Storage::new(b, "dropcopy");
    let venues = start_venues().await;
    let mut cfg = config(&storage, venues.local_addr, 0);
    let mut dc = cfg.clients[0].clone();
    dc.comp_id = "DROPCOPY".into();
    dc.accounts = vec![];
    dc.drop_copy = true;
    cfg.clients.push(dc);
    let gw = start_gateway(cfg).await;
    let addr = gw.listeners[0].local_addr.to_string();

    // Two clients trade before the drop copy has ever connected.
    let mut c1 = Client::connect(&addr, "CLIENT1").await;
    let mut c2 = Client::connect(&addr, "CLIENT2").await;
    let a = Ord::buy("A1", "ACC1", "AAPL", 200, "191.00", "3");
    let b2 = Ord::buy("B1", "ACC2", "MSFT", 100, "421.00", "3");
    c1.new_order(&a);
    c2.new_order(&b2);
    let mut client_reports: Vec<_> = c1.until_done(&a).await.iter().map(key).collect();
    client_reports.extend(c2.until_done(&b2).await.iter().map(key));

    // The drop copy logs on afterwards: everything issued so far arrives.
    let mut dc = Client::connect(&addr, "DROPCOPY").await;
    let mut seen = Vec::new();
    while seen.len() < client_reports.len() {
        let m = dc.next_of("8").await;
        assert!(
            ["ACC1", "ACC2"].contains(&s(&m, 1)),
            "a drop copy names the account: {m:?}"
        );
        seen.push(key(&m));
    }
    // Then one more order while it is connected.
    let c = Ord::buy("A2", "ACC1", "AAPL", 50, "191.00", "3");
    c1.new_order(&c);
    let more: Vec<_> = c1.until_done(&c).await.iter().map(key).collect();
    for _ in 0..more.len() {
        seen.push(key(&dc.next_of("8").await));
    }
    client_reports.extend(more);

    // Exactly the clients' reports (same ClOrdIDs, ExecIDs, states), each
    // order's in the order the client got them.
    let by_order = |v: &[(String, String, String, String, u64)]| {
        let mut m: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for r in v {
            m.entry(r.0.clone()).or_default().push(r.clone());
        }
        m
    };
    assert_eq!(by_order(&seen), by_order(&client_reports));

    // A drop-copy session cannot trade: its order is refused with a
    // BusinessMessageReject (unsupported message type), nothing reaches
    // the OMS.
    let mut nos = MessageBuilder::new("D");
    nos.field(11, "DC1")
        .field(1, "ACC1")
        .field(55, "AAPL")
        .field(54, "1")
        .field(60, "20260302-15:00:00.000")
        .field(38, "100")
        .field(40, "2")
        .field(44, "191.00")
        .field(59, "3");
    dc.send(nos);
    let rej = dc.next_of("j").await;
    assert_eq!((s(&rej, 372), s(&rej, 380)), ("D", "3"), "{rej:?}");
    let sum = Summary::of(&gw).await;
    assert_eq!(
        sum.position("ACC1", "AAPL").0,
        rust_decimal::Decimal::from(
            client_reports
                .iter()
                .filter(|r| r.0.starts_with('A') && (r.3 == "2" || r.3 == "4"))
                .map(|r| r.4)
                .sum::<u64>()
        ),
        "{}",
        sum.text
    );
}
on_both_backends!(
    drop_copy_gets_every_execution,
    drop_copy_gets_every_execution_files,
    drop_copy_gets_every_execution_postgres
);
