//! Timers: when the session next needs [`Session::handle_timeout`], and
//! what it does then (heartbeats, TestRequests, the logon and logout
//! timeouts, the end of the schedule window).

use super::*;
use crate::codec::MessageBuilder;
use crate::tags::*;
use chrono::{DateTime, Utc};

impl Session {
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
                    let mut m = MessageBuilder::new(MsgType::TestRequest.as_str());
                    m.field(TEST_REQ_ID, "TEST");
                    self.send_admin(now, &m);
                    self.test_requests += 1;
                } else if self.test_requests == 0 && now >= self.last_sent + hb {
                    self.send_admin(now, &MessageBuilder::new(MsgType::Heartbeat.as_str()));
                }
            }
        }
    }
}
