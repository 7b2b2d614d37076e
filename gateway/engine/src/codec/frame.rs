//! Framing: splitting a byte stream into candidate FIX messages.
//!
//! A frame starts at `8=` (at the start of the buffer or after SOH), has
//! `9=<BodyLength>` as its second field, and ends at the SOH that closes the
//! first `10=` field found at or after the declared end of the body. This is
//! how QuickFIX and most engines resynchronise: a BodyLength that is too
//! short yields one frame that then fails its length check; one that is too
//! long swallows the next message and both are dropped as garbled. Bytes
//! before a frame are skipped (and counted). A declared BodyLength larger
//! than the configured maximum is an error, so a hostile length never makes
//! us buffer unbounded memory.

use super::SOH;
use bytes::{Buf, BytesMut};

/// Errors that end a connection: the stream cannot be trusted any more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("BodyLength {declared} exceeds the maximum message size of {max} bytes")]
    TooLarge { declared: usize, max: usize },
    #[error("no complete FIX message within the maximum message size of {max} bytes")]
    Unterminated { max: usize },
}

/// Incremental framer over a read buffer.
#[derive(Debug)]
pub struct Framer {
    buf: BytesMut,
    max_message_size: usize,
    skipped: u64,
}

impl Framer {
    pub fn new(max_message_size: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(8 * 1024),
            max_message_size,
            skipped: 0,
        }
    }

    /// Appends bytes read from the transport.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Direct access for readers that fill the buffer in place.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes discarded so far because they were not part of any frame.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Bytes buffered but not yet framed.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Returns the next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<BytesMut>, FrameError> {
        loop {
            let Some(start) = find_begin(&self.buf) else {
                // Keep a possible partial "8" at the end; drop the rest.
                let keep = usize::from(self.buf.last() == Some(&b'8'));
                let drop = self.buf.len() - keep;
                self.skipped += drop as u64;
                self.buf.advance(drop);
                return Ok(None);
            };
            if start > 0 {
                self.skipped += start as u64;
                self.buf.advance(start);
            }
            match scan(&self.buf, self.max_message_size)? {
                Scan::Complete(len) => return Ok(Some(self.buf.split_to(len))),
                Scan::NeedMore => {
                    if self.buf.len() > self.max_message_size + 64 {
                        return Err(FrameError::Unterminated {
                            max: self.max_message_size,
                        });
                    }
                    return Ok(None);
                }
                Scan::NotAFrame => {
                    // "8=" without a BodyLength field: skip it and resync.
                    self.skipped += 2;
                    self.buf.advance(2);
                }
            }
        }
    }
}

enum Scan {
    Complete(usize),
    NeedMore,
    NotAFrame,
}

/// Position of the first `8=` that starts the buffer or follows SOH.
fn find_begin(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&buf[from..], b"8=") {
        let at = from + i;
        if at == 0 || buf[at - 1] == SOH {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Scans a buffer that starts with `8=`.
fn scan(buf: &[u8], max: usize) -> Result<Scan, FrameError> {
    let Some(soh1) = memchr::memchr(SOH, buf) else {
        return Ok(if buf.len() > 32 {
            Scan::NotAFrame
        } else {
            Scan::NeedMore
        });
    };
    let rest = &buf[soh1 + 1..];
    if rest.len() < 2 {
        return Ok(Scan::NeedMore);
    }
    if &rest[..2] != b"9=" {
        return Ok(Scan::NotAFrame);
    }
    let digits = &rest[2..];
    let mut len: usize = 0;
    let mut i = 0;
    loop {
        match digits.get(i) {
            None => {
                return Ok(if i > 9 {
                    Scan::NotAFrame
                } else {
                    Scan::NeedMore
                })
            }
            Some(b) if b.is_ascii_digit() => {
                len = len.saturating_mul(10).saturating_add(usize::from(b - b'0'));
                i += 1;
                if i > 9 {
                    return Ok(Scan::NotAFrame);
                }
            }
            Some(&SOH) if i > 0 => break,
            Some(_) => return Ok(Scan::NotAFrame),
        }
    }
    if len > max {
        return Err(FrameError::TooLarge { declared: len, max });
    }
    let body_start = soh1 + 1 + 2 + i + 1;
    let body_end = body_start + len;
    if buf.len() < body_end {
        return Ok(Scan::NeedMore);
    }
    // The checksum field: the first "\x0110=" at or after the declared end.
    let search_from = body_end.saturating_sub(1).max(body_start.saturating_sub(1));
    let Some(rel) = memchr::memmem::find(&buf[search_from..], b"\x0110=") else {
        return Ok(Scan::NeedMore);
    };
    let value_start = search_from + rel + 4;
    match memchr::memchr(SOH, &buf[value_start..]) {
        Some(end) => Ok(Scan::Complete(value_start + end + 1)),
        None => Ok(Scan::NeedMore),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut f = Framer::new(4096);
        let mut out = Vec::new();
        for chunk in input {
            f.extend(chunk);
            while let Some(fr) = f.next_frame().unwrap() {
                out.push(fr.to_vec());
            }
        }
        out
    }

    const HB: &[u8] = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01";

    #[test]
    fn whole_partial_and_many_per_read() {
        assert_eq!(frames(&[HB]), vec![HB.to_vec()]);
        let (a, b) = HB.split_at(7);
        assert_eq!(frames(&[a, b]), vec![HB.to_vec()]);
        let two = [HB, HB].concat();
        assert_eq!(frames(&[&two]).len(), 2);
        // byte at a time
        let bytes: Vec<&[u8]> = HB.chunks(1).collect();
        assert_eq!(frames(&bytes), vec![HB.to_vec()]);
    }

    #[test]
    fn garbage_before_message_is_skipped() {
        let input = [b"garbage\x0135=0\x01".as_slice(), HB].concat();
        let mut f = Framer::new(4096);
        f.extend(&input);
        assert_eq!(f.next_frame().unwrap().unwrap().to_vec(), HB.to_vec());
        assert_eq!(f.skipped_bytes(), 13);
    }

    #[test]
    fn missing_body_length_resyncs_to_next_message() {
        let bad = b"8=FIX.4.4\x0134=3\x0135=0\x0110=000\x01";
        let input = [bad.as_slice(), HB].concat();
        assert_eq!(frames(&[&input]), vec![HB.to_vec()]);
    }

    #[test]
    fn short_body_length_frames_up_to_own_checksum() {
        let bad = b"8=FIX.4.4\x019=2\x0135=0\x0134=2\x0110=000\x01";
        let input = [bad.as_slice(), HB].concat();
        assert_eq!(frames(&[&input]), vec![bad.to_vec(), HB.to_vec()]);
    }

    #[test]
    fn long_body_length_swallows_next_message() {
        let bad = b"8=FIX.4.4\x019=30\x0135=0\x0110=000\x01";
        let input = [bad.as_slice(), HB, HB].concat();
        let got = frames(&[&input]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], [bad.as_slice(), HB].concat());
        assert_eq!(got[1], HB.to_vec());
    }

    #[test]
    fn huge_body_length_is_refused_without_buffering() {
        let mut f = Framer::new(65536);
        f.extend(b"8=FIX.4.4\x019=99999999\x0135=0\x01");
        assert_eq!(
            f.next_frame(),
            Err(FrameError::TooLarge {
                declared: 99_999_999,
                max: 65536
            })
        );
    }

    #[test]
    fn eight_inside_a_value_is_not_a_start() {
        let input = [b"58=x\x01".as_slice(), HB].concat();
        assert_eq!(frames(&[&input]), vec![HB.to_vec()]);
    }
}
