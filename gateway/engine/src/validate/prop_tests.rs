//! Property tests of the validator: it never panics and answers the same
//! on any message the parser accepts, whatever the tags and values.

use super::tests::*;
use super::*;
use bytes::Bytes;
use proptest::prelude::*;
use SessionRejectReason as R;

fn tag() -> impl Strategy<Value = i64> {
    prop_oneof![
        prop::sample::select(vec![
            8i64, 9, 10, 11, 21, 34, 35, 38, 40, 43, 49, 52, 54, 55, 56, 58, 60, 93, 89, 112, 126,
            146, 167, 269, 267, 336, 386, 447, 448, 452, 453, 454, 455, 456, 523, 627, 628, 629,
            802, 803, 1128, 1137, 5000,
        ]),
        -3i64..2000,
        any::<i32>().prop_map(i64::from),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{1,3}",
        "[A-Za-z0-9 .:+-]{0,12}",
        Just("20240102-03:04:05.678".to_owned()),
    ]
}

/// A valid FIX.4.4 NewOrderSingle, field by field (8, 9, 35 and 10
/// are added around it).
const NOS: [(i32, &str); 15] = [
    (34, "2"),
    (49, "TW"),
    (52, T),
    (56, "ISLD"),
    (115, "JCD"),
    (1, "ACC"),
    (11, "ID"),
    (21, "1"),
    (38, "200"),
    (40, "2"),
    (44, "10.5"),
    (54, "1"),
    (55, "INTC"),
    (59, "0"),
    (60, T),
];

fn build(fields: &[(i32, String)]) -> Message {
    let mut s = String::from("8=FIX.4.4|9=0|35=D|");
    for (t, v) in fields {
        s.push_str(&format!("{t}={v}|"));
    }
    msg(&format!("{s}10=000|"))
}

fn nos() -> Vec<(i32, String)> {
    NOS.iter().map(|(t, v)| (*t, (*v).to_owned())).collect()
}

proptest! {
    #[test]
    fn emptied_field_is_reported(i in 0..NOS.len()) {
        let mut f = nos();
        prop_assert_eq!(v44().validate(&build(&f)), Ok(()));
        f[i].1.clear();
        prop_assert_eq!(v44().validate(&build(&f)), rej(R::TagSpecifiedWithoutValue, NOS[i].0));
    }

    #[test]
    fn repeated_field_is_reported(i in 0..NOS.len(), at in 0..NOS.len()) {
        let mut f = nos();
        let dup = f[i].clone();
        // Keep header fields in the header and body fields in the body.
        let header = v44().is_header_tag(dup.0);
        let at = if header { at % 5 } else { 5 + at % 10 };
        f.insert(at.min(f.len()), dup.clone());
        prop_assert_eq!(v44().validate(&build(&f)), rej(R::TagAppearsMoreThanOnce, dup.0));
    }

    #[test]
    fn first_missing_required_field_is_reported(mask in 0u32..(1 << 15)) {
        let f: Vec<_> = nos().into_iter().enumerate()
            .filter(|(i, _)| mask & (1 << i) == 0)
            .map(|(_, f)| f)
            .collect();
        // FIX.4.4: header requirements, then NewOrderSingle's, each ascending.
        let header_required = [34, 49, 52, 56];
        // (Symbol is optional inside FIX.4.4's Instrument component.)
        let body_required = [11, 40, 54, 60];
        let present = |t: &i32| f.iter().any(|(x, _)| x == t);
        let expected = header_required
            .iter()
            .chain(body_required.iter())
            .find(|t| !present(t))
            .map_or(Ok(()), |&t| rej(R::RequiredTagMissing, t));
        prop_assert_eq!(v44().validate(&build(&f)), expected);
    }

    #[test]
    fn validate_never_panics(
        msg_type in prop::sample::select(vec!["0", "A", "D", "d", "8", "V", "*", "AE", ""]),
        fields in prop::collection::vec((tag(), value()), 0..40),
    ) {
        let mut s = format!("8=FIX.4.4|9=0|35={msg_type}|");
        for (t, v) in &fields {
            s.push_str(&format!("{t}={v}|"));
        }
        if let Ok(m) = Message::parse_trusted(Bytes::from(s.replace('|', "\x01"))) {
            for (v, _) in all() {
                let first = v.validate(&m);
                prop_assert_eq!(first, v.validate(&m));
            }
        }
    }
}
