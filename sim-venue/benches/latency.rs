//! Per-operation latency of the matching engine at a fixed offered rate
//! (the way exchange-core reports "median latency at N ops/s"): a seeded
//! mixed flow (55% passive adds, 25% cancels, 5% replaces, 15% marketable
//! IOCs) is replayed on one book, one operation per time slot, and each
//! operation's latency is measured from its scheduled start (so queueing
//! behind a slow operation counts). Prints p50/p90/p99/p99.9/max.
//!
//! `cargo bench -p sim-venue --bench latency -- [RATE_PER_SEC] [OPS] [BOOK]`
//! (defaults 1000000, 2000000 and 10000). `BOOK` caps the number of
//! resting orders: while the book holds more, an add becomes a cancel, so
//! the replay runs at a steady book size instead of growing without bound.
//! Uses the wall clock: this is a benchmark harness, not engine code.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_venue::matching::{ExecKind, NewOrder, OrderBook, Outputs};
use sim_venue::types::{AccountId, OrderId, Side, TimeInForce, Timestamp};

const MID: i64 = 10_000;

#[derive(Clone, Copy)]
enum Op {
    Add(NewOrder),
    Cancel(OrderId),
    Replace(OrderId, u64),
}

fn order(rng: &mut ChaCha8Rng, marketable: bool) -> NewOrder {
    let side = if rng.gen_bool(0.5) {
        Side::Buy
    } else {
        Side::Sell
    };
    let (px, qty, tif) = if marketable {
        let px = if side == Side::Buy { MID + 5 } else { MID - 5 };
        (px, rng.gen_range(1..=200), TimeInForce::Ioc)
    } else {
        let off = rng.gen_range(1..=20);
        let px = if side == Side::Buy {
            MID - off
        } else {
            MID + off
        };
        (px, rng.gen_range(1..=100), TimeInForce::Day)
    };
    NewOrder::limit(AccountId(rng.gen_range(1..100)), side, px, qty, tif)
}

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

/// Keeps the set of live order ids up to date from the book's events.
fn track(out: &mut Outputs, live: &mut Vec<OrderId>, live_set: &mut HashSet<OrderId>) {
    for e in &out.events {
        if e.leaves_qty == 0 {
            live_set.remove(&e.order_id);
        } else if e.kind == ExecKind::New {
            live.push(e.order_id);
            live_set.insert(e.order_id);
        }
    }
    out.clear();
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rate = args.first().copied().unwrap_or(1_000_000);
    let n = args.get(1).copied().unwrap_or(2_000_000) as usize;
    let cap = args.get(2).copied().unwrap_or(10_000) as usize;

    // Generate the flow with a dry run so cancel targets are live.
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut book = OrderBook::new(0);
    let mut out = Outputs::default();
    let mut live: Vec<OrderId> = Vec::new();
    let mut live_set: HashSet<OrderId> = HashSet::new();
    for _ in 0..2_000 {
        book.submit(&order(&mut rng, false), Timestamp(0), &mut out)
            .unwrap();
    }
    track(&mut out, &mut live, &mut live_set);
    let start = book.clone();
    let mut ops = Vec::with_capacity(n);
    while ops.len() < n {
        let mut x: f64 = rng.gen();
        if x < 0.55 && book.order_count() > cap {
            x = 0.6; // cancel instead
        }
        let op = if x < 0.55 {
            Op::Add(order(&mut rng, false))
        } else if x < 0.85 {
            let mut target = None;
            while let Some(id) =
                (!live.is_empty()).then(|| live.swap_remove(rng.gen_range(0..live.len())))
            {
                if live_set.contains(&id) {
                    target = Some(id);
                    break;
                }
            }
            match (target, x < 0.80) {
                (Some(id), true) => Op::Cancel(id),
                (Some(id), false) => match book.order(id) {
                    Some(o) if o.order_qty > o.cum_qty + 1 => {
                        live.push(id);
                        Op::Replace(id, o.order_qty - 1)
                    }
                    _ => Op::Add(order(&mut rng, false)),
                },
                (None, _) => Op::Add(order(&mut rng, false)),
            }
        } else {
            Op::Add(order(&mut rng, true))
        };
        apply(&mut book, &op, &mut out);
        track(&mut out, &mut live, &mut live_set);
        ops.push(op);
    }

    println!(
        "book after the dry run: {} resting orders",
        book.order_count()
    );
    let mut book = start;
    book.reserve(1 << 16);
    let mut out = Outputs::default();
    out.events.reserve(4096);
    out.trades.reserve(4096);
    let mut hist =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds");
    let mut service = hist.clone();
    let slot = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let t0 = Instant::now();
    for (k, op) in ops.iter().enumerate() {
        let scheduled = t0 + slot * k as u32;
        while Instant::now() < scheduled {
            std::hint::spin_loop();
        }
        let started = Instant::now();
        apply(&mut book, op, &mut out);
        out.clear();
        let done = Instant::now();
        let _ = hist.record((done.duration_since(scheduled).as_nanos() as u64).max(1));
        let _ = service.record((done.duration_since(started).as_nanos() as u64).max(1));
    }
    let elapsed = t0.elapsed();
    println!(
        "latency: {} ops offered at {} ops/s, achieved {:.0} ops/s",
        n,
        rate,
        n as f64 / elapsed.as_secs_f64()
    );
    println!("  quantile  latency-from-schedule  service-time (one op, no queueing)");
    for q in [0.5, 0.9, 0.99, 0.999] {
        println!(
            "  p{:<7} {:>12} ns {:>12} ns",
            q * 100.0,
            hist.value_at_quantile(q),
            service.value_at_quantile(q)
        );
    }
    println!("  max      {:>12} ns {:>12} ns", hist.max(), service.max());
}
