//! The message store suite: the same contract tests against the in-memory
//! reference store, the file store and the PostgreSQL store, plus what only
//! one backend has (file: torn-tail recovery, corruption, a real `kill -9`;
//! PostgreSQL: migrations).
//!
//! PostgreSQL tests use the server at `FIXGW_TEST_PG_URL` (default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`), each in a fresh
//! schema so that they run in parallel; they fail, never skip, when the
//! server cannot be reached (`scripts/test.sh` starts it).

use chrono::{DateTime, TimeZone, Utc};
use fix_engine::store::{
    session_dir_name, FileStoreFactory, FsyncPolicy, MemoryStoreFactory, MessageStore, Outgoing,
    PostgresStoreFactory, SeqState, SessionKey, StoreError, StoreFactory, StoredMessage,
};
use std::sync::atomic::{AtomicU64, Ordering};
use tempfile::TempDir;
use test_support::pg::{self, TestSchema};

/// One backend under test: a factory, and what must outlive it.
struct Harness {
    factory: Box<dyn StoreFactory>,
    /// Whether a store opened again sees what an earlier one wrote.
    persistent: bool,
    _dir: Option<TempDir>,
    /// The PostgreSQL schema, dropped with the harness (kept, to look at,
    /// if the test failed).
    _schema: Option<TestSchema>,
}

impl Harness {
    async fn memory() -> Self {
        Self {
            factory: Box::new(MemoryStoreFactory),
            persistent: false,
            _dir: None,
            _schema: None,
        }
    }

    async fn file() -> Self {
        Self::file_with(FsyncPolicy::EveryWrite).await
    }

    async fn file_with(policy: FsyncPolicy) -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        Self {
            factory: Box::new(FileStoreFactory::new(dir.path(), policy)),
            persistent: true,
            _dir: Some(dir),
            _schema: None,
        }
    }

    async fn postgres() -> Self {
        let schema = TestSchema::reserve("fixstore");
        let factory = pg_connect(schema.name()).await;
        Self {
            factory: Box::new(factory),
            persistent: true,
            _dir: None,
            _schema: Some(schema),
        }
    }

    async fn open(&self, key: &SessionKey) -> Box<dyn MessageStore> {
        self.factory.open(key).await.expect("open store")
    }
}

async fn pg_connect(schema: &str) -> PostgresStoreFactory {
    let url = pg::url();
    match PostgresStoreFactory::connect(&url, schema).await {
        Ok(factory) => factory,
        Err(e) => panic!(
            "PostgreSQL store tests need the server at {url:?} (set FIXGW_TEST_PG_URL; \
             scripts/test.sh starts it): {e}"
        ),
    }
}

fn key(n: usize) -> SessionKey {
    SessionKey::new("FIX.4.4", "GATEWAY", &format!("CLIENT{n}"))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 13, 30, 0)
        .single()
        .expect("valid time")
}

fn t1() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 13, 30, 0)
        .single()
        .expect("valid time")
}

fn state(next_sender_seq: u64, next_target_seq: u64, creation_time: DateTime<Utc>) -> SeqState {
    SeqState {
        next_sender_seq,
        next_target_seq,
        creation_time,
    }
}

/// A FIX-looking message of at least `len` bytes, different per `tag`.
fn msg(tag: &str, seq: u64, len: usize) -> Vec<u8> {
    let mut m = format!("8=FIX.4.4\x019=000\x0135=8\x0134={seq}\x0158={tag}\x01").into_bytes();
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ len as u64;
    while m.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        m.push(x as u8);
    }
    m
}

/// Every stored message as (MsgSeqNum, bytes), for compact assertions.
async fn all_sent(store: &mut Box<dyn MessageStore>) -> Vec<(u64, Vec<u8>)> {
    let sent = store.get_sent(0, u64::MAX).await.expect("get_sent");
    sent.into_iter().map(|m| (m.seq, m.raw)).collect()
}

fn seqs(sent: &[(u64, Vec<u8>)]) -> Vec<u64> {
    sent.iter().map(|(s, _)| *s).collect()
}

/// The contract every backend keeps.
mod cases {
    use super::*;

    pub async fn fresh_store_starts_at_one(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        assert_eq!(s.load(t0()).await.unwrap(), state(1, 1, t0()));
        // Loading again keeps the creation time of the current sequence.
        assert_eq!(s.load(t1()).await.unwrap(), state(1, 1, t0()));
        assert!(all_sent(&mut s).await.is_empty());
    }

    pub async fn save_sent_advances_next_sender_seq(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        for seq in 1..=3 {
            s.save_sent(seq, &msg("a", seq, 80)).await.unwrap();
        }
        assert_eq!(s.load(t0()).await.unwrap(), state(4, 1, t0()));
        let sent = all_sent(&mut s).await;
        assert_eq!(
            sent,
            (1..=3).map(|q| (q, msg("a", q, 80))).collect::<Vec<_>>()
        );
    }

