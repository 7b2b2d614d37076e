//! Property tests of the order book against a deliberately naive reference
//! model (a flat list scanned for the best price, then the earliest time),
//! plus invariants: never crossed, quantities conserved, iceberg slices.

use std::collections::HashMap;

use proptest::prelude::*;
use sim_venue::matching::{ExecKind, NewOrder, OrderBook, Outputs};
use sim_venue::types::{AccountId, OrdType, OrderId, Side, StpMode, TimeInForce, Timestamp};

#[derive(Debug, Clone)]
enum Op {
    Submit(NewOrder),
    Cancel(usize),
    Replace(usize, Option<i64>, u64),
    Expire,
}

fn arb_order() -> impl Strategy<Value = NewOrder> {
    (
        0u32..3,
        prop::bool::ANY,
        0u8..10,
        95i64..106,
        1u64..40,
        prop::option::weighted(0.3, 1u64..15),
        0u8..4,
        0u8..4,
    )
        .prop_map(|(acc, buy, kind, px, qty, disp, tif, stp)| {
            let side = if buy { Side::Buy } else { Side::Sell };
            let ord_type = if kind == 0 {
                OrdType::Market
            } else {
                OrdType::Limit
            };
            let tif = match tif {
                0 => TimeInForce::Day,
                1 => TimeInForce::Gtc,
                2 => TimeInForce::Ioc,
                _ => TimeInForce::Fok,
            };
            let stp = match stp {
                0 => None,
                1 => Some(StpMode::CancelResting),
                2 => Some(StpMode::CancelIncoming),
                _ => Some(StpMode::CancelBoth),
            };
            NewOrder {
                account: AccountId(acc),
                side,
                ord_type,
                price: if ord_type == OrdType::Market { 0 } else { px },
                qty,
                display_qty: disp.map(|d| d.min(qty)),
                tif,
                stp,
            }
        })
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => arb_order().prop_map(Op::Submit),
        2 => any::<usize>().prop_map(Op::Cancel),
        2 => (any::<usize>(), prop::option::of(95i64..106), 1u64..40)
            .prop_map(|(i, p, q)| Op::Replace(i, p, q)),
        1 => Just(Op::Expire),
    ]
}

// ---------------- reference model ----------------

#[derive(Debug, Clone)]
struct MOrder {
    seq: u64,
    account: u32,
    side: Side,
    price: i64,
    order_qty: u64,
    leaves: u64,
    visible: u64,
    display: u64,
    cum: u64,
    tif: TimeInForce,
    stp: Option<StpMode>,
    time: u64,
}

#[derive(Debug, Clone, Default)]
struct Model {
    orders: Vec<MOrder>,
    next_seq: u64,
    clock: u64,
    /// (maker seq, taker seq, qty, price)
    trades: Vec<(u64, u64, u64, i64)>,
}

