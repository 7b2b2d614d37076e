//! Property tests through the whole venue API, as a FIX client sees it:
//! any sequence of new orders, cancels, replaces and time steps yields
//! reports whose quantities reconcile, unique ExecIDs, IOC/FOK/market
//! orders closed within the same call, books never crossed, and clearing
//! that matches the fills.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use rust_decimal::Decimal;
use sim_venue::instruments::default_instruments;
use sim_venue::matching::OrdStatus;
use sim_venue::types::{Duration, OrdType, OrderId, Side, TimeInForce, Timestamp};
use sim_venue::venue::{
    CancelRequest, ExecType, NewOrderRequest, ReplaceRequest, Report, Venue, VenueConfig,
};

const T0: Timestamp = Timestamp(1_773_153_000 * Timestamp::SECOND);

#[derive(Debug, Clone)]
enum Req {
    New {
        sym: usize,
        buy: bool,
        market: bool,
        off: i64,
        qty: u64,
        tif: u8,
        acc: u8,
        iceberg: bool,
    },
    Cancel(usize),
    Replace(usize, i64, u64),
    Wait(Duration),
}

fn arb_req() -> impl Strategy<Value = Req> {
    prop_oneof![
        6 => (0usize..3, any::<bool>(), prop::bool::weighted(0.1), -6i64..6, 1u64..400, 0u8..4, 0u8..2, prop::bool::weighted(0.2))
            .prop_map(|(sym, buy, market, off, qty, tif, acc, iceberg)| Req::New { sym, buy, market, off, qty, tif, acc, iceberg }),
        2 => any::<usize>().prop_map(Req::Cancel),
        2 => (any::<usize>(), -4i64..4, 1u64..400).prop_map(|(i, o, q)| Req::Replace(i, o, q)),
        1 => (1u64..2_000).prop_map(|ms| Req::Wait(Duration::from_millis(ms))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reports_reconcile(reqs in prop::collection::vec(arb_req(), 1..80)) {
        let mut cfg = VenueConfig::new("SIMX");
        cfg.account_stp.insert("ACC1".into(), sim_venue::types::StpMode::CancelIncoming);
        let mut v = Venue::new(cfg, default_instruments().unwrap(), T0).unwrap();
        let symbols = ["AAPL", "MSFT", "NOPE"];
        let mut now = T0;
        let mut sent: Vec<(String, String, String)> = Vec::new(); // (cl, account, symbol)
        let mut current_cl: HashMap<String, String> = HashMap::new(); // first cl -> current cl
        let mut exec_ids = HashSet::new();
        let mut cum: HashMap<OrderId, u64> = HashMap::new();
        let mut fills: HashMap<OrderId, u64> = HashMap::new();
        let mut client_fill_qty = 0u64;
        for (k, r) in reqs.iter().enumerate() {
            let mut must_close = None;
            match r {
                Req::New { sym, buy, market, off, qty, tif, acc, iceberg } => {
                    let symbol = symbols[*sym];
                    let side = if *buy { Side::Buy } else { Side::Sell };
                    let tick = Decimal::new(1, 2);
                    let reference = v.reference_price(if *sym == 2 { "AAPL" } else { symbol }).unwrap();
                    let tif = [TimeInForce::Day, TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok][*tif as usize];
                    let cl = format!("c{k}");
                    let account = format!("ACC{acc}");
                    let req = NewOrderRequest {
                        cl_ord_id: cl.clone(),
                        account: account.clone(),
                        symbol: symbol.into(),
                        side,
                        ord_type: if *market { OrdType::Market } else { OrdType::Limit },
                        price: (!*market).then(|| reference + tick * Decimal::from(*off)),
                        qty: Decimal::from(*qty),
                        display_qty: (*iceberg && !*market).then(|| Decimal::from((*qty / 3).max(1))),
                        tif,
                    };
                    if let Ok(id) = v.handle_new_order(now, &req) {
                        if *market || matches!(tif, TimeInForce::Ioc | TimeInForce::Fok) {
                            must_close = Some(id);
                        }
                    }
                    current_cl.insert(cl.clone(), cl.clone());
                    sent.push((cl, account, symbol.into()));
                }
                Req::Cancel(i) if !sent.is_empty() => {
                    let (first, account, symbol) = sent[i % sent.len()].clone();
                    let orig = current_cl[&first].clone();
                    let cl = format!("x{k}");
                    if v.handle_cancel(now, &CancelRequest {
                        cl_ord_id: cl.clone(), orig_cl_ord_id: orig, order_id: None, account, symbol,
                    }).is_ok() {
                        current_cl.insert(first, cl);
                    }
                }
                Req::Replace(i, off, q) if !sent.is_empty() => {
                    let (first, account, symbol) = sent[i % sent.len()].clone();
                    let orig = current_cl[&first].clone();
                    let cl = format!("r{k}");
                    let reference = v.reference_price(if symbol == "NOPE" { "AAPL" } else { &symbol }).unwrap();
                    if v.handle_replace(now, &ReplaceRequest {
                        cl_ord_id: cl.clone(), orig_cl_ord_id: orig, order_id: None, account, symbol,
                        price: Some(reference + Decimal::new(*off, 2)), qty: Decimal::from(*q),
                    }).is_ok() {
                        current_cl.insert(first, cl);
                    }
                }
                Req::Wait(d) => {
                    now = now.saturating_add(*d);
                    v.handle_timeout(now);
                }
                _ => {}
            }
            let mut closed = false;
            while let Some(rep) = v.poll_report(now) {
                let Report::Execution(e) = rep else { continue };
                prop_assert!(exec_ids.insert(e.exec_id), "duplicate ExecID {}", e.exec_id);
                match e.ord_status {
                    OrdStatus::Canceled | OrdStatus::Expired | OrdStatus::Rejected => prop_assert_eq!(e.leaves_qty, 0),
                    _ => prop_assert_eq!(Decimal::from(e.cum_qty + e.leaves_qty), e.order_qty),
                }
                if let Some(id) = e.order_id {
                    let c = cum.entry(id).or_default();
                    prop_assert!(e.cum_qty >= *c, "CumQty went down");
                    *c = e.cum_qty;
                    if e.exec_type == ExecType::Trade {
                        *fills.entry(id).or_default() += e.last_qty;
                        client_fill_qty += e.last_qty;
                        prop_assert_eq!(fills[&id], e.cum_qty);
                        prop_assert!(e.avg_px > Decimal::ZERO && e.last_px.is_some());
                    }
                    if Some(id) == must_close && matches!(e.ord_status, OrdStatus::Filled | OrdStatus::Canceled) {
                        closed = true;
                    }
                }
            }
            if must_close.is_some() {
                prop_assert!(closed, "IOC/FOK/market order not closed in the same call");
            }
            for s in ["AAPL", "MSFT"] {
                prop_assert!(!v.book(s).unwrap().is_crossed());
            }
        }
        // Clearing: the client side of every fill appears once.
        let recs = v.clearing_records();
        let cleared: u64 = recs.iter().filter(|r| r.account != "SIM-LP").map(|r| r.qty).sum();
        prop_assert_eq!(cleared, client_fill_qty);
        prop_assert_eq!(recs.len() % 2, 0);
    }
}