    pub async fn sequence_numbers_are_set_in_call_order(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        s.set_next_sender_seq(10).await.unwrap();
        s.set_next_target_seq(7).await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(10, 7, t0()));
        s.save_sent(10, b"ten").await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(11, 7, t0()));
        // The last call wins, as in the reference store: a later save_sent
        // of a lower number moves next_sender_seq back to it.
        s.set_next_sender_seq(20).await.unwrap();
        s.save_sent(5, b"five").await.unwrap();
        s.set_next_target_seq(8).await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(6, 8, t0()));
        s.flush().await.unwrap();
    }

    pub async fn get_sent_returns_ranges_with_gaps(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        let stored = [1u64, 2, 3, 5, 8, 9];
        for &seq in &stored {
            s.save_sent(seq, &msg("g", seq, 120)).await.unwrap();
            // Administrative messages in between are not stored.
            s.set_next_sender_seq(seq + 2).await.unwrap();
        }
        let ranges: [(u64, u64, &[u64]); 9] = [
            (1, 9, &stored),
            (0, u64::MAX, &stored),
            (4, 4, &[]),
            (4, 7, &[5]),
            (6, u64::MAX, &[8, 9]),
            (9, 9, &[9]),
            (10, 20, &[]),
            (0, 2, &[1, 2]),
            (3, 5, &[3, 5]),
        ];
        for (begin, end, want) in ranges {
            let got = s.get_sent(begin, end).await.unwrap();
            let got_seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
            assert_eq!(got_seqs, want, "get_sent({begin}, {end})");
            for StoredMessage { seq, raw } in got {
                assert_eq!(raw, msg("g", seq, 120), "message {seq}");
            }
        }
    }

    pub async fn get_sent_with_begin_after_end_is_empty(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        for seq in 1..=5 {
            s.save_sent(seq, &msg("b", seq, 60)).await.unwrap();
        }
        for (begin, end) in [(5, 4), (3, 1), (u64::MAX, 0), (6, 5)] {
            assert!(
                s.get_sent(begin, end).await.unwrap().is_empty(),
                "get_sent({begin}, {end})"
            );
        }
    }

    pub async fn saving_a_seq_again_keeps_the_latest(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        s.save_sent(1, b"first").await.unwrap();
        s.save_sent(2, b"two").await.unwrap();
        s.save_sent(1, b"second").await.unwrap();
        let sent = all_sent(&mut s).await;
        assert_eq!(sent, vec![(1, b"second".to_vec()), (2, b"two".to_vec())]);
    }

    pub async fn reset_forgets_messages_and_sequence_numbers(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        for seq in 1..=4 {
            s.save_sent(seq, &msg("r", seq, 90)).await.unwrap();
        }
        s.set_next_target_seq(12).await.unwrap();
        s.reset(t1()).await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(1, 1, t1()));
        assert!(all_sent(&mut s).await.is_empty());
        s.save_sent(1, b"after reset").await.unwrap();
        assert_eq!(all_sent(&mut s).await, vec![(1, b"after reset".to_vec())]);
        assert_eq!(s.load(t0()).await.unwrap(), state(2, 1, t1()));
    }

    pub async fn large_and_binary_messages_round_trip(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        // Every byte value, SOH and NUL included, at 1 MiB and 5 MiB; and an
        // empty message.
        let one_mib: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        let five_mib = msg("large", 2, 5 << 20);
        s.save_sent(1, &one_mib).await.unwrap();
        s.save_sent(2, &five_mib).await.unwrap();
        s.save_sent(3, b"").await.unwrap();
        let sent = all_sent(&mut s).await;
        assert_eq!(seqs(&sent), [1, 2, 3]);
        assert!(sent[0].1 == one_mib, "1 MiB message differs");
        assert!(sent[1].1 == five_mib, "5 MiB message differs");
        assert!(sent[2].1.is_empty());
        if h.persistent {
            drop(s);
            let mut s = h.open(&key(1)).await;
            let sent = all_sent(&mut s).await;
            assert!(
                sent[0].1 == one_mib && sent[1].1 == five_mib,
                "differ after reopen"
            );
        }
    }

    pub async fn calls_before_load_behave_like_the_reference(h: &Harness) {
        // Reading creates nothing.
        let mut s = h.open(&key(1)).await;
        assert!(all_sent(&mut s).await.is_empty());
        assert_eq!(s.load(t0()).await.unwrap(), state(1, 1, t0()));
        let mut s = h.open(&key(2)).await;
        s.save_sent(1, b"early").await.unwrap();
        // The reference store creates the state on the first mutation, with
        // the epoch as creation time.
        assert_eq!(
            s.load(t0()).await.unwrap(),
            state(2, 1, DateTime::<Utc>::UNIX_EPOCH)
        );
    }

    pub async fn many_sessions_are_isolated(h: &Harness) {
        let mut keys: Vec<SessionKey> = (0..12).map(key).collect();
        // Keys that a careless directory or row mapping would merge.
        keys.push(SessionKey::new("FIX.4.2", "GATEWAY", "CLIENT1"));
        keys.push(SessionKey {
            qualifier: Some("B".into()),
            ..key(1)
        });
        keys.push(SessionKey::new("FIX.4.4", "A/B", "C"));
        keys.push(SessionKey::new("FIX.4.4", "A%2FB", "C"));
        keys.push(SessionKey::new("FIX.4.4", "A-B", "C"));
        keys.push(SessionKey::new("FIX.4.4", "A", "B-C"));
        keys.push(SessionKey::new("FIX.4.4", "..", ".."));
        let mut stores = Vec::new();
        for k in &keys {
            let mut s = h.open(k).await;
            s.load(t0()).await.unwrap();
            stores.push(s);
        }
        for round in 1..=5u64 {
            for (i, s) in stores.iter_mut().enumerate() {
                s.save_sent(round, &msg(&format!("session{i}"), round, 50 + i))
                    .await
                    .unwrap();
                s.set_next_target_seq(round * 100 + i as u64).await.unwrap();
            }
        }
        // Resetting one session touches no other.
        stores[0].reset(t1()).await.unwrap();
        let check = |i: usize, st: SeqState, sent: Vec<(u64, Vec<u8>)>| {
            if i == 0 {
                assert_eq!(st, state(1, 1, t1()));
                assert!(sent.is_empty());
            } else {
                assert_eq!(st, state(6, 500 + i as u64, t0()), "session {}", keys[i]);
                let want: Vec<_> = (1..=5)
                    .map(|r| (r, msg(&format!("session{i}"), r, 50 + i)))
                    .collect();
                assert_eq!(sent, want, "session {}", keys[i]);
            }
        };
        for (i, s) in stores.iter_mut().enumerate() {
            let st = s.load(t0()).await.unwrap();
            check(i, st, all_sent(s).await);
        }
        if h.persistent {
            drop(stores);
            for (i, k) in keys.iter().enumerate() {
                let mut s = h.open(k).await;
                let st = s.load(t0()).await.unwrap();
                check(i, st, all_sent(&mut s).await);
            }
        }
    }

    pub async fn save_batch_is_the_single_calls_in_order(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        let msgs: Vec<Vec<u8>> = (1..=3).map(|q| msg("b", q, 120)).collect();
        let batch: Vec<Outgoing> = (1..=3)
            .zip(&msgs)
            .map(|(q, m)| Outgoing::new(q, m))
            .collect();
        s.save_batch(&batch, Some(5), None).await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(4, 5, t0()));
        assert_eq!(
            all_sent(&mut s).await,
            (1..=3).map(|q| (q, msg("b", q, 120))).collect::<Vec<_>>()
        );
        // Only the inbound sequence number; then only messages, one of
        // them saved again.
        s.save_batch(&[], Some(9), None).await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(4, 9, t0()));
        s.save_batch(
            &[Outgoing::new(3, b"three"), Outgoing::new(4, b"four")],
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(5, 9, t0()));
        let sent = all_sent(&mut s).await;
        assert_eq!(seqs(&sent), [1, 2, 3, 4]);
        assert_eq!(sent[2].1, b"three");
        // Nothing at all changes nothing.
        s.save_batch(&[], None, None).await.unwrap();
        assert_eq!(s.load(t0()).await.unwrap(), state(5, 9, t0()));
        if h.persistent {
            drop(s);
            let mut s = h.open(&key(1)).await;
            assert_eq!(s.load(t1()).await.unwrap(), state(5, 9, t0()));
            assert_eq!(seqs(&all_sent(&mut s).await), [1, 2, 3, 4]);
        }
    }

    /// The application's delivery number goes with the batch, stays when a
    /// batch carries none, and survives a reset (and, persistent, a reopen).
    pub async fn delivered_is_stored_with_batches_and_kept_by_reset(h: &Harness) {
        let mut s = h.open(&key(1)).await;
        s.load(t0()).await.unwrap();
        assert_eq!(s.delivered().await.unwrap(), None);
        s.save_batch(
            &[Outgoing::new(1, b"one"), Outgoing::new(2, b"two")],
            Some(3),
            Some(7),
        )
        .await
        .unwrap();
        assert_eq!(s.delivered().await.unwrap(), Some(7));
        assert_eq!(s.load(t0()).await.unwrap(), state(3, 3, t0()));
        s.save_batch(&[Outgoing::new(3, b"three")], None, None)
            .await
            .unwrap();
        assert_eq!(s.delivered().await.unwrap(), Some(7));
        // Only a delivery number (what a gateway records at start).
        s.save_batch(&[], None, Some(9)).await.unwrap();
        assert_eq!(s.delivered().await.unwrap(), Some(9));
        assert_eq!(s.load(t0()).await.unwrap(), state(4, 3, t0()));
        s.reset(t1()).await.unwrap();
        assert_eq!(s.delivered().await.unwrap(), Some(9));
        assert_eq!(s.load(t0()).await.unwrap(), state(1, 1, t1()));
        s.save_batch(&[Outgoing::new(1, b"new")], None, Some(10))
            .await
            .unwrap();
        if h.persistent {
            drop(s);
            let mut s = h.open(&key(1)).await;
            assert_eq!(s.delivered().await.unwrap(), Some(10));
            assert_eq!(s.load(t0()).await.unwrap(), state(2, 1, t1()));
            s.reset(t0()).await.unwrap();
            drop(s);
            let mut s = h.open(&key(1)).await;
            assert_eq!(s.delivered().await.unwrap(), Some(10));
        }
        // Another session's store knows nothing of it.
        let mut other = h.open(&key(2)).await;
        assert_eq!(other.delivered().await.unwrap(), None);
    }

    /// Persistent backends only.
    pub async fn state_and_messages_survive_reopen(h: &Harness) {
        assert!(h.persistent);
        {
            let mut s = h.open(&key(1)).await;
            s.load(t0()).await.unwrap();
            for seq in 1..=3 {
                s.save_sent(seq, &msg("p", seq, 200)).await.unwrap();
            }
            s.set_next_sender_seq(10).await.unwrap();
            s.set_next_target_seq(42).await.unwrap();
            s.flush().await.unwrap();
        }
        let mut s = h.open(&key(1)).await;
        assert_eq!(s.load(t1()).await.unwrap(), state(10, 42, t0()));
        let sent = all_sent(&mut s).await;
        assert_eq!(
            sent,
            (1..=3).map(|q| (q, msg("p", q, 200))).collect::<Vec<_>>()
        );
        // And again after more writes on the reopened store.
        s.save_sent(10, &msg("p", 10, 200)).await.unwrap();
        drop(s);
        let mut s = h.open(&key(1)).await;
        assert_eq!(s.load(t1()).await.unwrap(), state(11, 42, t0()));
        assert_eq!(seqs(&all_sent(&mut s).await), [1, 2, 3, 10]);
    }

    /// Persistent backends only.
    pub async fn reset_survives_reopen(h: &Harness) {
        assert!(h.persistent);
        {
            let mut s = h.open(&key(1)).await;
            s.load(t0()).await.unwrap();
            s.save_sent(1, b"old").await.unwrap();
            s.set_next_target_seq(9).await.unwrap();
            s.reset(t1()).await.unwrap();
            s.save_sent(1, b"new").await.unwrap();
        }
        let mut s = h.open(&key(1)).await;
        assert_eq!(s.load(t0()).await.unwrap(), state(2, 1, t1()));
        assert_eq!(all_sent(&mut s).await, vec![(1, b"new".to_vec())]);
    }
}

