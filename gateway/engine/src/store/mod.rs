//! Message stores: where a session keeps its sequence numbers and the
//! application messages it has sent, so that it can answer a ResendRequest
//! and resume after a restart.
//!
//! One trait, [`MessageStore`], with three implementations: [`MemoryStore`]
//! (the reference), the file store (the embedded default) and the PostgreSQL
//! store. The session itself never touches a store: it is sans-IO and tells
//! its driver what to persist (see `session`); the driver calls the store.
//! A message is persisted before it is written to the socket.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Identifies one FIX session: BeginString plus the local and remote CompIDs
/// (and an optional qualifier for several sessions between the same pair).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    pub begin_string: String,
    pub sender_comp_id: String,
    pub target_comp_id: String,
    pub qualifier: Option<String>,
}

impl SessionKey {
    pub fn new(begin_string: &str, sender: &str, target: &str) -> Self {
        Self {
            begin_string: begin_string.to_owned(),
            sender_comp_id: sender.to_owned(),
            target_comp_id: target.to_owned(),
            qualifier: None,
        }
    }
}

impl std::fmt::Display for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}->{}",
            self.begin_string, self.sender_comp_id, self.target_comp_id
        )?;
        if let Some(q) = &self.qualifier {
            write!(f, ":{q}")?;
        }
        Ok(())
    }
}

/// The persisted sequence state of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqState {
    /// MsgSeqNum of the next message we send.
    pub next_sender_seq: u64,
    /// MsgSeqNum we expect on the next message we receive.
    pub next_target_seq: u64,
    /// When the current sequence (since the last reset) began.
    pub creation_time: DateTime<Utc>,
}

/// Errors from any store backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("store I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("store file {path} is corrupt at byte {offset}: {reason}")]
    Corrupt {
        path: String,
        offset: u64,
        reason: String,
    },
    #[error("PostgreSQL store error: {0}")]
    Postgres(String),
}

/// An outbound application message as stored, under its MsgSeqNum (what a
/// resend replays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub seq: u64,
    /// The message as it was sent.
    pub raw: Vec<u8>,
}

/// An outbound application message to store, under its MsgSeqNum (one
/// message of a [`MessageStore::save_batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing<'a> {
    pub seq: u64,
    /// The message as it is sent.
    pub raw: &'a [u8],
}

impl<'a> Outgoing<'a> {
    pub fn new(seq: u64, raw: &'a [u8]) -> Self {
        Outgoing { seq, raw }
    }
}

/// Durable state of one FIX session. Implementations must make every
/// completed call survive a crash of the process to the degree their fsync
/// policy promises.
#[async_trait]
pub trait MessageStore: Send {
    /// Loads (or creates, with both sequence numbers at 1) the session state.
    async fn load(&mut self, now: DateTime<Utc>) -> Result<SeqState, StoreError>;
    /// Saves an outbound message with its MsgSeqNum and advances the next
    /// sender sequence number to `seq + 1`.
    async fn save_sent(&mut self, seq: u64, msg: &[u8]) -> Result<(), StoreError>;
    /// Sets the next outbound sequence number without storing a message
    /// (administrative messages are not stored; a resend gap-fills them).
    async fn set_next_sender_seq(&mut self, next: u64) -> Result<(), StoreError>;
    /// Sets the next expected inbound sequence number.
    async fn set_next_target_seq(&mut self, next: u64) -> Result<(), StoreError>;
    /// Stored outbound messages with `begin <= seq <= end`, in order.
    /// Missing sequence numbers are simply absent.
    async fn get_sent(&mut self, begin: u64, end: u64) -> Result<Vec<StoredMessage>, StoreError>;
    /// Forgets all messages and sets both sequence numbers to 1.
    async fn reset(&mut self, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Makes everything written so far durable (for group-commit policies).
    async fn flush(&mut self) -> Result<(), StoreError>;
    /// Saves several outbound messages, in order, then (if given) the next
    /// expected inbound sequence number, then (if given) the application's
    /// delivery number: in one write or one transaction, so the delivery
    /// number is stored if and only if the messages are. The session
    /// driver saves each batch of output this way before any of it reaches
    /// the socket; the delivery number is the highest the application gave
    /// the batch's messages ([`crate::codec::MessageBuilder::with_delivery`]).
    async fn save_batch(
        &mut self,
        sent: &[Outgoing<'_>],
        next_target: Option<u64>,
        delivered: Option<u64>,
    ) -> Result<(), StoreError>;
    /// The last delivery number stored with a batch, or `None` if none
    /// ever was. A reset keeps it: it counts the application's messages,
    /// not the session's sequence.
    async fn delivered(&mut self) -> Result<Option<u64>, StoreError>;
}

/// Opens stores per session; the acceptor and initiator hold one.
#[async_trait]
pub trait StoreFactory: Send + Sync {
    async fn open(&self, key: &SessionKey) -> Result<Box<dyn MessageStore>, StoreError>;
}

mod file;
mod memory;
mod postgres;
pub use file::{session_dir_name, FileStore, FileStoreFactory, FsyncPolicy, MAX_MESSAGE_LEN};
pub use memory::{MemoryStore, MemoryStoreFactory};
pub use postgres::{PostgresStore, PostgresStoreFactory};
