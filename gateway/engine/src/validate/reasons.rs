//! The reasons a FIX message is refused, as enums: SessionRejectReason
//! (373) for a session-level Reject (35=3), BusinessRejectReason (380) for
//! a BusinessMessageReject (35=j), and [`Rejection`], what the validator
//! reports (a reason and the RefTagID).
//!
//! Does not own: building the reject messages (the session does that) or
//! which reasons a BeginString may carry
//! ([`crate::session::SessionConfig`] knows FIX.4.2 stops at 11).

use crate::tags::Tag;

/// SessionRejectReason (373) values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejectReason {
    #[error("Invalid tag number")]
    InvalidTagNumber,
    #[error("Required tag missing")]
    RequiredTagMissing,
    #[error("Tag not defined for this message type")]
    TagNotDefinedForMessageType,
    #[error("Undefined Tag")]
    UndefinedTag,
    #[error("Tag specified without a value")]
    TagSpecifiedWithoutValue,
    #[error("Value is incorrect (out of range) for this tag")]
    ValueIsIncorrect,
    #[error("Incorrect data format for value")]
    IncorrectDataFormat,
    #[error("Decryption problem")]
    DecryptionProblem,
    #[error("Signature problem")]
    SignatureProblem,
    #[error("CompID problem")]
    CompIdProblem,
    #[error("SendingTime accuracy problem")]
    SendingTimeAccuracyProblem,
    #[error("Invalid MsgType")]
    InvalidMsgType,
    #[error("XML Validation error")]
    XmlValidationError,
    #[error("Tag appears more than once")]
    TagAppearsMoreThanOnce,
    #[error("Tag specified out of required order")]
    TagSpecifiedOutOfRequiredOrder,
    #[error("Repeating group fields out of order")]
    RepeatingGroupFieldsOutOfOrder,
    #[error("Incorrect NumInGroup count for repeating group")]
    IncorrectNumInGroupCount,
    #[error("Non Data value includes field delimiter (SOH character)")]
    NonDataValueIncludesFieldDelimiter,
    #[error("Other")]
    Other,
}

impl SessionRejectReason {
    /// Every value, in code order.
    pub const ALL: [SessionRejectReason; 19] = [
        Self::InvalidTagNumber,
        Self::RequiredTagMissing,
        Self::TagNotDefinedForMessageType,
        Self::UndefinedTag,
        Self::TagSpecifiedWithoutValue,
        Self::ValueIsIncorrect,
        Self::IncorrectDataFormat,
        Self::DecryptionProblem,
        Self::SignatureProblem,
        Self::CompIdProblem,
        Self::SendingTimeAccuracyProblem,
        Self::InvalidMsgType,
        Self::XmlValidationError,
        Self::TagAppearsMoreThanOnce,
        Self::TagSpecifiedOutOfRequiredOrder,
        Self::RepeatingGroupFieldsOutOfOrder,
        Self::IncorrectNumInGroupCount,
        Self::NonDataValueIncludesFieldDelimiter,
        Self::Other,
    ];

    /// The value of tag 373.
    pub fn code(self) -> u32 {
        match self {
            Self::InvalidTagNumber => 0,
            Self::RequiredTagMissing => 1,
            Self::TagNotDefinedForMessageType => 2,
            Self::UndefinedTag => 3,
            Self::TagSpecifiedWithoutValue => 4,
            Self::ValueIsIncorrect => 5,
            Self::IncorrectDataFormat => 6,
            Self::DecryptionProblem => 7,
            Self::SignatureProblem => 8,
            Self::CompIdProblem => 9,
            Self::SendingTimeAccuracyProblem => 10,
            Self::InvalidMsgType => 11,
            Self::XmlValidationError => 12,
            Self::TagAppearsMoreThanOnce => 13,
            Self::TagSpecifiedOutOfRequiredOrder => 14,
            Self::RepeatingGroupFieldsOutOfOrder => 15,
            Self::IncorrectNumInGroupCount => 16,
            Self::NonDataValueIncludesFieldDelimiter => 17,
            Self::Other => 99,
        }
    }