/// Instantiates the contract cases, plus `extra` ones, for one backend.
macro_rules! store_suite {
    ($backend:ident, $harness:expr; $($extra:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            store_suite!(@cases $harness;
                fresh_store_starts_at_one,
                save_sent_advances_next_sender_seq,
                sequence_numbers_are_set_in_call_order,
                get_sent_returns_ranges_with_gaps,
                get_sent_with_begin_after_end_is_empty,
                saving_a_seq_again_keeps_the_latest,
                reset_forgets_messages_and_sequence_numbers,
                large_and_binary_messages_round_trip,
                calls_before_load_behave_like_the_reference,
                many_sessions_are_isolated,
                save_batch_is_the_single_calls_in_order,
                delivered_is_stored_with_batches_and_kept_by_reset,
                $($extra,)*
            );
        }
    };
    (@cases $harness:expr; $($case:ident,)*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let h = $harness.await;
                cases::$case(&h).await;
            }
        )*
    };
}

store_suite!(memory, Harness::memory(););
store_suite!(file, Harness::file(); state_and_messages_survive_reopen, reset_survives_reopen);
store_suite!(file_fsync_every_n, Harness::file_with(FsyncPolicy::EveryN(7));
    state_and_messages_survive_reopen);
store_suite!(file_fsync_interval,
    Harness::file_with(FsyncPolicy::Interval(std::time::Duration::from_millis(5)));
    state_and_messages_survive_reopen);
