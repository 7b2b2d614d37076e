//! Criterion benchmarks: the full pre-trade check of a typical order
//! against an account with hundreds of positions, and the incremental VaR
//! update of a 500-position portfolio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use risk::var::{PortfolioVar, VarModel};
use risk::Timestamp;

#[allow(dead_code)]
mod fixture;

const BATCH: u64 = 512;

/// Runs `iters` typical checks in batches and returns the time `clock`
/// measured around the checks only: orders are built before each batch and
/// cancelled after it (untimed) so the book keeps its size.
fn run_checks<C: Fn() -> T, T, F: Fn(&T) -> Duration>(
    st: &mut State,
    iters: u64,
    start: C,
    elapsed: F,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(BATCH);
        st.batch.clear();
        st.batch
            .extend((st.n_orders..st.n_orders + n).map(fixture::order));
        st.n_orders += n;
        let t0 = start();
        for o in &st.batch {
            st.now += 20_000;
            black_box(st.e.pre_trade(Timestamp(st.now), black_box(o)));
        }
        total += elapsed(&t0);
        for o in &st.batch {
            fixture::close(&mut st.e, o, Timestamp(st.now));
        }
        if st.n_orders / fixture::ORDERS_PER_DAY != (st.n_orders - n) / fixture::ORDERS_PER_DAY {
            st.now = fixture::next_day(Timestamp(st.now)).0;
        }
        done += n;
    }
    total
}

struct State {
    e: risk::RiskEngine,
    n_orders: u64,
    now: i64,
    batch: Vec<risk::OrderRequest>,
}

fn pre_trade(c: &mut Criterion) {
    let mut g = c.benchmark_group("pre_trade");
    let mut st = State {
        e: fixture::engine(),
        n_orders: 0,
        now: fixture::now0().0,
        batch: Vec::with_capacity(BATCH as usize),
    };
    // Wall clock: what the caller waits, including any time the thread is
    // descheduled (on a shared, loaded machine, a lot).
    g.bench_function("typical_order", |b| {
        b.iter_custom(|iters| run_checks(&mut st, iters, Instant::now, |t| t.elapsed()))
    });
    // The thread's CPU clock: the same work, without the time spent
    // waiting for a core.
    g.bench_function("typical_order_cpu_time", |b| {
        b.iter_custom(|iters| {
            run_checks(&mut st, iters, cpu_time::ThreadTime::now, |t| t.elapsed())
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
