//! Unit tests of the matching rules, one scenario each.

use super::*;
use crate::types::{AccountId, Liquidity, OrderId, Side, StpMode, TimeInForce, Timestamp};

const A: AccountId = AccountId(1);
const B: AccountId = AccountId(2);
const C: AccountId = AccountId(3);

fn lim(acc: AccountId, side: Side, px: i64, qty: u64) -> NewOrder {
    NewOrder::limit(acc, side, px, qty, TimeInForce::Day)
}

fn fills(out: &Outputs, id: OrderId) -> Vec<(u64, i64, Liquidity)> {
    out.events
        .iter()
        .filter(|e| e.order_id == id)
        .filter_map(|e| match e.kind {
            ExecKind::Fill {
                last_qty,
                last_px,
                liquidity,
                ..
            } => Some((last_qty, last_px, liquidity)),
            _ => None,
        })
        .collect()
}

fn last(out: &Outputs, id: OrderId) -> ExecEvent {
    *out.events.iter().rev().find(|e| e.order_id == id).unwrap()
}

#[test]
fn limit_orders_rest_and_cross_at_maker_price() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let s = b
        .submit(&lim(A, Side::Sell, 101, 10), Timestamp(1), &mut out)
        .unwrap();
    let bb = b
        .submit(&lim(B, Side::Buy, 100, 5), Timestamp(2), &mut out)
        .unwrap();
    assert_eq!(b.best_ask().unwrap().price, 101);
    assert_eq!(b.best_bid().unwrap().price, 100);
    out.clear();
    let t = b
        .submit(&lim(C, Side::Buy, 102, 4), Timestamp(3), &mut out)
        .unwrap();
    assert_eq!(fills(&out, t), vec![(4, 101, Liquidity::Removed)]);
    assert_eq!(fills(&out, s), vec![(4, 101, Liquidity::Added)]);
    assert_eq!(out.trades.len(), 1);
    assert_eq!(out.trades[0].maker(), s);
    let e = last(&out, t);
    assert_eq!(e.ord_status(), OrdStatus::Filled);
    assert_eq!((e.cum_qty, e.leaves_qty, e.cum_notional), (4, 0, 404));
    let m = b.order(s).unwrap();
    assert_eq!((m.cum_qty, m.leaves_qty), (4, 6));
    assert!(b.order(bb).is_some());
    assert!(!b.is_crossed());
}

#[test]
fn price_then_time_priority() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let s1 = b
        .submit(&lim(A, Side::Sell, 101, 5), Timestamp(1), &mut out)
        .unwrap();
    let s2 = b
        .submit(&lim(B, Side::Sell, 100, 5), Timestamp(2), &mut out)
        .unwrap();
    let s3 = b
        .submit(&lim(C, Side::Sell, 100, 5), Timestamp(3), &mut out)
        .unwrap();
    out.clear();
    let t = b
        .submit(&lim(C, Side::Buy, 101, 12), Timestamp(4), &mut out)
        .unwrap();
    let makers: Vec<OrderId> = out.trades.iter().map(|t| t.maker()).collect();
    assert_eq!(makers, vec![s2, s3, s1]);
    assert_eq!(
        fills(&out, t),
        vec![
            (5, 100, Liquidity::Removed),
            (5, 100, Liquidity::Removed),
            (2, 101, Liquidity::Removed)
        ]
    );
    assert_eq!(last(&out, t).cum_notional, 1000 + 202);
}

#[test]
fn sweeps_levels_and_rests_remainder() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    b.submit(&lim(A, Side::Sell, 101, 5), Timestamp(1), &mut out)
        .unwrap();
    let t = b
        .submit(&lim(B, Side::Buy, 101, 15), Timestamp(2), &mut out)
        .unwrap();
    let r = b.order(t).unwrap();
    assert_eq!((r.cum_qty, r.leaves_qty, r.price), (10, 5, 101));
    assert!(b.best_ask().is_none());
    assert_eq!(b.best_bid().unwrap().visible_qty, 5);
}