store_suite!(file_fsync_never, Harness::file_with(FsyncPolicy::Never);
    state_and_messages_survive_reopen);
store_suite!(postgres, Harness::postgres(); state_and_messages_survive_reopen, reset_survives_reopen);

/// What only the file store has: recovery, corruption checks, kill -9.
mod file_only {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    fn log_path(data_dir: &Path, k: &SessionKey) -> PathBuf {
        data_dir.join(session_dir_name(k)).join("messages.log")
    }

    async fn write_three(factory: &FileStoreFactory) {
        let mut s = factory.open(&key(1)).await.unwrap();
        s.load(t0()).await.unwrap();
        for seq in 1..=3 {
            s.save_sent(seq, &msg("t", seq, 100)).await.unwrap();
        }
        s.set_next_target_seq(4).await.unwrap();
    }

    fn append_bytes(path: &Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    /// A record header as the store lays it out: kind, seq, len, crc.
    fn record_header(kind: u8, seq: u64, len: u32, crc: u32) -> Vec<u8> {
        let mut h = vec![kind];
        h.extend_from_slice(&seq.to_le_bytes());
        h.extend_from_slice(&len.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        h
    }

    #[tokio::test]
    async fn torn_tail_is_truncated_on_recovery() {
        let mut pseudo_random = 0x2545_F491_4F6C_DD1Du64;
        let mut garbage = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    pseudo_random ^= pseudo_random << 13;
                    pseudo_random ^= pseudo_random >> 7;
                    pseudo_random ^= pseudo_random << 17;
                    (pseudo_random >> 24) as u8
                })
                .collect()
        };
        let mut partial = record_header(1, 4, 100, 0xDEAD_BEEF);
        partial.extend_from_slice(b"8=FIX.4.4\x01");
        let mut bad_crc = record_header(1, 4, 5, 0);
        bad_crc.extend_from_slice(b"hello");
        let tails: Vec<(&str, Vec<u8>)> = vec![
            ("one byte", vec![1]),
            (
                "half a record header",
                record_header(1, 4, 100, 0)[..9].to_vec(),
            ),
            ("record cut short", partial),
            ("complete record, bad checksum", bad_crc),
            ("zeros", vec![0; 4096]),
            ("7 random bytes", garbage(7)),
            ("40 random bytes", garbage(40)),
            ("5000 random bytes", garbage(5000)),
        ];
        for (what, tail) in tails {
            let dir = tempfile::tempdir().unwrap();
            let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::EveryWrite);
            write_three(&factory).await;
            let path = log_path(dir.path(), &key(1));
            let good_len = std::fs::metadata(&path).unwrap().len();
            append_bytes(&path, &tail);

