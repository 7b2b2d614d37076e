//! Each pre-trade rule at, just under and just over its limit, with the
//! rejection text checked.

mod common;

use common::*;
use risk::config::{AccountType, OnBreach};
use risk::{
    Decision, LocateId, OpenOrderChange, OrdType, RiskEngine, Side, SignedQty, Symbol, Venue,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Outcome of one order against a fresh engine configured by `edit`.
fn once(edit: impl FnOnce(&mut risk::RiskConfig), o: risk::OrderRequest) -> String {
    let mut e = engine_with(edit);
    outcome(&e.pre_trade(t(10, 0, 1), &o))
}

#[test]
fn max_order_qty() {
    let cfg = |c: &mut risk::RiskConfig| acc1_limits(c).max_order_qty = Some(10000);
    assert_eq!(
        once(cfg, limit("AAPL", Side::Buy, 9999, dec!(190))),
        "accepted"
    );
    assert_eq!(
        once(cfg, limit("AAPL", Side::Buy, 10000, dec!(190))),
        "accepted"
    );
    assert_eq!(
        once(cfg, limit("AAPL", Side::Buy, 10001, dec!(190))),
        "MaxOrderQty: order qty 10001 exceeds limit 10000"
    );
    // The example.
    assert_eq!(
        once(cfg, limit("AAPL", Side::Buy, 15000, dec!(190))),
        "MaxOrderQty: order qty 15000 exceeds limit 10000"
    );
}

#[test]
fn max_order_notional() {
    let cfg = |c: &mut risk::RiskConfig| acc1_limits(c).max_order_notional = Some(dec!(1000000));
    assert_eq!(
        once(cfg, limit("MSFT", Side::Buy, 2499, dec!(400))),
        "accepted"
    );
    assert_eq!(
        once(cfg, limit("MSFT", Side::Buy, 2500, dec!(400))),
        "accepted"
    );
    assert_eq!(
        once(cfg, limit("MSFT", Side::Buy, 2501, dec!(400))),
        "MaxOrderNotional: order notional 1000400 exceeds limit 1000000"
    );
    // Market orders are valued at the reference price (last 190).
    assert_eq!(
        once(cfg, market("AAPL", Side::Buy, 5264)),
        "MaxOrderNotional: order notional 1000160 exceeds limit 1000000"
    );
}

#[test]
fn price_collar_percent_and_absolute() {
    // XOM is Tier 2 (10% LULD bands), so the 5% collar is what binds.
    let pct = |c: &mut risk::RiskConfig| acc1_limits(c).collar_pct = Some(dec!(5));
    assert_eq!(
        once(pct, limit("XOM", Side::Buy, 100, dec!(104.99))),
        "accepted"
    );
    assert_eq!(
        once(pct, limit("XOM", Side::Buy, 100, dec!(105))),
        "accepted"
    );
    assert_eq!(
        once(pct, limit("XOM", Side::Buy, 100, dec!(105.01))),
        "PriceCollar: price 105.01 is 5.01% from reference 100, limit 5%"
    );
    assert_eq!(
        once(pct, limit("XOM", Side::Buy, 100, dec!(94.99))),
        "PriceCollar: price 94.99 is 5.01% from reference 100, limit 5%"
    );
    let abs = |c: &mut risk::RiskConfig| c.firm.collar_abs = Some(dec!(5));
    assert_eq!(
        once(abs, limit("XOM", Side::Buy, 100, dec!(104.99))),
        "accepted"
    );
    assert_eq!(
        once(abs, limit("XOM", Side::Buy, 100, dec!(105))),
        "accepted"
    );
    assert_eq!(
        once(abs, limit("XOM", Side::Buy, 100, dec!(105.01))),
        "PriceCollar: price 105.01 is 5.01 from reference 100, limit 5"
    );
}

#[test]
fn collar_reference_can_be_the_mid() {
    let mut e = engine_with(|c| {
        acc1_limits(c).collar_pct = Some(dec!(1));
        c.checks.collar_reference = risk::config::CollarReference::Mid;
    });
    let q = risk::MarketUpdate::Quote {
        bid: Some(dec!(104.9)),
        ask: Some(dec!(105.1)),
    };
    e.on_price(t(10, 0, 1), sym("XOM"), q).unwrap();
    // Last is 100 but the mid is 105: 106 is 0.95% away.
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("XOM", Side::Buy, 100, dec!(106)))),
        "accepted"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 3), &limit("XOM", Side::Buy, 100, dec!(100)))),
        "PriceCollar: price 100 is 4.76% from reference 105, limit 1%"
    );
}

