//! End-to-end tests of recovery across the two durable writes of the
//! order path, on both storage backends: the OMS journal (group commit)
//! and each FIX session's store (a batch stored before it is written).
//! A kill -9 can fall between them either way; each test builds that state
//! exactly, with the gateway stopped, and then restarts it:
//!
//! - journal ahead of the stores: events journaled whose outputs (the
//!   client's report, the venue's child order) no session stored;
//! - session store ahead of the journal: an inbound order the client
//!   session counted as received but whose event never reached the journal.
//!
//! After the restart each order is reported and filled exactly once.

mod common;

use common::*;
use fix_engine::store::{
    FileStoreFactory, FsyncPolicy, MessageStore, PostgresStoreFactory, SessionKey, StoreFactory,
};
use gateway::config::GatewayConfig;
use std::collections::BTreeMap;

/// The OMS as the gateway builds it from `cfg`, on its journal.
async fn with_journal(storage: &Storage, cfg: &GatewayConfig, events: Vec<oms::Event>) {
    let oms_cfg = oms::OmsConfig {
        venues: vec![oms::VenueId::new("SIMX")],
        default_venues: ["AAPL", "MSFT", "ZZZZ"]
            .iter()
            .map(|s| (oms::Symbol::new(*s), oms::VenueId::new("SIMX")))
            .collect(),
        drop_copy: false,
    };
    let checker = gateway::checks::build_checker(cfg).expect("checker");
    let router = Box::new(oms::DefaultRouter);
    match storage.backend {
        Backend::Files => {
            let j = oms::FileJournal::open(
                cfg.gateway.data_dir.join("journal"),
                oms::FsyncPolicy::Never,
            )
            .expect("open the journal");
            let mut o = oms::JournaledOms::open(oms_cfg, checker, router, j)
                .await
                .expect("replay");
            o.handle(events).await.expect("journal");
        }
        Backend::Postgres => {
            let j = oms::PgJournal::connect(
                &test_support::pg::url(),
                Some(&cfg.gateway.journal_schema()),
            )
            .await
            .expect("open the journal");
            let mut o = oms::JournaledOms::open(oms_cfg, checker, router, j)
                .await
                .expect("replay");
            o.handle(events).await.expect("journal");
        }
    }
}

/// The gateway's FIX store of `comp_id`.
async fn gateway_store(cfg: &GatewayConfig, comp_id: &str) -> Box<dyn MessageStore> {
    let key = SessionKey::new("FIX.4.4", "GATEWAY", comp_id);
    let stores: Box<dyn StoreFactory> = match &cfg.gateway.postgres_url {
        Some(url) => Box::new(
            PostgresStoreFactory::connect(url, &cfg.gateway.fix_store_schema())
                .await
                .expect("store"),
        ),
        None => Box::new(FileStoreFactory::new(
            cfg.gateway.data_dir.join("fix"),
            FsyncPolicy::Never,
        )),
    };
    stores.open(&key).await.expect("open the store")
}