            let mut s = factory
                .open(&key(1))
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                good_len,
                "{what}: truncated"
            );
            assert_eq!(s.load(t1()).await.unwrap(), state(4, 4, t0()), "{what}");
            assert_eq!(seqs(&all_sent(&mut s).await), [1, 2, 3], "{what}");
            // Appends after recovery land where the torn record was.
            s.save_sent(4, &msg("t", 4, 100)).await.unwrap();
            drop(s);
            let mut s = factory.open(&key(1)).await.unwrap();
            assert_eq!(s.load(t1()).await.unwrap(), state(5, 4, t0()), "{what}");
            let sent = all_sent(&mut s).await;
            assert_eq!(
                sent,
                (1..=4).map(|q| (q, msg("t", q, 100))).collect::<Vec<_>>(),
                "{what}"
            );
        }
    }

    #[tokio::test]
    async fn damage_before_valid_records_is_refused_not_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::EveryWrite);
        write_three(&factory).await;
        let path = log_path(dir.path(), &key(1));
        let mut bytes = std::fs::read(&path).unwrap();
        let len_before = bytes.len();
        // Flip a byte inside message 2 ("34=2" is in it), not at the tail.
        let at = bytes
            .windows(4)
            .position(|w| w == b"34=2")
            .expect("message 2 in the log");
        bytes[at + 3] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();

        match factory.open(&key(1)).await {
            Err(StoreError::Corrupt { offset, reason, .. }) => {
                assert!(
                    offset < at as u64,
                    "offset {offset} is the damaged record's start"
                );
                assert!(reason.contains("valid record follows"), "{reason}");
            }
            Err(e) => panic!("expected Corrupt, got {e}"),
            Ok(_) => panic!("a damaged log in the middle must not open"),
        }
        // Nothing was truncated.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len_before as u64);
    }

    #[tokio::test]
    async fn a_log_of_another_session_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::EveryWrite);
        write_three(&factory).await;
        let other = key(2);
        std::fs::create_dir_all(dir.path().join(session_dir_name(&other))).unwrap();
        std::fs::copy(log_path(dir.path(), &key(1)), log_path(dir.path(), &other)).unwrap();
        match factory.open(&other).await {
            Err(StoreError::Corrupt { reason, .. }) => {
                assert!(reason.contains("belongs to"), "{reason}")
            }
            Err(e) => panic!("expected Corrupt, got {e}"),
            Ok(_) => panic!("another session's log must not open"),
        }
    }

    #[test]
    fn session_directory_names_are_distinct_single_components() {
        let keys = [
            SessionKey::new("FIX.4.4", "A/B", "C"),
            SessionKey::new("FIX.4.4", "A%2FB", "C"),
            SessionKey::new("FIX.4.4", "A-B", "C"),
            SessionKey::new("FIX.4.4", "A", "B-C"),
            SessionKey::new("FIX.4.4", "..", ".."),
            SessionKey::new("FIX.4.4", "", ""),
            SessionKey {
                qualifier: Some(String::new()),
                ..SessionKey::new("FIX.4.4", "", "")
            },
            SessionKey::new("FIX.4.4", "Ünïcode", "C"),
        ];
        let names: std::collections::BTreeSet<String> = keys.iter().map(session_dir_name).collect();
        assert_eq!(names.len(), keys.len(), "{names:?}");
        for name in &names {
            let mut components = Path::new(name).components();
            assert!(
                matches!(components.next(), Some(std::path::Component::Normal(_)))
                    && components.next().is_none(),
                "{name} is not one plain path component"
            );
        }
        assert_eq!(session_dir_name(&key(7)), "FIX.4.4-GATEWAY-CLIENT7");
    }

    #[tokio::test]
    async fn a_session_store_is_open_once_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::EveryWrite);
        let mut first = factory.open(&key(1)).await.unwrap();
        first.load(t0()).await.unwrap();
        match factory.open(&key(1)).await {
            Err(StoreError::Io { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::WouldBlock, "{source}")
            }
            Err(e) => panic!("expected a WouldBlock Io error, got {e}"),
            Ok(_) => panic!("the same session opened twice"),
        }
        // Other sessions are not affected, and closing releases the lock.
        factory.open(&key(2)).await.unwrap();
        drop(first);
        let mut again = factory.open(&key(1)).await.unwrap();
        assert_eq!(again.load(t1()).await.unwrap(), state(1, 1, t0()));
    }

    #[tokio::test]
    async fn oversized_message_is_rejected_and_the_store_stays_usable() {
        let dir = tempfile::tempdir().unwrap();
        let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::Never);
        let mut s = factory.open(&key(1)).await.unwrap();
        s.load(t0()).await.unwrap();
        let huge = vec![b'x'; fix_engine::store::MAX_MESSAGE_LEN + 1];
        assert!(matches!(
            s.save_sent(1, &huge).await,
            Err(StoreError::Io { .. })
        ));
        s.save_sent(1, b"fits").await.unwrap();
        assert_eq!(all_sent(&mut s).await, vec![(1, b"fits".to_vec())]);
    }

    const CHILD_DIR_ENV: &str = "FIXSTORE_SIGKILL_WRITER_DIR";
    const CHILD_TEST: &str = "file_only::sigkill_writer_child";
    const ACK: &str = "FIXSTORE-ACK ";
    /// The parent kills the writer once it has seen this many acks.
    const KILL_AFTER: u64 = 3000;
    /// The writer stops by itself after this many messages.
    const WRITER_LIMIT: u64 = 1_000_000;

    fn kill_msg(seq: u64) -> Vec<u8> {
        // Mostly small, every 97th 200 KB, so that the kill often lands in
        // the middle of a long write.
        let len = if seq.is_multiple_of(97) {
            200_000
        } else {
            100 + (seq as usize * 7919) % 4000
        };
        msg("kill", seq, len)
    }

    /// Not a test on its own: the writer process of
    /// `every_acknowledged_message_survives_sigkill`, which runs this test
    /// binary again with `CHILD_DIR_ENV` set. The store call returns, then
    /// the ack is written; so every acked message was stored before.
    #[test]
    fn sigkill_writer_child() {
        let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
            return;
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let factory = FileStoreFactory::new(PathBuf::from(dir), FsyncPolicy::Never);
            let mut s = factory.open(&key(1)).await.unwrap();
            s.load(t0()).await.unwrap();
            let mut out = std::io::stdout().lock();
            for seq in 1..=WRITER_LIMIT {
                s.save_sent(seq, &kill_msg(seq)).await.unwrap();
                s.set_next_target_seq(seq + 1).await.unwrap();
                writeln!(out, "{ACK}{seq}").unwrap();
                out.flush().unwrap();
            }
        });
    }

    #[test]
    fn every_acknowledged_message_survives_sigkill() {
        use std::os::unix::process::ExitStatusExt;
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR_ENV, dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the writer");
        let stdout = child.stdout.take().expect("writer stdout");
        let mut last_acked = 0u64;
        let mut killed = false;
        // Read acks until the writer is dead and its pipe drained: acks
        // still in the pipe after the kill were acknowledged before it.
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read writer output");
            if let Some(at) = line.find(ACK) {
                let seq: u64 = line[at + ACK.len()..].trim().parse().expect("ack number");
                assert_eq!(seq, last_acked + 1, "acks in order");
                last_acked = seq;
            }
            if !killed && last_acked >= KILL_AFTER {
                child.kill().expect("SIGKILL the writer");
                killed = true;
            }
        }
        let status = child.wait().expect("reap the writer");
        eprintln!("writer killed after {last_acked} acknowledged messages");
        assert!(
            killed,
            "writer ended by itself ({status}) after {last_acked} acks"
        );
        assert_eq!(status.signal(), Some(9), "writer died of SIGKILL");

        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::EveryWrite);
            let mut s = factory.open(&key(1)).await.expect("reopen after kill -9");
            let st = s.load(t1()).await.unwrap();
            assert_eq!(st.creation_time, t0());
            // The message after the last ack may or may not have made it.
            assert!(
                (last_acked + 1..=last_acked + 2).contains(&st.next_sender_seq),
                "next sender {} after {last_acked} acks",
                st.next_sender_seq
            );
            assert!(
                st.next_target_seq > last_acked,
                "next target {}",
                st.next_target_seq
            );
            let sent = all_sent(&mut s).await;
            assert!(
                sent.len() as u64 >= last_acked,
                "{} stored, {last_acked} acked",
                sent.len()
            );
            for (i, (seq, bytes)) in sent.iter().enumerate() {
                assert_eq!(*seq, i as u64 + 1);
                assert!(*bytes == kill_msg(*seq), "message {seq} differs");
            }
        });
    }
}

