//! The FIX session layer as a sans-IO state machine.
//!
//! A [`Session`] is fed time and input and returns what its driver must do;
//! it never touches a socket, a clock or a store. Methods, by kind:
//! - input: [`Session::handle_connected`], [`Session::handle_bytes`],
//!   [`Session::handle_timeout`], [`Session::handle_disconnected`],
//!   [`Session::handle_stored_messages`] (the answer to
//!   [`Action::LoadForResend`]);
//! - commands from the application: [`Session::send`], [`Session::logout`];
//! - output: [`Session::poll_action`] and [`Session::poll_timeout`];
//! - getters: sequence numbers, state.
//!
//! Behaviour follows the FIX session-level test cases (and QuickFIX where
//! the spec leaves room, since counterparties expect it): messages too high
//! are queued and the gap requested; too low without PossDupFlag ends the
//! session; ResendRequest and Logout are honoured whatever their sequence
//! number; a replay is never interleaved with live traffic (input and
//! application sends wait while the driver loads stored messages).

mod app;
mod config;
mod validation;

pub use app::{AppContext, AppReject, Application, SessionEvent};
pub use config::{Role, SessionConfig, TooLowAction};
pub use validation::{lenient_enum_validator, standard_validator};

use crate::codec::time::{format_utc, parse_utc};
use crate::codec::{FrameError, Framer, Message, MessageBuilder};
use crate::ratelimit::RateLimiter;
use crate::store::{SeqState, SessionKey};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Tags the session layer reads or writes.
pub mod tags {
    pub const BEGIN_SEQ_NO: u32 = 7;
    pub const END_SEQ_NO: u32 = 16;
    pub const MSG_SEQ_NUM: u32 = 34;
    pub const NEW_SEQ_NO: u32 = 36;
    pub const POSS_DUP_FLAG: u32 = 43;
    pub const REF_SEQ_NUM: u32 = 45;
    pub const SENDER_COMP_ID: u32 = 49;
    pub const SENDING_TIME: u32 = 52;
    pub const TARGET_COMP_ID: u32 = 56;
    pub const TEXT: u32 = 58;
    pub const ENCRYPT_METHOD: u32 = 98;
    pub const HEART_BT_INT: u32 = 108;
    pub const TEST_REQ_ID: u32 = 112;
    pub const ON_BEHALF_OF_COMP_ID: u32 = 115;
    pub const ON_BEHALF_OF_SUB_ID: u32 = 116;
    pub const ORIG_SENDING_TIME: u32 = 122;
    pub const GAP_FILL_FLAG: u32 = 123;
    pub const DELIVER_TO_COMP_ID: u32 = 128;
    pub const DELIVER_TO_SUB_ID: u32 = 129;
    pub const RESET_SEQ_NUM_FLAG: u32 = 141;
    pub const ON_BEHALF_OF_LOCATION_ID: u32 = 144;
    pub const DELIVER_TO_LOCATION_ID: u32 = 145;
    pub const REF_TAG_ID: u32 = 371;
    pub const REF_MSG_TYPE: u32 = 372;
    pub const SESSION_REJECT_REASON: u32 = 373;
    pub const BUSINESS_REJECT_REASON: u32 = 380;
    pub const NEXT_EXPECTED_MSG_SEQ_NUM: u32 = 789;
    pub const DEFAULT_APPL_VER_ID: u32 = 1137;
}
use tags::*;

/// Dictionary validation as the session needs it: `Err((reason, ref_tag))`
/// with a SessionRejectReason code and the RefTagID to report.
pub trait MessageValidator: Send + Sync {
    fn validate(&self, msg: &Message) -> Result<(), (u32, Option<i32>)>;
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
    LoadForResend {
        begin: u64,
        end: u64,
    },
    /// Both sequence numbers went back to 1: reset the store, recording
    /// `creation_time` as the start of the new sequence (the same instant
    /// the session reports as [`AppContext::seq_epoch`]).
    ResetStore {
        creation_time: DateTime<Utc>,
    },
    /// Persist the next expected inbound sequence number.
    PersistTargetSeq(u64),
    /// Close the connection (after writing what was queued before).
    Disconnect {
        reason: String,
    },
    Event(SessionEvent),
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

/// The session.
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
    /// Our outstanding ResendRequest: (begin, end requested, end of the gap).
    resend_range: Option<(u64, u64, u64)>,
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

    // ---- getters ----

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