#[test]
fn tick_and_lot() {
    let none = |_: &mut risk::RiskConfig| {};
    assert_eq!(
        once(none, limit("AAPL", Side::Buy, 1, dec!(190.01))),
        "accepted"
    );
    assert_eq!(
        once(none, limit("AAPL", Side::Buy, 1, dec!(190.005))),
        "TickSize: price 190.005 is not a multiple of tick 0.01"
    );
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 100, dec!(100))),
        "accepted"
    );
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 200, dec!(100))),
        "accepted"
    );
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 150, dec!(100))),
        "LotSize: qty 150 is not a positive multiple of lot 100"
    );
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 0, dec!(100))),
        "LotSize: qty 0 is not a positive multiple of lot 100"
    );
    assert_eq!(
        once(none, limit("ESZ6", Side::Buy, 1, dec!(5000.10))),
        "TickSize: price 5000.1 is not a multiple of tick 0.25"
    );
}

#[test]
fn order_types_and_venues() {
    let cfg = |c: &mut risk::RiskConfig| {
        acc1(c).allowed_ord_types = vec![OrdType::Limit];
        acc1(c).allowed_venues = vec![Venue::new("XNAS").unwrap()];
    };
    assert_eq!(
        once(cfg, limit("AAPL", Side::Buy, 1, dec!(190))),
        "accepted"
    );
    assert_eq!(
        once(cfg, market("AAPL", Side::Buy, 1)),
        "OrderType: order type Market is not allowed for account ACC1"
    );
    let mut o = limit("AAPL", Side::Buy, 1, dec!(190));
    o.venue = Venue::new("ARCX").unwrap();
    assert_eq!(
        once(cfg, o),
        "Venue: venue ARCX is not allowed for account ACC1"
    );
    let mut o = limit("AAPL", Side::Buy, 1, dec!(190));
    o.price = None;
    assert_eq!(
        once(|_| {}, o),
        "MissingPrice: Limit order has no price to check against"
    );
}

#[test]
fn buying_power_margin_and_cash_accounts() {
    // Margin account, 1,000,000 equity, 50% initial margin: 2,000,000 gross.
    let none = |_: &mut risk::RiskConfig| {};
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 19900, dec!(100))),
        "accepted"
    );
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 20000, dec!(100))),
        "accepted"
    );
    assert_eq!(
        once(none, limit("XOM", Side::Buy, 20100, dec!(100))),
        "BuyingPower: account ACC1 margin required 1005000 exceeds buying power 1000000"
    );
    let cash = |c: &mut risk::RiskConfig| acc1(c).account_type = AccountType::Cash;
    assert_eq!(
        once(cash, limit("XOM", Side::Buy, 10000, dec!(100))),
        "accepted"
    );
    assert_eq!(
        once(cash, limit("XOM", Side::Buy, 10100, dec!(100))),
        "BuyingPower: account ACC1 margin required 1010000 exceeds buying power 1000000"
    );
}

#[test]
fn buying_power_counts_open_orders() {
    let mut e = engine_with(|c| acc1(c).account_type = AccountType::Cash);
    assert!(e
        .pre_trade(t(10, 0, 1), &limit("XOM", Side::Buy, 6000, dec!(100)))
        .is_accepted());
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("XOM", Side::Buy, 4100, dec!(100)))),
        "BuyingPower: account ACC1 margin required 410000 exceeds buying power 400000"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 3), &limit("XOM", Side::Buy, 4000, dec!(100)))),
        "accepted"
    );
}

