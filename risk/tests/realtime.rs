//! Real-time risk and compliance through the engine, with fake times:
//! P&L, drawdown tiers, VaR limits, kill switch, overrides, run-time
//! configuration, pattern day trading and wash sales.

mod common;

use common::*;
use risk::config::{PdtRegime, WashSaleMode};
use risk::events::{DrawdownTier, StateCause};
use risk::{
    Decision, MarketUpdate, OpenOrderChange, RiskEngine, RiskError, RiskEvent, Rule, Scope, Side,
    SignedQty, TradingState,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn buy_and_fill(e: &mut RiskEngine, now: risk::Timestamp, symbol: &str, qty: i64, px: Decimal) {
    let o = limit(symbol, Side::Buy, qty, px);
    let d = e.pre_trade(now, &o);
    assert!(d.is_accepted(), "{d}");
    e.on_fill(now, &fill_of(&o, qty, px)).unwrap();
}

fn sell_and_fill(e: &mut RiskEngine, now: risk::Timestamp, symbol: &str, qty: i64, px: Decimal) {
    let o = limit(symbol, Side::Sell, qty, px);
    let d = e.pre_trade(now, &o);
    assert!(d.is_accepted(), "{d}");
    e.on_fill(now, &fill_of(&o, qty, px)).unwrap();
}

#[test]
fn mark_to_market_pnl_per_account_desk_and_firm() {
    let mut e = engine_with(|_| {});
    buy_and_fill(&mut e, t(10, 0, 1), "AAPL", 100, dec!(190));
    let mut o2 = limit("AAPL", Side::Buy, 100, dec!(190));
    o2.account = acc("ARB1");
    assert!(e.pre_trade(t(10, 0, 2), &o2).is_accepted());
    e.on_fill(t(10, 0, 2), &fill_of(&o2, 100, dec!(190)))
        .unwrap();
    e.on_price(
        t(10, 1, 0),
        sym("AAPL"),
        MarketUpdate::Trade { price: dec!(200) },
    )
    .unwrap();
    let p = e.pnl(Scope::Account(acc("ACC1"))).unwrap();
    assert_eq!(
        (p.realised, p.unrealised, p.equity),
        (dec!(0), dec!(1000), dec!(1001000))
    );
    sell_and_fill(&mut e, t(10, 2, 0), "AAPL", 50, dec!(210));
    let p = e.pnl(Scope::Account(acc("ACC1"))).unwrap();
    assert_eq!(p.realised, dec!(1000));
    assert_eq!(p.unrealised, dec!(500));
    assert_eq!(p.equity, dec!(1001500));
    let desk = e
        .pnl(Scope::Desk(risk::DeskId::new("EQ").unwrap()))
        .unwrap();
    assert_eq!((desk.realised, desk.unrealised), (dec!(1000), dec!(500)));
    let firm = e.pnl(Scope::Firm).unwrap();
    assert_eq!((firm.realised, firm.unrealised), (dec!(1000), dec!(1500)));
    assert_eq!(firm.equity, dec!(3002500));
}

#[test]
fn drawdown_tiers_warn_reduce_halt_and_flatten() {
    let mut e = engine_with(|_| {});
    buy_and_fill(&mut e, t(10, 0, 1), "AAPL", 5000, dec!(190));
    // Equity 1,000,000 (cash 50,000 + 950,000 of AAPL).
    let px = |e: &mut RiskEngine, s: u32, p: Decimal| {
        e.on_price(t(10, 1, s), sym("AAPL"), MarketUpdate::Trade { price: p })
            .unwrap();
        drain(e)
    };
    // 9,900 down = 0.99%: nothing.
    assert!(px(&mut e, 0, dec!(188.02)).is_empty());
    let ev = px(&mut e, 1, dec!(188));
    assert!(
        matches!(&ev[..], [RiskEvent::Drawdown { tier: DrawdownTier::Warn, pct, .. }] if *pct == dec!(1)),
        "{ev:?}"
    );
    assert_eq!(
        e.trading_state(Scope::Account(acc("ACC1"))),
        Some(TradingState::Active)
    );
    let ev = px(&mut e, 2, dec!(187));
    assert!(ev.iter().any(|x| matches!(
        x,
        RiskEvent::StateChanged {
            to: TradingState::Reducing,
            cause: StateCause::Drawdown { .. },
            ..
        }
    )));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 3), &limit("AAPL", Side::Buy, 1, dec!(187)))),
        "TradingState: account ACC1 is REDUCING and the order does not reduce risk"
    );
    let sell = limit("AAPL", Side::Sell, 100, dec!(187));
    assert_eq!(outcome(&e.pre_trade(t(10, 1, 4), &sell)), "accepted");
    // 1.8% = 18,000 down: 186.40.
    let ev = px(&mut e, 5, dec!(186.4));
    assert!(ev.iter().any(|x| matches!(
        x,
        RiskEvent::StateChanged {
            to: TradingState::Halted,
            ..
        }
    )));
    let flatten = ev.iter().find_map(|x| match x {
        RiskEvent::Flatten {
            scope,
            cancel,
            close,
        } => Some((*scope, cancel.clone(), close.clone())),
        _ => None,
    });
    let (scope, cancel, close) = flatten.expect("flatten event");
    assert_eq!(scope, Scope::Account(acc("ACC1")));
    assert_eq!(cancel, vec![sell.cl_ord_id]);
    assert_eq!(close, vec![(acc("ACC1"), sym("AAPL"), SignedQty(-5000))]);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 6), &limit("AAPL", Side::Sell, 1, dec!(186.4)))),
        "TradingState: account ACC1 is HALTED"
    );
    // The desk (2,000,000) lost 0.9%: still active.
    assert_eq!(
        e.trading_state(Scope::Desk(risk::DeskId::new("EQ").unwrap())),
        Some(TradingState::Active)
    );
    // An operator lifts it.
    e.set_trading_state(
        Scope::Account(acc("ACC1")),
        TradingState::Active,
        alice(t(10, 2, 0)),
    )
    .unwrap();
    assert!(e
        .pre_trade(t(10, 2, 1), &limit("AAPL", Side::Sell, 1, dec!(186.4)))
        .is_accepted());
}

