//! End-to-end tests of venue market data over real sockets, on both
//! storage backends: the gateway subscribes at logon, the venue's
//! snapshots and updates become quotes and marks in the OMS (conflated,
//! journaled), the summary's unrealised P&L follows the marks, and the
//! risk engine values a market order at the mark: refused for lack of a
//! reference price (MissingPrice) before any, accepted once marks arrive.

mod common;

use common::*;
use fix_engine::codec::MessageBuilder;
use gateway::config::{MarketHours, RiskSection};
use rust_decimal::Decimal;
use sim_venue::venue::StartSession;

/// A market IOC buy of AAPL for ACC1.
fn market_buy(cl: &str, qty: u64) -> MessageBuilder {
    test_support::fix::NewOrderSingle {
        cl_ord_id: cl,
        account: "ACC1",
        symbol: "AAPL",
        side: "1",
        qty,
        price: None,
        tif: "3",
    }
    .message()
}

fn aapl() -> oms::Symbol {
    oms::Symbol::from("AAPL")
}

/// SIMX's top of book for AAPL as the core holds it, once two-sided.
fn two_sided(c: &oms::OmsCore) -> Option<(Decimal, Decimal)> {
    let q = c.state().quotes.get(&aapl())?.get("SIMX")?;
    Some((q.bid?.0.dec(), q.ask?.0.dec()))
}

/// (unrealised P&L of ACC1, AAPL's mark, average cost, position) from
/// the gateway's typed summary, rounded as the summary prints them.
async fn printed(gw: &gateway::runtime::Gateway) -> (Decimal, Decimal, Decimal, Decimal) {
    let sum = gw.snapshot().await.expect("core alive");
    let acc = sum
        .accounts
        .get("ACC1")
        .unwrap_or_else(|| panic!("ACC1 in\n{sum}"));
    let pos = sum
        .position("ACC1", "AAPL")
        .unwrap_or_else(|| panic!("an AAPL position in\n{sum}"));
    let mark = sum
        .marks
        .get("AAPL")
        .unwrap_or_else(|| panic!("an AAPL mark in\n{sum}"));
    (
        acc.pnl.unrealised.round_dp(2),
        mark.dec(),
        pos.avg_cost.round_dp(4),
        Decimal::from(pos.qty),
    )
}

