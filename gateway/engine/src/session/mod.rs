//! The FIX session layer as a sans-IO state machine.
//!
//! A [`Session`] is fed time and input and returns what its driver must do;
//! it never touches a socket, a clock or a store. It tells its application
//! of messages and session events one way only: by calling the
//! [`Application`] it is handed with each input (`on_logon`, `on_message`,
//! `on_event`); its [`Action`]s are for the driver alone (what to write,
//! persist, load or close).
//!
//! Behaviour follows the FIX session-level test cases (and QuickFIX where
//! the spec leaves room, since counterparties expect it): messages too high
//! are queued and the gap requested; too low without PossDupFlag ends the
//! session; ResendRequest and Logout are honoured whatever their sequence
//! number; a replay is never interleaved with live traffic (input and
//! application sends wait while the driver loads stored messages).
//!
//! # Layout
//!
//! - this file: the [`Session`] state, its constructor, getters and
//!   `poll_action`; the [`Action`] and [`MessageValidator`] seams;
//! - `connection`: connect, disconnect, sequence resets;
//! - `inbound`: framing, rate limit, header checks, the MsgType dispatch;
//! - `logon`: Logon and Logout, both directions;
//! - `recovery`: ResendRequest (answering and asking), SequenceReset;
//! - `outbound`: application sends, events to the application, encoding;
//! - `reject`: Reject (35=3) and BusinessMessageReject (35=j);
//! - `header`: copying fields without the stamped ones, hub routing;
//! - `timers`: `poll_timeout` and `handle_timeout`;
//! - `app`, `config`, `validation`: the application interface, the
//!   per-session configuration, the standard validators.

mod app;
mod config;
mod connection;
mod header;
mod inbound;
mod logon;
mod outbound;
mod recovery;
mod reject;
mod timers;
mod validation;

pub use app::{AppContext, AppReject, Application, SessionEvent};
pub use config::{Role, SessionConfig, TooLowAction};
pub use header::copy_unstamped_fields;
pub use validation::{lenient_enum_validator, standard_validator};

pub use crate::msg_type::MsgType;
pub use crate::tags::Tag;
pub use crate::validate::{BusinessRejectReason, Rejection, SessionRejectReason};

use crate::codec::{Framer, Message, MessageBuilder};
use crate::ratelimit::RateLimiter;
use crate::store::{SeqState, SessionKey};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Dictionary validation as the session needs it: the first problem of a
/// message as a [`Rejection`] (SessionRejectReason and RefTagID), which the
/// session answers with a Reject (35=3).
pub trait MessageValidator: Send + Sync {
    fn validate(&self, msg: &Message) -> Result<(), Rejection>;
}

