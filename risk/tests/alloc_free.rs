//! The accept path of the pre-trade check allocates nothing: a counting
//! global allocator watches a run of typical accepted orders against an
//! account with hundreds of positions.

use risk::Timestamp;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[path = "../benches/fixture.rs"]
#[allow(dead_code)]
mod fixture;

#[test]
fn accepting_typical_orders_does_not_allocate() {
    let mut e = fixture::engine();
    let orders: Vec<_> = (0..2_000u64).map(fixture::order).collect();
    let mut now = fixture::now0().0;
    // Warm up: the first orders list the account among each instrument's
    // holders (a one-time push per position).
    for o in &orders[..1_000] {
        now += 20_000;
        assert!(e.pre_trade(Timestamp(now), o).is_accepted());
        fixture::close(&mut e, o, Timestamp(now));
    }
    let mut accepted = 0;
    let region = Region::new(GLOBAL);
    for o in &orders[1_000..] {
        now += 20_000;
        let d = e.pre_trade(Timestamp(now), o);
        accepted += usize::from(d.is_accepted());
        fixture::close(&mut e, o, Timestamp(now));
    }
    let change = region.change();
    assert_eq!(accepted, 1_000);
    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
}