impl Model {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn best_maker(&self, side: Side, limit: Option<i64>) -> Option<usize> {
        let opp = side.opposite();
        self.orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.side == opp)
            .filter(|(_, o)| match (side, limit) {
                (_, None) => true,
                (Side::Buy, Some(l)) => o.price <= l,
                (Side::Sell | Side::SellShort, Some(l)) => o.price >= l,
            })
            .min_by_key(|(_, o)| {
                let key = if opp == Side::Sell { o.price } else { -o.price };
                (key, o.time)
            })
            .map(|(i, _)| i)
    }

    /// Matches; returns (filled, stopped_by_stp).
    fn run(
        &mut self,
        seq: u64,
        account: u32,
        side: Side,
        limit: Option<i64>,
        mut remaining: u64,
        stp: Option<StpMode>,
    ) -> (u64, bool) {
        let mut filled = 0;
        while remaining > 0 {
            let Some(i) = self.best_maker(side, limit) else {
                break;
            };
            if let Some(mode) = stp {
                if self.orders[i].account == account {
                    if mode != StpMode::CancelIncoming {
                        self.orders.remove(i);
                    }
                    if mode == StpMode::CancelResting {
                        continue;
                    }
                    return (filled, true);
                }
            }
            let q = remaining.min(self.orders[i].visible);
            let t = self.tick();
            let m = &mut self.orders[i];
            m.visible -= q;
            m.leaves -= q;
            m.cum += q;
            remaining -= q;
            filled += q;
            self.trades.push((m.seq, seq, q, m.price));
            if m.leaves == 0 {
                self.orders.remove(i);
            } else if m.visible == 0 {
                m.visible = m.display.min(m.leaves);
                m.time = t;
            }
        }
        (filled, false)
    }

    fn submit(&mut self, o: &NewOrder) {
        self.next_seq += 1;
        let seq = self.next_seq;
        let limit = (o.ord_type == OrdType::Limit).then_some(o.price);
        if o.tif == TimeInForce::Fok {
            let mut trial = self.clone();
            let (f, _) = trial.run(seq, o.account.0, o.side, limit, o.qty, o.stp);
            if f == o.qty {
                *self = trial;
            }
            return;
        }
        let (f, stopped) = self.run(seq, o.account.0, o.side, limit, o.qty, o.stp);
        let rests = limit.is_some() && matches!(o.tif, TimeInForce::Day | TimeInForce::Gtc);
        if f < o.qty && rests && !stopped {
            let leaves = o.qty - f;
            let display = o.display_qty.unwrap_or(0);
            let t = self.tick();
            self.orders.push(MOrder {
                seq,
                account: o.account.0,
                side: o.side,
                price: o.price,
                order_qty: o.qty,
                leaves,
                visible: if display == 0 {
                    leaves
                } else {
                    display.min(leaves)
                },
                display,
                cum: f,
                tif: o.tif,
                stp: o.stp,
                time: t,
            });
        }
    }

    fn replace(&mut self, seq: u64, price: Option<i64>, qty: u64) -> bool {
        let Some(i) = self.orders.iter().position(|o| o.seq == seq) else {
            return false;
        };
        let o = self.orders[i].clone();
        if qty <= o.cum {
            return false;
        }
        let p = price.unwrap_or(o.price);
        let leaves = qty - o.cum;
        if p == o.price && qty <= o.order_qty {
            let m = &mut self.orders[i];
            m.leaves = leaves;
            m.visible = m.visible.min(leaves);
            m.order_qty = qty;
            return true;
        }
        self.orders.remove(i);
        let (f, stopped) = self.run(seq, o.account, o.side, Some(p), leaves, o.stp);
        if f < leaves && !stopped {
            let t = self.tick();
            let l = leaves - f;
            self.orders.push(MOrder {
                price: p,
                order_qty: qty,
                leaves: l,
                visible: if o.display == 0 { l } else { o.display.min(l) },
                cum: o.cum + f,
                time: t,
                ..o
            });
        }
        true
    }

    /// Resting orders in the engine's listing order.
    fn listing(&self) -> Vec<(u64, i64, u64, u64, u64)> {
        let mut v: Vec<&MOrder> = self.orders.iter().collect();
        v.sort_by_key(|o| {
            let s = if o.side == Side::Buy { 0 } else { 1 };
            let k = if o.side == Side::Buy {
                -o.price
            } else {
                o.price
            };
            (s, k, o.time)
        });
        v.iter()
            .map(|o| (o.seq, o.price, o.leaves, o.visible, o.cum))
            .collect()
    }
}

