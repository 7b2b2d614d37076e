//! The file parsers never panic, whatever they are fed, and a parsed
//! scenario keeps its actions in non-decreasing time order.

use proptest::prelude::*;
use sim_venue::instruments::parse_instruments;
use sim_venue::scenario::{parse_duration, parse_scenario};

fn scenario_line() -> impl Strategy<Value = String> {
    let time = prop_oneof![
        "@[0-9]{1,4}(ns|us|ms|s|m|h|x|)",
        "\\+[0-9.]{1,5}(ms|s|m)",
        "[a-z0-9@+.]{0,6}",
    ];
    let action = prop_oneof![
        Just("session open".to_string()),
        Just("session lunch".to_string()),
        "halt [A-Z]{1,4}( [a-z ]{0,10})?",
        "resume [A-Z]{0,4}",
        "band [A-Z]{1,4} -?[0-9.]{1,4}%?",
        "circuit_breaker [0-9]{1,2}",
        "shock [A-Z]{1,4} -?[0-9.]{1,5}%",
        "drop_session( [A-Z0-9]{1,6}){0,2}",
        "delay_md [0-9]{1,4}(ms|s|q)",
        Just("stop_md".to_string()),
        Just("start_md".to_string()),
        "reject_all (on|off|maybe)",
        Just("end_of_day".to_string()),
        "[ -~]{0,30}",
    ];
    (time, action, "(#[ -~]{0,10})?").prop_map(|(t, a, c)| format!("{t} {a} {c}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn scenario_parser_never_panics(lines in prop::collection::vec(scenario_line(), 0..20)) {
        let text = lines.join("\n");
        if let Ok(actions) = parse_scenario(&text, "fuzz") {
            for w in actions.windows(2) {
                prop_assert!(w[0].at <= w[1].at);
            }
        }
    }

    #[test]
    fn scenario_parser_never_panics_on_noise(text in "[ -~\n\t]{0,400}") {
        let _ = parse_scenario(&text, "fuzz");
        let _ = parse_duration(&text);
    }

    #[test]
    fn instruments_parser_never_panics(text in "[ -~\n]{0,400}") {
        let _ = parse_instruments(&text, "fuzz");
    }

    #[test]
    fn instruments_parser_never_panics_on_near_valid_files(
        tick in "-?[0-9]{0,3}(\\.[0-9]{0,4})?",
        lot in 0u64..3,
        px in "-?[0-9]{0,5}(\\.[0-9]{0,3})?",
        class in "(equity|option|future|bond)",
    ) {
        let text = format!(
            "[[instrument]]\nsymbol = \"X\"\nasset_class = \"{class}\"\nsector = \"S\"\ntick_size = \"{tick}\"\nlot_size = {lot}\nreference_price = \"{px}\"\n"
        );
        let _ = parse_instruments(&text, "fuzz");
    }
}