#[test]
fn daily_notional_at_desk_level() {
    let mut e = engine_with(|c| {
        c.desks
            .get_mut(&risk::DeskId::new("EQ").unwrap())
            .unwrap()
            .limits
            .daily_notional = Some(dec!(1000000))
    });
    assert!(e
        .pre_trade(t(10, 0, 1), &limit("XOM", Side::Buy, 5000, dec!(100)))
        .is_accepted());
    let mut o2 = limit("XOM", Side::Buy, 4900, dec!(100));
    o2.account = acc("ACC2");
    assert_eq!(outcome(&e.pre_trade(t(10, 0, 2), &o2)), "accepted");
    let mut o3 = limit("XOM", Side::Buy, 100, dec!(100));
    o3.account = acc("ACC2");
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 3), &o3)),
        "accepted",
        "exactly at the limit"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 4), &limit("XOM", Side::Buy, 100, dec!(100)))),
        "DailyNotional: desk EQ daily notional 1010000 exceeds limit 1000000"
    );
    // Another desk is not affected; cancelling does not give notional back.
    let mut o4 = limit("XOM", Side::Buy, 100, dec!(100));
    o4.account = acc("ARB1");
    assert!(e.pre_trade(t(10, 0, 5), &o4).is_accepted());
    // The next day starts from zero.
    let next = common::at(chrono::NaiveDate::from_ymd_opt(2026, 3, 11).unwrap(), 10, 0);
    assert!(e
        .pre_trade(next, &limit("XOM", Side::Buy, 100, dec!(100)))
        .is_accepted());
}

#[test]
fn order_rate_per_second() {
    let mut e = engine_with(|c| acc1_limits(c).orders_per_second = Some(3));
    let ms = |n: i64| risk::Timestamp(t(10, 0, 1).0 + n * 1_000_000);
    for i in 0..3 {
        assert!(e
            .pre_trade(ms(i), &limit("AAPL", Side::Buy, 1 + i, dec!(190)))
            .is_accepted());
    }
    assert_eq!(
        outcome(&e.pre_trade(ms(999), &limit("AAPL", Side::Buy, 10, dec!(190)))),
        "OrderRate: account ACC1 order rate 4/s exceeds limit 3/s"
    );
    // One second after the first order, it has left the window.
    assert_eq!(
        outcome(&e.pre_trade(ms(1000), &limit("AAPL", Side::Buy, 11, dec!(190)))),
        "accepted"
    );
}

#[test]
fn duplicate_clordid_and_same_parameters() {
    let mut e = engine_with(|_| {});
    let o = limit("AAPL", Side::Buy, 100, dec!(190));
    assert!(e.pre_trade(t(10, 0, 1), &o).is_accepted());
    let mut same_id = limit("MSFT", Side::Buy, 5, dec!(420));
    same_id.cl_ord_id = o.cl_ord_id;
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &same_id)),
        format!("DuplicateClOrdId: ClOrdID {} was already used", o.cl_ord_id)
    );
    let ms = |n: i64| risk::Timestamp(t(10, 0, 1).0 + n * 1_000_000);
    let again = limit("AAPL", Side::Buy, 100, dec!(190));
    assert_eq!(
        outcome(&e.pre_trade(ms(999), &again)),
        "DuplicateOrder: identical order 999 ms ago is within the duplicate window 1000 ms"
    );
    // A different price is not a duplicate; the same at the window edge is not either.
    assert!(e
        .pre_trade(ms(999), &limit("AAPL", Side::Buy, 100, dec!(190.01)))
        .is_accepted());
    assert!(e.pre_trade(ms(1000), &again).is_accepted());
}

#[test]
fn restricted_list() {
    let cfg = |c: &mut risk::RiskConfig| c.restricted = vec![sym("AAPL")];
    assert_eq!(
        once(cfg, limit("AAPL", Side::Buy, 1, dec!(190))),
        "RestrictedList: AAPL is on the restricted list"
    );
    assert_eq!(
        once(cfg, limit("MSFT", Side::Buy, 1, dec!(420))),
        "accepted"
    );
}

