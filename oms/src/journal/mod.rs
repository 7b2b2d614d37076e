//! The journal: the append-only, hash-chained audit trail of every event.
//!
//! Owns the record format and the [`Journal`] trait that the backends
//! implement: [`MemJournal`] (the reference, for tests), [`FileJournal`]
//! (files under a data directory, the embedded default) and [`PgJournal`]
//! (PostgreSQL). A record carries its sequence number (from 1, gap-free),
//! the event's timestamp and kind, the ids to query by (order, client
//! session, account, instrument), the event itself serialized as JSON (serde_json; the
//! exact bytes are stored and hashed, so a record reads back identically
//! on every backend), the SHA-256 hash of the previous record and its own
//! hash. [`chain_hash`] defines the hash: SHA-256 over the previous hash
//! and every field, each length-prefixed. `verify` re-reads the whole
//! journal and names the first record whose sequence, link or hash is
//! wrong.
//!
//! `append` takes a batch and makes it durable as a unit (group commit:
//! one write and one fsync, or one transaction); the caller acknowledges
//! nothing of a batch before `append` returns.

mod crc;
mod file;
mod mem;
mod pg;

pub use file::{FileJournal, FsyncPolicy};
pub use mem::MemJournal;
pub use pg::{run_migrations, PgJournal, MIGRATIONS};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::JournalKeys;
use crate::events::Event;
use crate::types::{AccountId, OrderId, Symbol, Timestamp};

/// The hash before the first record.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// A record to append (sequence and hashes are assigned by the journal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// Event time.
    pub ts: Timestamp,
    /// Event kind.
    pub kind: String,
    /// Order id, if any.
    pub order_id: Option<String>,
    /// Client (session), if any.
    pub client: Option<String>,
    /// Account, if any.
    pub account: Option<String>,
    /// Instrument, if any.
    pub symbol: Option<String>,
    /// The event as JSON.
    pub payload: String,
}

impl NewRecord {
    /// Serialize an event with its keys.
    pub fn from_event(ev: &Event, keys: JournalKeys) -> Result<NewRecord, JournalError> {
        Ok(NewRecord {
            ts: ev.ts,
            kind: ev.kind.name().to_owned(),
            order_id: keys.order_id.map(|o| o.as_str().to_owned()),
            client: keys.client.map(|c| c.to_string()),
            account: keys.account.map(|a| a.as_str().to_owned()),
            symbol: keys.symbol.map(|s| s.as_str().to_owned()),
            payload: serde_json::to_string(ev).map_err(|e| JournalError::Encode(e.to_string()))?,
        })
    }
}

/// A stored record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Event time.
    pub ts: Timestamp,
    /// Event kind.
    pub kind: String,
    /// Order id, if any.
    pub order_id: Option<String>,
    /// Client (session), if any.
    pub client: Option<String>,
    /// Account, if any.
    pub account: Option<String>,
    /// Instrument, if any.
    pub symbol: Option<String>,
    /// The event as JSON.
    pub payload: String,
    /// Hash of the previous record (hex).
    pub prev_hash: String,
    /// Hash of this record (hex).
    pub hash: String,
}

impl Record {
    /// Seal a new record onto a chain.
    pub fn seal(seq: u64, prev: &[u8; 32], r: NewRecord) -> (Record, [u8; 32]) {
        let h = chain_hash(
            prev,
            seq,
            r.ts,
            &r.kind,
            r.order_id.as_deref(),
            r.client.as_deref(),
            r.account.as_deref(),
            r.symbol.as_deref(),
            &r.payload,
        );
        (
            Record {
                seq,
                ts: r.ts,
                kind: r.kind,
                order_id: r.order_id,
                client: r.client,
                account: r.account,
                symbol: r.symbol,
                payload: r.payload,
                prev_hash: hex::encode(prev),
                hash: hex::encode(h),
            },
            h,
        )
    }

    /// The event stored in this record.
    pub fn event(&self) -> Result<Event, JournalError> {
        serde_json::from_str(&self.payload).map_err(|e| JournalError::Decode {
            seq: self.seq,
            reason: e.to_string(),
        })
    }

    /// Recompute this record's hash from its fields and `prev`.
    pub fn compute_hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        chain_hash(
            prev,
            self.seq,
            self.ts,
            &self.kind,
            self.order_id.as_deref(),
            self.client.as_deref(),
            self.account.as_deref(),
            self.symbol.as_deref(),
            &self.payload,
        )
    }
}

/// SHA-256 over the previous hash and every field of a record, each
/// length-prefixed (u32 little endian; `u32::MAX` for an absent field).
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev: &[u8; 32],
    seq: u64,
    ts: Timestamp,
    kind: &str,
    order_id: Option<&str>,
    client: Option<&str>,
    account: Option<&str>,
    symbol: Option<&str>,
    payload: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_le_bytes());
    h.update(ts.0.to_le_bytes());
    for f in [Some(kind), order_id, client, account, symbol, Some(payload)] {
        match f {
            Some(s) => {
                h.update((s.len() as u32).to_le_bytes());
                h.update(s.as_bytes());
            }
            None => h.update(u32::MAX.to_le_bytes()),
        }
    }
    h.finalize().into()
}

/// What [`Journal::scan_from`] calls for each record.
pub type Visitor<'a> = dyn FnMut(Record) -> Result<(), JournalError> + Send + 'a;

/// Incremental chain verification, record by record from the first.
#[derive(Clone, Debug)]
pub struct ChainCheck {
    /// Sequence number of the last record checked (0 before the first).
    pub last_seq: u64,
    /// Hash of the last record checked ([`GENESIS`] before the first).
    pub head: [u8; 32],
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck {
            last_seq: 0,
            head: GENESIS,
        }
    }
}

