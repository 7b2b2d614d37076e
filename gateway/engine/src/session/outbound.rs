//! Outbound: application sends (held during a replay), the session events
//! handed to the application, and stamping and encoding every message we
//! send into an [`Action::Send`].

use super::*;
use crate::codec::time::format_utc;
use crate::codec::MessageBuilder;
use bytes::Bytes;
use chrono::{DateTime, Utc};

impl Session {
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

    /// Tells the application of `event`: the one way session events leave
    /// the session (what it sends in answer goes out after the current
    /// input, like any application send).
    pub(super) fn notify(&mut self, app: &mut dyn Application, event: SessionEvent) {
        let mut ctx = AppContext {
            outbox: &mut self.outbox,
            key: &self.key,
            seq_epoch: self.creation_time,
        };
        app.on_event(&mut ctx, &event);
    }

    pub(super) fn flush_outbox(&mut self, now: DateTime<Utc>) {
        if self.outbox.is_empty() {
            return;
        }
        let out = std::mem::take(&mut self.outbox);
        for m in out {
            self.send(now, m);
        }
    }

    pub(super) fn send_admin(&mut self, now: DateTime<Utc>, m: &MessageBuilder) {
        let seq = self.next_sender;
        self.next_sender += 1;
        self.last_sent = now;
        self.push_send(now, seq, m, false, false);
    }

    pub(super) fn send_app_now(&mut self, now: DateTime<Utc>, m: &MessageBuilder) {
        let seq = self.next_sender;
        self.next_sender += 1;
        if self.phase == Phase::Active {
            self.last_sent = now;
        }
        self.push_send(now, seq, m, true, false);
    }

    pub(super) fn push_send(
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

    pub(super) fn encode(&mut self, seq: u64, m: &MessageBuilder, now: DateTime<Utc>) -> Bytes {
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
