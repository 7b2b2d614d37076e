//! Benchmark fixture shared by the criterion benches and the latency
//! example: a firm, a desk and an account holding hundreds of positions in
//! a 500-instrument universe with a year of price history, every limit
//! set, and a stream of typical (accepted) orders.

use chrono::{NaiveDate, NaiveTime};
use risk::calendar::ny_to_utc;
use risk::config::{AccountConfig, DeskConfig, ExposureLimit, Limits, RiskConfig};
use risk::{
    AccountId, AssetClass, ClOrdId, DeskId, Instrument, LuldTier, MarketUpdate, OpenOrderChange,
    OrdType, OrderRequest, RiskEngine, Sector, Side, SignedQty, Symbol, TimeInForce, Timestamp,
    Venue,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub const N_INSTRUMENTS: usize = 500;
pub const N_POSITIONS: usize = 400;

pub fn symbol(i: usize) -> Symbol {
    Symbol::new(&format!("S{i:03}")).unwrap()
}

pub fn price(i: usize) -> Decimal {
    Decimal::from(20 + (i * 7) % 400)
}

pub fn now0() -> Timestamp {
    ny_to_utc(
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
        NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
    )
}

fn limits(scale: Decimal) -> Limits {
    let mut l = Limits {
        max_order_qty: Some(100_000),
        max_order_notional: Some(dec!(5000000) * scale),
        collar_pct: Some(dec!(10)),
        collar_abs: Some(dec!(50)),
        daily_notional: Some(dec!(10000000000000) * scale),
        orders_per_second: Some(100_000),
        credit_limit: Some(dec!(1000000000) * scale),
        max_position: Some(1_000_000),
        gross_exposure: Some(dec!(1000000000) * scale),
        net_exposure: Some(dec!(1000000000) * scale),
        var_limit: Some(dec!(100000000) * scale),
        ..Default::default()
    };
    for s in 0..10 {
        l.sectors.insert(
            Sector::new(&format!("SEC{s}")).unwrap(),
            ExposureLimit {
                gross: Some(dec!(500000000) * scale),
                net: Some(dec!(500000000) * scale),
            },
        );
    }
    l.asset_classes.insert(
        AssetClass::Equity,
        ExposureLimit {
            gross: Some(dec!(1000000000) * scale),
            net: Some(dec!(1000000000) * scale),
        },
    );
    l
}

pub fn config() -> RiskConfig {
    let mut cfg = RiskConfig {
        firm: limits(dec!(10)),
        ..Default::default()
    };
    let desk = DeskId::new("EQ").unwrap();
    // Desks have no VaR of their own (accounts and the firm do).
    let desk_limits = Limits {
        var_limit: None,
        ..limits(dec!(5))
    };
    cfg.desks.insert(
        desk,
        DeskConfig {
            limits: desk_limits,
        },
    );
    let toml = r#"desk = "EQ"
cash = "500000000"
pdt_regime = "exempt"
"#;
    let mut acc: AccountConfig = toml::from_str(toml).unwrap();
    acc.limits = limits(dec!(1));
    acc.allowed_ord_types = vec![OrdType::Limit, OrdType::Market];
    acc.allowed_venues = vec![Venue::new("XNAS").unwrap(), Venue::new("XNYS").unwrap()];
    cfg.accounts.insert(AccountId::new("ACC1").unwrap(), acc);
    for i in 0..N_INSTRUMENTS {
        cfg.instruments.push(Instrument {
            symbol: symbol(i),
            sector: Sector::new(&format!("SEC{}", i % 10)).unwrap(),
            asset_class: AssetClass::Equity,
            tier: if i % 2 == 0 {
                LuldTier::Tier1
            } else {
                LuldTier::Tier2
            },
            tick: dec!(0.01),
            lot: 1,
            multiplier: Decimal::ONE,
            underlying: None,
            is_call: false,
        });
    }
    cfg.restricted = vec![symbol(499)];
    cfg.hard_to_borrow = vec![symbol(498)];
    cfg
}

/// The engine with prices, 250 days of history and 400 positions.
pub fn engine() -> RiskEngine {
    let mut e = RiskEngine::new(config(), now0()).unwrap();
    // 251 closes: a deterministic pseudo-random walk per instrument.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut px: Vec<f64> = (0..N_INSTRUMENTS)
        .map(|i| 20.0 + ((i * 7) % 400) as f64)
        .collect();
    for _ in 0..251 {
        let closes: Vec<(Symbol, Decimal)> = px
            .iter_mut()
            .enumerate()
            .map(|(i, p)| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let r = ((state % 2001) as f64 - 1000.0) / 50_000.0;
                *p *= 1.0 + r;
                (symbol(i), Decimal::from_f64_retain(*p).unwrap().round_dp(2))
            })
            .collect();
        e.on_daily_close(&closes, None);
    }
    // The last close is today's price, so that a new day's LULD reference
    // (the prior close) matches the prices the orders use.
    let last: Vec<(Symbol, Decimal)> = (0..N_INSTRUMENTS).map(|i| (symbol(i), price(i))).collect();
    e.on_daily_close(&last, None);
    let acc = AccountId::new("ACC1").unwrap();
    for i in 0..N_INSTRUMENTS {
        e.on_price(now0(), symbol(i), MarketUpdate::Trade { price: price(i) })
            .unwrap();
    }
    for i in 0..N_POSITIONS {
        let q = if i % 5 == 0 { -500 } else { 1000 + i as i64 };
        e.load_position(acc, symbol(i), SignedQty(q), price(i))
            .unwrap();
    }
    while e.poll_event().is_some() {}
    e
}

/// Orders per simulated day: the benchmarks move to the next trading
/// day (10:00) after this many, as a real day's ClOrdID set is bounded.
pub const ORDERS_PER_DAY: u64 = 500_000;

/// 10:00 New York on the trading day after the one containing `now`.
pub fn next_day(now: Timestamp) -> Timestamp {
    let d = risk::calendar::local_date(now);
    let next = risk::calendar::next_trading_day(d).unwrap();
    ny_to_utc(next, NaiveTime::from_hms_opt(10, 0, 0).unwrap())
}

/// The `n`-th typical order: a day limit buy or long sale near the last
/// price, in an instrument the account holds, with a fresh ClOrdID.
pub fn order(n: u64) -> OrderRequest {
    let i = (n as usize * 37) % N_POSITIONS;
    let i = match i % 5 {
        0 => i + 1,
        _ => i,
    };
    let side = match n % 3 {
        0 => Side::Sell,
        _ => Side::Buy,
    };
    let px = price(i) + Decimal::new((n % 20) as i64, 2);
    OrderRequest {
        cl_ord_id: ClOrdId::new(&format!("B{n}")).unwrap(),
        account: AccountId::new("ACC1").unwrap(),
        symbol: symbol(i),
        side,
        // Sells stay within the long (1000+ shares): a typical order is
        // not a short sale.
        qty: SignedQty(match side {
            Side::Buy => 100 + ((n / 400) % 1000) as i64,
            _ => 100 + ((n / 400) % 600) as i64,
        }),
        ord_type: OrdType::Limit,
        price: Some(px),
        stop_price: None,
        tif: TimeInForce::Day,
        venue: Venue::new("XNAS").unwrap(),
        extended_hours: false,
        locate: None,
    }
}

/// Cancel an order accepted by the benchmark (outside the timed region).
pub fn close(e: &mut RiskEngine, o: &OrderRequest, now: Timestamp) {
    e.on_open_order_change(
        now,
        &OpenOrderChange::Closed {
            account: o.account,
            cl_ord_id: o.cl_ord_id,
        },
    )
    .unwrap();
}
