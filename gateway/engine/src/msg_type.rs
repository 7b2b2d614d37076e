//! [`MsgType`]: the value of tag 35 as the engine dispatches on it.
//!
//! An enum of the session-level types and the application types this
//! project exchanges, plus `Other` borrowing the bytes of anything else.
//! Why an enum with a borrowed `Other` rather than an owned string or a
//! newtype: reading it from a parsed message is one match on a byte slice
//! of one or two bytes (no allocation, no hashing), `match` on it is
//! exhaustive where the session dispatches, and a type this list does not
//! name still round-trips unchanged.
//!
//! Does not own: which types a dictionary defines (the validator) or what
//! an application does with them.

use crate::codec::Message;
use std::fmt;

/// The MsgType (35) of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsgType<'a> {
    Heartbeat,
    TestRequest,
    ResendRequest,
    Reject,
    SequenceReset,
    Logout,
    Logon,
    ExecutionReport,
    OrderCancelReject,
    NewOrderSingle,
    OrderCancelRequest,
    OrderCancelReplaceRequest,
    OrderStatusRequest,
    MarketDataRequest,
    MarketDataSnapshotFullRefresh,
    MarketDataIncrementalRefresh,
    MarketDataRequestReject,
    BusinessMessageReject,
    /// Any other value, as received.
    Other(&'a [u8]),
}

impl<'a> MsgType<'a> {
    /// The type of a parsed message.
    #[inline]
    pub fn of(msg: &'a Message) -> Self {
        Self::from_bytes(msg.msg_type())
    }

    /// The type for a value of tag 35.
    #[inline]
    pub fn from_bytes(v: &'a [u8]) -> Self {
        match v {
            b"0" => Self::Heartbeat,
            b"1" => Self::TestRequest,
            b"2" => Self::ResendRequest,
            b"3" => Self::Reject,
            b"4" => Self::SequenceReset,
            b"5" => Self::Logout,
            b"A" => Self::Logon,
            b"8" => Self::ExecutionReport,
            b"9" => Self::OrderCancelReject,
            b"D" => Self::NewOrderSingle,
            b"F" => Self::OrderCancelRequest,
            b"G" => Self::OrderCancelReplaceRequest,
            b"H" => Self::OrderStatusRequest,
            b"V" => Self::MarketDataRequest,
            b"W" => Self::MarketDataSnapshotFullRefresh,
            b"X" => Self::MarketDataIncrementalRefresh,
            b"Y" => Self::MarketDataRequestReject,
            b"j" => Self::BusinessMessageReject,
            other => Self::Other(other),
        }
    }

    /// The value of tag 35.
    #[inline]
    pub fn as_bytes(self) -> &'a [u8] {
        match self {
            Self::Other(v) => v,
            named => named.named_str().as_bytes(),
        }
    }

    /// The value of tag 35 as text (`"?"` for an `Other` that is not
    /// UTF-8, which the codec does not produce for a parsed message).
    pub fn as_str(self) -> &'a str {
        match self {
            Self::Other(v) => std::str::from_utf8(v).unwrap_or("?"),
            named => named.named_str(),
        }
    }

    /// Heartbeat, TestRequest, ResendRequest, Reject, SequenceReset,
    /// Logout and Logon: the session-level (administrative) types.
    #[inline]
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Self::Heartbeat
                | Self::TestRequest
                | Self::ResendRequest
                | Self::Reject
                | Self::SequenceReset
                | Self::Logout
                | Self::Logon
        )
    }

    fn named_str(self) -> &'static str {
        match self {
            Self::Heartbeat => "0",
            Self::TestRequest => "1",
            Self::ResendRequest => "2",
            Self::Reject => "3",
            Self::SequenceReset => "4",
            Self::Logout => "5",
            Self::Logon => "A",
            Self::ExecutionReport => "8",
            Self::OrderCancelReject => "9",
            Self::NewOrderSingle => "D",
            Self::OrderCancelRequest => "F",
            Self::OrderCancelReplaceRequest => "G",
            Self::OrderStatusRequest => "H",
            Self::MarketDataRequest => "V",
            Self::MarketDataSnapshotFullRefresh => "W",
            Self::MarketDataIncrementalRefresh => "X",
            Self::MarketDataRequestReject => "Y",
            Self::BusinessMessageReject => "j",
            Self::Other(_) => "",
        }
    }
}

impl fmt::Display for MsgType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_type_round_trips_and_others_are_kept() {
        let named = [
            "0", "1", "2", "3", "4", "5", "A", "8", "9", "D", "F", "G", "H", "V", "W", "X", "Y",
            "j",
        ];
        for v in named {
            let t = MsgType::from_bytes(v.as_bytes());
            assert!(!matches!(t, MsgType::Other(_)), "{v}");
            assert_eq!(t.as_bytes(), v.as_bytes());
            assert_eq!(t.as_str(), v);
            assert_eq!(t.is_admin(), "012345A".contains(v), "{v}");
        }
        let t = MsgType::from_bytes(b"AE");
        assert_eq!(t, MsgType::Other(b"AE"));
        assert_eq!(t.as_bytes(), b"AE");
        assert!(!t.is_admin());
        assert_eq!(MsgType::from_bytes(b"").as_bytes(), b"");
    }
}
