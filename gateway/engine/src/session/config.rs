//! Per-session configuration: identity, timers, sequence-number policy and
//! validation switches. Defaults follow the FIX session spec and what
//! counterparties expect of QuickFIX-compatible engines.

use crate::codec::time::TimePrecision;
use crate::schedule::Schedule;
use crate::validate::SessionRejectReason;
use std::time::Duration;

/// Which side opens the connection and sends the first Logon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Acceptor,
    Initiator,
}

/// What to do with a message whose MsgSeqNum is lower than expected and
/// that is not a possible duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TooLowAction {
    /// Logout with a Text that says why, then disconnect (the FIX spec).
    #[default]
    Logout,
    /// Session Reject, then Logout and disconnect (some venues expect it).
    RejectThenLogout,
}

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// "FIX.4.2", "FIX.4.4" or "FIXT.1.1".
    pub begin_string: String,
    pub sender_comp_id: String,
    pub target_comp_id: String,
    pub role: Role,
    /// HeartBtInt an initiator proposes (an acceptor uses the peer's).
    pub heartbeat_interval: Duration,
    /// For FIXT.1.1: our DefaultApplVerID (1137), e.g. "9" for FIX.5.0SP2.
    pub default_appl_ver_id: Option<String>,
    /// Reset both sequence numbers when a Logon is received (acceptor) or
    /// sent (initiator, which then sets ResetSeqNumFlag).
    pub reset_on_logon: bool,
    pub reset_on_logout: bool,
    pub reset_on_disconnect: bool,
    /// SendingTime must be within this of our clock; `None` disables.
    pub max_latency: Option<Duration>,
    /// How long a connection may stay without a valid Logon.
    pub logon_timeout: Duration,
    /// How long we wait for the peer's Logout after sending ours.
    pub logout_timeout: Duration,
    /// Largest range one ResendRequest we send may ask for; 0 = no limit
    /// (EndSeqNo 0, meaning infinity).
    pub max_resend_request_range: u64,
    /// Stored messages loaded per chunk when answering a ResendRequest.
    pub resend_chunk: u64,
    pub too_low_action: TooLowAction,
    pub time_precision: TimePrecision,
    /// Validate inbound messages against the data dictionary.
    pub validate: bool,
    /// Send NextExpectedMsgSeqNum (789) on Logon and honour the peer's.
    pub next_expected_msg_seq_num: bool,
    /// Inbound application messages allowed per second (0 = unlimited).
    /// Messages over the limit are answered with a BusinessMessageReject
    /// naming the limit, never dropped silently.
    pub max_inbound_per_second: u32,
    /// When the session may be logged on; `None` means always. Logons
    /// outside the window are refused, the session logs out at its end,
    /// and the first Logon of a new window resets sequence numbers.
    pub schedule: Option<Schedule>,
}

impl SessionConfig {
    pub fn new(begin_string: &str, sender: &str, target: &str, role: Role) -> Self {
        Self {
            begin_string: begin_string.to_owned(),
            sender_comp_id: sender.to_owned(),
            target_comp_id: target.to_owned(),
            role,
            heartbeat_interval: Duration::from_secs(30),
            default_appl_ver_id: (begin_string == "FIXT.1.1").then(|| "9".to_owned()),
            reset_on_logon: false,
            reset_on_logout: false,
            reset_on_disconnect: false,
            max_latency: Some(Duration::from_secs(120)),
            logon_timeout: Duration::from_secs(10),
            logout_timeout: Duration::from_secs(2),
            max_resend_request_range: 0,
            resend_chunk: 1000,
            too_low_action: TooLowAction::Logout,
            time_precision: TimePrecision::Millis,
            validate: true,
            next_expected_msg_seq_num: false,
            max_inbound_per_second: 0,
            schedule: None,
        }
    }

    pub fn is_fixt(&self) -> bool {
        self.begin_string == "FIXT.1.1"
    }

    /// FIX.4.2 knows SessionRejectReason values up to 11 only.
    pub(crate) fn reject_reason_allowed(&self, reason: SessionRejectReason) -> bool {
        self.begin_string != "FIX.4.2" || reason.code() <= 11
    }
}
