//! Header handling shared by the session and applications: copying a
//! message's fields into a builder without the ones the session stamps on
//! each send, and routing a reply back through a hub (OnBehalfOf* and
//! DeliverTo* swapped).

use crate::codec::{Message, MessageBuilder};
use crate::tags::*;
use crate::validate::is_standard_header_tag;

/// Copies every field of `msg` into `m` except the ones the session writes
/// itself on every send (BeginString, BodyLength, MsgType, MsgSeqNum, the
/// CompIDs, SendingTime, CheckSum) and the two a fresh send must not carry
/// (PossDupFlag, OrigSendingTime); header tags (as the dictionaries define
/// the standard header, see [`is_standard_header_tag`]) go to the header.
/// Used to resend a stored message and by applications that echo or
/// forward a message.
pub fn copy_unstamped_fields(msg: &Message, m: &mut MessageBuilder) {
    for f in msg.fields() {
        let stamped = f.tag > 0
            && matches!(
                f.tag as u32,
                BEGIN_STRING
                    | BODY_LENGTH
                    | MSG_TYPE
                    | MSG_SEQ_NUM
                    | SENDER_COMP_ID
                    | TARGET_COMP_ID
                    | SENDING_TIME
                    | POSS_DUP_FLAG
                    | ORIG_SENDING_TIME
                    | CHECK_SUM
            );
        if stamped {
            continue;
        }
        if is_standard_header_tag(f.tag) {
            m.header_field(f.tag as u32, msg.value(f));
        } else {
            m.field(f.tag as u32, msg.value(f));
        }
    }
}

/// Copies OnBehalfOf* to DeliverTo* and back, so a reject finds its way to
/// the party that sent the rejected message through a hub.
pub(super) fn reverse_route(msg: &Message, m: &mut MessageBuilder) {
    for (from, to) in [
        (ON_BEHALF_OF_COMP_ID, DELIVER_TO_COMP_ID),
        (ON_BEHALF_OF_SUB_ID, DELIVER_TO_SUB_ID),
        (ON_BEHALF_OF_LOCATION_ID, DELIVER_TO_LOCATION_ID),
        (DELIVER_TO_COMP_ID, ON_BEHALF_OF_COMP_ID),
        (DELIVER_TO_SUB_ID, ON_BEHALF_OF_SUB_ID),
        (DELIVER_TO_LOCATION_ID, ON_BEHALF_OF_LOCATION_ID),
    ] {
        if let Some(v) = msg.get(from).filter(|v| !v.is_empty()) {
            m.header_field(to, v);
        }
    }
}
