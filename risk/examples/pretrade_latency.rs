//! p50 / p99 latency of the full pre-trade check over a million typical
//! orders against an account with 400 positions, with an HDR histogram.
//! Each check is timed on its own (the two clock reads, about 20-40 ns,
//! are included in the figures). Accepted orders are cancelled outside
//! the timed region so the book keeps its size.
//!
//! Run: `cargo run --release -p risk --example pretrade_latency [-- N]`

use std::time::Instant;

use hdrhistogram::Histogram;
use risk::Timestamp;

#[path = "../benches/fixture.rs"]
#[allow(dead_code)]
mod fixture;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut e = fixture::engine();
    let mut hist = Histogram::<u64>::new(3).expect("histogram");
    let mut now = fixture::now0().0;
    let mut rejected = std::collections::BTreeMap::<String, u64>::new();
    // Warm up caches and branch predictors (ClOrdIDs W0..).
    for i in 0..20_000u64 {
        let mut o = fixture::order(i);
        o.cl_ord_id = risk::ClOrdId::new(&format!("W{i}")).expect("id");
        now += 20_000;
        let _ = e.pre_trade(Timestamp(now), &o);
        fixture::close(&mut e, &o, Timestamp(now));
    }
    let cpu0 = cpu_time::ThreadTime::now();
    let wall0 = Instant::now();
    for i in 0..n {
        // Building the order (it formats a ClOrdID) is not timed.
        let o = fixture::order(i);
        now += 20_000;
        let t0 = Instant::now();
        let d = e.pre_trade(Timestamp(now), &o);
        let ns = t0.elapsed().as_nanos() as u64;
        hist.record(ns.max(1)).expect("auto-resizing histogram");
        if let Some(v) = d.rejection() {
            *rejected.entry(v.rule().to_string()).or_default() += 1;
            if rejected.values().sum::<u64>() == 1 {
                println!("first rejection: {v}");
            }
        }
        fixture::close(&mut e, &o, Timestamp(now));
        if (i + 1) % fixture::ORDERS_PER_DAY == 0 {
            now = fixture::next_day(Timestamp(now)).0;
        }
    }
    let (cpu, wall) = (cpu0.elapsed(), wall0.elapsed());
    println!(
        "pre_trade over {n} checks (rejected by rule: {rejected:?}), account with {} positions:",
        fixture::N_POSITIONS
    );
    for (label, q) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9)] {
        println!("  {label:>6}: {:>7} ns", hist.value_at_percentile(q));
    }
    println!("  {:>6}: {:>7} ns", "max", hist.max());
    println!("  {:>6}: {:>7.0} ns", "mean", hist.mean());
    // The whole loop (order building and untimed cancels included) on the
    // thread's CPU clock, which stops while the thread is descheduled; the
    // wall clock does not. On a loaded machine the gap is time not running.
    println!(
        "loop: {:.0} ns/order of thread CPU time, {:.0} ns/order wall (includes building and cancelling)",
        cpu.as_nanos() as f64 / n as f64,
        wall.as_nanos() as f64 / n as f64
    );
}