    // ---- output ----

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Session::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        match self.phase {
            Phase::Disconnected => None,
            Phase::AwaitingLogon => Some(self.connected_at + self.cfg.logon_timeout),
            Phase::LoggingOut => self.logout_deadline,
            Phase::Active => {
                if self.heartbeat.is_zero() {
                    return self.session_end;
                }
                let hb = self.heartbeat;
                let timeout = self.last_received + hb.mul_f64(2.4);
                let test = self.last_received + hb.mul_f64(1.5 * f64::from(self.test_requests + 1));
                let beat = self.last_sent + hb;
                let mut t = timeout.min(test);
                if self.test_requests == 0 {
                    t = t.min(beat);
                }
                Some(self.session_end.map_or(t, |e| e.min(t)))
            }
        }
    }

    // ---- input ----

    /// A connection is up. An initiator sends its Logon.
    pub fn handle_connected(&mut self, now: DateTime<Utc>, app: &mut dyn Application) {
        self.phase = Phase::AwaitingLogon;
        self.connected_at = now;
        self.last_received = now;
        self.last_sent = now;
        self.test_requests = 0;
        self.logon_received = false;
        self.logon_sent = false;
        self.logout_deadline = None;
        self.resend_range = None;
        self.queue.clear();
        self.framer = Framer::new(self.max_message_size);
        self.replay = None;
        self.notify(app, SessionEvent::Connected);
        if self.cfg.role == Role::Initiator {
            let new_window = self
                .cfg
                .schedule
                .as_ref()
                .is_some_and(|s| s.is_new_session(self.creation_time, now));
            let reset = self.cfg.reset_on_logon || new_window;
            if new_window {
                self.reset_seqs_at(now);
            } else if reset {
                self.reset_seqs();
            }
            self.send_logon(now, reset, self.next_target);
        }
    }

    /// The connection is gone.
    pub fn handle_disconnected(
        &mut self,
        _now: DateTime<Utc>,
        reason: &str,
        app: &mut dyn Application,
    ) {
        if self.phase == Phase::Disconnected {
            return;
        }
        self.phase = Phase::Disconnected;
        self.replay = None;
        self.queue.clear();
        if self.cfg.reset_on_disconnect {
            self.reset_seqs();
        }
        self.notify(
            app,
            SessionEvent::Disconnected {
                reason: reason.to_owned(),
            },
        );
    }

    /// Bytes from the connection.
    pub fn handle_bytes(&mut self, now: DateTime<Utc>, bytes: &[u8], app: &mut dyn Application) {
        self.framer.extend(bytes);
        self.process_input(now, app);
    }

    /// Timers: heartbeats, test requests, logon and logout timeouts.
    pub fn handle_timeout(&mut self, now: DateTime<Utc>, app: &mut dyn Application) {
        match self.phase {
            Phase::Disconnected => {}
            Phase::AwaitingLogon => {
                if now >= self.connected_at + self.cfg.logon_timeout {
                    self.disconnect(app, "no Logon received within the logon timeout");
                }
            }
            Phase::LoggingOut => {
                if self.logout_deadline.is_some_and(|d| now >= d) {
                    self.disconnect(app, "peer did not answer our Logout in time");
                }
            }
            Phase::Active => {
                if self.session_end.is_some_and(|e| now >= e) {
                    self.session_end = None;
                    self.send_logout(now, Some("end of the session schedule"));
                    return;
                }
                if self.heartbeat.is_zero() {
                    return;
                }
                let hb = self.heartbeat;
                if now >= self.last_received + hb.mul_f64(2.4) {
                    self.disconnect(app, "timed out waiting for a heartbeat");
                } else if now
                    >= self.last_received + hb.mul_f64(1.5 * f64::from(self.test_requests + 1))
                {
                    let mut m = MessageBuilder::new("1");
                    m.field(TEST_REQ_ID, "TEST");
                    self.send_admin(now, &m);
                    self.test_requests += 1;
                } else if self.test_requests == 0 && now >= self.last_sent + hb {
                    self.send_admin(now, &MessageBuilder::new("0"));
                }
            }
        }
    }

    /// Stored messages for the range asked by [`Action::LoadForResend`].
    pub fn handle_stored_messages(
        &mut self,
        now: DateTime<Utc>,
        messages: Vec<(u64, Vec<u8>)>,
        app: &mut dyn Application,
    ) {
        let Some(mut r) = self.replay.take() else {
            return;
        };
        let chunk_end = (r.next + self.cfg.resend_chunk.max(1) - 1).min(r.end);
        for (seq, raw) in messages {
            if seq < r.next || seq > chunk_end {
                continue;
            }
            if let Ok(orig) = Message::parse_trusted(Bytes::from(raw)) {
                let from = r.gap_from.take().unwrap_or(r.next);
                if from < seq {
                    self.send_gap_fill(now, from, seq);
                }
                self.resend_app(now, seq, &orig);
                r.next = seq + 1;
            }
        }
        if r.gap_from.is_none() && r.next <= chunk_end {
            r.gap_from = Some(r.next);
        }
        r.next = chunk_end + 1;
        if r.next <= r.end {
            self.actions.push_back(Action::LoadForResend {
                begin: r.next,
                end: (r.next + self.cfg.resend_chunk.max(1) - 1).min(r.end),
            });
            self.replay = Some(r);
            return;
        }
        if let Some(from) = r.gap_from {
            self.send_gap_fill(now, from, r.end + 1);
        }
        // Replay done: release held application sends, then resume input.
        while let Some(m) = self.held_sends.pop_front() {
            self.send_app_now(now, &m);
        }
        self.process_input(now, app);
    }

    // ---- commands ----

    /// Sends an application message. While logged off (or replaying) it is
    /// still given its sequence number and persisted, so that the peer gets
    /// it through a ResendRequest after it logs on again.
    pub fn send(&mut self, now: DateTime<Utc>, msg: MessageBuilder) {
        if self.replay.is_some() {
            self.held_sends.push_back(msg);
        } else {
            self.send_app_now(now, &msg);
        }
    }

    /// Starts a Logout with `text`.
    pub fn logout(&mut self, now: DateTime<Utc>, text: Option<&str>) {
        if matches!(self.phase, Phase::Active | Phase::AwaitingLogon) {
            self.send_logout(now, text);
        }
    }

    // ---- inbound processing ----

    fn process_input(&mut self, now: DateTime<Utc>, app: &mut dyn Application) {
        while self.replay.is_none() && !matches!(self.phase, Phase::Disconnected) {
            let frame = match self.framer.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e @ (FrameError::TooLarge { .. } | FrameError::Unterminated { .. })) => {
                    let text = e.to_string();
                    if self.phase == Phase::Active {
                        self.send_logout(now, Some(&text));
                    }
                    self.disconnect(app, &text);
                    break;
                }
            };
            match Message::parse(frame.freeze()) {
                Ok(msg) => {
                    if self.rate_limited(now, &msg, app) {
                        continue;
                    }
                    self.on_message(now, msg, false, app);
                    self.next_queued(now, app);
                }
                Err(e) => self.on_garbled(app, &e.to_string()),
            }
            self.flush_outbox(now);
        }
        self.flush_outbox(now);
    }

    fn rate_limited(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        app: &mut dyn Application,
    ) -> bool {
        if self.phase != Phase::Active || msg.is_admin() {
            return false;
        }
        let Some(limiter) = self.rate_limiter.as_mut() else {
            return false;
        };
        let Err(limited) = limiter.check(now) else {
            return false;
        };
        let text = limited.to_string();
        // The message is consumed (not queued, not lost silently): the peer
        // gets a BusinessMessageReject naming the limit.
        if msg.seq_num() == Some(self.next_target) {
            self.business_reject(now, msg, 99, None, &text);
            self.incr_target();
        }
        self.notify(app, SessionEvent::Ignored { reason: text });
        true
    }

    fn on_garbled(&mut self, app: &mut dyn Application, why: &str) {
        if !self.logon_received {
            // A garbled first message: nothing on this connection can be
            // trusted, and there is no session to reject it in.
            self.disconnect(app, &format!("garbled message before Logon: {why}"));
        } else {
            self.notify(
                app,
                SessionEvent::Ignored {
                    reason: format!("garbled message: {why}"),
                },
            );
        }
    }

    fn on_message(
        &mut self,
        now: DateTime<Utc>,
        msg: Message,
        queued: bool,
        app: &mut dyn Application,
    ) {
        let msg_type = msg.msg_type();
        if !self.logon_received && msg_type != b"A" {
            self.disconnect(app, "first message is not a Logon");
            return;
        }
        if msg.begin_string() != self.cfg.begin_string.as_bytes() {
            if msg_type == b"5" {
                self.on_logout(now, &msg, app);
            } else {
                self.send_logout(now, Some("Incorrect BeginString"));
                if msg.seq_num() == Some(self.next_target) {
                    self.incr_target();
                }
            }
            return;
        }
        if self.cfg.validate {
            if let Some(v) = &self.validator {
                if let Err((reason, ref_tag)) = v.validate(&msg) {
                    if !self.logon_received {
                        self.disconnect(app, &format!("invalid Logon: {}", reject_text(reason)));
                        return;
                    }
                    self.reject(now, &msg, reason, ref_tag, None);
                    if msg_type == b"A" {
                        self.disconnect(app, "invalid Logon");
                    }
                    return;
                }
            }
        }
        match msg_type {
            b"A" => self.on_logon(now, msg, app),
            b"5" => self.on_logout(now, &msg, app),
            b"2" => self.on_resend_request(now, &msg, app),
            b"4" => self.on_sequence_reset(now, msg, app),
            b"0" | b"1" | b"3" => {
                if !self.verify(now, &msg, true, true, app) {
                    return;
                }
                match msg_type {
                    b"1" => {
                        let mut hb = MessageBuilder::new("0");
                        if let Some(id) = msg.get(TEST_REQ_ID) {
                            hb.field(TEST_REQ_ID, id);
                        }
                        self.send_admin(now, &hb);
                    }
                    b"3" => {
                        let ev = SessionEvent::RejectReceived {
                            ref_seq: msg.get_u64(REF_SEQ_NUM),
                            text: msg.get_str(TEXT).unwrap_or("").to_owned(),
                        };
                        self.notify(app, ev);
                    }
                    _ => {}
                }
                self.incr_target();
            }
            _ => {
                if !self.verify(now, &msg, true, true, app) {
                    return;
                }
                let _ = queued;
                let result = {
                    let mut ctx = AppContext {
                        outbox: &mut self.outbox,
                        key: &self.key,
                        seq_epoch: self.creation_time,
                    };
                    app.on_message(&mut ctx, &msg)
                };
                match result {
                    Ok(()) => {}
                    Err(AppReject::UnsupportedMessageType) => {
                        self.business_reject(now, &msg, 3, None, "Unsupported Message Type")
                    }
                    Err(AppReject::Business {
                        reason,
                        ref_tag,
                        text,
                    }) => self.business_reject(now, &msg, reason, ref_tag, &text),
                    Err(AppReject::Session {
                        reason,
                        ref_tag,
                        text,
                    }) => self.reject(now, &msg, reason, ref_tag, Some(&text)),
                }
                self.incr_target();
            }
        }
    }

    fn incr_target(&mut self) {
        self.next_target += 1;
        self.actions
            .push_back(Action::PersistTargetSeq(self.next_target));
    }

    /// Header checks shared by every message type (QuickFIX's `verify`).
    fn verify(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        check_too_high: bool,
        check_too_low: bool,
        app: &mut dyn Application,
    ) -> bool {
        // SendingTime accuracy.
        let sending_time = msg.get(SENDING_TIME).and_then(parse_utc);
        let good_time = match (self.cfg.max_latency, sending_time) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(max), Some(t)) => {
                let d = (now - t).abs();
                d.to_std().map(|d| d <= max).unwrap_or(false)
            }
        };
        if !good_time {
            self.reject_and_logout(now, msg, 10, app);
            return false;
        }
        // CompIDs (theirs is our target and vice versa).
        if msg.get(SENDER_COMP_ID) != Some(self.cfg.target_comp_id.as_bytes())
            || msg.get(TARGET_COMP_ID) != Some(self.cfg.sender_comp_id.as_bytes())
        {
            self.reject_and_logout(now, msg, 9, app);
            return false;
        }
        let seq = msg.seq_num().unwrap_or(0);
        if check_too_high && seq > self.next_target {
            self.target_too_high(now, msg.clone());
            return false;
        }
        if check_too_low && seq < self.next_target {
            self.target_too_low(now, msg, seq, app);
            return false;
        }
        if (check_too_high || check_too_low) && self.resend_range.is_some_and(|r| seq >= r.1) {
            let (_, end, gap_end) = self.resend_range.take().unwrap_or_default();
            if end < gap_end {
                // Chunked ResendRequest: ask for the next chunk.
                self.send_resend_request(now, end + 1, gap_end);
            }
        }
        self.last_received = now;
        self.test_requests = 0;
        true
    }

    fn reject_and_logout(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        reason: u32,
        app: &mut dyn Application,
    ) {
        if !self.logon_received {
            let why = if reason == 10 {
                "SendingTime accuracy problem"
            } else {
                "CompID problem"
            };
            self.disconnect(app, &format!("Logon refused: {why}"));
            return;
        }
        self.reject(now, msg, reason, None, None);
        self.send_logout(now, None);
    }

    fn target_too_high(&mut self, now: DateTime<Utc>, msg: Message) {
        let seq = msg.seq_num().unwrap_or(0);
        self.queue.insert(seq, msg);
        if let Some((begin, _, _)) = self.resend_range {
            if seq >= begin {
                return; // already asked for this gap
            }
        }
        self.send_resend_request(now, self.next_target, seq - 1);
    }

    fn send_resend_request(&mut self, now: DateTime<Utc>, begin: u64, gap_end: u64) {
        let max = self.cfg.max_resend_request_range;
        let (end_field, end) = if max > 0 && gap_end - begin + 1 > max {
            (begin + max - 1, begin + max - 1)
        } else if max > 0 {
            (gap_end, gap_end)
        } else {
            (0, gap_end)
        };
        let mut rr = MessageBuilder::new("2");
        rr.field_u64(BEGIN_SEQ_NO, begin)
            .field_u64(END_SEQ_NO, end_field);
        self.send_admin(now, &rr);
        self.resend_range = Some((begin, end, gap_end));
    }

    fn target_too_low(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        seq: u64,
        app: &mut dyn Application,
    ) {
        if msg.get_bool(POSS_DUP_FLAG) != Some(true) {
            let text = format!(
                "MsgSeqNum too low, expecting {} but received {}",
                self.next_target, seq
            );
            if self.cfg.too_low_action == TooLowAction::RejectThenLogout {
                self.reject(now, msg, 99, Some(MSG_SEQ_NUM as i32), Some(&text));
            }
            self.send_logout(now, Some(&text));
            self.disconnect(app, &text);
            return;
        }
        if msg.msg_type() != b"4" {
            match msg.get(ORIG_SENDING_TIME) {
                None => {
                    self.reject(now, msg, 1, Some(ORIG_SENDING_TIME as i32), None);
                    return;
                }
                Some(orig) => {
                    let orig = parse_utc(orig);
                    let sending = msg.get(SENDING_TIME).and_then(parse_utc);
                    if let (Some(o), Some(s)) = (orig, sending) {
                        if o > s {
                            self.reject(now, msg, 10, None, None);
                            self.send_logout(now, None);
                            return;
                        }
                    }
                }
            }
        }
        self.notify(
            app,
            SessionEvent::Ignored {
                reason: format!("duplicate MsgSeqNum {seq} (PossDupFlag=Y)"),
            },
        );
    }

    fn next_queued(&mut self, now: DateTime<Utc>, app: &mut dyn Application) {
        while self.replay.is_none() && self.phase != Phase::Disconnected {
            // Drop what a gap fill or reset made obsolete.
            while let Some((&s, _)) = self.queue.first_key_value() {
                if s < self.next_target {
                    self.queue.pop_first();
                } else {
                    break;
                }
            }
            let Some(msg) = self.queue.remove(&self.next_target) else {
                break;
            };
            match msg.msg_type() {
                b"A" | b"2" => self.incr_target(),
                _ => self.on_message(now, msg, true, app),
            }
            self.flush_outbox(now);
        }
    }

    fn on_logon(&mut self, now: DateTime<Utc>, msg: Message, app: &mut dyn Application) {
        let reset_flag = msg.get_bool(RESET_SEQ_NUM_FLAG) == Some(true);
        let seq = msg.seq_num().unwrap_or(0);
        if self.logon_received && !reset_flag {
            // A second Logon on a live session: a protocol error.
            self.reject(
                now,
                &msg,
                99,
                None,
                Some("Logon received while already logged on"),
            );
            return;
        }
        if reset_flag && seq != 1 {
            let text = format!("ResetSeqNumFlag=Y requires MsgSeqNum=1, received {seq}");
            if self.logon_received {
                self.send_logout(now, Some(&text));
            }
            self.disconnect(app, &text);
            return;
        }
        let hb = match msg.get_u64(HEART_BT_INT) {
            Some(h) => h,
            None => {
                self.disconnect(app, "Logon without a valid HeartBtInt");
                return;
            }
        };
        if self.cfg.is_fixt() && !msg.has(DEFAULT_APPL_VER_ID) {
            self.disconnect(app, "FIXT Logon without DefaultApplVerID (1137)");
            return;
        }
        if let Some(sched) = &self.cfg.schedule {
            if !sched.is_in_session(now) {
                let text = "Logon outside the session schedule";
                if self.logon_received {
                    self.send_logout(now, Some(text));
                }
                self.disconnect(app, text);
                return;
            }
        }
        // SendingTime and CompIDs are checked before any effect of the
        // Logon (a refused Logon must not reset the sequence numbers).
        if !self.verify(now, &msg, false, false, app) {
            return;
        }
        // Authentication comes before any effect of the Logon.
        if let Err(text) = app.on_logon(&self.key, &msg) {
            self.send_logout(now, Some(&text));
            self.disconnect(app, &format!("Logon refused: {text}"));
            return;
        }
        let first_logon = !self.logon_received;
        let mut reset = false;
        let cfg = self.cfg.clone();
        if let Some(sched) = &cfg.schedule {
            if first_logon && sched.is_new_session(self.creation_time, now) {
                // A new schedule window: a new FIX session, from 1.
                self.reset_seqs_at(now);
                self.next_target = 1;
                reset = true;
            }
            self.session_end = sched.next_end(now);
        }
        if reset_flag || (first_logon && self.cfg.role == Role::Acceptor && self.cfg.reset_on_logon)
        {
            if !(self.cfg.role == Role::Initiator && self.logon_sent && first_logon) {
                self.reset_seqs();
            }
            reset = true;
            // The peer's Logon is MsgSeqNum 1 of the new sequence.
            self.next_target = 1;
        }
        if !self.verify(now, &msg, false, true, app) {
            return;
        }
        if self.cfg.role == Role::Acceptor || self.logon_received {
            self.heartbeat = Duration::from_secs(hb);
        }
        self.logon_received = true;
        // What we had sent before answering: our Logon answer satisfies a
        // NextExpectedMsgSeqNum equal to its own MsgSeqNum.
        let last_sent = self.next_sender - 1;
        if self.cfg.role == Role::Acceptor || !self.logon_sent || reset_flag && !first_logon {
            // Our 789 counts the peer's Logon as received unless it is too high.
            let expected = self.next_target + u64::from(seq <= self.next_target || reset_flag);
            self.send_logon(now, reset_flag, expected);
        }
        self.phase = Phase::Active;
        if seq > self.next_target && !reset_flag {
            self.target_too_high(now, msg.clone());
        } else {
            self.incr_target();
        }
        if self.cfg.next_expected_msg_seq_num {
            if let Some(expected) = msg.get_u64(NEXT_EXPECTED_MSG_SEQ_NUM) {
                if expected <= last_sent && expected > 0 {
                    self.start_replay(expected, last_sent);
                }
            }
        }
        self.notify(app, SessionEvent::LoggedOn { reset });
    }

    fn on_logout(&mut self, now: DateTime<Utc>, msg: &Message, app: &mut dyn Application) {
        if msg.begin_string() == self.cfg.begin_string.as_bytes()
            && !self.verify(now, msg, false, false, app)
        {
            return;
        }
        let reason = msg.get_str(TEXT).unwrap_or("").to_owned();
        if self.phase != Phase::LoggingOut {
            self.send_logout(now, None);
        }
        if msg.seq_num() == Some(self.next_target) {
            self.incr_target();
        }
        self.notify(
            app,
            SessionEvent::LoggedOut {
                reason: reason.clone(),
            },
        );
        if self.cfg.reset_on_logout {
            self.reset_seqs();
        }
        self.disconnect(app, if reason.is_empty() { "Logout" } else { &reason });
    }

    fn on_resend_request(&mut self, now: DateTime<Utc>, msg: &Message, app: &mut dyn Application) {
        if !self.verify(now, msg, false, false, app) {
            return;
        }
        let begin = msg.get_u64(BEGIN_SEQ_NO).unwrap_or(1).max(1);
        let mut end = msg.get_u64(END_SEQ_NO).unwrap_or(0);
        let last_sent = self.next_sender - 1;
        if end == 0 || end == 999_999 || end > last_sent {
            end = last_sent;
        }
        let seq = msg.seq_num().unwrap_or(0);
        if seq == self.next_target {
            self.incr_target();
        } else if seq > self.next_target {
            // Honoured now, but its MsgSeqNum is still owed: queue it so the
            // gap fill is followed by it in order (as a queued Logon is).
            self.target_too_high(now, msg.clone());
        }
        self.notify(app, SessionEvent::ResendRequested { begin, end });
        if begin <= end {
            self.start_replay(begin, end);
        }
    }

    fn start_replay(&mut self, begin: u64, end: u64) {
        let chunk_end = (begin + self.cfg.resend_chunk.max(1) - 1).min(end);
        self.replay = Some(Replay {
            next: begin,
            end,
            gap_from: None,
        });
        self.actions.push_back(Action::LoadForResend {
            begin,
            end: chunk_end,
        });
    }

    fn on_sequence_reset(&mut self, now: DateTime<Utc>, msg: Message, app: &mut dyn Application) {
        let gap_fill = msg.get_bool(GAP_FILL_FLAG) == Some(true);
        if !self.verify(now, &msg, gap_fill, gap_fill, app) {
            return;
        }
        let Some(new_seq) = msg.get_u64(NEW_SEQ_NO) else {
            self.reject(now, &msg, 1, Some(NEW_SEQ_NO as i32), None);
            return;
        };
        if new_seq > self.next_target {
            self.next_target = new_seq;
            self.actions.push_back(Action::PersistTargetSeq(new_seq));
            // The gap we asked for may be covered without a message at its
            // end reaching `verify` (a queued Logon is consumed unverified):
            // settle it here, or a new gap would never be asked for.
            if let Some((_, end, gap_end)) = self.resend_range {
                if new_seq > end {
                    self.resend_range = None;
                    if end < gap_end && new_seq <= gap_end {
                        self.send_resend_request(now, new_seq, gap_end);
                    }
                }
            }
            self.notify(
                app,
                SessionEvent::SequenceReset {
                    next_target: new_seq,
                },
            );
        } else if new_seq < self.next_target {
            self.reject(now, &msg, 5, None, None);
        }
    }

    // ---- outbound ----

    fn notify(&mut self, app: &mut dyn Application, event: SessionEvent) {
        {
            let mut ctx = AppContext {
                outbox: &mut self.outbox,
                key: &self.key,
                seq_epoch: self.creation_time,
            };
            app.on_event(&mut ctx, &event);
        }
        self.actions.push_back(Action::Event(event));
    }

    fn flush_outbox(&mut self, now: DateTime<Utc>) {
        if self.outbox.is_empty() {
            return;
        }
        let out = std::mem::take(&mut self.outbox);
        for m in out {
            self.send(now, m);
        }
    }

    fn reset_seqs(&mut self) {
        self.reset_seqs_at(self.last_received.max(self.connected_at));
    }

    /// Both sequences back to 1, the new one starting at `at`.
    fn reset_seqs_at(&mut self, at: DateTime<Utc>) {
        self.creation_time = at;
        self.next_sender = 1;
        self.next_target = 1;
        self.resend_range = None;
        self.queue.clear();
        self.actions.push_back(Action::ResetStore {
            creation_time: self.creation_time,
        });
    }

    fn disconnect(&mut self, app: &mut dyn Application, reason: &str) {
        if self.phase == Phase::Disconnected {
            return;
        }
        self.actions.push_back(Action::Disconnect {
            reason: reason.to_owned(),
        });
        self.handle_disconnected(self.last_received, reason, app);
    }

    fn send_logon(&mut self, now: DateTime<Utc>, reset: bool, next_expected: u64) {
        let mut m = MessageBuilder::new("A");
        m.field(ENCRYPT_METHOD, "0")
            .field_u64(HEART_BT_INT, self.heartbeat.as_secs());
        if reset {
            m.field(RESET_SEQ_NUM_FLAG, "Y");
        }
        if self.cfg.next_expected_msg_seq_num {
            m.field_u64(NEXT_EXPECTED_MSG_SEQ_NUM, next_expected);
        }
        if let Some(v) = &self.cfg.default_appl_ver_id {
            m.field(DEFAULT_APPL_VER_ID, v.as_str());
        }
        self.logon_sent = true;
        self.send_admin(now, &m);
    }

    fn send_logout(&mut self, now: DateTime<Utc>, text: Option<&str>) {
        let mut m = MessageBuilder::new("5");
        if let Some(t) = text {
            m.field(TEXT, t);
        }
        self.send_admin(now, &m);
        self.phase = Phase::LoggingOut;
        self.logout_deadline = Some(now + self.cfg.logout_timeout);
    }

    /// Session Reject (35=3) of `msg`.
    fn reject(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        reason: u32,
        ref_tag: Option<i32>,
        text: Option<&str>,
    ) {
        let mut m = MessageBuilder::new("3");
        reverse_route(msg, &mut m);
        let seq = msg.get(MSG_SEQ_NUM).filter(|v| !v.is_empty());
        if let Some(s) = seq {
            m.field(REF_SEQ_NUM, s);
        }
        m.field(REF_MSG_TYPE, msg.msg_type());
        if self.cfg.reject_reason_allowed(reason) {
            m.field_u64(SESSION_REJECT_REASON, u64::from(reason));
        }
        let text = text
            .map(str::to_owned)
            .unwrap_or_else(|| reject_text(reason).to_owned());
        m.field(TEXT, text.as_str());
        if let Some(t) = ref_tag {
            m.field_display(REF_TAG_ID, t);
        }
        let mt = msg.msg_type();
        if mt != b"A" && mt != b"4" && msg.seq_num() == Some(self.next_target) {
            self.incr_target();
        }
        self.send_admin(now, &m);
        let ev = SessionEvent::RejectSent {
            ref_seq: msg.seq_num(),
            text,
        };
        self.actions.push_back(Action::Event(ev));
    }

    fn business_reject(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        reason: u32,
        ref_tag: Option<u32>,
        text: &str,
    ) {
        let mut m = MessageBuilder::new("j");
        reverse_route(msg, &mut m);
        if let Some(s) = msg.get(MSG_SEQ_NUM) {
            m.field(REF_SEQ_NUM, s);
        }
        m.field(REF_MSG_TYPE, msg.msg_type());
        m.field_u64(BUSINESS_REJECT_REASON, u64::from(reason));
        m.field(TEXT, text);
        if let Some(t) = ref_tag {
            m.field_u64(REF_TAG_ID, u64::from(t));
        }
        if let Some(v) = &self.cfg.default_appl_ver_id {
            m.field(DEFAULT_APPL_VER_ID, v.as_str());
        }
        // Business rejects are application messages: stored and resendable.
        self.send_app_now(now, &m);
    }

    fn send_gap_fill(&mut self, now: DateTime<Utc>, seq: u64, new_seq: u64) {
        format_utc(now, self.cfg.time_precision, &mut self.ts);
        let mut m = MessageBuilder::new("4");
        m.header_field(POSS_DUP_FLAG, "Y")
            .header_field(ORIG_SENDING_TIME, self.ts.clone());
        m.field_u64(NEW_SEQ_NO, new_seq).field(GAP_FILL_FLAG, "Y");
        let bytes = self.encode(seq, &m, now);
        self.last_sent = now;
        self.actions.push_back(Action::Send {
            seq,
            bytes,
            persist: false,
            resend: true,
            delivery: None,
        });
    }

    /// Re-sends a stored application message with PossDupFlag=Y and
    /// OrigSendingTime, under its original MsgSeqNum.
    fn resend_app(&mut self, now: DateTime<Utc>, seq: u64, orig: &Message) {
        let mut m = MessageBuilder::new(orig.msg_type_str());
        m.header_field(POSS_DUP_FLAG, "Y");
        if let Some(t) = orig.get(SENDING_TIME) {
            m.header_field(ORIG_SENDING_TIME, t);
        }
        copy_unstamped_fields(orig, &mut m);
        self.last_sent = now;
        self.push_send(now, seq, &m, false, true);
    }

    fn send_admin(&mut self, now: DateTime<Utc>, m: &MessageBuilder) {
        let seq = self.next_sender;
        self.next_sender += 1;
        self.last_sent = now;
        self.push_send(now, seq, m, false, false);
    }

    fn send_app_now(&mut self, now: DateTime<Utc>, m: &MessageBuilder) {
        let seq = self.next_sender;
        self.next_sender += 1;
        if self.phase == Phase::Active {
            self.last_sent = now;
        }
        self.push_send(now, seq, m, true, false);
    }

    fn push_send(
        &mut self,
        now: DateTime<Utc>,
        seq: u64,
        m: &MessageBuilder,
        persist: bool,
        resend: bool,
    ) {
        let bytes = self.encode(seq, m, now);
        self.actions.push_back(Action::Send {
            seq,
            bytes,
            persist,
            resend,
            delivery: m.delivery().filter(|_| !resend),
        });
    }

    fn encode(&mut self, seq: u64, m: &MessageBuilder, now: DateTime<Utc>) -> Bytes {
        format_utc(now, self.cfg.time_precision, &mut self.ts);
        let mut out = Vec::with_capacity(96 + m.header_bytes().len() + m.body_bytes().len());
        crate::codec::encode_message(
            &mut out,
            &self.cfg.begin_string,
            m.msg_type(),
            &self.cfg.sender_comp_id,
            &self.cfg.target_comp_id,
            seq,
            &self.ts,
            m.header_bytes(),
            m.body_bytes(),
        );
        Bytes::from(out)
    }
}