#[test]
fn a_sell_beyond_the_long_is_a_short_sale_and_needs_a_locate() {
    let mut e = engine_with(|_| {});
    let buy = limit("AAPL", Side::Buy, 60, dec!(190));
    assert!(e.pre_trade(t(10, 0, 1), &buy).is_accepted());
    e.on_fill(t(10, 0, 2), &fill_of(&buy, 60, dec!(190)))
        .unwrap();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 3), &limit("AAPL", Side::Sell, 61, dec!(190)))),
        "LocateRequired: short sale of 1 AAPL requires a locate (sell exceeds the long position)"
    );
    match e.pre_trade(t(10, 0, 4), &limit("AAPL", Side::Sell, 60, dec!(190))) {
        Decision::Accept { flags, .. } => assert!(!flags.short_sale),
        d => panic!("{d}"),
    }
    // The 60 are now being sold: any further sell is short.
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 5), &limit("AAPL", Side::Sell, 1, dec!(190.01)))),
        "LocateRequired: short sale of 1 AAPL requires a locate (sell exceeds the long position)"
    );
    let mut short = limit("AAPL", Side::SellShort, 100, dec!(190));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 6), &short)),
        "LocateRequired: short sale of 100 AAPL requires a locate"
    );
    short.locate = Some(LocateId::new("ETB-1").unwrap());
    match e.pre_trade(t(10, 0, 7), &short) {
        Decision::Accept { flags, .. } => assert!(flags.short_sale),
        d => panic!("{d}"),
    }
}

#[test]
fn hard_to_borrow_needs_a_registered_locate_with_quantity() {
    let mut e = engine_with(|c| c.hard_to_borrow = vec![sym("MSFT")]);
    let mut o = limit("MSFT", Side::SellShort, 100, dec!(420));
    o.locate = Some(LocateId::new("L1").unwrap());
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &o)),
        "HardToBorrow: MSFT is hard to borrow: a short sale needs a locate"
    );
    e.add_locate(
        acc("ACC1"),
        sym("MSFT"),
        LocateId::new("L1").unwrap(),
        SignedQty(150),
    );
    assert_eq!(outcome(&e.pre_trade(t(10, 0, 2), &o)), "accepted");
    // 50 left: 51 is too many, 50 fits.
    let mut o2 = limit("MSFT", Side::SellShort, 51, dec!(420));
    o2.locate = o.locate;
    assert!(!e.pre_trade(t(10, 0, 3), &o2).is_accepted());
    o2.qty = SignedQty(50);
    assert_eq!(outcome(&e.pre_trade(t(10, 0, 4), &o2)), "accepted");
}

#[test]
fn position_limit_on_the_projected_position() {
    let mut e = engine_with(|c| {
        acc1_limits(c).position_limits.insert(sym("AAPL"), 1000);
    });
    assert!(e
        .pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 600, dec!(190)))
        .is_accepted());
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("AAPL", Side::Buy, 401, dec!(190)))),
        "PositionLimit: account ACC1 projected position 1001 in AAPL exceeds limit 1000"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 3), &limit("AAPL", Side::Buy, 399, dec!(190)))),
        "accepted"
    );
    let last = limit("AAPL", Side::Buy, 1, dec!(190.01));
    assert_eq!(outcome(&e.pre_trade(t(10, 0, 4), &last)), "accepted");
    // Cancelling frees the room.
    e.on_open_order_change(
        t(10, 0, 5),
        &OpenOrderChange::Closed {
            account: acc("ACC1"),
            cl_ord_id: last.cl_ord_id,
        },
    )
    .unwrap();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 6), &limit("AAPL", Side::Buy, 1, dec!(190.02)))),
        "accepted"
    );
    assert!(!e
        .pre_trade(t(10, 0, 7), &limit("AAPL", Side::Buy, 1, dec!(190.03)))
        .is_accepted());
}