fn seed_history(e: &mut RiskEngine) {
    // 30 daily returns alternating +2% / -2%: EWMA volatility exactly 2%.
    let mut px = dec!(100);
    e.on_daily_close(&[(sym("AAPL"), px)], None);
    for i in 0..30 {
        px = if i % 2 == 0 {
            px * dec!(1.02)
        } else {
            px * dec!(0.98)
        };
        e.on_daily_close(&[(sym("AAPL"), px)], None);
    }
    while e.poll_event().is_some() {}
}

#[test]
fn var_limit_breach_restricts_the_account_until_it_reduces() {
    let mut e = engine_with(|c| acc1_limits(c).var_limit = Some(dec!(10000)));
    seed_history(&mut e);
    assert!((e.volatility(sym("AAPL")).unwrap() - 0.02).abs() < 1e-12);
    buy_and_fill(&mut e, t(10, 0, 1), "AAPL", 1100, dec!(190));
    // 209,000 x 2% x 2.326 = 9,724.
    let v = e.var(Scope::Account(acc("ACC1"))).unwrap();
    assert_eq!(v.parametric.round(), dec!(9724));
    assert_eq!(
        v.historical,
        dec!(4180),
        "worst of 30 scenarios: -2% x 209,000"
    );
    assert_eq!(
        e.trading_state(Scope::Account(acc("ACC1"))),
        Some(TradingState::Active)
    );
    buy_and_fill(&mut e, t(10, 0, 2), "AAPL", 100, dec!(190));
    let ev = drain(&mut e);
    assert!(
        ev.iter()
            .any(|x| matches!(x, RiskEvent::VarBreach { limit, .. } if *limit == dec!(10000))),
        "{ev:?}"
    );
    assert_eq!(
        e.trading_state(Scope::Account(acc("ACC1"))),
        Some(TradingState::Reducing)
    );
    assert!(!e
        .pre_trade(t(10, 0, 3), &limit("AAPL", Side::Buy, 1, dec!(190)))
        .is_accepted());
    sell_and_fill(&mut e, t(10, 0, 4), "AAPL", 200, dec!(190));
    assert_eq!(
        e.trading_state(Scope::Account(acc("ACC1"))),
        Some(TradingState::Active)
    );
    // The firm VaR sees the same position.
    let f = e.var(Scope::Firm).unwrap();
    assert_eq!(
        f.parametric,
        e.var(Scope::Account(acc("ACC1"))).unwrap().parametric
    );
}