async fn marks_follow_the_venue(b: Backend) {
    let storage = Storage::new(b, "mdmarks");
    // The venue starts before the open: no quotes, no trades.
    let venues = start_venues_with(|c| c.start_session = StartSession::PreOpen).await;
    let risk_file = storage.dir.path().join("risk.toml");
    // Every account and instrument of `common::config`, no limit in the way.
    write_file(
        &risk_file,
        &test_support::risk::gateway_accounts().to_string(),
    );
    let mut cfg = config(&storage, venues.local_addr, 0);
    cfg.venues[0].market_data = true;
    cfg.gateway.market_data_conflate_ms = 50;
    cfg.risk = Some(RiskSection {
        config: risk_file,
        market_hours: MarketHours::AlwaysOpen,
        builtin: None,
    });
    let gw = start_gateway(cfg.clone()).await;
    // The subscriptions' snapshots: AAPL and MSFT known, one-sided or
    // empty (ZZZZ, which the venue does not list, is refused alone).
    core_until(&gw, "snapshots of AAPL and MSFT from SIMX", |c| {
        let q = &c.state().quotes;
        (q.get("AAPL").is_some_and(|m| m.contains_key("SIMX"))
            && q.get("MSFT").is_some_and(|m| m.contains_key("SIMX")))
        .then_some(())
    })
    .await;
    let state = gw
        .inspect(|c| (c.portfolio().mark(&aapl()), two_sided(c)))
        .await
        .unwrap();
    assert_eq!(state, (None, None), "no prices before the open");

    let mut c = Client::connect(&gw.listeners[0].local_addr.to_string(), "CLIENT1").await;
    c.send(market_buy("M1", 100));
    let m = c.next_of("8").await;
    assert_eq!((s(&m, 11), s(&m, 39)), ("M1", "8"), "{m:?}");
    assert_eq!(
        s(&m, 58),
        "MissingPrice: Market order has no price to check against"
    );

    // The venue opens: quotes arrive and the mark is their mid.
    control(&venues.input, "session open").await;
    let (bid, ask) = core_until(&gw, "a two-sided AAPL quote", two_sided).await;
    assert!(bid < ask, "{bid} / {ask}");
    let mark = core_until(&gw, "the AAPL mark at the mid", move |c| {
        c.portfolio()
            .mark(&aapl())
            .filter(|m| m.dec() == (bid + ask) / Decimal::TWO)
    })
    .await;
    assert!(
        (mark.dec() - Decimal::from(190)).abs() < Decimal::ONE,
        "{mark}"
    );

    // Now the same market order is valued at the mark and goes through.
    c.send(market_buy("M2", 100));
    let o2 = Ord::buy("M2", "ACC1", "AAPL", 100, "0", "3");
    let reports = c.until_done(&o2).await;
    let last = reports.last().unwrap();
    assert_eq!((s(last, 39), u(last, 14)), ("2", 100), "{reports:?}");
    let fill_px = d(last, 6);
    assert_eq!(fill_px, ask, "a market buy takes the best offer");
    // Its trade prints in the venue's market data: the mark is the last
    // trade, and unrealised P&L is nil at that price.
    core_until(&gw, "the mark at the last trade", move |c| {
        (c.portfolio().mark(&aapl()).map(|m| m.dec()) == Some(fill_px)).then_some(())
    })
    .await;
    let (pnl, mark, cost, qty) = printed(&gw).await;
    assert_eq!(
        (mark, cost, qty, pnl),
        (fill_px, fill_px, 100.into(), 0.into())
    );

    // The market moves 2% up; the next trade prints there and the mark,
    // and with it the unrealised P&L, follow.
    control(&venues.input, "shock AAPL 2%").await;
    let (bid2, ask2) = core_until(&gw, "the quote after the shock", move |c| {
        two_sided(c).filter(|(b, _)| *b > ask)
    })
    .await;
    assert!(ask2 > bid2, "{bid2} / {ask2}");
    c.send(market_buy("M3", 10));
    let o3 = Ord::buy("M3", "ACC1", "AAPL", 10, "0", "3");
    let last = c.until_done(&o3).await.pop().unwrap();
    assert_eq!((s(&last, 39), d(&last, 6)), ("2", ask2), "{last:?}");
    core_until(&gw, "the mark at the new trade", move |c| {
        (c.portfolio().mark(&aapl()).map(|m| m.dec()) == Some(ask2)).then_some(())
    })
    .await;
    let (pnl, mark, cost, qty) = printed(&gw).await;
    assert_eq!((mark, qty), (ask2, Decimal::from(110)));
    let want_cost = (fill_px * Decimal::from(100) + ask2 * Decimal::from(10)) / Decimal::from(110);
    assert_eq!(cost, want_cost.round_dp(4));
    let want_pnl = (ask2 - want_cost) * Decimal::from(110);
    assert!(want_pnl > Decimal::from(300), "{want_pnl}");
    assert_eq!(pnl, want_pnl.round_dp(2), "{}", gw.summary().await);

    // Marks and quotes are journaled: a replay reaches the same state.
    let live = gw.inspect(|c| c.snapshot()).await.unwrap();
    let replayed = replayed_core(&storage, &cfg).await;
    assert_eq!(replayed.snapshot(), live);
    assert_eq!(
        replayed.portfolio().mark(&aapl()).map(|m| m.dec()),
        Some(ask2)
    );
}
on_both_backends!(
    marks_follow_the_venue,
    marks_follow_the_venue_files,
    marks_follow_the_venue_postgres
);
