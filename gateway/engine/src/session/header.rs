//! Header handling shared by the session and applications: copying a
//! message's fields into a builder without the ones the session stamps on
//! each send, and routing a reply back through a hub (OnBehalfOf* and
//! DeliverTo* swapped).

use super::tags::*;
use crate::codec::{Message, MessageBuilder};

/// Copies every field of `msg` into `m` except the ones the session stamps
/// on each send (8, 9, 35, 34, 49, 56, 52, 10) and PossDupFlag and
/// OrigSendingTime; header tags go to the header. Used to resend a stored
/// message and by applications that echo or forward a message.
pub fn copy_unstamped_fields(msg: &Message, m: &mut MessageBuilder) {
    for f in msg.fields() {
        if matches!(f.tag, 8 | 9 | 35 | 34 | 49 | 56 | 52 | 43 | 122 | 10) {
            continue;
        }
        if is_header_tag(f.tag) {
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

/// Standard header tags of FIX 4.2 to FIXT.1.1.
pub fn is_header_tag(tag: i32) -> bool {
    matches!(
        tag,
        8 | 9
            | 35
            | 49
            | 56
            | 115
            | 128
            | 90
            | 91
            | 34
            | 50
            | 142
            | 57
            | 143
            | 116
            | 144
            | 129
            | 145
            | 43
            | 97
            | 52
            | 122
            | 212
            | 213
            | 347
            | 369
            | 627
            | 628
            | 629
            | 630
            | 1128
            | 1129
            | 1156
    )
}

/// QuickFIX's text for a SessionRejectReason value.
pub fn reject_text(reason: u32) -> &'static str {
    crate::validate::SessionRejectReason::from_code(reason).map_or("Other", |r| r.text())
}
