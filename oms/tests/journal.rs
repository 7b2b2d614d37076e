//! One journal test suite run against every backend (memory, files,
//! PostgreSQL), plus each backend's own failure modes: a torn tail and
//! tampering for files; UPDATE/DELETE/TRUNCATE refused and tampering for
//! PostgreSQL.
//!
//! PostgreSQL tests use `FIXGW_TEST_PG_URL` (default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`), one schema per
//! test, and FAIL if the server is unreachable.

use std::io::{Read, Seek, SeekFrom, Write};

use oms::journal::{NewRecord, Record};
use oms::*;
use test_support::pg::{self, TestSchema};

fn rec(
    ts: i64,
    kind: &str,
    order: Option<&str>,
    acc: Option<&str>,
    sym: Option<&str>,
) -> NewRecord {
    NewRecord {
        ts: Timestamp(ts),
        kind: kind.to_owned(),
        order_id: order.map(str::to_owned),
        client: order.map(|o| if o == "O1" { "S1" } else { "S2" }.to_owned()),
        account: acc.map(str::to_owned),
        symbol: sym.map(str::to_owned),
        payload: format!("{{\"n\":{ts}}}"),
    }
}

/// Ten records over two orders, two accounts, two symbols.
fn batch(from: i64) -> Vec<NewRecord> {
    (from..from + 10)
        .map(|i| {
            let (o, a, s) = if i % 2 == 0 {
                ("O1", "ACC1", "AAPL")
            } else {
                ("O2", "ACC2", "MSFT")
            };
            rec(i * 100, "ClientNew", Some(o), Some(a), Some(s))
        })
        .collect()
}

/// The shared suite: append (group and single), read, query, verify.
async fn suite<J: Journal>(j: &mut J) {
    assert_eq!(j.last_seq(), 0);
    assert_eq!(j.append(batch(0)).await.unwrap(), 10);
    assert_eq!(
        j.append(vec![rec(5000, "MarketPrice", None, None, Some("AAPL"))])
            .await
            .unwrap(),
        11
    );
    assert_eq!(j.append(vec![]).await.unwrap(), 11);
    assert_eq!(j.last_seq(), 11);

    let all = j.read_from(1).await.unwrap();
    assert_eq!(all.len(), 11);
    assert_eq!(
        all.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>()
    );
    assert_eq!(all[0].prev_hash, "0".repeat(64));
    for w in all.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
    }
    assert_eq!(all[3].payload, "{\"n\":300}");
    assert_eq!(j.read_from(10).await.unwrap().len(), 2);

    let q = |order: Option<&str>,
             acc: Option<&str>,
             sym: Option<&str>,
             from: Option<i64>,
             to: Option<i64>| Query {
        order_id: order.map(OrderId::from),
        client: None,
        account: acc.map(AccountId::from),
        symbol: sym.map(Symbol::from),
        from: from.map(Timestamp),
        to: to.map(Timestamp),
    };
    let seqs = |v: Vec<Record>| v.iter().map(|r| r.seq).collect::<Vec<_>>();
    let by_client = Query {
        client: Some("S2".to_owned()),
        from: Some(Timestamp(500)),
        ..Query::default()
    };
    assert_eq!(seqs(j.query(&by_client).await.unwrap()), vec![6, 8, 10]);
    assert_eq!(
        seqs(
            j.query(&q(Some("O1"), None, None, None, None))
                .await
                .unwrap()
        ),
        vec![1, 3, 5, 7, 9]
    );
    assert_eq!(
        seqs(
            j.query(&q(None, Some("ACC2"), None, None, None))
                .await
                .unwrap()
        ),
        vec![2, 4, 6, 8, 10]
    );
    assert_eq!(
        seqs(
            j.query(&q(None, None, Some("AAPL"), None, None))
                .await
                .unwrap()
        ),
        vec![1, 3, 5, 7, 9, 11]
    );
    assert_eq!(
        seqs(
            j.query(&q(None, None, None, Some(200), Some(500)))
                .await
                .unwrap()
        ),
        vec![3, 4, 5]
    );
    assert_eq!(
        seqs(
            j.query(&q(None, Some("ACC1"), Some("AAPL"), Some(400), None))
                .await
                .unwrap()
        ),
        vec![5, 7, 9]
    );
    assert!(j
        .query(&q(Some("O9"), None, None, None, None))
        .await
        .unwrap()
        .is_empty());

    assert_eq!(j.verify().await.unwrap(), 11);

    // Streaming scan, over more than one PostgreSQL page (5000 rows).
    let mut seen = Vec::new();
    j.scan_from(9, &mut |r| {
        seen.push(r.seq);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(seen, vec![9, 10, 11]);
    let big: Vec<NewRecord> = (0..5003)
        .map(|i| rec(10_000 + i, "VenueFill", Some("O3"), None, None))
        .collect();
    assert_eq!(j.append(big).await.unwrap(), 5014);
    let mut n = 0u64;
    j.scan_from(1, &mut |r| {
        n += 1;
        assert_eq!(r.seq, n);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(n, 5014);
    assert_eq!(j.verify().await.unwrap(), 5014);
}

#[tokio::test]
async fn mem_suite() {
    let mut j = MemJournal::new();
    suite(&mut j).await;
    // Tamper with record 4 in memory: verify names it.
    j.records_mut()[3].payload = "{\"n\":999}".into();
    let e = j.verify().await.unwrap_err();
    assert!(matches!(e, JournalError::ChainBroken { seq: 4, .. }), "{e}");
}

// ----- files -----

#[tokio::test]
async fn file_suite_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut j = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
        suite(&mut j).await;
    }
    // Reopen: the chain continues.
    let mut j = FileJournal::open(dir.path(), FsyncPolicy::Always).unwrap();
    assert_eq!(j.last_seq(), 5014);
    assert_eq!(j.append(batch(20)).await.unwrap(), 5024);
    assert_eq!(j.verify().await.unwrap(), 5024);
}

fn frames(path: &std::path::Path) -> Vec<(u64, usize)> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < bytes.len() {
        let len = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
        out.push((off as u64, len));
        off += 8 + len;
    }
    out
}

