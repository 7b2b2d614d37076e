//! Refusing a message the peer sent: a session-level Reject (35=3) or a
//! BusinessMessageReject (35=j), routed back through a hub.

use super::header::reverse_route;
use super::*;
use crate::codec::{Message, MessageBuilder};
use crate::tags::*;
use chrono::{DateTime, Utc};

impl Session {
    /// Session Reject (35=3) of `msg` with `reason` (and its standard Text
    /// unless `text` is given); the application hears of it as
    /// [`SessionEvent::RejectSent`].
    pub(super) fn reject(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        reason: SessionRejectReason,
        ref_tag: Option<Tag>,
        text: Option<&str>,
        app: &mut dyn Application,
    ) {
        let mut m = MessageBuilder::new(MsgType::Reject.as_str());
        reverse_route(msg, &mut m);
        let seq = msg.get(MSG_SEQ_NUM).filter(|v| !v.is_empty());
        if let Some(s) = seq {
            m.field(REF_SEQ_NUM, s);
        }
        m.field(REF_MSG_TYPE, msg.msg_type());
        if self.cfg.reject_reason_allowed(reason) {
            m.field_u64(SESSION_REJECT_REASON, u64::from(reason.code()));
        }
        let text = text.unwrap_or_else(|| reason.text()).to_owned();
        m.field(TEXT, text.as_str());
        if let Some(t) = ref_tag {
            m.field_display(REF_TAG_ID, t);
        }
        let consumes_seq = !matches!(MsgType::of(msg), MsgType::Logon | MsgType::SequenceReset);
        if consumes_seq && msg.seq_num() == Some(self.next_target) {
            self.incr_target();
        }
        self.send_admin(now, &m);
        let ev = SessionEvent::RejectSent {
            ref_seq: msg.seq_num(),
            text,
        };
        self.notify(app, ev);
    }

    pub(super) fn business_reject(
        &mut self,
        now: DateTime<Utc>,
        msg: &Message,
        reason: BusinessRejectReason,
        ref_tag: Option<Tag>,
        text: &str,
    ) {
        let mut m = MessageBuilder::new(MsgType::BusinessMessageReject.as_str());
        reverse_route(msg, &mut m);
        if let Some(s) = msg.get(MSG_SEQ_NUM) {
            m.field(REF_SEQ_NUM, s);
        }
        m.field(REF_MSG_TYPE, msg.msg_type());
        m.field_u64(BUSINESS_REJECT_REASON, u64::from(reason.code()));
        m.field(TEXT, text);
        if let Some(t) = ref_tag {
            m.field_display(REF_TAG_ID, t);
        }
        if let Some(v) = &self.cfg.default_appl_ver_id {
            m.field(DEFAULT_APPL_VER_ID, v.as_str());
        }
        // Business rejects are application messages: stored and resendable.
        self.send_app_now(now, &m);
    }
}