/// What only the PostgreSQL store has: migrations.
mod postgres_only {
    use super::*;

    async fn migration_rows(pg: &PostgresStoreFactory) -> Vec<(i32, String)> {
        let client = pg.pool().get().await.unwrap();
        client
            .query(
                &format!(
                    "SELECT version, name FROM \"{}\".schema_migrations ORDER BY version",
                    pg.schema()
                ),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    #[tokio::test]
    async fn migrations_apply_once_and_data_survives_reconnect() {
        let schema = TestSchema::reserve("fixstore");
        let schema = schema.name();
        let (a, b) = tokio::join!(pg_connect(schema), pg_connect(schema));
        let all = vec![(1, "fix_store".to_owned()), (2, "delivered".to_owned())];
        assert_eq!(migration_rows(&a).await, all);
        let mut s = a.open(&key(1)).await.unwrap();
        s.load(t0()).await.unwrap();
        s.save_sent(1, b"kept").await.unwrap();
        drop((a, s));
        let c = pg_connect(schema).await;
        assert_eq!(migration_rows(&c).await, all);
        let mut s = c.open(&key(1)).await.unwrap();
        assert_eq!(s.load(t1()).await.unwrap(), state(2, 1, t0()));
        assert_eq!(all_sent(&mut s).await, vec![(1, b"kept".to_vec())]);
        drop(b);
    }

    #[tokio::test]
    async fn invalid_schema_names_are_refused() {
        for bad in ["", "1abc", "a-b", "a\"; DROP TABLE x; --", &"x".repeat(64)] {
            match PostgresStoreFactory::connect(&pg::url(), bad).await {
                Err(StoreError::Postgres(reason)) => assert!(reason.contains("schema"), "{reason}"),
                Err(e) => panic!("{bad:?}: unexpected {e}"),
                Ok(_) => panic!("{bad:?} accepted as a schema name"),
            }
        }
    }

    #[tokio::test]
    async fn unreachable_server_is_an_error() {
        // Port 1 on loopback: nothing listens there.
        let url = "host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=5";
        match PostgresStoreFactory::connect(url, &pg::unique_name("fixstore")).await {
            // The reason reaches down to the socket error.
            Err(StoreError::Postgres(reason)) => {
                assert!(reason.contains("refused"), "{reason}")
            }
            Err(e) => panic!("unexpected {e}"),
            Ok(_) => panic!("connected to nothing"),
        }
    }
}

/// The file and PostgreSQL stores against the reference: random histories
/// of calls, reopens included, must leave both in the same state.
mod model {
    use super::*;
    use fix_engine::store::MemoryStore;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    #[derive(Debug, Clone)]
    enum Op {
        Save(u64, Vec<u8>),
        SetSender(u64),
        SetTarget(u64),
        Get(u64, u64),
        Reset,
        Reopen,
        Flush,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (1u64..24, prop::collection::vec(any::<u8>(), 0..48))
                .prop_map(|(seq, m)| Op::Save(seq, m)),
            2 => (0u64..30).prop_map(Op::SetSender),
            2 => (0u64..30).prop_map(Op::SetTarget),
            2 => (0u64..30, 0u64..30).prop_map(|(b, e)| Op::Get(b, e)),
            1 => Just(Op::Reset),
            2 => Just(Op::Reopen),
            1 => Just(Op::Flush),
        ]
    }

    fn fail(e: StoreError) -> TestCaseError {
        TestCaseError::fail(e.to_string())
    }

    async fn same_as_reference(
        factory: &dyn StoreFactory,
        key: &SessionKey,
        ops: &[Op],
    ) -> Result<(), TestCaseError> {
        let mut reference = MemoryStore::new();
        let mut store = factory.open(key).await.map_err(fail)?;
        for (i, op) in ops.iter().enumerate() {
            let now = t0() + chrono::Duration::seconds(i as i64);
            match op {
                Op::Save(seq, m) => {
                    reference.save_sent(*seq, m).await.map_err(fail)?;
                    store.save_sent(*seq, m).await.map_err(fail)?;
                }
                Op::SetSender(n) => {
                    reference.set_next_sender_seq(*n).await.map_err(fail)?;
                    store.set_next_sender_seq(*n).await.map_err(fail)?;
                }
                Op::SetTarget(n) => {
                    reference.set_next_target_seq(*n).await.map_err(fail)?;
                    store.set_next_target_seq(*n).await.map_err(fail)?;
                }
                Op::Get(b, e) => {
                    let want = reference.get_sent(*b, *e).await.map_err(fail)?;
                    let got = store.get_sent(*b, *e).await.map_err(fail)?;
                    prop_assert_eq!(got, want, "get_sent({}, {}) at op {}", b, e, i);
                }
                Op::Reset => {
                    reference.reset(now).await.map_err(fail)?;
                    store.reset(now).await.map_err(fail)?;
                }
                Op::Reopen => {
                    drop(store);
                    store = factory.open(key).await.map_err(fail)?;
                }
                Op::Flush => store.flush().await.map_err(fail)?,
            }
            let want = reference.load(now).await.map_err(fail)?;
            let got = store.load(now).await.map_err(fail)?;
            prop_assert_eq!(got, want, "state after op {} {:?}", i, op);
        }
        drop(store);
        let mut store = factory.open(key).await.map_err(fail)?;
        let want = reference.get_sent(0, u64::MAX).await.map_err(fail)?;
        prop_assert_eq!(
            store.get_sent(0, u64::MAX).await.map_err(fail)?,
            want,
            "messages after a final reopen"
        );
        Ok(())
    }

    fn histories() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(op(), 1..40)
    }

