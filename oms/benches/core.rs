//! OMS benchmarks: the core's order cycle (NewOrder + venue ack + fill)
//! and file-journal append throughput with group commit.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-oms cargo bench -p oms --bench core`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use oms::events::*;
use oms::journal::NewRecord;
use oms::*;
use rust_decimal_macros::dec;

fn core() -> OmsCore {
    let mut c = OmsCore::new(
        OmsConfig {
            venues: vec![VenueId::from("V1")],
            default_venues: [(Symbol::from("AAPL"), VenueId::from("V1"))]
                .into_iter()
                .collect(),
            drop_copy: true,
        },
        Box::new(LimitsChecker {
            max_qty: Qty(10_000),
            max_notional: dec!(10_000_000),
        }),
        Box::new(DefaultRouter),
    );
    c.apply(&Event::new(
        Timestamp(0),
        EventKind::VenueConnected {
            venue: VenueId::from("V1"),
        },
    ));
    c
}

/// The three events of one order's life: new, ack, full fill.
fn cycle(n: u64) -> [Event; 3] {
    let ts = Timestamp(1_772_636_400_000_000_000 + n as i64 * 1000);
    let child = ClOrdId::new(format!("O{n}.1"));
    [
        Event::new(
            ts,
            EventKind::ClientNew(NewOrder {
                session: "CLIENT1".into(),
                cl_ord_id: ClOrdId::new(format!("C{n}")),
                account: AccountId::from("ACC1"),
                symbol: Symbol::from("AAPL"),
                side: Side::Buy,
                qty: Qty(100),
                ord_type: OrdType::Limit,
                price: Some(Px(dec!(190.01))),
                tif: TimeInForce::Ioc,
            }),
        ),
        Event::new(
            ts,
            EventKind::VenueAck(VenueAck {
                venue: VenueId::from("V1"),
                cl_ord_id: child.clone(),
                venue_order_id: OrderId::new(format!("V{n}")),
            }),
        ),
        Event::new(
            ts,
            EventKind::VenueFill(VenueFill {
                venue: VenueId::from("V1"),
                cl_ord_id: child,
                venue_order_id: Some(OrderId::new(format!("V{n}"))),
                exec_id: ExecId::new(format!("X{n}")),
                trade_id: Some(format!("T{n}")),
                last_qty: Qty(100),
                last_px: Px(dec!(190.01)),
            }),
        ),
    ]
}

fn bench_core(c: &mut Criterion) {
    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(3));
    let mut core = core();
    let mut n = 0u64;
    let mut out = Vec::new();
    g.bench_function("new_ack_fill_cycle", |b| {
        b.iter(|| {
            n += 1;
            for ev in cycle(n) {
                out.clear();
                core.apply_into(&ev, &mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

fn bench_journal(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("file_journal");
    for batch in [1usize, 64, 512] {
        g.throughput(Throughput::Elements(batch as u64));
        let dir = tempfile::tempdir().unwrap();
        let mut j = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
        let mut n = 0u64;
        g.bench_function(format!("append_fsync_batch_{batch}"), |b| {
            b.iter_batched(
                || {
                    (0..batch)
                        .map(|_| {
                            n += 1;
                            let ev = &cycle(n)[2];
                            NewRecord::from_event(ev, JournalKeys::default()).unwrap()
                        })
                        .collect::<Vec<_>>()
                },
                |recs| rt.block_on(j.append(recs)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();

    // The whole path: N order cycles (3N events) journaled with one
    // fsync, then applied.
    let mut g = c.benchmark_group("journaled_oms");
    for cycles in [64usize, 256] {
        g.throughput(Throughput::Elements(3 * cycles as u64));
        let dir = tempfile::tempdir().unwrap();
        let j = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
        let mut oms = rt
            .block_on(JournaledOms::open(
                OmsConfig {
                    venues: vec![VenueId::from("V1")],
                    default_venues: [(Symbol::from("AAPL"), VenueId::from("V1"))]
                        .into_iter()
                        .collect(),
                    drop_copy: true,
                },
                Box::new(LimitsChecker {
                    max_qty: Qty(10_000),
                    max_notional: dec!(10_000_000),
                }),
                Box::new(DefaultRouter),
                j,
            ))
            .unwrap();
        rt.block_on(oms.handle(vec![Event::new(
            Timestamp(0),
            EventKind::VenueConnected {
                venue: VenueId::from("V1"),
            },
        )]))
        .unwrap();
        let mut n = 0u64;
        g.bench_function(format!("cycles_{cycles}_fsync_batch"), |b| {
            b.iter_batched(
                || {
                    (0..cycles)
                        .flat_map(|_| {
                            n += 1;
                            cycle(n)
                        })
                        .collect::<Vec<_>>()
                },
                |evs| black_box(rt.block_on(oms.handle(evs)).unwrap().len()),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn bench_pg(c: &mut Criterion) {
    let url = test_support::pg::url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Dropped (with the journal in it) at the end.
    let schema = match rt.block_on(test_support::pg::TestSchema::try_create("oms_bench")) {
        Ok(schema) => schema,
        Err(e) => {
            eprintln!("pg_journal benchmarks skipped: {e}");
            return;
        }
    };
    let mut j = rt
        .block_on(PgJournal::connect(&url, Some(schema.name())))
        .unwrap_or_else(|e| panic!("open the journal in {}: {e}", schema.name()));
    let mut g = c.benchmark_group("pg_journal");
    for batch in [1usize, 64, 512] {
        g.throughput(Throughput::Elements(batch as u64));
        let mut n = 0u64;
        g.bench_function(format!("append_batch_{batch}"), |b| {
            b.iter_batched(
                || {
                    (0..batch)
                        .map(|_| {
                            n += 1;
                            NewRecord::from_event(&cycle(n)[2], JournalKeys::default()).unwrap()
                        })
                        .collect::<Vec<_>>()
                },
                |recs| rt.block_on(j.append(recs)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench_core, bench_journal, bench_pg
}
criterion_main!(benches);
