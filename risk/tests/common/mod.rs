//! Shared fixture: a small firm, desk, two accounts, a handful of
//! instruments with prices, and helpers for orders and fake times.
#![allow(dead_code)]

use chrono::{NaiveDate, NaiveTime};
use risk::calendar::ny_to_utc;
use risk::{
    AccountId, ClOrdId, Fill, MarketUpdate, Operator, OperatorId, OrdType, OrderRequest,
    RiskConfig, RiskEngine, Side, SignedQty, Symbol, TimeInForce, Timestamp, Venue,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use test_support::risk::RiskToml;

/// The base file: desks EQ and ARB; ACC1 and ACC2 (EQ) and ARB1 (ARB),
/// 1,000,000 cash each and no limits (tests set theirs with
/// [`engine_with`]); equities, an ETF, an option and a future; operators
/// alice (override, kill switch, limits) and bob (override).
pub fn base_toml() -> String {
    RiskToml::new()
        .desk("EQ")
        .desk("ARB")
        .account("ACC1", "EQ", "1000000")
        .account("ACC2", "EQ", "1000000")
        .account("ARB1", "ARB", "1000000")
        .instruments(&["AAPL", "MSFT", "XOM", "SPY", "AAPL_C200", "ESZ6"])
        .operator("alice", &["override", "kill_switch", "limits"])
        .operator("bob", &["override"])
        .to_string()
}

pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

/// New York wall-clock time on the test day.
pub fn t(h: u32, m: u32, s: u32) -> Timestamp {
    ny_to_utc(day(), NaiveTime::from_hms_opt(h, m, s).unwrap())
}

pub fn at(d: NaiveDate, h: u32, m: u32) -> Timestamp {
    ny_to_utc(d, NaiveTime::from_hms_opt(h, m, 0).unwrap())
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

pub fn acc(s: &str) -> AccountId {
    AccountId::new(s).unwrap()
}

pub fn base_config() -> RiskConfig {
    RiskConfig::from_toml("test.toml", &base_toml()).unwrap()
}

/// An engine with `edit` applied to the base config, prices set at 10:00.
pub fn engine_with(edit: impl FnOnce(&mut RiskConfig)) -> RiskEngine {
    let mut cfg = base_config();
    edit(&mut cfg);
    let mut e = RiskEngine::new(cfg, t(9, 0, 0)).unwrap();
    for (s, px) in [
        ("AAPL", dec!(190)),
        ("MSFT", dec!(420)),
        ("XOM", dec!(100)),
        ("SPY", dec!(500)),
        ("AAPL_C200", dec!(5)),
        ("ESZ6", dec!(5000)),
    ] {
        e.on_price(t(10, 0, 0), sym(s), MarketUpdate::Trade { price: px })
            .unwrap();
    }
    while e.poll_event().is_some() {}
    e
}

pub fn acc1_limits(cfg: &mut RiskConfig) -> &mut risk::config::Limits {
    &mut cfg.accounts.get_mut(&acc("ACC1")).unwrap().limits
}

pub fn acc1(cfg: &mut RiskConfig) -> &mut risk::config::AccountConfig {
    cfg.accounts.get_mut(&acc("ACC1")).unwrap()
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn fresh_id() -> ClOrdId {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ClOrdId::new(&format!("O{n}")).unwrap()
}

pub fn limit(symbol: &str, side: Side, qty: i64, price: Decimal) -> OrderRequest {
    OrderRequest {
        cl_ord_id: fresh_id(),
        account: acc("ACC1"),
        symbol: sym(symbol),
        side,
        qty: SignedQty(qty),
        ord_type: OrdType::Limit,
        price: Some(price),
        stop_price: None,
        tif: TimeInForce::Day,
        venue: Venue::new("XNAS").unwrap(),
        extended_hours: false,
        locate: None,
    }
}

pub fn market(symbol: &str, side: Side, qty: i64) -> OrderRequest {
    OrderRequest {
        ord_type: OrdType::Market,
        price: None,
        ..limit(symbol, side, qty, dec!(1))
    }
}

pub fn fill_of(o: &OrderRequest, qty: i64, price: Decimal) -> Fill {
    Fill {
        cl_ord_id: o.cl_ord_id,
        account: o.account,
        symbol: o.symbol,
        side: o.side,
        qty: SignedQty(qty),
        price,
    }
}

pub fn alice(now: Timestamp) -> Operator {
    Operator {
        id: OperatorId::new("alice").unwrap(),
        at: now,
        reason: "risk desk decision".into(),
    }
}

pub fn bob(now: Timestamp) -> Operator {
    Operator {
        id: OperatorId::new("bob").unwrap(),
        at: now,
        reason: "client request".into(),
    }
}

/// Reject text, or "accepted" / "reduced to N".
pub fn outcome(d: &risk::Decision) -> String {
    match d {
        risk::Decision::Accept { .. } => "accepted".into(),
        risk::Decision::Reduce { qty, .. } => format!("reduced to {qty}"),
        risk::Decision::Reject(v) => v.to_string(),
    }
}

pub fn drain(e: &mut RiskEngine) -> Vec<risk::RiskEvent> {
    std::iter::from_fn(|| e.poll_event()).collect()
}