async fn crash_between_journal_and_stores(b: Backend) {
    let storage = Storage::new(b, "recovery");
    let venues = start_venues().await;
    let port = free_port();
    let cfg = config(&storage, venues.local_addr, port);
    let gw = start_gateway(cfg.clone()).await;
    let mut c = Client::connect(&format!("127.0.0.1:{port}"), "CLIENT1").await;
    let a = Ord::buy("A1", "ACC1", "AAPL", 10, "191.00", "3");
    c.new_order(&a);
    let mut exec_ids: BTreeMap<String, String> = BTreeMap::new();
    for m in c.until_done(&a).await {
        exec_ids.insert(s(&m, 17).to_owned(), s(&m, 11).to_owned());
    }
    gw.stop().await;
    tokio::time::timeout(WAIT, c.handle.wait_for(|s| !s.logged_on))
        .await
        .expect("the client sees the gateway go");

    // Journal ahead of the stores: B's events are journaled (a venue
    // connected, the order taken), its PendingNew report and child order
    // are in no session's store.
    let now = gateway::runtime::now_ts();
    let b_ord = Ord::buy("B1", "ACC1", "AAPL", 20, "191.00", "3");
    with_journal(
        &storage,
        &cfg,
        vec![
            oms::Event::new(
                now,
                oms::EventKind::VenueConnected {
                    venue: oms::VenueId::new("SIMX"),
                },
            ),
            oms::Event::new(
                now,
                oms::EventKind::ClientNew(oms::events::NewOrder {
                    session: "CLIENT1".into(),
                    cl_ord_id: oms::ClOrdId::new("B1"),
                    account: oms::AccountId::new("ACC1"),
                    symbol: oms::Symbol::new("AAPL"),
                    side: oms::Side::Buy,
                    qty: oms::Qty(20),
                    ord_type: oms::OrdType::Limit,
                    price: Some(oms::Px(dec("191.00"))),
                    tif: oms::TimeInForce::Ioc,
                }),
            ),
        ],
    )
    .await;

    // Store ahead of the journal: the client sends C while the gateway is
    // down; the gateway's store counts it received (as a session that
    // stored the inbound sequence and died before the core journaled it).
    let before = c.handle.status().next_sender_seq;
    let c_ord = Ord::buy("C1", "ACC1", "AAPL", 30, "191.00", "3");
    c.new_order(&c_ord);
    let sent = tokio::time::timeout(WAIT, c.handle.wait_for(|s| s.next_sender_seq == before + 1))
        .await
        .expect("the client stores C");
    {
        let mut st = gateway_store(&cfg, "CLIENT1").await;
        let seq = st.load(chrono::Utc::now()).await.expect("load");
        assert!(
            seq.next_target_seq < sent.next_sender_seq,
            "the gateway never got C: {seq:?}"
        );
        st.set_next_target_seq(sent.next_sender_seq)
            .await
            .expect("store");
        st.flush().await.expect("flush");
    }

    // Restart: B's report and child order are sent, C is asked for again;
    // both fill once, and nothing reported before is reported again.
    let gw = start_gateway(cfg.clone()).await;
    c.wait_logged_on().await;
    let mut last: BTreeMap<String, fix_engine::codec::Message> = BTreeMap::new();
    while !["B1", "C1"]
        .iter()
        .all(|cl| last.get(*cl).is_some_and(is_done))
    {
        let m = c.next_of("8").await;
        let cl = s(&m, 11).to_owned();
        assert!(cl == "B1" || cl == "C1", "only B and C are reported: {m:?}");
        if let Some(prev) = exec_ids.insert(s(&m, 17).to_owned(), cl.clone()) {
            panic!("ExecID {} reported twice ({prev}, then {m:?})", s(&m, 17));
        }
        // Sent while the client was away, so it comes by resend
        // (PossDupFlag=Y); never as a second message (PossResend=Y).
        assert_ne!(m.get_str(97), Some("Y"), "a first send: {m:?}");
        last.insert(cl, m);
    }
    for (o, qty) in [(&b_ord, 20), (&c_ord, 30)] {
        let m = &last[&o.cl];
        assert_eq!((s(m, 39), u(m, 14)), ("2", qty), "{m:?}");
    }
    let bought = venue_filled(&venues.input, "AAPL").await;
    assert_eq!(bought, 10 + 20 + 30, "the venue filled each order once");
    c.quiet_for(std::time::Duration::from_millis(200)).await;
    let core = replayed_core(&storage, &cfg).await;
    let issued = core.issued(&oms::Recipient::Client("CLIENT1".into()));
    assert_eq!(
        issued as usize,
        exec_ids.len(),
        "every report numbered for CLIENT1 reached it once"
    );
    gw.stop().await;
}

on_both_backends!(
    crash_between_journal_and_stores,
    crash_between_journal_and_stores_files,
    crash_between_journal_and_stores_postgres
);

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().expect("decimal")
}
