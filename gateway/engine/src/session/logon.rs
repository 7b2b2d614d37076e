//! Logon and Logout: taking the peer's Logon (authentication, schedule,
//! sequence resets, NextExpectedMsgSeqNum), answering it, and both
//! directions of Logout.

use super::*;
use crate::codec::{Message, MessageBuilder};
use crate::tags::*;
use chrono::{DateTime, Utc};
use std::time::Duration;

impl Session {
    pub(super) fn on_logon(&mut self, now: DateTime<Utc>, msg: Message, app: &mut dyn Application) {
        let reset_flag = msg.get_bool(RESET_SEQ_NUM_FLAG) == Some(true);
        let seq = msg.seq_num().unwrap_or(0);
        if self.logon_received && !reset_flag {
            // A second Logon on a live session: a protocol error.
            self.reject(
                now,
                &msg,
                SessionRejectReason::Other,
                None,
                Some("Logon received while already logged on"),
                app,
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

    pub(super) fn on_logout(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        app: &mut dyn Application,
    ) {
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

    pub(super) fn send_logon(&mut self, now: DateTime<Utc>, reset: bool, next_expected: u64) {
        let mut m = MessageBuilder::new(MsgType::Logon.as_str());
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

    pub(super) fn send_logout(&mut self, now: DateTime<Utc>, text: Option<&str>) {
        let mut m = MessageBuilder::new(MsgType::Logout.as_str());
        if let Some(t) = text {
            m.field(TEXT, t);
        }
        self.send_admin(now, &m);
        self.phase = Phase::LoggingOut;
        self.logout_deadline = Some(now + self.cfg.logout_timeout);
    }

    /// Starts a Logout with `text`.
    pub fn logout(&mut self, now: DateTime<Utc>, text: Option<&str>) {
        if matches!(self.phase, Phase::Active | Phase::AwaitingLogon) {
            self.send_logout(now, text);
        }
    }
}