#[test]
fn ioc_cancels_remainder_and_never_rests() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    out.clear();
    let o = NewOrder::limit(B, Side::Buy, 100, 8, TimeInForce::Ioc);
    let t = b.submit(&o, Timestamp(2), &mut out).unwrap();
    let e = last(&out, t);
    assert_eq!(e.kind, ExecKind::Canceled(CancelReason::ImmediateOrCancel));
    assert_eq!((e.cum_qty, e.leaves_qty), (5, 0));
    assert_eq!(b.order_count(), 0);
    // IOC that does not cross at all
    let o = NewOrder::limit(B, Side::Buy, 99, 8, TimeInForce::Ioc);
    let t = b.submit(&o, Timestamp(3), &mut out).unwrap();
    assert_eq!(last(&out, t).cum_qty, 0);
    assert_eq!(b.order_count(), 0);
}

#[test]
fn fok_all_or_nothing() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    b.submit(&lim(A, Side::Sell, 101, 5), Timestamp(1), &mut out)
        .unwrap();
    out.clear();
    let o = NewOrder::limit(B, Side::Buy, 101, 11, TimeInForce::Fok);
    let t = b.submit(&o, Timestamp(2), &mut out).unwrap();
    assert!(out.trades.is_empty());
    assert_eq!(
        last(&out, t).kind,
        ExecKind::Canceled(CancelReason::FillOrKillUnfillable)
    );
    assert_eq!(b.order_count(), 2);
    let o = NewOrder::limit(B, Side::Buy, 100, 6, TimeInForce::Fok);
    b.submit(&o, Timestamp(3), &mut out).unwrap();
    assert_eq!(b.order_count(), 2, "limit 100 reaches only 5");
    out.clear();
    let o = NewOrder::limit(B, Side::Buy, 101, 10, TimeInForce::Fok);
    let t = b.submit(&o, Timestamp(4), &mut out).unwrap();
    assert_eq!(last(&out, t).ord_status(), OrdStatus::Filled);
    assert_eq!(b.order_count(), 0);
}

#[test]
fn fok_counts_iceberg_reserve() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(
        &lim(A, Side::Sell, 100, 50).with_display(10),
        Timestamp(1),
        &mut out,
    )
    .unwrap();
    let o = NewOrder::limit(B, Side::Buy, 100, 40, TimeInForce::Fok);
    let t = b.submit(&o, Timestamp(2), &mut out).unwrap();
    assert_eq!(last(&out, t).ord_status(), OrdStatus::Filled);
}

#[test]
fn market_order_sweeps_and_cancels_rest() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(&lim(A, Side::Buy, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    b.submit(&lim(A, Side::Buy, 90, 5), Timestamp(1), &mut out)
        .unwrap();
    out.clear();
    let t = b
        .submit(&NewOrder::market(B, Side::Sell, 20), Timestamp(2), &mut out)
        .unwrap();
    let e = last(&out, t);
    assert_eq!((e.cum_qty, e.leaves_qty), (10, 0));
    assert_eq!(e.ord_status(), OrdStatus::Canceled);
    assert_eq!(e.price, None);
    assert_eq!(b.order_count(), 0);
}

#[test]
fn band_limits_stop_market_orders() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    b.submit(&lim(A, Side::Sell, 120, 5), Timestamp(1), &mut out)
        .unwrap();
    b.set_price_limits(Some((90, 110)));
    out.clear();
    b.submit(&NewOrder::market(B, Side::Buy, 10), Timestamp(2), &mut out)
        .unwrap();
    assert_eq!(out.trades.len(), 1);
    assert_eq!(out.trades[0].price, 100);
    assert_eq!(b.best_ask().unwrap().price, 120);
}