    #[test]
    fn file_store_matches_the_reference() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 200,
            ..Config::default()
        });
        runner
            .run(&histories(), |ops| {
                let dir = tempfile::tempdir().unwrap();
                let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::Never);
                rt.block_on(same_as_reference(&factory, &key(1), &ops))
            })
            .unwrap();
    }

    #[test]
    fn postgres_store_matches_the_reference() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let schema = TestSchema::reserve("fixstore_model");
        let factory = rt.block_on(pg_connect(schema.name()));
        let next_session = AtomicU64::new(0);
        let mut runner = TestRunner::new(Config {
            cases: 40,
            ..Config::default()
        });
        runner
            .run(&histories(), |ops| {
                // A session per case: cases share the schema.
                let k = key(next_session.fetch_add(1, Ordering::Relaxed) as usize);
                rt.block_on(same_as_reference(&factory, &k, &ops))
            })
            .unwrap();
    }
}

/// Cutting the file store's log at any byte, as a crash can, leaves a log
/// that recovers to the state after some prefix of the calls.
mod file_prefixes {
    use super::*;
    use fix_engine::store::MemoryStore;

    type Snapshot = (SeqState, Vec<StoredMessage>);

    async fn snapshot(store: &mut dyn MessageStore) -> Snapshot {
        (
            store.load(t0()).await.unwrap(),
            store.get_sent(0, u64::MAX).await.unwrap(),
        )
    }

