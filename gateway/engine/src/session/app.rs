//! The application interface the acceptance server, the gateway and the sim
//! venue implement. The session calls it synchronously while it handles
//! input; an implementation must not block (hand work to another task over
//! a channel instead), so no callback can deadlock one session against
//! another.

use crate::codec::{Message, MessageBuilder};
use crate::store::SessionKey;
use crate::tags::Tag;
use crate::validate::{BusinessRejectReason, SessionRejectReason};
use chrono::{DateTime, Utc};

/// Why an application refuses an inbound message. The session answers
/// with the reject and consumes the message's MsgSeqNum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppReject {
    /// BusinessMessageReject (35=j) with BusinessRejectReason (380) and,
    /// if given, RefTagID (371).
    Business {
        reason: BusinessRejectReason,
        ref_tag: Option<Tag>,
        text: String,
    },
    /// The application does not handle this message type (380=3).
    UnsupportedMessageType,
    /// Session-level Reject (35=3) with SessionRejectReason (373) and, if
    /// given, RefTagID (371).
    Session {
        reason: SessionRejectReason,
        ref_tag: Option<Tag>,
        text: String,
    },
}

/// Lifecycle notifications, given to [`Application::on_event`] (the one
/// way the application learns of them; the driver sees them there too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    Connected,
    LoggedOn {
        reset: bool,
    },
    LoggedOut {
        reason: String,
    },
    Disconnected {
        reason: String,
    },
    /// A message was ignored (garbled, duplicate, ...), with why.
    Ignored {
        reason: String,
    },
    /// We sent a session Reject.
    RejectSent {
        ref_seq: Option<u64>,
        text: String,
    },
    /// The peer rejected one of our messages.
    RejectReceived {
        ref_seq: Option<u64>,
        text: String,
    },
    SequenceReset {
        next_target: u64,
    },
    ResendRequested {
        begin: u64,
        end: u64,
    },
}

/// What an application can do while handling a callback: send messages on
/// this session (they are sent after the current input, in order).
pub struct AppContext<'a> {
    pub(crate) outbox: &'a mut Vec<MessageBuilder>,
    pub(crate) key: &'a SessionKey,
    pub(crate) seq_epoch: DateTime<Utc>,
}

impl AppContext<'_> {
    pub fn send(&mut self, msg: MessageBuilder) {
        self.outbox.push(msg);
    }

    pub fn session(&self) -> &SessionKey {
        self.key
    }

    /// When the current sequence of this session began (the store's
    /// creation time, reset with the sequence numbers). A MsgSeqNum names
    /// one message only together with this: an application that records
    /// the MsgSeqNums it has processed durably records both, and after a
    /// restart can tell the store how far it really got (see
    /// [`crate::store::MessageStore::set_next_target_seq`]).
    pub fn seq_epoch(&self) -> DateTime<Utc> {
        self.seq_epoch
    }
}

pub trait Application: Send {
    /// A Logon arrived (before we answer it). Return `Err(text)` to refuse
    /// it: the session sends a Logout with that text and disconnects. A
    /// ResetSeqNumFlag is acted on only after this returns `Ok`.
    fn on_logon(&mut self, _session: &SessionKey, _logon: &Message) -> Result<(), String> {
        Ok(())
    }

    /// An application message arrived, in sequence, validated.
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject>;

    /// A session event: every [`SessionEvent`] the session raises reaches
    /// the application here, in order, and only here.
    fn on_event(&mut self, _ctx: &mut AppContext<'_>, _event: &SessionEvent) {}
}