#[tokio::test]
async fn file_torn_tail_is_truncated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let mut j = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap();
        j.append(batch(0)).await.unwrap();
        j.path().to_owned()
    };
    let full = std::fs::metadata(&path).unwrap().len();
    // Half of the last frame was written when the process died.
    let (last_off, last_len) = *frames(&path).last().unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(last_off + 8 + last_len as u64 / 2).unwrap();
    drop(f);
    let mut j = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap();
    assert_eq!(j.last_seq(), 9);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), last_off);
    // Appending continues the chain from record 9.
    assert_eq!(j.append(batch(100)).await.unwrap(), 19);
    assert_eq!(j.verify().await.unwrap(), 19);
    assert!(std::fs::metadata(&path).unwrap().len() > full);

    // A header cut short is torn too.
    let f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    (&f).write_all(&[7, 0, 0]).unwrap();
    drop(f);
    let j = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap();
    assert_eq!(j.last_seq(), 19);
}

/// Rewrite record `idx`'s frame with `edit` applied to its body and the
/// CRC recomputed (what a careful tamperer would do).
fn tamper(path: &std::path::Path, idx: usize, fix_crc: bool, from: &str, to: &str) {
    assert_eq!(
        from.len(),
        to.len(),
        "keep the length so later frames stay in place"
    );
    let fr = frames(path);
    let (off, len) = fr[idx];
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut body = vec![0u8; len];
    f.seek(SeekFrom::Start(off + 8)).unwrap();
    f.read_exact(&mut body).unwrap();
    // The body is binary; the text fields and the payload are stored raw.
    let at = body
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from:?} not in record {}", idx + 1));
    body[at..at + to.len()].copy_from_slice(to.as_bytes());
    let new = body;
    f.seek(SeekFrom::Start(off + 8)).unwrap();
    f.write_all(&new).unwrap();
    if fix_crc {
        // CRC-32 as the journal computes it.
        let crc = crc32(&new);
        f.seek(SeekFrom::Start(off + 4)).unwrap();
        f.write_all(&crc.to_le_bytes()).unwrap();
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    c ^ 0xFFFF_FFFF
}