#[test]
fn reduce_to_the_largest_size_that_fits() {
    let mut e = engine_with(|c| {
        acc1_limits(c).position_limits.insert(sym("XOM"), 1000);
        acc1(c).on_breach = OnBreach::Reduce;
    });
    let d = e.pre_trade(t(10, 0, 1), &limit("XOM", Side::Buy, 1500, dec!(100)));
    assert_eq!(
        d.to_string(),
        "reduced from 1500 to 1000: PositionLimit: account ACC1 projected position 1500 in XOM exceeds limit 1000"
    );
    assert_eq!(d.accepted_qty(SignedQty(1500)), Some(SignedQty(1000)));
    assert_eq!(e.position(acc("ACC1"), sym("XOM")).unwrap().open_buy, 1000);
    // Nothing fits any more: rejected, not reduced to zero.
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("XOM", Side::Buy, 100, dec!(100.01)))),
        "PositionLimit: account ACC1 projected position 1100 in XOM exceeds limit 1000"
    );
}

#[test]
fn gross_and_net_exposure() {
    let gross = |c: &mut risk::RiskConfig| acc1_limits(c).gross_exposure = Some(dec!(1000000));
    assert_eq!(
        once(gross, limit("AAPL", Side::Buy, 5263, dec!(190))),
        "accepted"
    );
    assert_eq!(
        once(gross, limit("AAPL", Side::Buy, 5264, dec!(190))),
        "GrossExposure: account ACC1 projected gross exposure 1000160 exceeds limit 1000000"
    );
    let mut e = engine_with(|c| acc1_limits(c).net_exposure = Some(dec!(500000)));
    assert!(e
        .pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 2631, dec!(190)))
        .is_accepted());
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("AAPL", Side::Buy, 1, dec!(190.01)))),
        "NetExposure: account ACC1 projected net exposure 500080 exceeds limit 500000"
    );
    // A hedge lowers the worst net: allowed.
    let mut hedge = limit("MSFT", Side::SellShort, 1000, dec!(420));
    hedge.locate = Some(LocateId::new("ETB").unwrap());
    assert_eq!(outcome(&e.pre_trade(t(10, 0, 3), &hedge)), "accepted");
}

#[test]
fn sector_and_asset_class_exposure() {
    let mut e = engine_with(|c| {
        acc1_limits(c).sectors.insert(
            risk::Sector::new("Technology").unwrap(),
            risk::config::ExposureLimit {
                gross: Some(dec!(1000000)),
                net: None,
            },
        );
        acc1_limits(c).asset_classes.insert(
            risk::AssetClass::Option,
            risk::config::ExposureLimit {
                gross: Some(dec!(100000)),
                net: None,
            },
        );
    });
    assert!(e
        .pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 3000, dec!(190)))
        .is_accepted());
    assert!(e
        .pre_trade(t(10, 0, 2), &limit("MSFT", Side::Buy, 1000, dec!(420)))
        .is_accepted());
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 3), &limit("MSFT", Side::Buy, 24, dec!(420.01)))),
        "SectorExposure: account ACC1 projected gross exposure 1000080 in sector Technology exceeds limit 1000000"
    );
    // Other sectors are unaffected; the call counts in Technology at
    // 5 x 100 per contract: 20 contracts fill the sector exactly.
    assert!(e
        .pre_trade(t(10, 0, 4), &limit("XOM", Side::Buy, 100, dec!(100)))
        .is_accepted());
    assert!(e
        .pre_trade(t(10, 0, 5), &limit("AAPL_C200", Side::Buy, 20, dec!(5)))
        .is_accepted());
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 6), &limit("AAPL_C200", Side::Buy, 1, dec!(5.01)))),
        "SectorExposure: account ACC1 projected gross exposure 1000500 in sector Technology exceeds limit 1000000"
    );
}