#[test]
fn iceberg_replenishes_to_back_of_queue() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let ice = b
        .submit(
            &lim(A, Side::Sell, 100, 25).with_display(10),
            Timestamp(1),
            &mut out,
        )
        .unwrap();
    let other = b
        .submit(&lim(B, Side::Sell, 100, 10), Timestamp(2), &mut out)
        .unwrap();
    let lv = b.best_ask().unwrap();
    assert_eq!((lv.visible_qty, lv.total_qty), (20, 35));
    // Take the iceberg's first slice exactly: it replenishes behind `other`.
    out.clear();
    b.submit(&lim(C, Side::Buy, 100, 10), Timestamp(3), &mut out)
        .unwrap();
    assert_eq!(out.trades[0].maker(), ice);
    let q = b.level_orders(Side::Sell, 100);
    assert_eq!(q.iter().map(|o| o.id).collect::<Vec<_>>(), vec![other, ice]);
    assert_eq!((q[1].visible_qty, q[1].leaves_qty), (10, 15));
    // A big buy takes other, then the iceberg's second slice, then its last 5.
    out.clear();
    b.submit(&lim(C, Side::Buy, 100, 30), Timestamp(4), &mut out)
        .unwrap();
    let seq: Vec<(OrderId, u64)> = out.trades.iter().map(|t| (t.maker(), t.qty)).collect();
    assert_eq!(seq, vec![(other, 10), (ice, 10), (ice, 5)]);
    assert!(b.best_ask().is_none());
    assert_eq!(b.best_bid().unwrap().visible_qty, 5);
}

#[test]
fn iceberg_slices_rotate_with_another_iceberg() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let i1 = b
        .submit(
            &lim(A, Side::Sell, 100, 20).with_display(5),
            Timestamp(1),
            &mut out,
        )
        .unwrap();
    let i2 = b
        .submit(
            &lim(B, Side::Sell, 100, 20).with_display(5),
            Timestamp(2),
            &mut out,
        )
        .unwrap();
    out.clear();
    b.submit(&lim(C, Side::Buy, 100, 20), Timestamp(3), &mut out)
        .unwrap();
    let seq: Vec<OrderId> = out.trades.iter().map(|t| t.maker()).collect();
    assert_eq!(seq, vec![i1, i2, i1, i2]);
}

#[test]
fn cancel_and_cancel_rejects() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let id = b
        .submit(&lim(A, Side::Buy, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    out.clear();
    b.cancel(id, Timestamp(2), &mut out).unwrap();
    let e = last(&out, id);
    assert_eq!(e.ord_status(), OrdStatus::Canceled);
    assert_eq!((e.cum_qty, e.leaves_qty), (0, 0));
    assert_eq!(
        b.cancel(id, Timestamp(3), &mut out),
        Err(CancelRejectReason::UnknownOrder)
    );
    assert!(b.best_bid().is_none());
}

#[test]
fn replace_qty_down_keeps_priority() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let o1 = b
        .submit(&lim(A, Side::Buy, 100, 10), Timestamp(1), &mut out)
        .unwrap();
    let o2 = b
        .submit(&lim(B, Side::Buy, 100, 10), Timestamp(2), &mut out)
        .unwrap();
    out.clear();
    b.replace(o1, None, 6, Timestamp(3), &mut out).unwrap();
    assert_eq!(
        last(&out, o1).kind,
        ExecKind::Replaced {
            kept_priority: true
        }
    );
    let q = b.level_orders(Side::Buy, 100);
    assert_eq!(q.iter().map(|o| o.id).collect::<Vec<_>>(), vec![o1, o2]);
    assert_eq!(q[0].leaves_qty, 6);
    assert_eq!(b.best_bid().unwrap().visible_qty, 16);
}

