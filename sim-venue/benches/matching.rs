//! Criterion benchmarks of the matching engine: passive adds, add/cancel,
//! and a mixed flow (adds, cancels, replaces, marketable IOCs) on one
//! book, plus order entry through the whole `Venue` API. Each benchmark
//! replays a fixed, seeded sequence of operations on a fresh clone of a
//! pre-filled book, so every iteration does the same work; throughput is
//! reported in operations.

use std::collections::HashSet;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use sim_venue::instruments::Instrument;
use sim_venue::matching::{ExecKind, NewOrder, OrderBook, Outputs};
use sim_venue::types::{AccountId, OrderId, Side, TimeInForce, Timestamp};
use sim_venue::venue::{NewOrderRequest, Venue, VenueConfig};

const MID: i64 = 10_000;
const N: usize = 100_000;

#[derive(Clone, Copy)]
enum Op {
    Add(NewOrder),
    Cancel(OrderId),
    Replace(OrderId, u64),
}

fn passive(rng: &mut ChaCha8Rng) -> NewOrder {
    let side = if rng.gen_bool(0.5) {
        Side::Buy
    } else {
        Side::Sell
    };
    let off = rng.gen_range(1..=20);
    let px = match side {
        Side::Buy => MID - off,
        Side::Sell | Side::SellShort => MID + off,
    };
    NewOrder::limit(
        AccountId(rng.gen_range(1..100)),
        side,
        px,
        rng.gen_range(1..=100),
        TimeInForce::Day,
    )
}

fn ioc(rng: &mut ChaCha8Rng) -> NewOrder {
    let side = if rng.gen_bool(0.5) {
        Side::Buy
    } else {
        Side::Sell
    };
    let px = match side {
        Side::Buy => MID + 5,
        Side::Sell | Side::SellShort => MID - 5,
    };
    NewOrder::limit(
        AccountId(rng.gen_range(1..100)),
        side,
        px,
        rng.gen_range(1..=200),
        TimeInForce::Ioc,
    )
}

/// Builds a pre-filled book and a sequence of `n` operations whose cancel
/// and replace targets are live when replayed (found by a dry run).
fn scenario(
    seed: u64,
    n: usize,
    p_add: f64,
    p_cancel: f64,
    p_replace: f64,
) -> (OrderBook, Vec<Op>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut book = OrderBook::new(0);
    let mut out = Outputs::default();
    let mut live: Vec<OrderId> = Vec::new();
    let mut live_set: HashSet<OrderId> = HashSet::new();
    let track = |out: &mut Outputs, live: &mut Vec<OrderId>, live_set: &mut HashSet<OrderId>| {
        for e in &out.events {
            let done = e.leaves_qty == 0;
            match e.kind {
                ExecKind::New if !done => {
                    live.push(e.order_id);
                    live_set.insert(e.order_id);
                }
                _ if done => {
                    live_set.remove(&e.order_id);
                }
                _ => {}
            }
        }
        out.clear();
    };
    for _ in 0..2_000 {
        book.submit(&passive(&mut rng), Timestamp(0), &mut out)
            .unwrap();
        track(&mut out, &mut live, &mut live_set);
    }
    let start = book.clone();
    let mut ops = Vec::with_capacity(n);
    while ops.len() < n {
        let x: f64 = rng.gen();
        // Pick a live target (lazily dropping dead ones).
        let mut target = None;
        if x >= p_add && x < p_add + p_cancel + p_replace {
            while !live.is_empty() {
                let k = rng.gen_range(0..live.len());
                let id = live.swap_remove(k);
                if live_set.contains(&id) {
                    target = Some(id);
                    break;
                }
            }
        }
        let op = if x < p_add {
            Op::Add(passive(&mut rng))
        } else if x < p_add + p_cancel {
            match target {
                Some(id) => Op::Cancel(id),
                None => Op::Add(passive(&mut rng)),
            }
        } else if x < p_add + p_cancel + p_replace {
            match target.and_then(|id| book.order(id).map(|o| (id, o))) {
                Some((id, o)) if o.order_qty > o.cum_qty + 1 => {
                    live.push(id);
                    Op::Replace(id, o.order_qty - 1)
                }
                _ => Op::Add(passive(&mut rng)),
            }
        } else {
            Op::Add(ioc(&mut rng))
        };
        apply(&mut book, &op, &mut out);
        track(&mut out, &mut live, &mut live_set);
        ops.push(op);
    }
    (start, ops)
}

#[inline]
fn apply(book: &mut OrderBook, op: &Op, out: &mut Outputs) {
    match *op {
        Op::Add(o) => {
            let _ = book.submit(&o, Timestamp(0), out);
        }
        Op::Cancel(id) => {
            let _ = book.cancel(id, Timestamp(0), out);
        }
        Op::Replace(id, q) => {
            let _ = book.replace(id, None, q, Timestamp(0), out);
        }
    }
}

fn bench_book(c: &mut Criterion) {
    let mut g = c.benchmark_group("book");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    for (name, p_add, p_cancel, p_replace) in [
        ("add_passive", 1.0, 0.0, 0.0),
        ("add_cancel_50_50", 0.5, 0.5, 0.0),
        ("mix_55add_25cancel_5replace_15ioc", 0.55, 0.25, 0.05),
    ] {
        let (start, ops) = scenario(42, N, p_add, p_cancel, p_replace);
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut book = start.clone();
                    book.reserve(1 << 16);
                    let mut out = Outputs::default();
                    out.events.reserve(1024);
                    out.trades.reserve(1024);
                    (book, out)
                },
                |(mut book, mut out)| {
                    for op in &ops {
                        apply(&mut book, op, &mut out);
                        out.clear();
                    }
                    book
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench_venue(c: &mut Criterion) {
    let mut g = c.benchmark_group("venue");
    g.throughput(Throughput::Elements(1));
    let mut cfg = VenueConfig::new("BENCH");
    cfg.liquidity.enabled = false;
    cfg.bands = false;
    let ins = vec![Instrument::equity(
        "AAPL",
        Decimal::new(100, 0),
        Decimal::new(1, 2),
    )];
    let mut v = Venue::new(cfg, ins, Timestamp(0)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut k: i64 = 0;
    g.bench_function("new_order_passive_or_ioc_with_reports", |b| {
        b.iter(|| {
            k += 1;
            let o = if k & 1 == 0 {
                passive(&mut rng)
            } else {
                ioc(&mut rng)
            };
            let req = NewOrderRequest {
                cl_ord_id: format!("c{k}"),
                account: "ACC1".into(),
                symbol: "AAPL".into(),
                side: o.side,
                ord_type: o.ord_type,
                price: Some(Decimal::new(o.price, 2)),
                qty: Decimal::from(o.qty),
                display_qty: None,
                tif: o.tif,
            };
            let now = Timestamp(k);
            let _ = v.handle_new_order(now, &req);
            let mut n = 0;
            while v.poll_report(now).is_some() {
                n += 1;
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench_book, bench_venue);
criterion_main!(benches);