#[test]
fn kill_switch_stops_new_orders_and_lists_open_ones() {
    let mut e = engine_with(|_| {});
    let a = limit("AAPL", Side::Buy, 1, dec!(190));
    let b = limit("MSFT", Side::Buy, 1, dec!(420));
    let mut c = limit("XOM", Side::Buy, 100, dec!(100));
    c.account = acc("ACC2");
    let mut d = limit("XOM", Side::Buy, 100, dec!(100));
    d.account = acc("ARB1");
    for o in [&a, &b, &c, &d] {
        assert!(e.pre_trade(t(10, 0, 1), o).is_accepted());
    }
    drain(&mut e);
    let desk = Scope::Desk(risk::DeskId::new("EQ").unwrap());
    assert!(matches!(
        e.kill_switch(desk, bob(t(10, 1, 0))),
        Err(RiskError::NotAuthorised { .. })
    ));
    let mut no_reason = alice(t(10, 1, 0));
    no_reason.reason = " ".into();
    assert!(matches!(
        e.kill_switch(desk, no_reason),
        Err(RiskError::NoReason(_))
    ));
    let cancel = e.kill_switch(desk, alice(t(10, 1, 0))).unwrap();
    assert_eq!(cancel, vec![a.cl_ord_id, b.cl_ord_id, c.cl_ord_id]);
    let ev = drain(&mut e);
    assert!(
        matches!(&ev[0], RiskEvent::StateChanged { to: TradingState::Halted, cause: StateCause::Operator(op), .. } if op.id.as_str() == "alice")
    );
    assert!(matches!(&ev[1], RiskEvent::KillSwitch { cancel, .. } if cancel.len() == 3));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 1), &limit("AAPL", Side::Buy, 1, dec!(190)))),
        "TradingState: desk EQ is HALTED"
    );
    let mut other = limit("AAPL", Side::Buy, 2, dec!(190));
    other.account = acc("ARB1");
    assert!(e.pre_trade(t(10, 1, 2), &other).is_accepted());
    // Firm-wide: everything stops.
    let all = e.kill_switch(Scope::Firm, alice(t(10, 2, 0))).unwrap();
    assert_eq!(all.len(), 5);
    other.cl_ord_id = fresh_id();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 2, 1), &other)),
        "TradingState: firm is HALTED"
    );
}

#[test]
fn overrides_are_authorised_audited_and_scoped() {
    let mut e = engine_with(|c| acc1_limits(c).max_order_qty = Some(100));
    let big = limit("AAPL", Side::Buy, 200, dec!(190));
    assert!(!e.pre_trade(t(10, 0, 1), &big).is_accepted());
    let id = e
        .override_rule(
            Rule::MaxOrderQty,
            Scope::Account(acc("ACC1")),
            Some(big.cl_ord_id),
            t(11, 0, 0),
            bob(t(10, 0, 2)),
        )
        .unwrap();
    match e.pre_trade(t(10, 0, 3), &big) {
        Decision::Accept {
            overridden: Some(o),
            ..
        } => {
            assert_eq!(o.override_id, id);
            assert_eq!(
                o.violation.to_string(),
                "MaxOrderQty: order qty 200 exceeds limit 100"
            );
        }
        d => panic!("{d}"),
    }
    let ev = drain(&mut e);
    assert!(
        matches!(&ev[0], RiskEvent::OverrideGranted { operator, rule: Rule::MaxOrderQty, .. } if operator.reason == "client request")
    );
    assert!(
        matches!(&ev[1], RiskEvent::OverrideUsed { cl_ord_id, .. } if *cl_ord_id == big.cl_ord_id)
    );
    // Single use, single order.
    assert!(!e
        .pre_trade(t(10, 0, 4), &limit("AAPL", Side::Buy, 200, dec!(190.01)))
        .is_accepted());
    // An override does not waive other rules.
    let id2 = e
        .override_rule(
            Rule::MaxOrderQty,
            Scope::Account(acc("ACC1")),
            None,
            t(10, 30, 0),
            bob(t(10, 0, 5)),
        )
        .unwrap();
    let mut bad_tick = limit("AAPL", Side::Buy, 200, dec!(190.001));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 6), &bad_tick)),
        "TickSize: price 190.001 is not a multiple of tick 0.01"
    );
    bad_tick.price = Some(dec!(190.02));
    assert!(e.pre_trade(t(10, 0, 7), &bad_tick).is_accepted());
    // Expired.
    assert!(!e
        .pre_trade(t(10, 30, 0), &limit("AAPL", Side::Buy, 200, dec!(190.03)))
        .is_accepted());
    assert!(e.revoke_override(id2, bob(t(10, 31, 0))).is_ok());
}