#[test]
fn replace_qty_up_or_price_change_loses_priority() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let o1 = b
        .submit(&lim(A, Side::Buy, 100, 10), Timestamp(1), &mut out)
        .unwrap();
    let o2 = b
        .submit(&lim(B, Side::Buy, 100, 10), Timestamp(2), &mut out)
        .unwrap();
    b.replace(o1, None, 12, Timestamp(3), &mut out).unwrap();
    let q: Vec<OrderId> = b
        .level_orders(Side::Buy, 100)
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(q, vec![o2, o1]);
    // price change away and back: goes to the back again
    b.replace(o2, Some(99), 10, Timestamp(4), &mut out).unwrap();
    b.replace(o2, Some(100), 10, Timestamp(5), &mut out)
        .unwrap();
    let q: Vec<OrderId> = b
        .level_orders(Side::Buy, 100)
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(q, vec![o1, o2]);
}

#[test]
fn replace_to_crossing_price_trades_as_taker() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let s = b
        .submit(&lim(A, Side::Sell, 101, 5), Timestamp(1), &mut out)
        .unwrap();
    let o = b
        .submit(&lim(B, Side::Buy, 100, 8), Timestamp(2), &mut out)
        .unwrap();
    out.clear();
    b.replace(o, Some(101), 8, Timestamp(3), &mut out).unwrap();
    assert_eq!(fills(&out, o), vec![(5, 101, Liquidity::Removed)]);
    assert_eq!(fills(&out, s), vec![(5, 101, Liquidity::Added)]);
    let r = b.order(o).unwrap();
    assert_eq!((r.cum_qty, r.leaves_qty, r.price), (5, 3, 101));
    assert!(!b.is_crossed());
}

#[test]
fn replace_rejects_quantity_not_above_filled() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let o = b
        .submit(&lim(A, Side::Buy, 100, 10), Timestamp(1), &mut out)
        .unwrap();
    b.submit(&lim(B, Side::Sell, 100, 4), Timestamp(2), &mut out)
        .unwrap();
    assert_eq!(
        b.replace(o, None, 4, Timestamp(3), &mut out),
        Err(CancelRejectReason::QtyNotAboveExecuted {
            new_qty: 4,
            cum_qty: 4
        })
    );
    b.replace(o, None, 5, Timestamp(3), &mut out).unwrap();
    let r = b.order(o).unwrap();
    assert_eq!((r.order_qty, r.cum_qty, r.leaves_qty), (5, 4, 1));
}

#[test]
fn stp_cancel_resting() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let own = b
        .submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    let other = b
        .submit(&lim(B, Side::Sell, 100, 5), Timestamp(2), &mut out)
        .unwrap();
    out.clear();
    let t = b
        .submit(
            &lim(A, Side::Buy, 100, 5).with_stp(StpMode::CancelResting),
            Timestamp(3),
            &mut out,
        )
        .unwrap();
    assert_eq!(
        last(&out, own).kind,
        ExecKind::Canceled(CancelReason::SelfTradePrevention)
    );
    assert_eq!(out.trades.len(), 1);
    assert_eq!(out.trades[0].maker(), other);
    assert_eq!(last(&out, t).ord_status(), OrdStatus::Filled);
}

#[test]
fn stp_cancel_incoming() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let other = b
        .submit(&lim(B, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    let own = b
        .submit(&lim(A, Side::Sell, 100, 5), Timestamp(2), &mut out)
        .unwrap();
    out.clear();
    let t = b
        .submit(
            &lim(A, Side::Buy, 100, 8).with_stp(StpMode::CancelIncoming),
            Timestamp(3),
            &mut out,
        )
        .unwrap();
    assert_eq!(out.trades.len(), 1);
    assert_eq!(out.trades[0].maker(), other);
    let e = last(&out, t);
    assert_eq!(
        e.kind,
        ExecKind::Canceled(CancelReason::SelfTradePrevention)
    );
    assert_eq!(e.cum_qty, 5);
    assert!(b.order(own).is_some());
    assert!(b.order(t).is_none());
}

#[test]
fn stp_cancel_both() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let own = b
        .submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    out.clear();
    let t = b
        .submit(
            &lim(A, Side::Buy, 100, 8).with_stp(StpMode::CancelBoth),
            Timestamp(3),
            &mut out,
        )
        .unwrap();
    assert!(out.trades.is_empty());
    assert_eq!(last(&out, own).ord_status(), OrdStatus::Canceled);
    assert_eq!(last(&out, t).ord_status(), OrdStatus::Canceled);
    assert_eq!(b.order_count(), 0);
}

