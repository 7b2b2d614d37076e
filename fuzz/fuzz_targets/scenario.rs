//! The sim venue's scenario file parser on arbitrary text: it never
//! panics, and the actions of a scenario it accepts are in time order.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(actions) = sim_venue::scenario::parse_scenario(text, "fuzz.scenario") {
        assert!(
            actions.windows(2).all(|w| w[0].at <= w[1].at),
            "actions are in time order"
        );
    }
});
