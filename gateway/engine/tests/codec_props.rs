//! Property tests of the codec on our hot path: the framer and the parser
//! never panic on arbitrary bytes however they are split into reads (nor
//! does a logged-on session fed them), valid messages are found intact
//! among junk in any chunking, and MessageBuilder output parses back to the
//! same fields.

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use fix_engine::codec::time::{format_utc_string, parse_utc, TimePrecision};
use fix_engine::codec::{Framer, Message, MessageBuilder};
use fix_engine::session::{AppContext, AppReject, Application, Role, Session, SessionConfig};
use fix_engine::store::SeqState;
use proptest::prelude::*;
use std::sync::Arc;

/// Splits `bytes` at the given chunk sizes (cycled), feeding the framer
/// between reads; returns the frames and whether the framer gave up.
fn frame_all(bytes: &[u8], chunks: &[usize], max: usize) -> (Vec<Vec<u8>>, bool) {
    let mut f = Framer::new(max);
    let mut frames = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1);
        i += 1;
        let end = (pos + n).min(bytes.len());
        f.extend(&bytes[pos..end]);
        pos = end;
        loop {
            match f.next_frame() {
                Ok(Some(fr)) => frames.push(fr.to_vec()),
                Ok(None) => break,
                Err(_) => return (frames, true),
            }
        }
    }
    (frames, false)
}

/// Exercises every accessor of a parsed message.
fn touch(m: &Message) {
    let _ = (
        m.msg_type(),
        m.msg_type_str(),
        m.seq_num(),
        m.begin_string(),
    );
    let _ = (m.is_admin(), m.get_str(58), m.get_u64(34), m.get_bool(43));
    for f in m.fields() {
        let _ = m.value(f);
    }
    let _ = format!("{m:?}");
    if let Some(t) = m.get(52) {
        let _ = parse_utc(t);
    }
}

/// Byte soup that looks like FIX often enough to reach the deep paths.
fn fixish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"8=FIX.4.4\x01".to_vec()),
        Just(b"8=".to_vec()),
        Just(b"9=".to_vec()),
        Just(b"35=D\x01".to_vec()),
        Just(b"35=".to_vec()),
        Just(b"34=".to_vec()),
        Just(b"10=".to_vec()),
        Just(b"95=".to_vec()),
        Just(b"96=".to_vec()),
        Just(b"\x01".to_vec()),
        Just(b"=".to_vec()),
        "[0-9]{1,12}".prop_map(String::into_bytes),
        "-?[0-9]{1,4}=[ -~]{0,8}\x01".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

fn bytes_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..1024), fixish()]
}

/// Tags the round trip may use: not the envelope or standard header the
/// builder writes itself, and not length/data pairs (covered separately).
fn body_tag() -> impl Strategy<Value = u32> {
    (1u32..20_000).prop_filter("not a reserved tag", |t| {
        !matches!(
            t,
            8 | 9
                | 10
                | 34
                | 35
                | 49
                | 52
                | 56
                | 89..=96
                | 212
                | 213
                | 348..=365
                | 445
                | 446
                | 618
                | 619
                | 621
                | 622
        )
    })
}

fn value() -> impl Strategy<Value = String> {
    // Any printable ASCII, '=' included; never empty, never SOH.
    "[ -~]{1,24}"
}

fn fields() -> impl Strategy<Value = Vec<(u32, String)>> {
    proptest::collection::vec((body_tag(), value()), 0..30)
}

fn encode(msg_type: &str, seq: u64, header: &[(u32, String)], body: &[(u32, String)]) -> Vec<u8> {
    let mut b = MessageBuilder::new(msg_type);
    for (t, v) in header {
        b.header_field(*t, v);
    }
    for (t, v) in body {
        b.field(*t, v);
    }
    b.encode_with_header("FIX.4.4", "SENDER", "TARGET", seq, b"20260302-14:00:00.000")
}

