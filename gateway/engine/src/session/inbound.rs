//! Inbound processing: frames from the byte stream, the rate limit, the
//! header checks every message goes through (SendingTime, CompIDs,
//! MsgSeqNum too high or too low), the queue of messages that arrived too
//! early, and the dispatch by MsgType to the logon, recovery and
//! application handlers.

use super::*;
use crate::codec::time::parse_utc;
use crate::codec::{FrameError, Message, MessageBuilder};
use crate::tags::*;
use chrono::{DateTime, Utc};

impl Session {
    /// Bytes from the connection.
    pub fn handle_bytes(&mut self, now: DateTime<Utc>, bytes: &[u8], app: &mut dyn Application) {
        self.framer.extend(bytes);
        self.process_input(now, app);
    }

    pub(super) fn process_input(&mut self, now: DateTime<Utc>, app: &mut dyn Application) {
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

    pub(super) fn rate_limited(
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
            self.business_reject(now, msg, BusinessRejectReason::RateLimited, None, &text);
            self.incr_target();
        }
        self.notify(app, SessionEvent::Ignored { reason: text });
        true
    }

    pub(super) fn on_garbled(&mut self, app: &mut dyn Application, why: &str) {
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

    pub(super) fn on_message(
        &mut self,
        now: DateTime<Utc>,
        msg: Message,
        queued: bool,
        app: &mut dyn Application,
    ) {
        let msg_type = MsgType::of(&msg);
        if !self.logon_received && msg_type != MsgType::Logon {
            self.disconnect(app, "first message is not a Logon");
            return;
        }
        if msg.begin_string() != self.cfg.begin_string.as_bytes() {
            if msg_type == MsgType::Logout {
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
                if let Err(Rejection { reason, ref_tag }) = v.validate(&msg) {
                    if !self.logon_received {
                        self.disconnect(app, &format!("invalid Logon: {}", reason.text()));
                        return;
                    }
                    self.reject(now, &msg, reason, ref_tag, None, app);
                    if msg_type == MsgType::Logon {
                        self.disconnect(app, "invalid Logon");
                    }
                    return;
                }
            }
        }
        match msg_type {
            MsgType::Logon => self.on_logon(now, msg, app),
            MsgType::Logout => self.on_logout(now, &msg, app),
            MsgType::ResendRequest => self.on_resend_request(now, &msg, app),
            MsgType::SequenceReset => self.on_sequence_reset(now, msg, app),
            MsgType::Heartbeat | MsgType::TestRequest | MsgType::Reject => {
                if !self.verify(now, &msg, true, true, app) {
                    return;
                }
                match msg_type {
                    MsgType::TestRequest => {
                        let mut hb = MessageBuilder::new(MsgType::Heartbeat.as_str());
                        if let Some(id) = msg.get(TEST_REQ_ID) {
                            hb.field(TEST_REQ_ID, id);
                        }
                        self.send_admin(now, &hb);
                    }
                    MsgType::Reject => {
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
            MsgType::ExecutionReport
            | MsgType::OrderCancelReject
            | MsgType::NewOrderSingle
            | MsgType::OrderCancelRequest
            | MsgType::OrderCancelReplaceRequest
            | MsgType::OrderStatusRequest
            | MsgType::MarketDataRequest
            | MsgType::MarketDataSnapshotFullRefresh
            | MsgType::MarketDataIncrementalRefresh
            | MsgType::MarketDataRequestReject
            | MsgType::BusinessMessageReject
            | MsgType::Other(_) => {
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
                    Err(AppReject::UnsupportedMessageType) => self.business_reject(
                        now,
                        &msg,
                        BusinessRejectReason::UnsupportedMessageType,
                        None,
                        "Unsupported Message Type",
                    ),
                    Err(AppReject::Business {
                        reason,
                        ref_tag,
                        text,
                    }) => self.business_reject(now, &msg, reason, ref_tag, &text),
                    Err(AppReject::Session {
                        reason,
                        ref_tag,
                        text,
                    }) => {
                        // The Reject consumes the MsgSeqNum itself.
                        self.reject(now, &msg, reason, ref_tag, Some(&text), app);
                        return;
                    }
                }
                self.incr_target();
            }
        }
    }

    pub(super) fn incr_target(&mut self) {
        self.next_target += 1;
        self.actions
            .push_back(Action::PersistTargetSeq(self.next_target));
    }

    /// Header checks shared by every message type (QuickFIX's `verify`).
    pub(super) fn verify(
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
            self.reject_and_logout(
                now,
                msg,
                SessionRejectReason::SendingTimeAccuracyProblem,
                app,
            );
            return false;
        }
        // CompIDs (theirs is our target and vice versa).
        if msg.get(SENDER_COMP_ID) != Some(self.cfg.target_comp_id.as_bytes())
            || msg.get(TARGET_COMP_ID) != Some(self.cfg.sender_comp_id.as_bytes())
        {
            self.reject_and_logout(now, msg, SessionRejectReason::CompIdProblem, app);
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
        let checks_seq = check_too_high || check_too_low;
        if let Some(r) = self.resend_range.filter(|r| checks_seq && seq >= r.end) {
            self.resend_range = None;
            if r.end < r.gap_end {
                // Chunked ResendRequest: ask for the next chunk.
                self.send_resend_request(now, r.end + 1, r.gap_end);
            }
        }
        self.last_received = now;
        self.test_requests = 0;
        true
    }

    pub(super) fn reject_and_logout(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        reason: SessionRejectReason,
        app: &mut dyn Application,
    ) {
        if !self.logon_received {
            self.disconnect(app, &format!("Logon refused: {}", reason.text()));
            return;
        }
        self.reject(now, msg, reason, None, None, app);
        self.send_logout(now, None);
    }

    pub(super) fn target_too_high(&mut self, now: DateTime<Utc>, msg: Message) {
        let seq = msg.seq_num().unwrap_or(0);
        self.queue.insert(seq, msg);
        if let Some(ResendRange { begin, .. }) = self.resend_range {
            if seq >= begin {
                return; // already asked for this gap
            }
        }
        self.send_resend_request(now, self.next_target, seq - 1);
    }

    pub(super) fn target_too_low(
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
                self.reject(
                    now,
                    msg,
                    SessionRejectReason::Other,
                    Some(Tag::new(MSG_SEQ_NUM)),
                    Some(&text),
                    app,
                );
            }
            self.send_logout(now, Some(&text));
            self.disconnect(app, &text);
            return;
        }
        if MsgType::of(msg) != MsgType::SequenceReset {
            match msg.get(ORIG_SENDING_TIME) {
                None => {
                    self.reject(
                        now,
                        msg,
                        SessionRejectReason::RequiredTagMissing,
                        Some(Tag::new(ORIG_SENDING_TIME)),
                        None,
                        app,
                    );
                    return;
                }
                Some(orig) => {
                    let orig = parse_utc(orig);
                    let sending = msg.get(SENDING_TIME).and_then(parse_utc);
                    if let (Some(o), Some(s)) = (orig, sending) {
                        if o > s {
                            self.reject(
                                now,
                                msg,
                                SessionRejectReason::SendingTimeAccuracyProblem,
                                None,
                                None,
                                app,
                            );
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

    pub(super) fn next_queued(&mut self, now: DateTime<Utc>, app: &mut dyn Application) {
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
            match MsgType::of(&msg) {
                MsgType::Logon | MsgType::ResendRequest => self.incr_target(),
                _ => self.on_message(now, msg, true, app),
            }
            self.flush_outbox(now);
        }
    }
}