#[test]
fn asset_class_limit() {
    let cfg = |c: &mut risk::RiskConfig| {
        acc1_limits(c).asset_classes.insert(
            risk::AssetClass::Option,
            risk::config::ExposureLimit {
                gross: Some(dec!(100000)),
                net: None,
            },
        );
    };
    assert_eq!(
        once(cfg, limit("AAPL_C200", Side::Buy, 200, dec!(5))),
        "accepted"
    );
    assert_eq!(
        once(cfg, limit("AAPL_C200", Side::Buy, 201, dec!(5))),
        "AssetClassExposure: account ACC1 projected gross exposure 100500 in asset class option exceeds limit 100000"
    );
}

#[test]
fn firm_credit_limit_across_desks() {
    let mut e = engine_with(|c| c.firm.credit_limit = Some(dec!(1000000)));
    assert!(e
        .pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 2631, dec!(190)))
        .is_accepted());
    let mut o = limit("AAPL", Side::Buy, 2633, dec!(190));
    o.account = acc("ARB1");
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &o)),
        "CreditLimit: firm projected gross notional 1000160 exceeds credit limit 1000000"
    );
    o.qty = SignedQty(2632);
    assert_eq!(outcome(&e.pre_trade(t(10, 0, 3), &o)), "accepted");
}

#[test]
fn market_hours_and_extended_hours_flag() {
    let mut e = engine_with(|_| {});
    let d = common::day();
    let mut o = limit("AAPL", Side::Buy, 1, dec!(190));
    let mut check = |o: &risk::OrderRequest, now| outcome(&e.pre_trade(now, o));
    o.cl_ord_id = fresh_id();
    assert_eq!(
        check(&o, t(9, 29, 59)),
        "MarketHours: pre-market session needs the extended-hours flag"
    );
    o.cl_ord_id = fresh_id();
    assert_eq!(check(&o, t(9, 30, 0)), "accepted");
    o.cl_ord_id = fresh_id();
    o.price = Some(dec!(190.01));
    assert_eq!(
        check(&o, t(16, 0, 0)),
        "MarketHours: after-hours session needs the extended-hours flag"
    );
    o.extended_hours = true;
    assert_eq!(check(&o, t(16, 0, 0)), "accepted");
    o.cl_ord_id = fresh_id();
    o.price = Some(dec!(190.02));
    assert_eq!(check(&o, t(20, 0, 0)), "MarketHours: market is closed");
    assert_eq!(check(&o, t(3, 59, 0)), "MarketHours: market is closed");
    // Good Friday 2026.
    let gf = chrono::NaiveDate::from_ymd_opt(2026, 4, 3).unwrap();
    assert_eq!(
        check(&o, common::at(gf, 11, 0)),
        "MarketHours: market is closed"
    );
    // Early close: 13:00 on the day after Thanksgiving.
    let bf = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    o.extended_hours = false;
    assert_eq!(
        check(&o, common::at(bf, 13, 0)),
        "MarketHours: after-hours session needs the extended-hours flag"
    );
    let _ = d;
}

#[test]
fn options_and_futures_hours_from_config() {
    let mut e = engine_with(|_| {});
    // Futures trade at 17:30? No: the daily break is 17:00-18:00.
    let fut = limit("ESZ6", Side::Buy, 1, dec!(5000));
    assert_eq!(
        outcome(&e.pre_trade(t(17, 30, 0), &fut)),
        "MarketHours: market is closed"
    );
    assert_eq!(outcome(&e.pre_trade(t(18, 0, 0), &fut)), "accepted");
    let mut opt = limit("AAPL_C200", Side::Buy, 1, dec!(5));
    opt.extended_hours = true;
    assert_eq!(
        outcome(&e.pre_trade(t(16, 0, 0), &opt)),
        "MarketHours: market is closed"
    );
}