#[test]
fn configuration_changes_at_run_time_are_audited_and_validated() {
    let mut e = engine_with(|_| {});
    let mut cfg = e.config().clone();
    acc1_limits(&mut cfg).max_order_qty = Some(50);
    assert!(matches!(
        e.set_config(cfg.clone(), bob(t(10, 0, 0))),
        Err(RiskError::NotAuthorised { .. })
    ));
    e.set_config(cfg.clone(), alice(t(10, 0, 0))).unwrap();
    assert!(matches!(
        drain(&mut e).last(),
        Some(RiskEvent::ConfigChanged { .. })
    ));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 51, dec!(190)))),
        "MaxOrderQty: order qty 51 exceeds limit 50"
    );
    let mut bad = cfg.clone();
    acc1_limits(&mut bad).max_order_qty = Some(0);
    bad.instruments.retain(|i| i.symbol.as_str() != "XOM");
    match e.set_config(bad, alice(t(10, 0, 2))) {
        Err(RiskError::Config(risk::ConfigError::Invalid(p))) => {
            let keys: Vec<_> = p.iter().map(|p| p.key.as_str()).collect();
            assert_eq!(
                keys,
                vec!["accounts.ACC1.limits.max_order_qty", "instruments"],
                "{p:?}"
            );
        }
        r => panic!("{r:?}"),
    }
    // Limits unchanged by the failed attempt.
    assert!(e
        .pre_trade(t(10, 0, 3), &limit("AAPL", Side::Buy, 50, dec!(190)))
        .is_accepted());
    // A new account and instrument can be added.
    let mut more = cfg;
    let mut acc3 = more.accounts[&acc("ACC2")].clone();
    acc3.cash = dec!(5000);
    more.accounts.insert(acc("ACC3"), acc3);
    let mut nvda = more.instruments[0].clone();
    nvda.symbol = sym("NVDA");
    more.instruments.push(nvda);
    e.set_config(more, alice(t(10, 1, 0))).unwrap();
    e.on_price(
        t(10, 1, 1),
        sym("NVDA"),
        MarketUpdate::Trade { price: dec!(100) },
    )
    .unwrap();
    let mut o = limit("NVDA", Side::Buy, 100, dec!(100));
    o.account = acc("ACC3");
    // 100 x 100 at 50% margin is exactly the new account's 5,000 equity.
    assert_eq!(outcome(&e.pre_trade(t(10, 1, 2), &o)), "accepted");
    o.cl_ord_id = fresh_id();
    o.qty = SignedQty(1);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 3), &o)),
        "BuyingPower: account ACC3 margin required 50 exceeds buying power 0"
    );
}

#[test]
fn set_limits_changes_one_level() {
    let mut e = engine_with(|_| {});
    let desk = Scope::Desk(risk::DeskId::new("EQ").unwrap());
    let limits = risk::config::Limits {
        max_order_qty: Some(10),
        ..Default::default()
    };
    e.set_limits(desk, limits.clone(), alice(t(10, 0, 0)))
        .unwrap();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 11, dec!(190)))),
        "MaxOrderQty: order qty 11 exceeds limit 10"
    );
    let mut arb = limit("AAPL", Side::Buy, 11, dec!(190));
    arb.account = acc("ARB1");
    assert!(e.pre_trade(t(10, 0, 2), &arb).is_accepted());
    let bad = risk::config::Limits {
        max_order_qty: Some(-1),
        ..Default::default()
    };
    assert!(e.set_limits(desk, bad, alice(t(10, 0, 3))).is_err());
    let unknown = Scope::Desk(risk::DeskId::new("NOPE").unwrap());
    assert!(matches!(
        e.set_limits(unknown, limits, alice(t(10, 0, 4))),
        Err(RiskError::UnknownDesk(_))
    ));
}

