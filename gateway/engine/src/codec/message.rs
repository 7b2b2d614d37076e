//! A parsed FIX message: the raw bytes plus an index of (tag, value range),
//! in wire order. Parsing checks only the envelope (8, 9, 35 first; 10 last;
//! BodyLength and CheckSum right; every field `tag=value`); a message that
//! fails is garbled and, per the FIX session spec, ignored. Everything else
//! (required fields, types, enums, groups) is the validator's job.

use super::SOH;
use crate::msg_type::MsgType;
use crate::tags;
use bytes::Bytes;
use smallvec::SmallVec;

/// One field: its tag (as written; zero or negative tags are kept so that the
/// validator can reject them with the tag the peer sent) and value range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub tag: i32,
    start: u32,
    end: u32,
}

/// Why a frame is not a well-formed FIX message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message must begin with 8=, 9=, 35=; field {position} is tag {found}")]
    BadEnvelope { position: usize, found: i32 },
    #[error("BodyLength is {declared} but the body is {actual} bytes")]
    BodyLength { declared: usize, actual: usize },
    #[error("CheckSum is {declared} but the message sums to {actual:03}")]
    CheckSum { declared: String, actual: u8 },
    #[error("malformed field at byte {offset}")]
    MalformedField { offset: usize },
    #[error("message does not end with a CheckSum (10) field")]
    NoCheckSum,
}

#[derive(Clone)]
pub struct Message {
    buf: Bytes,
    fields: SmallVec<[Field; 32]>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.buf).replace('\x01', "|"))
    }
}

impl Message {
    /// Parses and checks a frame received from a peer.
    pub fn parse(buf: Bytes) -> Result<Self, ParseError> {
        let msg = Self::index(buf)?;
        msg.check_envelope()?;
        Ok(msg)
    }

    /// Parses a message we produced ourselves (from a message store); the
    /// envelope is trusted.
    pub fn parse_trusted(buf: Bytes) -> Result<Self, ParseError> {
        Self::index(buf)
    }

    fn index(buf: Bytes) -> Result<Self, ParseError> {
        let mut fields: SmallVec<[Field; 32]> = SmallVec::new();
        let b = &buf[..];
        let mut pos = 0usize;
        while pos < b.len() {
            let Some(eq) = memchr::memchr(b'=', &b[pos..]) else {
                return Err(ParseError::MalformedField { offset: pos });
            };
            let tag =
                parse_tag(&b[pos..pos + eq]).ok_or(ParseError::MalformedField { offset: pos })?;
            let vstart = pos + eq + 1;
            // A data field (RawData and friends) may contain SOH: its length
            // comes from the length field just before it.
            let data_len = fields.last().and_then(|prev: &Field| {
                (data_tag_for_length(prev.tag) == Some(tag))
                    .then(|| parse_u64(&b[prev.start as usize..prev.end as usize]))
                    .flatten()
            });
            let vend = match data_len {
                Some(n) if b.get(vstart + n as usize) == Some(&SOH) => vstart + n as usize,
                _ => match memchr::memchr(SOH, &b[vstart..]) {
                    Some(soh) => vstart + soh,
                    None => return Err(ParseError::MalformedField { offset: pos }),
                },
            };
            fields.push(Field {
                tag,
                start: vstart as u32,
                end: vend as u32,
            });
            pos = vend + 1;
        }
        Ok(Self { buf, fields })
    }

    fn check_envelope(&self) -> Result<(), ParseError> {
        let f = &self.fields;
        for (position, tag) in [
            (0usize, tags::BEGIN_STRING),
            (1, tags::BODY_LENGTH),
            (2, tags::MSG_TYPE),
        ] {
            let tag = tag as i32;
            match f.get(position) {
                Some(x) if x.tag == tag => {}
                Some(x) => {
                    return Err(ParseError::BadEnvelope {
                        position: position + 1,
                        found: x.tag,
                    })
                }
                None => {
                    return Err(ParseError::BadEnvelope {
                        position: position + 1,
                        found: 0,
                    })
                }
            }
        }
        let last = f
            .last()
            .filter(|x| x.tag == tags::CHECK_SUM as i32)
            .ok_or(ParseError::NoCheckSum)?;
        let declared: usize = std::str::from_utf8(self.value(&f[1]))
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(ParseError::MalformedField {
                offset: f[1].start as usize,
            })?;
        let body_start = f[1].end as usize + 1;
        let body_end = last.start as usize - 3; // "10=" begins here
        let actual = body_end.saturating_sub(body_start);
        if declared != actual {
            return Err(ParseError::BodyLength { declared, actual });
        }
        let sum = super::checksum(&self.buf[..body_end]);
        let dv = self.value(last);
        let ok = dv.len() == 3
            && dv.iter().all(u8::is_ascii_digit)
            && (u32::from(dv[0] - b'0') * 100
                + u32::from(dv[1] - b'0') * 10
                + u32::from(dv[2] - b'0'))
                == u32::from(sum);
        if !ok {
            return Err(ParseError::CheckSum {
                declared: String::from_utf8_lossy(dv).into_owned(),
                actual: sum,
            });
        }
        Ok(())
    }