/// Copies every field of `msg` into `m` except the ones the session stamps
/// on each send (8, 9, 35, 34, 49, 56, 52, 10) and PossDupFlag and
/// OrigSendingTime; header tags go to the header. Used to resend a stored
/// message and by applications that echo or forward a message.
pub fn copy_unstamped_fields(msg: &Message, m: &mut MessageBuilder) {
    for f in msg.fields() {
        if matches!(f.tag, 8 | 9 | 35 | 34 | 49 | 56 | 52 | 43 | 122 | 10) {
            continue;
        }
        if is_header_tag(f.tag) {
            m.header_field(f.tag as u32, msg.value(f));
        } else {
            m.field(f.tag as u32, msg.value(f));
        }
    }
}

/// Copies OnBehalfOf* to DeliverTo* and back, so a reject finds its way to
/// the party that sent the rejected message through a hub.
fn reverse_route(msg: &Message, m: &mut MessageBuilder) {
    for (from, to) in [
        (ON_BEHALF_OF_COMP_ID, DELIVER_TO_COMP_ID),
        (ON_BEHALF_OF_SUB_ID, DELIVER_TO_SUB_ID),
        (ON_BEHALF_OF_LOCATION_ID, DELIVER_TO_LOCATION_ID),
        (DELIVER_TO_COMP_ID, ON_BEHALF_OF_COMP_ID),
        (DELIVER_TO_SUB_ID, ON_BEHALF_OF_SUB_ID),
        (DELIVER_TO_LOCATION_ID, ON_BEHALF_OF_LOCATION_ID),
    ] {
        if let Some(v) = msg.get(from).filter(|v| !v.is_empty()) {
            m.header_field(to, v);
        }
    }
}

/// Standard header tags of FIX 4.2 to FIXT.1.1.
pub fn is_header_tag(tag: i32) -> bool {
    matches!(
        tag,
        8 | 9
            | 35
            | 49
            | 56
            | 115
            | 128
            | 90
            | 91
            | 34
            | 50
            | 142
            | 57
            | 143
            | 116
            | 144
            | 129
            | 145
            | 43
            | 97
            | 52
            | 122
            | 212
            | 213
            | 347
            | 369
            | 627
            | 628
            | 629
            | 630
            | 1128
            | 1129
            | 1156
    )
}

/// QuickFIX's text for a SessionRejectReason value.
pub fn reject_text(reason: u32) -> &'static str {
    crate::validate::SessionRejectReason::from_code(reason).map_or("Other", |r| r.text())
}
