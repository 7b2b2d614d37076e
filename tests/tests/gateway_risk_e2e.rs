//! End-to-end tests of the risk engine as the gateway's pre-trade check,
//! over real sockets on both storage backends: a FIX 4.4 client -> the
//! gateway (the `fixgw` binary with `[risk]` in its TOML, or in process
//! with the section built in code) -> a simulated venue and back.
//!
//! The gateway's risk file waives market hours (`market_hours =
//! "always_open"`): these tests run at any time of day, and the engine's
//! NYSE sessions are covered by the unit tests (with fixed event times).

mod common;

use common::*;
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::store::SessionKey;
use fix_engine::transport::SessionHandle;
use gateway::config::{MarketHours, RiskSection};
use rust_decimal::Decimal;
use std::time::Duration;

/// The risk engine's file: ACC1 may send orders of at most 100,000
/// notional and hold at most 400 AAPL (open orders count); MSFT is on the
/// restricted list. Every account and instrument of `common::config` is
/// in it (the gateway refuses to start otherwise).
fn risk_toml() -> String {
    test_support::risk::gateway_accounts_with(
        "max_order_notional = \"100000\"\nposition_limits = { AAPL = 400 }",
    )
    .top("restricted = [\"MSFT\"]")
    .to_string()
}

/// Sends `o`; its first report must be the reject: returns its Text.
async fn rejected(c: &mut Client, o: &Ord) -> String {
    c.new_order(o);
    let m = c.next_of("8").await;
    assert_eq!(
        (s(&m, 11), s(&m, 150), s(&m, 39)),
        (o.cl.as_str(), "8", "8"),
        "{m:?}"
    );
    assert_eq!((u(&m, 14), u(&m, 151)), (0, 0), "{m:?}");
    s(&m, 58).to_owned()
}

/// Sends `o` and returns its reports until it is done, the last filled.
async fn filled(c: &mut Client, o: &Ord) -> Vec<Message> {
    c.new_order(o);
    let reports = c.until_done(o).await;
    let last = reports.last().unwrap();
    assert_eq!((s(last, 39), u(last, 14)), ("2", o.qty), "{reports:?}");
    reports
}