    /// The reason for a 373 value.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// QuickFIX's Text (58) for this reason.
    pub fn text(self) -> &'static str {
        match self {
            Self::InvalidTagNumber => "Invalid tag number",
            Self::RequiredTagMissing => "Required tag missing",
            Self::TagNotDefinedForMessageType => "Tag not defined for this message type",
            Self::UndefinedTag => "Undefined Tag",
            Self::TagSpecifiedWithoutValue => "Tag specified without a value",
            Self::ValueIsIncorrect => "Value is incorrect (out of range) for this tag",
            Self::IncorrectDataFormat => "Incorrect data format for value",
            Self::DecryptionProblem => "Decryption problem",
            Self::SignatureProblem => "Signature problem",
            Self::CompIdProblem => "CompID problem",
            Self::SendingTimeAccuracyProblem => "SendingTime accuracy problem",
            Self::InvalidMsgType => "Invalid MsgType",
            Self::XmlValidationError => "XML Validation error",
            Self::TagAppearsMoreThanOnce => "Tag appears more than once",
            Self::TagSpecifiedOutOfRequiredOrder => "Tag specified out of required order",
            Self::RepeatingGroupFieldsOutOfOrder => "Repeating group fields out of order",
            Self::IncorrectNumInGroupCount => "Incorrect NumInGroup count for repeating group",
            Self::NonDataValueIncludesFieldDelimiter => {
                "Non Data value includes field delimiter (SOH character)"
            }
            Self::Other => "Other",
        }
    }
}

/// Why a message fails validation: SessionRejectReason (373) and RefTagID
/// (371), the tag as the peer sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{reason} (373={}, 371={:?})", .reason.code(), .ref_tag.map(Tag::get))]
pub struct Rejection {
    pub reason: SessionRejectReason,
    pub ref_tag: Option<Tag>,
}

impl Rejection {
    /// `reason` about no particular tag.
    pub fn new(reason: SessionRejectReason) -> Self {
        Self {
            reason,
            ref_tag: None,
        }
    }

    /// `reason` about `tag`, as the peer sent it.
    pub fn at(reason: SessionRejectReason, tag: i32) -> Self {
        Self {
            reason,
            ref_tag: Some(Tag(tag)),
        }
    }
}

/// BusinessRejectReason (380) values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BusinessRejectReason {
    #[error("Other")]
    Other,
    #[error("Unknown ID")]
    UnknownId,
    #[error("Unknown Security")]
    UnknownSecurity,
    #[error("Unsupported Message Type")]
    UnsupportedMessageType,
    #[error("Application not available")]
    ApplicationNotAvailable,
    #[error("Conditionally Required Field Missing")]
    ConditionallyRequiredFieldMissing,
    #[error("Not authorized")]
    NotAuthorized,
    #[error("DeliverTo firm not available at this time")]
    DeliverToFirmNotAvailable,
    /// The session's inbound rate limit was exceeded. Not a value of the
    /// standard: FIX 5.0's 8 (Throttle limit exceeded) is unknown to FIX
    /// 4.x counterparties, so the engine sends 99 with a Text naming the
    /// limit.
    #[error("Rate limit exceeded")]
    RateLimited,
}

impl BusinessRejectReason {
    /// Every value, in code order.
    pub const ALL: [BusinessRejectReason; 9] = [
        Self::Other,
        Self::UnknownId,
        Self::UnknownSecurity,
        Self::UnsupportedMessageType,
        Self::ApplicationNotAvailable,
        Self::ConditionallyRequiredFieldMissing,
        Self::NotAuthorized,
        Self::DeliverToFirmNotAvailable,
        Self::RateLimited,
    ];

    /// The value of tag 380.
    pub fn code(self) -> u32 {
        match self {
            Self::Other => 0,
            Self::UnknownId => 1,
            Self::UnknownSecurity => 2,
            Self::UnsupportedMessageType => 3,
            Self::ApplicationNotAvailable => 4,
            Self::ConditionallyRequiredFieldMissing => 5,
            Self::NotAuthorized => 6,
            Self::DeliverToFirmNotAvailable => 7,
            Self::RateLimited => 99,
        }
    }

    /// The reason for a 380 value.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_reject_codes_round_trip() {
        for (i, r) in BusinessRejectReason::ALL.iter().enumerate() {
            let expected = if i == 8 { 99 } else { i as u32 };
            assert_eq!(r.code(), expected);
            assert_eq!(BusinessRejectReason::from_code(expected), Some(*r));
        }
        assert_eq!(BusinessRejectReason::from_code(8), None);
    }

    #[test]
    fn a_rejection_shows_its_codes() {
        let r = Rejection::at(SessionRejectReason::ValueIsIncorrect, -1);
        assert_eq!(
            r.to_string(),
            "Value is incorrect (out of range) for this tag (373=5, 371=Some(-1))"
        );
        assert_eq!(
            Rejection::new(SessionRejectReason::InvalidMsgType).ref_tag,
            None
        );
    }
}