#[test]
fn halts_and_resumption() {
    let mut e = engine_with(|_| {});
    e.on_halt(t(10, 0, 1), sym("AAPL"), risk::HaltNotice::Halted)
        .unwrap();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("AAPL", Side::Buy, 1, dec!(190)))),
        "Halt: AAPL is halted (regulatory halt)"
    );
    assert!(e
        .pre_trade(t(10, 0, 2), &limit("MSFT", Side::Buy, 1, dec!(420)))
        .is_accepted());
    e.on_halt(t(10, 5, 0), sym("AAPL"), risk::HaltNotice::Resumed)
        .unwrap();
    assert!(e
        .pre_trade(t(10, 5, 1), &limit("AAPL", Side::Buy, 1, dec!(190)))
        .is_accepted());
    let ev = drain(&mut e);
    assert!(matches!(ev[0], risk::RiskEvent::Halted { .. }));
    assert!(matches!(ev[1], risk::RiskEvent::Resumed { .. }));
}

#[test]
fn luld_bands_reject_limit_prices_outside() {
    let mut e = engine_with(|_| {});
    // AAPL Tier 1 at 190: bands 180.50 - 199.50.
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &limit("AAPL", Side::Buy, 1, dec!(199.50)))),
        "accepted"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 2), &limit("AAPL", Side::Buy, 1, dec!(199.51)))),
        "Luld: Buy AAPL limit 199.51 is above upper band 199.5"
    );
    let mut long = limit("AAPL", Side::Buy, 10, dec!(190));
    assert!(e.pre_trade(t(10, 0, 3), &long).is_accepted());
    e.on_fill(t(10, 0, 4), &fill_of(&long, 10, dec!(190)))
        .unwrap();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 5), &limit("AAPL", Side::Sell, 1, dec!(180.49)))),
        "Luld: Sell AAPL limit 180.49 is below lower band 180.5"
    );
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 6), &limit("AAPL", Side::Sell, 1, dec!(180.50)))),
        "accepted"
    );
    // A limit state held for 15 s becomes a 5-minute pause.
    let q = risk::MarketUpdate::Quote {
        bid: Some(dec!(199.50)),
        ask: Some(dec!(199.60)),
    };
    e.on_price(t(10, 1, 0), sym("AAPL"), q).unwrap();
    e.on_time(t(10, 1, 14));
    long.cl_ord_id = fresh_id();
    long.qty = SignedQty(11);
    assert!(e.pre_trade(t(10, 1, 14), &long).is_accepted());
    e.on_time(t(10, 1, 15));
    long.cl_ord_id = fresh_id();
    long.qty = SignedQty(12);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 15), &long)),
        "Halt: AAPL is halted (LULD pause)"
    );
    long.cl_ord_id = fresh_id();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 6, 15), &long)),
        "accepted",
        "pause over"
    );
}

#[test]
fn luld_bands_double_at_the_open() {
    let mut e = RiskEngine::new(base_config(), t(9, 0, 0)).unwrap();
    e.on_price(
        t(9, 30, 0),
        sym("AAPL"),
        risk::MarketUpdate::Trade { price: dec!(190) },
    )
    .unwrap();
    // Doubled Tier 1: 10%, upper band 209.
    assert!(e
        .pre_trade(t(9, 40, 0), &limit("AAPL", Side::Buy, 1, dec!(209)))
        .is_accepted());
    assert!(!e
        .pre_trade(t(9, 40, 1), &limit("AAPL", Side::Buy, 1, dec!(209.01)))
        .is_accepted());
    assert_eq!(
        outcome(&e.pre_trade(t(9, 45, 0), &limit("AAPL", Side::Buy, 1, dec!(200)))),
        "Luld: Buy AAPL limit 200 is above upper band 199.5"
    );
}

#[test]
fn market_wide_circuit_breaker() {
    let mut e = engine_with(|_| {});
    e.on_daily_close(&[], Some(dec!(5000)));
    e.on_index(t(10, 30, 0), dec!(4650.01));
    assert!(e
        .pre_trade(t(10, 30, 1), &limit("AAPL", Side::Buy, 1, dec!(190)))
        .is_accepted());
    e.on_index(t(10, 30, 2), dec!(4650));
    assert_eq!(
        outcome(&e.pre_trade(t(10, 30, 3), &limit("AAPL", Side::Buy, 2, dec!(190)))),
        "CircuitBreaker: market-wide circuit breaker level 1 (S&P 500 down 7%)"
    );
    // Futures are not halted by the equity circuit breaker.
    assert!(e
        .pre_trade(t(10, 30, 4), &limit("ESZ6", Side::Buy, 1, dec!(5000)))
        .is_accepted());
    assert!(e
        .pre_trade(t(10, 45, 2), &limit("AAPL", Side::Buy, 3, dec!(190)))
        .is_accepted());
}

