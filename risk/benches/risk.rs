//! Criterion benchmarks: the full pre-trade check of a typical order
//! against an account with hundreds of positions, and the incremental VaR
//! update of a 500-position portfolio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use risk::var::{PortfolioVar, VarModel};
use risk::Nanos;

#[allow(dead_code)]
mod fixture;

const BATCH: u64 = 512;

fn pre_trade(c: &mut Criterion) {
    let mut g = c.benchmark_group("pre_trade");
    let mut e = fixture::engine();
    let mut n_orders = 0u64;
    let mut now = fixture::now0().0;
    let mut batch = Vec::with_capacity(BATCH as usize);
    g.bench_function("typical_order", |b| {
        b.iter_custom(|iters| {
            // Time batches of checks; build the orders before and cancel
            // them after, untimed, so the book keeps its size.
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = (iters - done).min(BATCH);
                batch.clear();
                batch.extend((n_orders..n_orders + n).map(fixture::order));
                n_orders += n;
                let t0 = Instant::now();
                for o in &batch {
                    now += 20_000;
                    black_box(e.pre_trade(Nanos(now), black_box(o)));
                }
                total += t0.elapsed();
                for o in &batch {
                    fixture::close(&mut e, o, Nanos(now));
                }
                done += n;
            }
            total
        })
    });
    g.finish();
}

fn var_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("var");
    let n = 500;
    let mut model = VarModel::new(n, 0.94, 250);
    let mut state = 88172645463325252u64;
    let mut px = vec![100.0f64; n];
    for _ in 0..251 {
        for p in px.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *p *= 1.0 + ((state % 2001) as f64 - 1000.0) / 50_000.0;
        }
        let closes: Vec<Option<f64>> = px.iter().map(|p| Some(*p)).collect();
        model.on_close(&closes);
    }
    let mut p = PortfolioVar::new(&model);
    for i in 0..n {
        p.set_weight(&model, i, 10_000.0 + i as f64);
    }
    let mut k = 0usize;
    g.bench_function("incremental_update_500_positions", |b| {
        b.iter(|| {
            k = (k + 7) % n;
            let w = p.weight(k) + if k & 1 == 0 { 100.0 } else { -100.0 };
            p.set_weight(&model, k, w);
            black_box((p.parametric(), p.historical(&model)))
        })
    });
    g.bench_function("set_weight_500_positions", |b| {
        b.iter(|| {
            k = (k + 7) % n;
            let w = p.weight(k) + if k & 1 == 0 { 100.0 } else { -100.0 };
            p.set_weight(&model, k, black_box(w));
        })
    });
    g.bench_function("full_rebuild_500_positions", |b| {
        b.iter(|| p.rebuild(black_box(&model)))
    });
    g.finish();
}

criterion_group!(benches, pre_trade, var_update);
criterion_main!(benches);
