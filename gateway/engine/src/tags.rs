//! Tag numbers the engine reads or writes, by name, and [`Tag`], the type
//! of a tag that crosses a seam (a RefTagID in a Reject, the tag a
//! validation problem is about).
//!
//! The constants are `u32` because that is what the codec's accessors and
//! builder take ([`crate::codec::Message::get`],
//! [`crate::codec::MessageBuilder::field`]); the gateway's FIX mapping names
//! the application tags it uses in its own module.
//!
//! Does not own: which tags belong to the standard header (that is the
//! data dictionary's knowledge, see [`crate::validate::is_standard_header_tag`]).

use std::fmt;

/// A tag number as it appears on the wire. Signed because the codec parses
/// a negative tag (`-1=X`) so that the validator can name it in the
/// RefTagID (371) of its Reject, as QuickFIX does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub i32);

impl Tag {
    /// The tag of a named constant (every constant here fits an `i32`).
    pub const fn new(tag: u32) -> Self {
        Self(tag as i32)
    }

    /// The number as sent.
    pub const fn get(self) -> i32 {
        self.0
    }
}

impl From<u32> for Tag {
    fn from(tag: u32) -> Self {
        Self::new(tag)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

pub const BEGIN_STRING: u32 = 8;
pub const BODY_LENGTH: u32 = 9;
pub const CHECK_SUM: u32 = 10;
pub const BEGIN_SEQ_NO: u32 = 7;
pub const END_SEQ_NO: u32 = 16;
pub const MSG_SEQ_NUM: u32 = 34;
pub const MSG_TYPE: u32 = 35;
pub const NEW_SEQ_NO: u32 = 36;
pub const POSS_DUP_FLAG: u32 = 43;
pub const REF_SEQ_NUM: u32 = 45;
pub const SENDER_COMP_ID: u32 = 49;
pub const SENDING_TIME: u32 = 52;
pub const TARGET_COMP_ID: u32 = 56;
pub const TEXT: u32 = 58;
pub const ENCRYPT_METHOD: u32 = 98;
pub const HEART_BT_INT: u32 = 108;
pub const TEST_REQ_ID: u32 = 112;
pub const ON_BEHALF_OF_COMP_ID: u32 = 115;
pub const ON_BEHALF_OF_SUB_ID: u32 = 116;
pub const ORIG_SENDING_TIME: u32 = 122;
pub const GAP_FILL_FLAG: u32 = 123;
pub const DELIVER_TO_COMP_ID: u32 = 128;
pub const DELIVER_TO_SUB_ID: u32 = 129;
pub const RESET_SEQ_NUM_FLAG: u32 = 141;
pub const ON_BEHALF_OF_LOCATION_ID: u32 = 144;
pub const DELIVER_TO_LOCATION_ID: u32 = 145;
pub const REF_TAG_ID: u32 = 371;
pub const REF_MSG_TYPE: u32 = 372;
pub const SESSION_REJECT_REASON: u32 = 373;
pub const BUSINESS_REJECT_REASON: u32 = 380;
pub const NEXT_EXPECTED_MSG_SEQ_NUM: u32 = 789;
pub const APPL_VER_ID: u32 = 1128;
pub const DEFAULT_APPL_VER_ID: u32 = 1137;