    #[tokio::test]
    async fn every_prefix_of_the_log_recovers_to_a_prefix_of_the_history() {
        let k = key(1);
        let dir = tempfile::tempdir().unwrap();
        let factory = FileStoreFactory::new(dir.path(), FsyncPolicy::Never);
        let path = dir.path().join(session_dir_name(&k)).join("messages.log");
        let mut store = factory.open(&k).await.unwrap();
        let mut reference = MemoryStore::new();
        store.load(t0()).await.unwrap();
        reference.load(t0()).await.unwrap();
        // (log length, state) after each call, starting with the header.
        let mut history = vec![(
            std::fs::metadata(&path).unwrap().len(),
            snapshot(&mut reference).await,
        )];
        for i in 1..=32u64 {
            match i % 4 {
                0 | 1 => {
                    let m = msg("prefix", i, (i as usize * 37) % 300);
                    store.save_sent(i, &m).await.unwrap();
                    reference.save_sent(i, &m).await.unwrap();
                }
                2 => {
                    store.set_next_target_seq(i).await.unwrap();
                    reference.set_next_target_seq(i).await.unwrap();
                }
                _ => {
                    store.set_next_sender_seq(i + 5).await.unwrap();
                    reference.set_next_sender_seq(i + 5).await.unwrap();
                }
            }
            history.push((
                std::fs::metadata(&path).unwrap().len(),
                snapshot(&mut reference).await,
            ));
        }
        drop(store);
        let full = std::fs::read(&path).unwrap();
        assert_eq!(full.len() as u64, history.last().unwrap().0);

        let cut_dir = tempfile::tempdir().unwrap();
        let cut_factory = FileStoreFactory::new(cut_dir.path(), FsyncPolicy::Never);
        let cut_path = cut_dir
            .path()
            .join(session_dir_name(&k))
            .join("messages.log");
        std::fs::create_dir_all(cut_path.parent().unwrap()).unwrap();
        for cut in 0..=full.len() {
            std::fs::write(&cut_path, &full[..cut]).unwrap();
            let opened = cut_factory.open(&k).await;
            if (cut as u64) < history[0].0 {
                // The header is written whole (to a temporary file, then
                // renamed), so a cut header is damage, not a torn write.
                assert!(
                    matches!(opened, Err(StoreError::Corrupt { .. })),
                    "cut at {cut}"
                );
                continue;
            }
            let mut store = opened.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let (end, want) = history
                .iter()
                .rev()
                .find(|(end, _)| *end <= cut as u64)
                .unwrap();
            assert_eq!(&snapshot(store.as_mut()).await, want, "cut at {cut}");
            assert_eq!(
                std::fs::metadata(&cut_path).unwrap().len(),
                *end,
                "cut at {cut}: truncated"
            );
        }
    }
}
