//! The dictionary validator (FIX 4.2, 4.4 and FIXT 1.1/5.0SP2) on any
//! message the parser accepts: it never panics, whatever the fields,
//! groups and values, and gives the same answer twice.
#![no_main]

use bytes::Bytes;
use fix_engine::codec::Message;
use fix_engine::session::standard_validator;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

type Validators = Vec<std::sync::Arc<dyn fix_engine::session::MessageValidator>>;

fn validators() -> &'static Validators {
    static V: OnceLock<Validators> = OnceLock::new();
    V.get_or_init(|| {
        ["FIX.4.2", "FIX.4.4", "FIXT.1.1"]
            .into_iter()
            .map(|b| standard_validator(b).expect("a standard dictionary"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::parse_trusted(Bytes::copy_from_slice(data)) else {
        return;
    };
    for v in validators() {
        let first = format!("{:?}", v.validate(&m));
        assert_eq!(
            first,
            format!("{:?}", v.validate(&m)),
            "the validator is deterministic"
        );
    }
});
