//! The FIX framer on arbitrary bytes, split into reads at sizes taken from
//! the input: it never panics, every frame it hands out is taken from the
//! input, starts with `8=` and ends with a `<SOH>10=...<SOH>` trailer (its
//! value is checked by the parser, not the framer), and it
//! never holds more than its maximum message size (plus 64 bytes of
//! slack) while it waits for more.
#![no_main]

use fix_engine::codec::Framer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(split % 64) + 1;
    let max = 512;
    let mut framer = Framer::new(max);
    let mut taken = 0usize;
    for read in rest.chunks(chunk) {
        framer.extend(read);
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => {
                    taken += frame.len();
                    assert!(frame.starts_with(b"8="), "a frame starts with BeginString");
                    assert!(
                        ends_with_checksum(&frame),
                        "a frame ends with its CheckSum field"
                    );
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        // Bounded memory: waiting for more, it holds at most one message
        // of the maximum size and a little slack (else it gives up).
        assert!(
            framer.pending() <= max + 64,
            "the framer's buffer is bounded"
        );
    }
    assert!(taken <= rest.len(), "frames come from the input");
});

/// The frame's last field is CheckSum (10): `<SOH>10=` then a value
/// without SOH, then the closing SOH.
fn ends_with_checksum(frame: &[u8]) -> bool {
    let Some((&last, body)) = frame.split_last() else {
        return false;
    };
    let Some(at) = body.windows(4).rposition(|w| w == b"\x0110=") else {
        return false;
    };
    last == 1 && !body[at + 4..].contains(&1)
}