/// The venue's session with the gateway, once the gateway has dialled in
/// (the venue creates it at the first logon; afterwards, wait on it).
async fn venue_session(venues: &sim_venue::fix::RunningVenues) -> SessionHandle {
    let key = SessionKey::new("FIX.4.4", "SIMX", "GATEWAY");
    let found = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(h) = venues.acceptor.session(&key) {
                return h;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the gateway reaches the venue");
    tokio::time::timeout(WAIT, found.wait_for(|s| s.logged_on))
        .await
        .expect("the gateway logs on to the venue");
    found
}

// (1) `fixgw run` with `[risk]` in its TOML (a relative path to the risk
// file): a refused order's Text names the rule and the limit, an order
// within limits is filled, and after a kill -9 and a restart on the same
// storage the replayed state decides as before: the position limit that
// fills used up before the restart still counts after it.
async fn limits_survive_a_restart(b: Backend) {
    let storage = Storage::new(b, "riskrestart");
    let venues = start_venues().await;
    let port = free_port();
    write_file(&storage.dir.path().join("risk.toml"), &risk_toml());
    let cfg_path = storage.dir.path().join("gw.toml");
    write_file(
        &cfg_path,
        &format!(
            "{}\n[risk]\nconfig = \"risk.toml\"\nmarket_hours = \"always_open\"\n",
            config_toml(&storage, venues.local_addr, port)
        ),
    );
    let mut gw = GatewayProcess::spawn(&cfg_path).await;
    let at_venue = venue_session(&venues).await;
    let mut c = Client::connect(&format!("127.0.0.1:{port}"), "CLIENT1").await;

    // Per-order notional of the account: 1000 x 190.00.
    let text = rejected(&mut c, &Ord::buy("K1", "ACC1", "AAPL", 1000, "190.00", "0")).await;
    assert_eq!(
        text,
        "MaxOrderNotional: order notional 190000 exceeds limit 100000"
    );
    // The restricted list.
    let text = rejected(&mut c, &Ord::buy("K2", "ACC1", "MSFT", 10, "420.00", "0")).await;
    assert_eq!(text, "RestrictedList: MSFT is on the restricted list");
    // Within limits: filled (three levels of 100 from 190.01).
    filled(&mut c, &Ord::buy("F1", "ACC1", "AAPL", 250, "191.00", "3")).await;
    // 250 held + 200 would pass the 400 position limit.
    let p1 = Ord::buy("P1", "ACC1", "AAPL", 200, "191.00", "3");
    let text = rejected(&mut c, &p1).await;
    assert_eq!(
        text,
        "PositionLimit: account ACC1 projected position 450 in AAPL exceeds limit 400"
    );

    // Stop (kill -9: nothing is flushed on the way out) and start again
    // on the same config and storage.
    gw.kill9().await;
    tokio::time::timeout(WAIT, c.handle.wait_for(|s| !s.logged_on))
        .await
        .expect("the client notices the gateway is gone");
    tokio::time::timeout(WAIT, at_venue.wait_for(|s| !s.logged_on))
        .await
        .expect("the venue notices the gateway is gone");
    let mut gw2 = GatewayProcess::spawn(&cfg_path).await;
    tokio::time::timeout(WAIT, at_venue.wait_for(|s| s.logged_on))
        .await
        .expect("the restarted gateway logs on to the venue");
    c.wait_logged_on().await;

    // The same request, the same answer: the 250 filled before the
    // restart are in the replayed risk state.
    let text = rejected(&mut c, &Ord::buy("P2", "ACC1", "AAPL", 200, "191.00", "3")).await;
    assert_eq!(
        text,
        "PositionLimit: account ACC1 projected position 450 in AAPL exceeds limit 400"
    );
    // Up to the limit exactly, then one share more.
    filled(&mut c, &Ord::buy("F2", "ACC1", "AAPL", 150, "191.00", "3")).await;
    let text = rejected(&mut c, &Ord::buy("P3", "ACC1", "AAPL", 1, "191.00", "3")).await;
    assert_eq!(
        text,
        "PositionLimit: account ACC1 projected position 401 in AAPL exceeds limit 400"
    );
    // And the rules that do not depend on state, as before.
    let text = rejected(&mut c, &Ord::buy("K4", "ACC1", "MSFT", 10, "420.00", "0")).await;
    assert_eq!(text, "RestrictedList: MSFT is on the restricted list");

    // What the venue filled: exactly the two accepted orders.
    let bought = venue_filled(&venues.input, "AAPL").await;
    assert_eq!(bought, 400);
    gw2.kill9().await;
}
on_both_backends!(
    limits_survive_a_restart,
    limits_survive_a_restart_files,
    limits_survive_a_restart_postgres
);

/// A market order (no price).
fn market_buy(cl: &str, qty: u64) -> MessageBuilder {
    let mut m = MessageBuilder::new("D");
    m.field(11, cl).field(1, "ACC1").field(21, "1");
    m.field(55, "AAPL").field(54, "1");
    m.field_u64(38, qty).field(40, "1");
    m.field(59, "3").field(60, "20260101-00:00:00");
    m
}

// (2) The gateway in process with `[risk]` built in code: a market order
// with no reference price is refused (the rule named); once a limit order
// gave AAPL a price, a market order is valued at it and goes to the venue;
// other accounts are checked by their own limits.
async fn market_orders_need_a_price(b: Backend) {
    let storage = Storage::new(b, "riskmarket");
    let venues = start_venues().await;
    let risk_file = storage.dir.path().join("risk.toml");
    write_file(&risk_file, &risk_toml());
    let mut cfg = config(&storage, venues.local_addr, 0);
    cfg.risk = Some(RiskSection {
        config: risk_file,
        market_hours: MarketHours::AlwaysOpen,
        builtin: None,
    });
    let gw = start_gateway(cfg).await;
    let addr = gw.listeners[0].local_addr.to_string();
    let mut c = Client::connect(&addr, "CLIENT1").await;

    c.send(market_buy("M1", 100));
    let m = c.next_of("8").await;
    assert_eq!((s(&m, 11), s(&m, 39)), ("M1", "8"), "{m:?}");
    assert_eq!(
        s(&m, 58),
        "MissingPrice: Market order has no price to check against"
    );

    filled(&mut c, &Ord::buy("L1", "ACC1", "AAPL", 100, "191.00", "3")).await;
    // Valued at 191.00: 600 would be 114,600 > 100,000.
    c.send(market_buy("M2", 600));
    let m = c.next_of("8").await;
    assert_eq!((s(&m, 11), s(&m, 39)), ("M2", "8"), "{m:?}");
    assert_eq!(
        s(&m, 58),
        "MaxOrderNotional: order notional 114600 exceeds limit 100000"
    );
    c.send(market_buy("M3", 100));
    let m3 = Ord::buy("M3", "ACC1", "AAPL", 100, "0", "3");
    let last = c.until_done(&m3).await.pop().unwrap();
    assert_eq!((s(&last, 39), u(&last, 14)), ("2", 100), "{last:?}");

    // ACC2 has no notional or position limit of its own, only the
    // firm's ([limits], folded into the engine) and the restricted list.
    let mut c2 = Client::connect(&addr, "CLIENT2").await;
    let text = rejected(&mut c2, &Ord::buy("A0", "ACC2", "AAPL", 5001, "1.00", "0")).await;
    assert_eq!(text, "MaxOrderQty: order qty 5001 exceeds limit 5000");
    filled(&mut c2, &Ord::buy("A1", "ACC2", "AAPL", 200, "191.00", "3")).await;
    let text = rejected(&mut c2, &Ord::buy("A2", "ACC2", "MSFT", 1, "420.00", "0")).await;
    assert_eq!(text, "RestrictedList: MSFT is on the restricted list");

    let sum = summary_until(&gw, |s| {
        s.position("ACC1", "AAPL").0 == Decimal::from(200)
            && s.position("ACC2", "AAPL").0 == Decimal::from(200)
    })
    .await;
    assert_eq!(
        sum.position("ACC1", "MSFT").0,
        Decimal::ZERO,
        "{}",
        sum.text
    );
}
on_both_backends!(
    market_orders_need_a_price,
    market_orders_need_a_price_files,
    market_orders_need_a_price_postgres
);