    /// The raw bytes, as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn bytes(&self) -> &Bytes {
        &self.buf
    }

    /// All fields in wire order, 8, 9 and 10 included.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn value(&self, f: &Field) -> &[u8] {
        &self.buf[f.start as usize..f.end as usize]
    }

    /// First value of `tag`.
    pub fn get(&self, tag: u32) -> Option<&[u8]> {
        let tag = tag as i32;
        self.fields
            .iter()
            .find(|f| f.tag == tag)
            .map(|f| self.value(f))
    }

    pub fn get_str(&self, tag: u32) -> Option<&str> {
        self.get(tag).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Value of `tag` as an unsigned integer, `None` if absent or not one.
    pub fn get_u64(&self, tag: u32) -> Option<u64> {
        parse_u64(self.get(tag)?)
    }

    pub fn get_bool(&self, tag: u32) -> Option<bool> {
        match self.get(tag)? {
            b"Y" => Some(true),
            b"N" => Some(false),
            _ => None,
        }
    }

    pub fn has(&self, tag: u32) -> bool {
        self.get(tag).is_some()
    }

    pub fn begin_string(&self) -> &[u8] {
        self.fields
            .first()
            .map(|f| self.value(f))
            .unwrap_or_default()
    }

    pub fn msg_type(&self) -> &[u8] {
        self.fields
            .get(2)
            .filter(|f| f.tag == tags::MSG_TYPE as i32)
            .map(|f| self.value(f))
            .unwrap_or_default()
    }

    pub fn msg_type_str(&self) -> &str {
        std::str::from_utf8(self.msg_type()).unwrap_or("")
    }

    pub fn seq_num(&self) -> Option<u64> {
        self.get_u64(tags::MSG_SEQ_NUM)
    }

    /// Session-level (administrative) message types.
    pub fn is_admin(&self) -> bool {
        is_admin_msg_type(self.msg_type())
    }
}

/// Session-level (administrative) message types: 0 1 2 3 4 5 A (see
/// [`MsgType::is_admin`]).
pub fn is_admin_msg_type(t: &[u8]) -> bool {
    MsgType::from_bytes(t).is_admin()
}

pub(crate) fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

fn parse_tag(t: &[u8]) -> Option<i32> {
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let mut n: i32 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i32::from(b - b'0');
    }
    Some(if neg { -n } else { n })
}

/// Length field -> data field pairs of the standard (FIX 4.2 to 5.0SP2).
fn data_tag_for_length(len_tag: i32) -> Option<i32> {
    Some(match len_tag {
        90 => 91,   // SecureDataLen -> SecureData
        93 => 89,   // SignatureLength -> Signature
        95 => 96,   // RawDataLength -> RawData
        212 => 213, // XmlDataLen -> XmlData
        348 => 349, // EncodedIssuerLen
        350 => 351, // EncodedSecurityDescLen
        352 => 353, // EncodedListExecInstLen
        354 => 355, // EncodedTextLen
        356 => 357, // EncodedSubjectLen
        358 => 359, // EncodedHeadlineLen
        360 => 361, // EncodedAllocTextLen
        362 => 363, // EncodedUnderlyingIssuerLen
        364 => 365, // EncodedUnderlyingSecurityDescLen
        445 => 446, // EncodedListStatusTextLen
        618 => 619, // EncodedLegIssuerLen
        621 => 622, // EncodedLegSecurityDescLen
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::MessageBuilder;

    fn raw(s: &str) -> Bytes {
        Bytes::from(s.replace('|', "\x01"))
    }

    #[test]
    fn parses_a_built_message() {
        let bytes = MessageBuilder::new("D")
            .field(11, "ID")
            .field(55, "INTC")
            .encode_with_header("FIX.4.4", "A", "B", 7, b"20260101-00:00:00.000");
        let m = Message::parse(Bytes::from(bytes)).unwrap();
        assert_eq!(m.msg_type(), b"D");
        assert_eq!(m.seq_num(), Some(7));
        assert_eq!(m.get_str(55), Some("INTC"));
        assert_eq!(m.get_str(49), Some("A"));
    }

    #[test]
    fn rejects_bad_checksum_and_length() {
        let m = Message::parse(raw("8=FIX.4.4|9=5|35=0|10=000|"));
        assert!(matches!(m, Err(ParseError::CheckSum { .. })));
        let m = Message::parse(raw("8=FIX.4.4|9=6|35=0|10=000|"));
        assert!(matches!(
            m,
            Err(ParseError::BodyLength {
                declared: 6,
                actual: 5
            })
        ));
    }

    #[test]
    fn rejects_wrong_envelope_order() {
        let m = Message::parse(raw("8=FIX.4.4|9=5|34=0|10=000|"));
        assert!(matches!(
            m,
            Err(ParseError::BadEnvelope {
                position: 3,
                found: 34
            })
        ));
    }

    #[test]
    fn keeps_invalid_tags_for_the_validator() {
        let m = Message::parse_trusted(raw("8=FIX.4.4|9=5|35=0|-1=HI|0=X|10=000|")).unwrap();
        assert_eq!(m.fields()[3].tag, -1);
        assert_eq!(m.fields()[4].tag, 0);
    }

    #[test]
    fn data_field_may_contain_soh() {
        let m = Message::parse_trusted(raw("8=FIX.4.4|9=5|35=0|95=3|96=a|b|58=x|10=000|")).unwrap();
        assert_eq!(m.get(96), Some(b"a\x01b".as_slice()));
        assert_eq!(m.get_str(58), Some("x"));
    }
}
