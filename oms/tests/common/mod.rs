//! Shared test harness: a core with two venues, event builders, and
//! report invariants.
#![allow(dead_code)]

use oms::events::*;
use oms::outputs::*;
use oms::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub const S: &str = "S1";

pub fn t(n: i64) -> Timestamp {
    // 2026-03-04 15:00 UTC (a Wednesday) + n ms.
    Timestamp(Timestamp::from_utc(2026, 3, 4, 15, 0, 0).0 + n * 1_000_000)
}

pub fn config() -> OmsConfig {
    OmsConfig {
        venues: vec![
            VenueId::from("V1"),
            VenueId::from("V2"),
            VenueId::from("V3"),
        ],
        default_venues: Default::default(),
        drop_copy: true,
    }
}

pub fn checker() -> Box<dyn PreTradeCheck + Send> {
    Box::new(LimitsChecker {
        max_qty: Qty(10_000),
        max_notional: dec!(5_000_000),
    })
}

pub fn new_core() -> OmsCore {
    let mut c = OmsCore::new(config(), checker(), Box::new(DefaultRouter));
    for v in ["V1", "V2", "V3"] {
        c.apply(&Event::new(
            t(0),
            EventKind::VenueConnected {
                venue: VenueId::from(v),
            },
        ));
    }
    c.apply(&Event::new(
        t(0),
        EventKind::Operator(OperatorAction::SetDefaultVenue {
            symbol: Symbol::from("AAPL"),
            venue: Some(VenueId::from("V1")),
        }),
    ));
    c
}

pub fn new_order(cl: &str, qty: u64, px: Decimal) -> EventKind {
    new_order_for("ACC1", "AAPL", cl, Side::Buy, qty, px)
}

pub fn new_order_for(
    acc: &str,
    sym: &str,
    cl: &str,
    side: Side,
    qty: u64,
    px: Decimal,
) -> EventKind {
    EventKind::ClientNew(NewOrder {
        session: S.into(),
        cl_ord_id: ClOrdId::from(cl),
        account: AccountId::from(acc),
        symbol: Symbol::from(sym),
        side,
        qty: Qty(qty),
        ord_type: OrdType::Limit,
        price: Some(Px(px)),
        tif: TimeInForce::Day,
    })
}

pub fn cancel(cl: &str, orig: &str) -> EventKind {
    EventKind::ClientCancel(CancelRequest {
        session: S.into(),
        cl_ord_id: ClOrdId::from(cl),
        orig_cl_ord_id: ClOrdId::from(orig),
    })
}

pub fn replace(cl: &str, orig: &str, qty: u64, px: Decimal) -> EventKind {
    EventKind::ClientReplace(ReplaceRequest {
        session: S.into(),
        cl_ord_id: ClOrdId::from(cl),
        orig_cl_ord_id: ClOrdId::from(orig),
        qty: Qty(qty),
        price: Some(Px(px)),
    })
}

pub fn ack(venue: &str, child: &str) -> EventKind {
    EventKind::VenueAck(VenueAck {
        venue: VenueId::from(venue),
        cl_ord_id: ClOrdId::from(child),
        venue_order_id: OrderId::new(format!("{venue}-{child}")),
    })
}

pub fn fill(venue: &str, child: &str, exec: &str, qty: u64, px: Decimal) -> EventKind {
    EventKind::VenueFill(VenueFill {
        venue: VenueId::from(venue),
        cl_ord_id: ClOrdId::from(child),
        venue_order_id: Some(OrderId::new(format!("{venue}-{child}"))),
        exec_id: ExecId::from(exec),
        trade_id: Some(format!("T-{exec}")),
        last_qty: Qty(qty),
        last_px: Px(px),
    })
}

pub fn closed(venue: &str, child: &str, how: CloseKind) -> EventKind {
    EventKind::VenueClosed(VenueClosed {
        venue: VenueId::from(venue),
        cl_ord_id: ClOrdId::from(child),
        how,
        text: None,
    })
}

/// Client execution reports in `out` (not drop copies).
pub fn reports(out: &[Output]) -> Vec<&ExecutionReport> {
    out.iter()
        .filter_map(|o| match o {
            Output::ExecReport(r) => Some(r),
            _ => None,
        })
        .collect()
}

pub fn cancel_rejects(out: &[Output]) -> Vec<&CancelReject> {
    out.iter()
        .filter_map(|o| match o {
            Output::CancelReject(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// The FIX quantity invariants every report must satisfy.
pub fn check_report(r: &ExecutionReport) {
    if r.order_id.as_str() == "NONE" {
        return;
    }
    if r.ord_status.is_terminal() {
        assert_eq!(r.leaves_qty, Qty::ZERO, "{r:?}");
    } else {
        assert_eq!(r.cum_qty + r.leaves_qty, r.order_qty, "{r:?}");
    }
    assert!(
        r.cum_qty <= r.order_qty || r.ord_status == OrdStatus::Filled,
        "{r:?}"
    );
}

/// Apply and check every report.
pub fn step(c: &mut OmsCore, ts: i64, kind: EventKind) -> Vec<Output> {
    let out = c.apply(&Event::new(t(ts), kind));
    for r in reports(&out) {
        check_report(r);
    }
    // Every client report has its drop copy.
    let drops = out
        .iter()
        .filter(|o| matches!(o, Output::DropCopy(_)))
        .count();
    assert_eq!(drops, reports(&out).len());
    out
}