#[test]
fn legacy_pattern_day_trader_blocks_the_fourth_day_trade() {
    let run = |cash: Decimal| {
        let mut e = engine_with(|c| {
            acc1(c).pdt_regime = PdtRegime::Legacy;
            acc1(c).cash = cash;
        });
        for i in 0..3 {
            buy_and_fill(&mut e, t(10, i, 0), "AAPL", 10, dec!(190));
            sell_and_fill(&mut e, t(10, i, 30), "AAPL", 10, dec!(190));
        }
        buy_and_fill(&mut e, t(10, 10, 0), "AAPL", 10, dec!(190));
        outcome(&e.pre_trade(t(10, 10, 30), &limit("AAPL", Side::Sell, 10, dec!(190))))
    };
    assert_eq!(
        run(dec!(20000)),
        "PatternDayTrader: day trade would be number 4 in 5 business days (limit 3) with equity 20000 below 25000"
    );
    assert_eq!(
        run(dec!(24999.99)).split(':').next(),
        Some("PatternDayTrader")
    );
    assert_eq!(run(dec!(25000)), "accepted");
}

#[test]
fn day_trades_leave_the_window_after_five_business_days() {
    let mut e = engine_with(|c| {
        acc1(c).pdt_regime = PdtRegime::Legacy;
        acc1(c).cash = dec!(20000);
    });
    // Tue 10 Mar: three day trades.
    for i in 0..3 {
        buy_and_fill(&mut e, t(10, i, 0), "AAPL", 10, dec!(190));
        sell_and_fill(&mut e, t(10, i, 30), "AAPL", 10, dec!(190));
    }
    // Mon 16 Mar is the fifth business day including 10 Mar: blocked.
    let mon = chrono::NaiveDate::from_ymd_opt(2026, 3, 16).unwrap();
    buy_and_fill(&mut e, at(mon, 10, 0), "AAPL", 10, dec!(190));
    assert!(!e
        .pre_trade(at(mon, 10, 1), &limit("AAPL", Side::Sell, 10, dec!(190)))
        .is_accepted());
    // Tue 17 Mar: 10 Mar is out of the window.
    let tue = chrono::NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
    buy_and_fill(&mut e, at(tue, 10, 0), "AAPL", 10, dec!(190));
    assert!(e
        .pre_trade(at(tue, 10, 1), &limit("AAPL", Side::Sell, 10, dec!(190)))
        .is_accepted());
}

#[test]
fn intraday_margin_regime_blocks_a_deficit_in_real_time() {
    let cfg = |c: &mut risk::RiskConfig| {
        acc1(c).pdt_regime = PdtRegime::IntradayMargin;
        acc1(c).cash = dec!(10000);
        acc1(c).initial_margin = dec!(0.2);
        acc1(c).maintenance_margin = dec!(0.25);
    };
    let mut e = engine_with(cfg);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 210, dec!(190)))),
        "accepted"
    );
    let mut e = engine_with(cfg);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 211, dec!(190)))),
        "IntradayMargin: intraday margin requirement 10022.5 would exceed equity 10000"
    );
    // Exactly at the requirement: XOM 400 x 100 x 25% = 10,000.
    let mut e = engine_with(cfg);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("XOM", Side::Buy, 400, dec!(100)))),
        "accepted"
    );
}

