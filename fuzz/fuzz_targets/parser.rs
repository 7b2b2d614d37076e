//! The FIX message parser on arbitrary bytes (both the checked parse used
//! for the wire and the trusted one used for stored messages): it never
//! panics, and a message it accepts reads back consistently.
#![no_main]

use bytes::Bytes;
use fix_engine::codec::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(Bytes::copy_from_slice(data)) {
        // A checked message is framed by BeginString and CheckSum.
        assert_eq!(m.fields().first().map(|f| f.tag), Some(8));
        assert_eq!(m.fields().last().map(|f| f.tag), Some(10));
        read_all(&m);
    }
    if let Ok(m) = Message::parse_trusted(Bytes::copy_from_slice(data)) {
        read_all(&m);
    }
});

fn read_all(m: &Message) {
    for f in m.fields() {
        let v = m.value(f);
        // The parser keeps negative tags (the session rejects them as
        // invalid tag numbers); every other field is found by its tag.
        let Ok(tag) = u32::try_from(f.tag) else {
            continue;
        };
        assert!(
            m.get(tag).is_some(),
            "a field of the message is found by its tag"
        );
        let _ = (v.len(), m.get_str(tag), m.get_u64(tag), m.get_bool(tag));
    }
    let _ = (
        m.begin_string(),
        m.msg_type(),
        m.msg_type_str(),
        m.seq_num(),
        m.is_admin(),
    );
}