fn check_invariants(book: &OrderBook) -> Result<(), TestCaseError> {
    prop_assert!(!book.is_crossed(), "book crossed");
    for o in book.resting_orders() {
        prop_assert_eq!(o.cum_qty + o.leaves_qty, o.order_qty);
        prop_assert!(o.visible_qty > 0 && o.visible_qty <= o.leaves_qty);
        match o.display_qty {
            Some(d) => prop_assert!(o.visible_qty <= d),
            None => prop_assert_eq!(o.visible_qty, o.leaves_qty),
        }
    }
    for side in [Side::Buy, Side::Sell] {
        for lv in book.depth(side, usize::MAX) {
            let orders = book.level_orders(side, lv.price);
            prop_assert_eq!(lv.orders as usize, orders.len());
            prop_assert_eq!(
                lv.visible_qty,
                orders.iter().map(|o| o.visible_qty).sum::<u64>()
            );
            prop_assert_eq!(
                lv.total_qty,
                orders.iter().map(|o| o.leaves_qty).sum::<u64>()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn book_matches_reference_model(ops in prop::collection::vec(arb_op(), 1..120)) {
        let mut book = OrderBook::new(0);
        let mut model = Model::default();
        let mut out = Outputs::default();
        let mut ids: Vec<OrderId> = Vec::new();
        // per order: (order_qty, cum, terminal_canceled_qty)
        let mut ledger: HashMap<OrderId, (u64, u64, u64)> = HashMap::new();
        for (n, op) in ops.iter().enumerate() {
            out.clear();
            let now = Timestamp(n as i64);
            let before = model.trades.len();
            match op {
                Op::Submit(o) => {
                    let id = book.submit(o, now, &mut out).unwrap();
                    ids.push(id);
                    model.submit(o);
                    prop_assert_eq!(id.seq(), model.next_seq);
                }
                Op::Cancel(i) => {
                    if ids.is_empty() { continue; }
                    let id = ids[i % ids.len()];
                    let ok = book.cancel(id, now, &mut out).is_ok();
                    let pos = model.orders.iter().position(|o| o.seq == id.seq());
                    prop_assert_eq!(ok, pos.is_some());
                    if let Some(p) = pos { model.orders.remove(p); }
                }
                Op::Replace(i, p, q) => {
                    if ids.is_empty() { continue; }
                    let id = ids[i % ids.len()];
                    let ok = book.replace(id, *p, *q, now, &mut out).is_ok();
                    prop_assert_eq!(ok, model.replace(id.seq(), *p, *q));
                }
                Op::Expire => {
                    book.expire_day_orders(now, &mut out);
                    model.orders.retain(|o| o.tif != TimeInForce::Day);
                }
            }
            // Same trades, in the same order.
            let got: Vec<(u64, u64, u64, i64)> = out.trades.iter().map(|t| {
                let taker = if t.maker() == t.buy_order { t.sell_order } else { t.buy_order };
                (t.maker().seq(), taker.seq(), t.qty, t.price)
            }).collect();
            prop_assert_eq!(&got[..], &model.trades[before..]);
            // Same resting orders, in the same priority order.
            let listing: Vec<_> = book.resting_orders().iter()
                .map(|o| (o.id.seq(), o.price, o.leaves_qty, o.visible_qty, o.cum_qty)).collect();
            prop_assert_eq!(listing, model.listing());
            check_invariants(&book)?;
            // Ledger from events.
            for e in &out.events {
                let entry = ledger.entry(e.order_id).or_default();
                entry.0 = e.order_qty;
                entry.1 = e.cum_qty;
                if matches!(e.kind, ExecKind::Canceled(_) | ExecKind::Expired) {
                    entry.2 = e.order_qty - e.cum_qty;
                    prop_assert_eq!(e.leaves_qty, 0);
                } else {
                    prop_assert_eq!(e.cum_qty + e.leaves_qty, e.order_qty);
                }
            }
        }
        // Conservation: submitted = filled + resting + canceled.
        let resting: HashMap<OrderId, u64> =
            book.resting_orders().iter().map(|o| (o.id, o.leaves_qty)).collect();
        let traded: u64 = model.trades.iter().map(|t| t.2).sum();
        let mut submitted = 0;
        let mut filled = 0;
        let mut canceled = 0;
        for (id, (q, cum, canc)) in &ledger {
            submitted += q;
            filled += cum;
            canceled += canc;
            let rest = resting.get(id).copied().unwrap_or(0);
            prop_assert_eq!(*q, cum + rest + canc, "order {}", id);
        }
        prop_assert_eq!(submitted, filled + resting.values().sum::<u64>() + canceled);
        prop_assert_eq!(filled, 2 * traded);
    }
}
