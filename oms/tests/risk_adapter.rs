//! The core with the risk crate's engine as its pre-trade check.

mod common;

use common::*;
use oms::events::*;
use oms::outputs::*;
use oms::risk_adapter::RiskAdapter;
use oms::*;
use rust_decimal_macros::dec;
use test_support::risk::RiskToml;

/// ACC1 may order at most 10,000 shares at once and hold at most 500
/// AAPL; alice may override, use the kill switch and change limits.
fn cfg() -> String {
    RiskToml::new()
        .desk("EQ")
        .account_with_limits(
            "ACC1",
            "EQ",
            "1000000",
            "max_order_qty = 10000\nposition_limits = { AAPL = 500 }",
        )
        .instruments(&["AAPL"])
        .operator("alice", &["override", "kill_switch", "limits"])
        .to_string()
}

fn core() -> OmsCore {
    let cfg = risk::RiskConfig::from_toml("risk.toml", &cfg()).unwrap();
    let engine = risk::RiskEngine::new(cfg, t(0)).unwrap();
    let mut c = OmsCore::new(
        config(),
        Box::new(RiskAdapter::new(engine)),
        Box::new(DefaultRouter),
    );
    c.apply(&Event::new(
        t(0),
        EventKind::VenueConnected {
            venue: VenueId::from("V1"),
        },
    ));
    c.apply(&Event::new(
        t(0),
        EventKind::MarketPrice {
            symbol: Symbol::from("AAPL"),
            px: Px(dec!(190)),
        },
    ));
    c
}

fn text(out: &[Output]) -> Option<String> {
    reports(out)[0].text.clone()
}

#[test]
fn risk_engine_rejects_with_rule_and_limit() {
    let mut c = core();
    let out = step(&mut c, 2000, new_order("A", 15_000, dec!(190)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Rejected);
    assert_eq!(
        text(&out).as_deref(),
        Some("MaxOrderQty: order qty 15000 exceeds limit 10000")
    );
    // Unknown account: the engine says so.
    let out = step(
        &mut c,
        4000,
        new_order_for("NOBODY", "AAPL", "B", Side::Buy, 10, dec!(190)),
    );
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Rejected);
    assert!(text(&out).unwrap().contains("NOBODY"), "{:?}", text(&out));
}

#[test]
fn open_orders_and_fills_count_against_the_position_limit() {
    let mut c = core();
    let out = step(&mut c, 2000, new_order("A", 300, dec!(190)));
    assert_eq!(
        reports(&out)[0].ord_status,
        OrdStatus::PendingNew,
        "{:?}",
        text(&out)
    );
    // 300 open + 300 more would pass the 500 limit on the projected position.
    let out = step(&mut c, 4000, new_order("B", 300, dec!(190)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Rejected);
    assert!(
        text(&out).unwrap().starts_with("PositionLimit"),
        "{:?}",
        text(&out)
    );
    // Fill 300 of A: position 300, nothing open; 200 more fits, 201 not.
    step(&mut c, 6000, fill("V1", "O1.1", "X1", 300, dec!(190)));
    let out = step(&mut c, 8000, new_order("C", 201, dec!(190)));
    assert_eq!(
        reports(&out)[0].ord_status,
        OrdStatus::Rejected,
        "{:?}",
        text(&out)
    );
    let out = step(&mut c, 10000, new_order("D", 200, dec!(190)));
    assert_eq!(
        reports(&out)[0].ord_status,
        OrdStatus::PendingNew,
        "{:?}",
        text(&out)
    );
    // Cancel D: its 200 no longer counts.
    step(&mut c, 12000, cancel("DX", "D"));
    step(&mut c, 14000, closed("V1", "O4.1.1", CloseKind::Canceled));
    let out = step(&mut c, 16000, new_order("E", 200, dec!(190)));
    assert_eq!(
        reports(&out)[0].ord_status,
        OrdStatus::PendingNew,
        "{:?}",
        text(&out)
    );
}

#[test]
fn replace_is_checked_by_the_engine() {
    let mut c = core();
    step(&mut c, 2000, new_order("A", 100, dec!(190)));
    step(&mut c, 4000, ack("V1", "O1.1"));
    let out = step(&mut c, 6000, replace("B", "A", 600, dec!(190)));
    let cr = cancel_rejects(&out);
    assert_eq!(cr.len(), 1);
    assert!(cr[0].text.starts_with("PositionLimit"), "{}", cr[0].text);
    // The old order is still open in the engine: 400 more fits, 401 not.
    let out = step(&mut c, 8000, new_order("C", 401, dec!(190)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::Rejected);
    let out = step(&mut c, 10000, replace("B", "A", 200, dec!(190)));
    assert_eq!(reports(&out)[0].ord_status, OrdStatus::PendingReplace);
}
