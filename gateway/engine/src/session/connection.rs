//! The connection's life as the session sees it: a connection comes up
//! (an initiator sends its Logon), goes away, or is closed by the session;
//! and the sequence resets that go with a new sequence.

use super::*;
use crate::codec::Framer;
use chrono::{DateTime, Utc};

impl Session {
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

    pub(super) fn disconnect(&mut self, app: &mut dyn Application, reason: &str) {
        if self.phase == Phase::Disconnected {
            return;
        }
        self.actions.push_back(Action::Disconnect {
            reason: reason.to_owned(),
        });
        self.handle_disconnected(self.last_received, reason, app);
    }

    pub(super) fn reset_seqs(&mut self) {
        self.reset_seqs_at(self.last_received.max(self.connected_at));
    }

    /// Both sequences back to 1, the new one starting at `at`.
    pub(super) fn reset_seqs_at(&mut self, at: DateTime<Utc>) {
        self.creation_time = at;
        self.next_sender = 1;
        self.next_target = 1;
        self.resend_range = None;
        self.queue.clear();
        self.actions.push_back(Action::ResetStore {
            creation_time: self.creation_time,
        });
    }
}