#[test]
fn fok_with_stp_does_not_partially_fill() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(
        &lim(B, Side::Sell, 100, 30).with_display(10),
        Timestamp(1),
        &mut out,
    )
    .unwrap();
    b.submit(&lim(A, Side::Sell, 100, 5), Timestamp(2), &mut out)
        .unwrap();
    out.clear();
    let o =
        NewOrder::limit(A, Side::Buy, 100, 15, TimeInForce::Fok).with_stp(StpMode::CancelIncoming);
    b.submit(&o, Timestamp(3), &mut out).unwrap();
    assert!(out.trades.is_empty(), "only 10 is ahead of the own order");
}

#[test]
fn self_trade_allowed_without_stp() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    b.submit(&lim(A, Side::Sell, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    b.submit(&lim(A, Side::Buy, 100, 5), Timestamp(2), &mut out)
        .unwrap();
    assert_eq!(out.trades.len(), 1);
}

#[test]
fn expire_day_keeps_gtc() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let d = b
        .submit(&lim(A, Side::Buy, 100, 5), Timestamp(1), &mut out)
        .unwrap();
    let g = b
        .submit(
            &NewOrder::limit(A, Side::Buy, 99, 5, TimeInForce::Gtc),
            Timestamp(1),
            &mut out,
        )
        .unwrap();
    out.clear();
    b.expire_day_orders(Timestamp(2), &mut out);
    assert_eq!(last(&out, d).kind, ExecKind::Expired);
    assert_eq!(last(&out, d).ord_status(), OrdStatus::Expired);
    assert!(b.order(g).is_some());
    assert_eq!(b.order_count(), 1);
}

#[test]
fn book_guards_reject_bad_orders() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    assert_eq!(
        b.submit(&lim(A, Side::Buy, 100, 0), Timestamp(1), &mut out),
        Err(BookReject::ZeroQty)
    );
    assert_eq!(
        b.submit(&lim(A, Side::Buy, 0, 1), Timestamp(1), &mut out),
        Err(BookReject::BadPrice)
    );
    assert_eq!(
        b.submit(
            &lim(A, Side::Buy, 100, 5).with_display(6),
            Timestamp(1),
            &mut out
        ),
        Err(BookReject::BadDisplayQty)
    );
    assert!(out.events.is_empty());
}

#[test]
fn exec_ids_are_unique() {
    let mut b = OrderBook::new(3);
    let mut out = Outputs::default();
    for i in 0..50 {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        b.submit(
            &lim(AccountId(i), side, 100, 3),
            Timestamp(i.into()),
            &mut out,
        )
        .unwrap();
    }
    let mut ids: Vec<_> = out.events.iter().map(|e| e.exec_id).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn replace_into_own_order_applies_the_owners_stp() {
    let mut b = OrderBook::new(0);
    let mut out = Outputs::default();
    let own_ask = b
        .submit(&lim(A, Side::Sell, 101, 5), Timestamp(1), &mut out)
        .unwrap();
    let bid = b
        .submit(
            &lim(A, Side::Buy, 100, 5).with_stp(StpMode::CancelIncoming),
            Timestamp(2),
            &mut out,
        )
        .unwrap();
    out.clear();
    b.replace(bid, Some(101), 5, Timestamp(3), &mut out)
        .unwrap();
    assert!(out.trades.is_empty());
    assert_eq!(
        last(&out, bid).kind,
        ExecKind::Canceled(CancelReason::SelfTradePrevention)
    );
    assert!(b.order(own_ask).is_some());
    assert!(b.order(bid).is_none());
}