#[test]
fn rule_201_short_sales_only_above_the_best_bid() {
    let mut e = engine_with(|_| {});
    e.on_daily_close(&[(sym("AAPL"), dec!(200))], None);
    let mut long = limit("AAPL", Side::Buy, 100, dec!(190));
    assert!(e.pre_trade(t(10, 0, 1), &long).is_accepted());
    e.on_fill(t(10, 0, 2), &fill_of(&long, 100, dec!(190)))
        .unwrap();
    e.on_price(
        t(10, 1, 0),
        sym("AAPL"),
        risk::MarketUpdate::Trade {
            price: dec!(180.01),
        },
    )
    .unwrap();
    let mut short = limit("AAPL", Side::SellShort, 10, dec!(179.99));
    short.locate = Some(LocateId::new("ETB").unwrap());
    assert!(
        e.pre_trade(t(10, 1, 1), &short).is_accepted(),
        "not triggered at 9.995%"
    );
    e.on_price(
        t(10, 1, 2),
        sym("AAPL"),
        risk::MarketUpdate::Trade { price: dec!(180) },
    )
    .unwrap();
    let q = risk::MarketUpdate::Quote {
        bid: Some(dec!(179.99)),
        ask: Some(dec!(180.01)),
    };
    e.on_price(t(10, 1, 3), sym("AAPL"), q).unwrap();
    short.cl_ord_id = fresh_id();
    short.qty = SignedQty(11);
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 4), &short)),
        "ShortSaleRestriction: AAPL under Rule 201: short sale price 179.99 is not above the national best bid 179.99"
    );
    short.price = Some(dec!(180));
    assert_eq!(outcome(&e.pre_trade(t(10, 1, 5), &short)), "accepted");
    let mut mkt = market("AAPL", Side::SellShort, 5);
    mkt.locate = short.locate;
    assert_eq!(
        outcome(&e.pre_trade(t(10, 1, 6), &mkt)),
        "ShortSaleRestriction: AAPL under Rule 201: market short sale cannot be above the national best bid 179.99"
    );
    // A long sale is not restricted.
    long = limit("AAPL", Side::Sell, 50, dec!(179.99));
    assert_eq!(outcome(&e.pre_trade(t(10, 1, 7), &long)), "accepted");
    // Still in force the next day, gone the day after.
    let wed = chrono::NaiveDate::from_ymd_opt(2026, 3, 11).unwrap();
    let thu = chrono::NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
    e.on_price(common::at(wed, 10, 0), sym("AAPL"), q).unwrap();
    mkt.cl_ord_id = fresh_id();
    assert!(!e.pre_trade(common::at(wed, 10, 1), &mkt).is_accepted());
    mkt.cl_ord_id = fresh_id();
    assert!(e.pre_trade(common::at(thu, 10, 1), &mkt).is_accepted());
}

#[test]
fn unknown_account_and_instrument() {
    let mut e = engine_with(|_| {});
    let mut o = limit("AAPL", Side::Buy, 1, dec!(190));
    o.account = acc("NOPE");
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &o)),
        "UnknownAccount: account NOPE is not configured"
    );
    let mut o = limit("AAPL", Side::Buy, 1, dec!(190));
    o.symbol = Symbol::new("ZZZZ").unwrap();
    assert_eq!(
        outcome(&e.pre_trade(t(10, 0, 1), &o)),
        "UnknownInstrument: instrument ZZZZ is not configured"
    );
    let _ = Decimal::ZERO;
}