impl ChainCheck {
    /// Check the next record.
    pub fn check(&mut self, r: &Record) -> Result<(), JournalError> {
        check_link(r, self.last_seq, &self.head)?;
        self.head = r.compute_hash(&self.head);
        self.last_seq = r.seq;
        Ok(())
    }
}

/// Check a run of records from the start of the chain; returns the last
/// sequence number and hash.
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<(u64, [u8; 32]), JournalError> {
    let mut prev = GENESIS;
    let mut seq = 0u64;
    for r in records {
        check_link(r, seq, &prev)?;
        prev = r.compute_hash(&prev);
        seq = r.seq;
    }
    Ok((seq, prev))
}

/// Check one record against the chain so far.
pub fn check_link(r: &Record, last_seq: u64, prev: &[u8; 32]) -> Result<(), JournalError> {
    let broken = |reason: String| JournalError::ChainBroken { seq: r.seq, reason };
    if r.seq != last_seq + 1 {
        return Err(JournalError::ChainBroken {
            seq: last_seq + 1,
            reason: format!("expected sequence {}, found {}", last_seq + 1, r.seq),
        });
    }
    if r.prev_hash != hex::encode(prev) {
        return Err(broken("previous-hash link does not match".to_owned()));
    }
    if r.hash != hex::encode(r.compute_hash(prev)) {
        return Err(broken("contents do not match the record's hash".to_owned()));
    }
    Ok(())
}

/// Which records to return; every given filter must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Order id.
    pub order_id: Option<OrderId>,
    /// Client (session).
    pub client: Option<String>,
    /// Account.
    pub account: Option<AccountId>,
    /// Instrument.
    pub symbol: Option<Symbol>,
    /// From this time, inclusive.
    pub from: Option<Timestamp>,
    /// Until this time, exclusive.
    pub to: Option<Timestamp>,
}

impl Query {
    /// Does `r` match?
    pub fn matches(&self, r: &Record) -> bool {
        fn eq(want: Option<&str>, got: &Option<String>) -> bool {
            want.is_none_or(|w| got.as_deref() == Some(w))
        }
        eq(self.order_id.as_ref().map(|o| o.as_str()), &r.order_id)
            && eq(self.client.as_deref(), &r.client)
            && eq(self.account.as_ref().map(|a| a.as_str()), &r.account)
            && eq(self.symbol.as_ref().map(|s| s.as_str()), &r.symbol)
            && self.from.is_none_or(|f| r.ts >= f)
            && self.to.is_none_or(|t| r.ts < t)
    }
}

/// Journal failures.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// File IO.
    #[error("journal io: {0}")]
    Io(#[from] std::io::Error),
    /// PostgreSQL.
    #[error("journal database: {0}")]
    Db(String),
    /// An event could not be serialized.
    #[error("journal encode: {0}")]
    Encode(String),
    /// A record could not be decoded.
    #[error("journal record {seq}: cannot decode: {reason}")]
    Decode {
        /// Record.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// A record in the middle of the file fails its CRC or framing.
    #[error("journal record {seq} at byte {offset}: {reason}")]
    Corrupt {
        /// The record's sequence number (the one expected there).
        seq: u64,
        /// Byte offset in the file.
        offset: u64,
        /// Why.
        reason: String,
    },
    /// The hash chain does not verify at this record.
    #[error("journal record {seq}: hash chain broken: {reason}")]
    ChainBroken {
        /// Record.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// An earlier append failed part-way; the journal must be reopened.
    #[error("journal poisoned by an earlier failed append; reopen it")]
    Poisoned,
}

impl From<tokio_postgres::Error> for JournalError {
    fn from(e: tokio_postgres::Error) -> Self {
        JournalError::Db(match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        })
    }
}

impl From<deadpool_postgres::PoolError> for JournalError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        JournalError::Db(e.to_string())
    }
}

/// An append-only, hash-chained event store.
#[async_trait]
pub trait Journal: Send {
    /// Append a batch durably (one fsync / one transaction); returns the
    /// sequence number of its last record.
    async fn append(&mut self, batch: Vec<NewRecord>) -> Result<u64, JournalError>;

    /// Records with sequence >= `from`, in order.
    async fn read_from(&self, from: u64) -> Result<Vec<Record>, JournalError>;

    /// Visit the records with sequence >= `from`, in order, without
    /// holding them all in memory (recovery, verification, a standby
    /// tailing the journal). Stops at the first error `f` returns.
    async fn scan_from(&self, from: u64, f: &mut Visitor<'_>) -> Result<(), JournalError>;

    /// Records matching `q`, in order.
    async fn query(&self, q: &Query) -> Result<Vec<Record>, JournalError>;

    /// Re-read everything and check the chain; returns the record count.
    async fn verify(&self) -> Result<u64, JournalError>;

    /// The last sequence number (0 when empty).
    fn last_seq(&self) -> u64;
}

/// A journal chosen at run time (files or PostgreSQL) behind one type.
#[async_trait]
impl Journal for Box<dyn Journal + Sync> {
    async fn append(&mut self, batch: Vec<NewRecord>) -> Result<u64, JournalError> {
        (**self).append(batch).await
    }

    async fn read_from(&self, from: u64) -> Result<Vec<Record>, JournalError> {
        (**self).read_from(from).await
    }

    async fn scan_from(&self, from: u64, f: &mut Visitor<'_>) -> Result<(), JournalError> {
        (**self).scan_from(from, f).await
    }

    async fn query(&self, q: &Query) -> Result<Vec<Record>, JournalError> {
        (**self).query(q).await
    }

    async fn verify(&self) -> Result<u64, JournalError> {
        (**self).verify().await
    }

    fn last_seq(&self) -> u64 {
        (**self).last_seq()
    }
}
