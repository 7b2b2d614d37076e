//! End-to-end tests of settlement from the venue's clearing output, on
//! both storage backends: trades over real sockets, then the gateway's
//! settlement job fetches the venue's clearing records over HTTP (the sim
//! venue's control endpoint) and from a clearing directory, and settles
//! each due date once: the summary's settled cash and positions move on
//! the settlement date and not before, a record the OMS has no trade for
//! is reported as a break, running the job again changes nothing, and
//! after a restart the date is still settled once.

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use gateway::runtime::settlement::DateSettled;
use rust_decimal::Decimal;

/// (settled cash, settled AAPL, settled MSFT) of ACC1, and its cash.
fn settled(sum: &Summary) -> (Decimal, Decimal, Decimal, Decimal) {
    let acc = &sum.accounts["ACC1"];
    (
        acc.settled_cash,
        sum.position("ACC1", "AAPL").1,
        sum.position("ACC1", "MSFT").1,
        acc.cash,
    )
}

async fn run(gw: &gateway::runtime::Gateway, today: NaiveDate) -> Vec<DateSettled> {
    gw.settlement
        .as_ref()
        .expect("the venue has a clearing source: the gateway has a settlement job")
        .run(today)
        .await
        .expect("the settlement run")
}

async fn settles_each_date_once(b: Backend) {
    let storage = Storage::new(b, "settle");
    let venues = start_venues().await;
    let control = sim_venue::fix::control::serve_control(
        "127.0.0.1:0".parse().unwrap(),
        venues.input.clone(),
    )
    .await
    .expect("the venue's control endpoint");
    let dir = storage.dir.path().join("clearing");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cfg = config(&storage, venues.local_addr, 0);
    cfg.venues[0].clearing_url = Some(format!("http://{control}/SIMX/clearing"));
    cfg.venues[0].clearing_dir = Some(dir.clone());
    let gw = start_gateway(cfg.clone()).await;
    let mut c = Client::connect(&gw.listeners[0].local_addr.to_string(), "CLIENT1").await;

    // Buy 300 AAPL (three fills), sell 100 MSFT (one).
    let buy = Ord::buy("B1", "ACC1", "AAPL", 300, "191.00", "3");
    c.new_order(&buy);
    assert_eq!(s(c.until_done(&buy).await.last().unwrap(), 39), "2");
    let sell = Ord::sell("S1", "ACC1", "MSFT", 100, "419.00", "3");
    c.new_order(&sell);
    assert_eq!(s(c.until_done(&sell).await.last().unwrap(), 39), "2");
    let dates: Vec<NaiveDate> = gw
        .inspect(|core| core.ledger().trades().map(|(_, t)| t.settle_date).collect())
        .await
        .unwrap();
    assert_eq!(dates.len(), 4, "four trades booked");
    let date = dates[0];
    assert!(dates.iter().all(|d| *d == date), "{dates:?}");
    // The venue computed the same settlement date for each of them.
    let records = clearing_for_gateway(&venues.input).await;
    assert_eq!(records.len(), 4, "{records:?}");
    assert!(records.iter().all(|r| r.settlement_date == date));

    // The venue also drops a file with a trade the OMS never made.
    write_file(
        &dir.join("extra.csv"),
        &format!(
            "{}\nT-FAKE,{date},{date},SIMX,AAPL,equity,BUY,7,100.00,700.00,USD,TAKER,0,\
             GATEWAY|ACC1,SIM-LP,O9-9,O9-8,,,1\n",
            sim_venue::clearing::CSV_HEADER
        ),
    );

    let before = rig_summary(&gw).await;
    let traded_cash = before.accounts["ACC1"].cash;
    assert_eq!(
        settled(&before),
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, traded_cash),
        "{}",
        before.text
    );

    // The day before the settlement date: nothing is due.
    let eve = date.checked_sub_days(Days::new(1)).unwrap();
    assert_eq!(run(&gw, eve).await, []);
    assert_eq!(settled(&rig_summary(&gw).await), settled(&before));

    // On the settlement date: one Settle for it, with the four records of
    // the trades and the one without a trade, which is a break.
    let done = run(&gw, date).await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!((done[0].date, done[0].records), (date, 5), "{done:?}");
    assert_eq!(done[0].breaks.len(), 1, "{done:?}");
    assert!(
        done[0].breaks[0].contains("T-FAKE") && done[0].breaks[0].contains("matches no"),
        "{done:?}"
    );
    let after = rig_summary(&gw).await;
    let want = (
        traded_cash,
        Decimal::from(300),
        Decimal::from(-100),
        traded_cash,
    );
    assert_eq!(settled(&after), want, "{}", after.text);
    assert!(traded_cash < Decimal::ZERO, "{}", after.text);

    // Again, and later: nothing more to settle, nothing moves.
    assert_eq!(run(&gw, date).await, []);
    let later = date.checked_add_days(Days::new(3)).unwrap();
    assert_eq!(run(&gw, later).await, []);
    assert_eq!(settled(&rig_summary(&gw).await), want);

    // A restart on the same data: the journal says the date is settled.
    gw.stop().await;
    let gw = start_gateway(cfg.clone()).await;
    let sum = rig_summary(&gw).await;
    assert_eq!(settled(&sum), want, "{}", sum.text);
    assert_eq!(run(&gw, date).await, []);
    assert_eq!(run(&gw, later).await, []);
    let dates = gw
        .inspect(|core| core.state().settled_dates.clone())
        .await
        .unwrap();
    assert_eq!(dates.into_iter().collect::<Vec<_>>(), [date]);
    assert_eq!(settled(&rig_summary(&gw).await), want);
    gw.stop().await;
}
on_both_backends!(
    settles_each_date_once,
    settles_each_date_once_files,
    settles_each_date_once_postgres
);

async fn rig_summary(gw: &gateway::runtime::Gateway) -> Summary {
    Summary::of(gw).await
}