#[test]
fn wash_sales_are_flagged_with_the_disallowed_loss_or_blocked() {
    let mut e = engine_with(|_| {});
    buy_and_fill(&mut e, t(10, 0, 0), "AAPL", 100, dec!(190));
    sell_and_fill(&mut e, t(10, 1, 0), "AAPL", 100, dec!(181));
    drain(&mut e);
    let rebuy = limit("AAPL", Side::Buy, 100, dec!(182));
    match e.pre_trade(t(10, 2, 0), &rebuy) {
        Decision::Accept { flags, .. } => assert!(flags.possible_wash_sale),
        d => panic!("{d}"),
    }
    e.on_fill(t(10, 2, 1), &fill_of(&rebuy, 100, dec!(182)))
        .unwrap();
    let ws: Vec<_> = drain(&mut e)
        .into_iter()
        .filter_map(|x| match x {
            RiskEvent::WashSale(w) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0].qty, SignedQty(100));
    assert_eq!(ws[0].disallowed_loss, dec!(900));
    assert_eq!(ws[0].basis_adjustment, dec!(900));
    assert_eq!(ws[0].symbol, sym("AAPL"));

    // Block mode, and a call option counts as a purchase of the stock.
    let mut e = engine_with(|c| acc1(c).wash_sales = WashSaleMode::Block);
    buy_and_fill(&mut e, t(10, 0, 0), "AAPL", 100, dec!(190));
    sell_and_fill(&mut e, t(10, 1, 0), "AAPL", 100, dec!(185));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 2, 0), &limit("AAPL", Side::Buy, 10, dec!(185)))),
        "WashSale: purchase of AAPL within 30 days of a loss sale (disallowed loss 50)"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 2, 1), &limit("AAPL_C200", Side::Buy, 1, dec!(5)))),
        "WashSale: purchase of AAPL within 30 days of a loss sale (disallowed loss 500)"
    );
    assert!(e
        .pre_trade(t(10, 2, 2), &limit("MSFT", Side::Buy, 10, dec!(420)))
        .is_accepted());
    // 31 days later the window has closed.
    let later = chrono::NaiveDate::from_ymd_opt(2026, 4, 10).unwrap();
    e.on_price(
        at(later, 10, 0),
        sym("AAPL"),
        MarketUpdate::Trade { price: dec!(185) },
    )
    .unwrap();
    assert!(e
        .pre_trade(at(later, 10, 1), &limit("AAPL", Side::Buy, 10, dec!(185)))
        .is_accepted());
}

#[test]
fn fills_release_open_order_quantity_and_closed_orders_leave_the_book() {
    let mut e = engine_with(|_| {});
    let o = limit("AAPL", Side::Buy, 100, dec!(190));
    assert!(e.pre_trade(t(10, 0, 0), &o).is_accepted());
    e.on_fill(t(10, 0, 1), &fill_of(&o, 40, dec!(190))).unwrap();
    let p = e.position(acc("ACC1"), sym("AAPL")).unwrap();
    assert_eq!((p.qty, p.open_buy), (40, 60));
    e.on_open_order_change(
        t(10, 0, 2),
        &OpenOrderChange::Amended {
            account: acc("ACC1"),
            cl_ord_id: o.cl_ord_id,
            leaves: SignedQty(10),
            price: None,
        },
    )
    .unwrap();
    assert_eq!(e.position(acc("ACC1"), sym("AAPL")).unwrap().open_buy, 10);
    e.on_open_order_change(
        t(10, 0, 3),
        &OpenOrderChange::Closed {
            account: acc("ACC1"),
            cl_ord_id: o.cl_ord_id,
        },
    )
    .unwrap();
    assert_eq!(e.position(acc("ACC1"), sym("AAPL")).unwrap().open_buy, 0);
    assert!(e.open_orders(Scope::Firm).is_empty());
}

#[test]
fn recovered_open_orders_count_and_are_idempotent() {
    let mut e = engine_with(|c| {
        acc1_limits(c).position_limits.insert(sym("AAPL"), 1000);
    });
    let gtc = limit("AAPL", Side::Buy, 800, dec!(190));
    let opened = OpenOrderChange::Opened { order: gtc };
    e.on_open_order_change(t(10, 0, 0), &opened).unwrap();
    e.on_open_order_change(t(10, 0, 0), &opened).unwrap();
    assert_eq!(e.position(acc("ACC1"), sym("AAPL")).unwrap().open_buy, 800);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 201, dec!(190)))),
        "PositionLimit: account ACC1 projected position 1001 in AAPL exceeds limit 1000"
    );
    // Its ClOrdID is taken.
    let mut dup = limit("AAPL", Side::Buy, 1, dec!(190));
    dup.cl_ord_id = gtc.cl_ord_id;
    assert!(outcome(&e.pre_trade(t(10, 0, 2), &dup)).starts_with("DuplicateClOrdId"));
}

#[test]
fn volatility_sizing_through_the_engine() {
    let mut e = engine_with(|_| {});
    seed_history(&mut e);
    // 10,000 / (190 x 2%) = 2,631.
    assert_eq!(
        e.size_position(sym("AAPL"), dec!(10000)).unwrap(),
        SignedQty(2631)
    );
    assert!(
        e.size_position(sym("MSFT"), dec!(10000)).is_err(),
        "no history"
    );
}