struct Quiet;
impl Application for Quiet {
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        if msg.msg_type() == b"D" {
            ctx.send(MessageBuilder::new("8"));
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn framer_and_parser_never_panic(
        input in bytes_input(),
        chunks in proptest::collection::vec(1usize..64, 1..8),
        max in prop_oneof![Just(64usize), Just(512), Just(64 * 1024)],
    ) {
        let (frames, _gave_up) = frame_all(&input, &chunks, max);
        let total: usize = frames.iter().map(Vec::len).sum();
        prop_assert!(total <= input.len(), "frames are taken from the input");
        for fr in &frames {
            prop_assert!(fr.starts_with(b"8="));
            if let Ok(m) = Message::parse(Bytes::from(fr.clone())) {
                touch(&m);
                prop_assert_eq!(m.fields()[0].tag, 8);
                prop_assert_eq!(m.fields().last().map(|f| f.tag), Some(10));
            }
        }
        // Store contents are parsed "trusted": still no panic on junk.
        if let Ok(m) = Message::parse_trusted(Bytes::from(input.clone())) {
            touch(&m);
        }
        if let Ok(m) = Message::parse(Bytes::from(input)) {
            touch(&m);
        }
    }

    #[test]
    fn a_logged_on_session_survives_arbitrary_bytes(
        input in bytes_input(),
        chunks in proptest::collection::vec(1usize..64, 1..4),
    ) {
        let cfg = SessionConfig::new("FIX.4.4", "ISLD", "TW44", Role::Acceptor);
        let seq = SeqState { next_sender_seq: 1, next_target_seq: 1, creation_time: Utc::now() };
        let mut s = Session::new(Arc::new(cfg), None, seq);
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
        let mut app = Quiet;
        s.handle_connected(now, &mut app);
        let mut logon = MessageBuilder::new("A");
        logon.field(98, "0").field(108, "30");
        let ts = format_utc_string(now, TimePrecision::Millis);
        let logon = logon.encode_with_header("FIX.4.4", "TW44", "ISLD", 1, ts.as_bytes());
        s.handle_bytes(now, &logon, &mut app);
        prop_assert!(s.is_logged_on());
        let mut pos = 0;
        let mut i = 0;
        while pos < input.len() {
            let end = (pos + chunks[i % chunks.len()]).min(input.len());
            i += 1;
            s.handle_bytes(now, &input[pos..end], &mut app);
            pos = end;
            while let Some(a) = s.poll_action() {
                if let fix_engine::session::Action::LoadForResend { .. } = a {
                    s.handle_stored_messages(now, Vec::new(), &mut app);
                }
            }
        }
        s.handle_timeout(now + chrono::Duration::seconds(100), &mut app);
    }

    #[test]
    fn builder_output_parses_back_to_the_same_fields(
        msg_type in "[0-9A-Za-z]{1,2}",
        seq in 1u64..u64::MAX / 2,
        header in proptest::collection::vec(
            (prop_oneof![Just(115u32), Just(128), Just(43), Just(122), Just(50)], value()), 0..3),
        body in fields(),
    ) {
        let raw = encode(&msg_type, seq, &header, &body);
        let m = Message::parse(Bytes::from(raw.clone())).expect("our own output parses");
        prop_assert_eq!(m.msg_type_str(), msg_type.as_str());
        prop_assert_eq!(m.seq_num(), Some(seq));
        prop_assert_eq!(m.begin_string(), b"FIX.4.4".as_slice());
        prop_assert_eq!(m.get_str(49), Some("SENDER"));
        prop_assert_eq!(m.get_str(56), Some("TARGET"));
        // 8, 9, 35 first; 10 last; then our fields in order.
        let tags: Vec<i32> = m.fields().iter().map(|f| f.tag).collect();
        prop_assert_eq!(&tags[..3], &[8, 9, 35]);
        prop_assert_eq!(tags.last(), Some(&10));
        let ours: Vec<(u32, String)> = m.fields()[7..m.fields().len() - 1]
            .iter()
            .map(|f| (f.tag as u32, String::from_utf8(m.value(f).to_vec()).unwrap()))
            .collect();
        let want: Vec<(u32, String)> = header.iter().chain(body.iter()).cloned().collect();
        prop_assert_eq!(ours, want);
        // Framing finds exactly this message.
        let (frames, gave_up) = frame_all(&raw, &[raw.len()], 64 * 1024);
        prop_assert!(!gave_up);
        prop_assert_eq!(frames, vec![raw]);
    }

    #[test]
    fn data_fields_may_carry_soh(data in proptest::collection::vec(any::<u8>(), 1..40)) {
        let mut b = MessageBuilder::new("B");
        b.field(148, "headline").field_u64(95, data.len() as u64).field(96, &data).field(58, "after");
        let raw = b.encode_with_header("FIX.4.4", "S", "T", 3, b"20260302-14:00:00");
        let m = Message::parse(Bytes::from(raw)).expect("parses");
        prop_assert_eq!(m.get(96), Some(data.as_slice()));
        prop_assert_eq!(m.get_str(58), Some("after"));
    }

    #[test]
    fn valid_messages_among_junk_are_found_in_any_chunking(
        msgs in proptest::collection::vec((1u64..1_000_000, fields()), 1..6),
        junk in proptest::collection::vec("[a-zA-Z0-7 =|]{0,20}", 6),
        chunks in proptest::collection::vec(1usize..200, 1..8),
    ) {
        let encoded: Vec<Vec<u8>> = msgs.iter().map(|(seq, f)| encode("D", *seq, &[], f)).collect();
        let mut stream = Vec::new();
        for (i, e) in encoded.iter().enumerate() {
            // Junk (no '8', no SOH) ends with SOH, as after a lost message.
            stream.extend_from_slice(junk[i].as_bytes());
            stream.push(0x01);
            stream.extend_from_slice(e);
        }
        let (frames, gave_up) = frame_all(&stream, &chunks, 64 * 1024);
        prop_assert!(!gave_up);
        prop_assert_eq!(frames, encoded);
    }

    #[test]
    fn a_corrupted_byte_is_never_accepted(
        body in fields(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut raw = encode("D", 7, &[], &body);
        let i = at.index(raw.len());
        raw[i] ^= flip;
        let (frames, _) = frame_all(&raw, &[7], 64 * 1024);
        for fr in frames {
            if let Ok(m) = Message::parse(Bytes::from(fr)) {
                touch(&m);
            }
        }
        // One changed byte moves the sum (or the declared length, checksum
        // or envelope): the message is garbled, never silently altered.
        let parsed = Message::parse(Bytes::from(raw.clone()));
        prop_assert!(parsed.is_err(), "accepted with byte {} changed: {:?}", i, parsed);
    }
}