/// What the driver must do next, in order.
#[derive(Debug)]
pub enum Action {
    /// Persist (when `persist`: an application message to keep for
    /// resends; otherwise just the next sender sequence number), then write
    /// `bytes` to the connection if there is one.
    Send {
        seq: u64,
        bytes: Bytes,
        persist: bool,
        resend: bool,
        /// The application's delivery number of a first send (see
        /// [`MessageBuilder::with_delivery`]), stored with the batch.
        delivery: Option<u64>,
    },
    /// Load stored messages `begin..=end` and give them back through
    /// [`Session::handle_stored_messages`]. Input is paused until then.
    LoadForResend { begin: u64, end: u64 },
    /// Both sequence numbers went back to 1: reset the store, recording
    /// `creation_time` as the start of the new sequence (the same instant
    /// the session reports as [`AppContext::seq_epoch`]).
    ResetStore { creation_time: DateTime<Utc> },
    /// Persist the next expected inbound sequence number.
    PersistTargetSeq(u64),
    /// Close the connection (after writing what was queued before).
    Disconnect { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No connection.
    Disconnected,
    /// Connected, no Logon exchanged yet (or ours is unanswered).
    AwaitingLogon,
    /// Logged on.
    Active,
    /// We sent a Logout and wait for the peer's.
    LoggingOut,
}

/// One FIX session (one pair of CompIDs and its sequence numbers), across
/// connections. Its methods, by kind (as quinn-proto sorts a connection's):
///
/// - getters: [`Session::key`], [`Session::config`], [`Session::phase`],
///   [`Session::is_logged_on`], [`Session::next_sender_seq`],
///   [`Session::next_target_seq`], [`Session::heartbeat_interval`];
/// - `handle_*` (input, with the time and the application):
///   [`Session::handle_connected`], [`Session::handle_bytes`],
///   [`Session::handle_timeout`], [`Session::handle_disconnected`],
///   [`Session::handle_stored_messages`] (the answer to
///   [`Action::LoadForResend`]);
/// - commands (from the application side): [`Session::send`],
///   [`Session::logout`], [`Session::set_max_message_size`];
/// - `poll_*` (output for the driver): [`Session::poll_action`] until it
///   returns `None`, then [`Session::poll_timeout`].
pub struct Session {
    cfg: Arc<SessionConfig>,
    key: SessionKey,
    validator: Option<Arc<dyn MessageValidator>>,
    phase: Phase,
    next_sender: u64,
    next_target: u64,
    heartbeat: Duration,
    connected_at: DateTime<Utc>,
    last_sent: DateTime<Utc>,
    last_received: DateTime<Utc>,
    test_requests: u32,
    logout_deadline: Option<DateTime<Utc>>,
    logon_received: bool,
    logon_sent: bool,
    /// Our outstanding ResendRequest.
    resend_range: Option<ResendRange>,
    /// Messages that arrived too early, by MsgSeqNum.
    queue: BTreeMap<u64, Message>,
    framer: Framer,
    max_message_size: usize,
    /// A replay is in progress: input and application sends wait.
    replay: Option<Replay>,
    held_sends: VecDeque<MessageBuilder>,
    actions: VecDeque<Action>,
    outbox: Vec<MessageBuilder>,
    ts: Vec<u8>,
    rate_limiter: Option<RateLimiter<DateTime<Utc>>>,
    /// When the current sequence (since the last reset) began.
    creation_time: DateTime<Utc>,
    /// End of the current schedule window, cached at logon.
    session_end: Option<DateTime<Utc>>,
}

/// A ResendRequest we sent and whose answer has not all arrived.
#[derive(Debug, Clone, Copy)]
struct ResendRange {
    /// BeginSeqNo we asked for.
    begin: u64,
    /// The last MsgSeqNum this request covers (less than `gap_end` when
    /// the request was limited by `max_resend_request_range`).
    end: u64,
    /// The last MsgSeqNum of the whole gap (asked for in chunks).
    gap_end: u64,
}

#[derive(Debug, Clone, Copy)]
struct Replay {
    next: u64,
    end: u64,
    gap_from: Option<u64>,
}

impl Session {
    /// A session with the persisted sequence state `seq`.
    pub fn new(
        cfg: Arc<SessionConfig>,
        validator: Option<Arc<dyn MessageValidator>>,
        seq: SeqState,
    ) -> Self {
        let key = SessionKey::new(&cfg.begin_string, &cfg.sender_comp_id, &cfg.target_comp_id);
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        Self {
            heartbeat: cfg.heartbeat_interval,
            key,
            validator,
            phase: Phase::Disconnected,
            next_sender: seq.next_sender_seq,
            next_target: seq.next_target_seq,
            connected_at: epoch,
            last_sent: epoch,
            last_received: epoch,
            test_requests: 0,
            logout_deadline: None,
            logon_received: false,
            logon_sent: false,
            resend_range: None,
            queue: BTreeMap::new(),
            framer: Framer::new(64 * 1024),
            max_message_size: 64 * 1024,
            replay: None,
            held_sends: VecDeque::new(),
            actions: VecDeque::new(),
            outbox: Vec::new(),
            ts: Vec::with_capacity(32),
            rate_limiter: std::num::NonZeroU32::new(cfg.max_inbound_per_second)
                .and_then(|n| RateLimiter::new(n, Duration::from_secs(1)).ok()),
            creation_time: seq.creation_time,
            session_end: None,
            cfg,
        }
    }

    /// Sets the maximum message size the framer accepts (default 64 KiB).
    pub fn set_max_message_size(&mut self, max: usize) {
        self.max_message_size = max;
        self.framer = Framer::new(max);
    }

    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn is_logged_on(&self) -> bool {
        self.phase == Phase::Active
    }

    pub fn next_sender_seq(&self) -> u64 {
        self.next_sender
    }

    pub fn next_target_seq(&self) -> u64 {
        self.next_target
    }

    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}
