//! Recovery: answering the peer's ResendRequest from the store (in
//! chunks, gap-filling what is not stored, holding live sends until the
//! replay is done), asking for our own gaps, and SequenceReset.

use super::header::copy_unstamped_fields;
use super::*;
use crate::codec::time::format_utc;
use crate::codec::{Message, MessageBuilder};
use crate::store::StoredMessage;
use crate::tags::*;
use bytes::Bytes;
use chrono::{DateTime, Utc};

impl Session {
    /// Stored messages for the range asked by [`Action::LoadForResend`].
    pub fn handle_stored_messages(
        &mut self,
        now: DateTime<Utc>,
        messages: Vec<StoredMessage>,
        app: &mut dyn Application,
    ) {
        let Some(mut r) = self.replay.take() else {
            return;
        };
        let chunk_end = (r.next + self.cfg.resend_chunk.max(1) - 1).min(r.end);
        for StoredMessage { seq, raw } in messages {
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

    pub(super) fn on_resend_request(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        app: &mut dyn Application,
    ) {
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

    pub(super) fn start_replay(&mut self, begin: u64, end: u64) {
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

    pub(super) fn send_resend_request(&mut self, now: DateTime<Utc>, begin: u64, gap_end: u64) {
        let max = self.cfg.max_resend_request_range;
        let (end_field, end) = if max > 0 && gap_end - begin + 1 > max {
            (begin + max - 1, begin + max - 1)
        } else if max > 0 {
            (gap_end, gap_end)
        } else {
            (0, gap_end)
        };
        let mut rr = MessageBuilder::new(MsgType::ResendRequest.as_str());
        rr.field_u64(BEGIN_SEQ_NO, begin)
            .field_u64(END_SEQ_NO, end_field);
        self.send_admin(now, &rr);
        self.resend_range = Some(ResendRange {
            begin,
            end,
            gap_end,
        });
    }

    pub(super) fn on_sequence_reset(
        &mut self,
        now: DateTime<Utc>,
        msg: Message,
        app: &mut dyn Application,
    ) {
        let gap_fill = msg.get_bool(GAP_FILL_FLAG) == Some(true);
        if !self.verify(now, &msg, gap_fill, gap_fill, app) {
            return;
        }
        let Some(new_seq) = msg.get_u64(NEW_SEQ_NO) else {
            self.reject(
                now,
                &msg,
                SessionRejectReason::RequiredTagMissing,
                Some(Tag::new(NEW_SEQ_NO)),
                None,
                app,
            );
            return;
        };
        if new_seq > self.next_target {
            self.next_target = new_seq;
            self.actions.push_back(Action::PersistTargetSeq(new_seq));
            // The gap we asked for may be covered without a message at its
            // end reaching `verify` (a queued Logon is consumed unverified):
            // settle it here, or a new gap would never be asked for.
            if let Some(ResendRange { end, gap_end, .. }) = self.resend_range {
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
            self.reject(
                now,
                &msg,
                SessionRejectReason::ValueIsIncorrect,
                None,
                None,
                app,
            );
        }
    }

    pub(super) fn send_gap_fill(&mut self, now: DateTime<Utc>, seq: u64, new_seq: u64) {
        format_utc(now, self.cfg.time_precision, &mut self.ts);
        let mut m = MessageBuilder::new(MsgType::SequenceReset.as_str());
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
    pub(super) fn resend_app(&mut self, now: DateTime<Utc>, seq: u64, orig: &Message) {
        let mut m = MessageBuilder::new(orig.msg_type_str());
        m.header_field(POSS_DUP_FLAG, "Y");
        if let Some(t) = orig.get(SENDING_TIME) {
            m.header_field(ORIG_SENDING_TIME, t);
        }
        copy_unstamped_fields(orig, &mut m);
        self.last_sent = now;
        self.push_send(now, seq, &m, false, true);
    }
}
