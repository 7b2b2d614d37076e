//! Encoding: [`MessageBuilder`] collects the fields an application (or the
//! session) wants to send; the session adds the standard header (8, 9, 35,
//! 34, 49, 52, 56, in tag order as QuickFIX writes them), then the extra header fields, then the
//! body, then 10.

use super::SOH;
use crate::tags;
use std::fmt::Write as _;

/// An outbound message before the session stamps its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBuilder {
    msg_type: String,
    header: Vec<u8>,
    body: Vec<u8>,
    /// The application's delivery number for this message, stored with the
    /// batch that holds it (see [`MessageBuilder::with_delivery`]).
    delivery: Option<u64>,
}

impl MessageBuilder {
    pub fn new(msg_type: &str) -> Self {
        Self {
            msg_type: msg_type.to_owned(),
            header: Vec::new(),
            // An ExecutionReport is 200-300 bytes: one allocation, no growth.
            body: Vec::with_capacity(384),
            delivery: None,
        }
    }

    /// Tags the message with the application's delivery number (increasing
    /// per session): the session driver stores the highest number of each
    /// batch with the batch, in the same write, so after a crash the
    /// application knows exactly which of its messages the store holds
    /// ([`crate::store::MessageStore::delivered`]). Not sent on the wire.
    pub fn with_delivery(mut self, no: u64) -> Self {
        self.delivery = Some(no);
        self
    }

    /// The delivery number, if the application gave one.
    pub fn delivery(&self) -> Option<u64> {
        self.delivery
    }

    pub fn msg_type(&self) -> &str {
        &self.msg_type
    }

    /// Encoded extra header fields (`tag=value\x01...`).
    pub fn header_bytes(&self) -> &[u8] {
        &self.header
    }

    /// Encoded body fields.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// Appends a body field.
    pub fn field(&mut self, tag: u32, value: impl AsRef<[u8]>) -> &mut Self {
        push_field(&mut self.body, tag, value.as_ref());
        self
    }

    /// Appends a body field from anything that displays (numbers, Decimal).
    pub fn field_display(&mut self, tag: u32, value: impl std::fmt::Display) -> &mut Self {
        let mut b = itoa::Buffer::new();
        self.body.extend_from_slice(b.format(tag).as_bytes());
        self.body.push(b'=');
        let _ = write!(BytesWriter(&mut self.body), "{value}");
        self.body.push(SOH);
        self
    }

    pub fn field_u64(&mut self, tag: u32, value: u64) -> &mut Self {
        let mut b = itoa::Buffer::new();
        push_field(&mut self.body, tag, b.format(value).as_bytes());
        self
    }

    /// Appends a header field other than the standard ones the session sets
    /// (e.g. 115 OnBehalfOfCompID, 128 DeliverToCompID, 97 PossResend).
    pub fn header_field(&mut self, tag: u32, value: impl AsRef<[u8]>) -> &mut Self {
        push_field(&mut self.header, tag, value.as_ref());
        self
    }

    /// Appends pre-encoded body bytes (`tag=value\x01...`).
    pub fn raw_body(&mut self, encoded: &[u8]) -> &mut Self {
        self.body.extend_from_slice(encoded);
        self
    }

    /// Encodes the complete message with the standard header.
    pub fn encode_with_header(
        &self,
        begin_string: &str,
        sender: &str,
        target: &str,
        seq: u64,
        sending_time: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.header.len() + self.body.len());
        encode_into(
            &mut out,
            begin_string,
            &self.msg_type,
            &[
                (tags::SENDER_COMP_ID, sender.as_bytes()),
                (tags::TARGET_COMP_ID, target.as_bytes()),
            ],
            seq,
            sending_time,
            &self.header,
            &self.body,
        );
        out
    }
}

/// `fmt::Write` straight into a byte buffer (no intermediate String).
struct BytesWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for BytesWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

pub(crate) fn push_field(buf: &mut Vec<u8>, tag: u32, value: &[u8]) {
    let mut b = itoa::Buffer::new();
    buf.extend_from_slice(b.format(tag).as_bytes());
    buf.push(b'=');
    buf.extend_from_slice(value);
    buf.push(SOH);
}

/// Writes 8, 9, 35, 34, 49, 52, 56, then `extra_header`, `body`, and 10.
/// `ids` are the (tag, value) CompID fields in order (49, 56 and optional
/// sub/location IDs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_into(
    out: &mut Vec<u8>,
    begin_string: &str,
    msg_type: &str,
    ids: &[(u32, &[u8])],
    seq: u64,
    sending_time: &[u8],
    extra_header: &[u8],
    body: &[u8],
) {
    let mut tail = Vec::with_capacity(64 + extra_header.len() + body.len());
    push_field(&mut tail, tags::MSG_TYPE, msg_type.as_bytes());
    let mut n = itoa::Buffer::new();
    push_field(&mut tail, tags::MSG_SEQ_NUM, n.format(seq).as_bytes());
    // Standard header in tag order (34, 49, 52, 56), as QuickFIX writes it.
    let mut time_written = false;
    for (tag, v) in ids {
        if *tag > tags::SENDING_TIME && !time_written {
            push_field(&mut tail, tags::SENDING_TIME, sending_time);
            time_written = true;
        }
        push_field(&mut tail, *tag, v);
    }
    if !time_written {
        push_field(&mut tail, tags::SENDING_TIME, sending_time);
    }
    tail.extend_from_slice(extra_header);
    tail.extend_from_slice(body);
    let start = out.len();
    push_field(out, tags::BEGIN_STRING, begin_string.as_bytes());
    push_field(out, tags::BODY_LENGTH, n.format(tail.len()).as_bytes());
    out.extend_from_slice(&tail);
    let sum = checksum(&out[start..]);
    out.extend_from_slice(b"10=");
    out.extend_from_slice(&[
        b'0' + sum / 100,
        b'0' + (sum / 10) % 10,
        b'0' + sum % 10,
        SOH,
    ]);
}

/// The FIX checksum: sum of bytes modulo 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    // Sum in u32 lanes so the compiler vectorises the loop.
    let mut s: u32 = 0;
    for &b in bytes {
        s = s.wrapping_add(u32::from(b));
    }
    (s & 0xff) as u8
}

/// Encodes a complete message: 8, 9, 35, 34, 49, 52, 56, the extra header
/// fields, the body, and 10.
#[allow(clippy::too_many_arguments)]
pub fn encode_message(
    out: &mut Vec<u8>,
    begin_string: &str,
    msg_type: &str,
    sender: &str,
    target: &str,
    seq: u64,
    sending_time: &[u8],
    extra_header: &[u8],
    body: &[u8],
) {
    encode_into(
        out,
        begin_string,
        msg_type,
        &[
            (tags::SENDER_COMP_ID, sender.as_bytes()),
            (tags::TARGET_COMP_ID, target.as_bytes()),
        ],
        seq,
        sending_time,
        extra_header,
        body,
    );
}