#[tokio::test]
async fn file_tamper_is_detected_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap();
    j.append(batch(0)).await.unwrap();
    let path = j.path().to_owned();
    // Change record 3's payload ({"n":200} -> {"n":900}), CRC made valid.
    tamper(&path, 2, true, "{\"n\":200}", "{\"n\":900}");
    let e = j.verify().await.unwrap_err();
    assert!(matches!(e, JournalError::ChainBroken { seq: 3, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "journal record 3: hash chain broken: contents do not match the record's hash"
    );
    let e = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap_err();
    assert!(matches!(e, JournalError::ChainBroken { seq: 3, .. }), "{e}");

    // Garbage in the middle without a valid CRC is corruption, not a torn
    // tail: the open fails naming the record instead of truncating.
    let dir = tempfile::tempdir().unwrap();
    let mut j = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap();
    j.append(batch(0)).await.unwrap();
    tamper(j.path(), 4, false, "ClientNew", "ClientOld");
    let e = FileJournal::open(dir.path(), FsyncPolicy::Never).unwrap_err();
    assert!(matches!(e, JournalError::Corrupt { seq: 5, .. }), "{e}");
    assert!(e.to_string().starts_with("journal record 5 at byte"), "{e}");
}

// ----- PostgreSQL -----

#[tokio::test]
async fn pg_suite_and_reopen() {
    let guard = TestSchema::create("oms_suite").await;
    let schema = guard.name();
    {
        let mut j = PgJournal::connect(&pg::url(), Some(schema)).await.unwrap();
        suite(&mut j).await;
    }
    let mut j = PgJournal::connect(&pg::url(), Some(schema)).await.unwrap();
    assert_eq!(j.last_seq(), 5014);
    assert_eq!(j.append(batch(20)).await.unwrap(), 5024);
    assert_eq!(j.verify().await.unwrap(), 5024);
}

#[tokio::test]
async fn pg_refuses_update_delete_truncate_and_detects_tamper() {
    let guard = TestSchema::create("oms_immutable").await;
    let schema = guard.name();
    let mut j = PgJournal::connect(&pg::url(), Some(schema)).await.unwrap();
    j.append(batch(0)).await.unwrap();
    let c = pg::client().await;
    for sql in [
        format!("UPDATE {schema}.journal SET payload = '{{}}' WHERE seq = 3"),
        format!("DELETE FROM {schema}.journal WHERE seq = 10"),
        format!("TRUNCATE {schema}.journal"),
    ] {
        let e = c.batch_execute(&sql).await.unwrap_err();
        let msg = e
            .as_db_error()
            .map(|d| d.message().to_owned())
            .unwrap_or_default();
        assert!(msg.starts_with("journal is append-only"), "{sql}: {msg}");
    }
    assert_eq!(j.verify().await.unwrap(), 10);
    // A superuser who disables the trigger can still change a row; the
    // chain names the record.
    c.batch_execute(&format!(
        "ALTER TABLE {schema}.journal DISABLE TRIGGER journal_no_update_delete;
         UPDATE {schema}.journal SET payload = '{{\"n\":9}}' WHERE seq = 3;"
    ))
    .await
    .unwrap();
    let e = j.verify().await.unwrap_err();
    assert!(matches!(e, JournalError::ChainBroken { seq: 3, .. }), "{e}");
    let e = PgJournal::connect(&pg::url(), Some(schema))
        .await
        .unwrap_err();
    assert!(matches!(e, JournalError::ChainBroken { seq: 3, .. }), "{e}");
}

#[tokio::test]
async fn pg_migrations_apply_once() {
    let guard = TestSchema::create("oms_migrations").await;
    let schema = guard.name();
    let mut cfg: tokio_postgres::Config = pg::url().parse().unwrap();
    cfg.options(format!("-c search_path={schema}"));
    let (mut client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    assert_eq!(
        oms::journal::run_migrations(&mut client).await.unwrap(),
        vec![1]
    );
    assert!(oms::journal::run_migrations(&mut client)
        .await
        .unwrap()
        .is_empty());
}
