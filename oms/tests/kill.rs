//! Crash recovery with a real process kill: a child process (this test
//! binary re-run with `OMS_KILL_CHILD_DIR` set) journals order cycles to a
//! file journal with fsync and prints each batch it has acknowledged; the
//! parent sends it SIGKILL mid-stream, reopens the journal (truncating any
//! torn tail), recovers, and checks that every acknowledged order and
//! fill is there exactly once, and that the journal carries on.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;
use oms::events::*;
use oms::*;
use rust_decimal_macros::dec;

const ENV: &str = "OMS_KILL_CHILD_DIR";

fn cycle(n: u64) -> Vec<Event> {
    let child = format!("O{n}.1");
    vec![
        Event::new(t(n as i64), new_order(&format!("C{n}"), 100, dec!(190))),
        Event::new(t(n as i64), ack("V1", &child)),
        Event::new(
            t(n as i64),
            fill("V1", &child, &format!("X{n}"), 100, dec!(190)),
        ),
    ]
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn open(dir: &str) -> JournaledOms<FileJournal> {
    let j = FileJournal::open(dir, FsyncPolicy::Always).unwrap();
    JournaledOms::open(config(), checker(), Box::new(DefaultRouter), j)
        .await
        .unwrap()
}

/// The child: journal cycles until killed (or a safety cap).
fn child(dir: &str) {
    rt().block_on(async {
        let mut oms = open(dir).await;
        oms.handle(vec![
            Event::new(
                t(0),
                EventKind::VenueConnected {
                    venue: VenueId::from("V1"),
                },
            ),
            Event::new(
                t(0),
                EventKind::Operator(OperatorAction::SetDefaultVenue {
                    symbol: Symbol::from("AAPL"),
                    venue: Some(VenueId::from("V1")),
                }),
            ),
        ])
        .await
        .unwrap();
        let mut out = std::io::stdout().lock();
        let mut n = 0u64;
        while n < 20_000 {
            // Batches of 1-4 order cycles, one fsync each.
            let k = n % 4 + 1;
            let evs: Vec<Event> = (n + 1..=n + k).flat_map(cycle).collect();
            oms.handle(evs).await.unwrap();
            n += k;
            writeln!(out, "ACK {} {n}", oms.journal().last_seq()).unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn kill_9_mid_stream_loses_nothing_acknowledged() {
    if let Ok(dir) = std::env::var(ENV) {
        child(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "kill_9_mid_stream_loses_nothing_acknowledged",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(proc.stdout.take().unwrap()).lines();
    let (mut acked_seq, mut acked_orders) = (0u64, 0u64);
    let mut seen = 0;
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("ACK ") {
            let mut it = rest.split(' ').map(|x| x.parse::<u64>().unwrap());
            acked_seq = it.next().unwrap();
            acked_orders = it.next().unwrap();
            seen += 1;
            if seen == 60 {
                break;
            }
        }
    }
    proc.kill().unwrap(); // SIGKILL
    proc.wait().unwrap();
    assert!(
        acked_orders >= 60,
        "child acknowledged only {acked_orders} orders"
    );

    rt().block_on(async {
        let dir = dir.path().to_str().unwrap();
        let mut oms = open(dir).await;
        // Everything acknowledged is there (the child may have got further).
        let last = oms.journal().last_seq();
        assert!(
            last >= acked_seq,
            "journal ends at {last}, child acknowledged {acked_seq}"
        );
        assert_eq!(oms.journal().verify().await.unwrap(), last);
        let state = oms.core().state();
        let orders = state.orders.len() as u64;
        assert!(orders >= acked_orders);
        for n in 1..=orders {
            let p = oms.core().order(&OrderId::new(format!("O{n}"))).unwrap();
            // A cycle is journaled as one batch: all of it or none of it.
            assert_eq!(
                (p.status, p.cum),
                (OrdStatus::Filled, Qty(100)),
                "order O{n}"
            );
        }
        let pos = oms
            .core()
            .portfolio()
            .position(&AccountId::from("ACC1"), &Symbol::from("AAPL"))
            .unwrap();
        assert_eq!(pos.qty, 100 * orders as i64);
        // The venue resends the last fills: nothing is booked twice.
        let resend: Vec<Event> = (orders.saturating_sub(3)..=orders)
            .filter(|n| *n > 0)
            .map(|n| cycle(n).remove(2))
            .collect();
        assert!(oms.handle(resend).await.unwrap().is_empty());
        // And the journal carries on from where it stopped.
        oms.handle(cycle(orders + 1)).await.unwrap();
        assert_eq!(
            oms.core()
                .order(&OrderId::new(format!("O{}", orders + 1)))
                .unwrap()
                .status,
            OrdStatus::Filled
        );
        assert_eq!(
            oms.journal().verify().await.unwrap(),
            oms.journal().last_seq()
        );
    });
}
