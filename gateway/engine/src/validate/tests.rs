use super::*;
use crate::tags::Tag;
use bytes::Bytes;
use fix_dictionaries::{fix42, fix44, fix50sp2, fixt11, Extensions, UserField};
use SessionRejectReason as R;

pub(super) const T: &str = "20240102-03:04:05.678";

pub(super) fn msg(s: &str) -> Message {
    Message::parse_trusted(Bytes::from(s.replace('|', "\x01"))).unwrap()
}

pub(super) fn v42() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| Validator::new(fix42(), Some(fix42()), ValidationOptions::default()))
}

pub(super) fn v44() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| Validator::new(fix44(), None, ValidationOptions::default()))
}

pub(super) fn vt() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| Validator::new(fixt11(), Some(fix50sp2()), ValidationOptions::default()))
}

/// `8=<bs>|9=0|35=<rest>|10=000|` with `<T>` replaced by a timestamp.
pub(super) fn wire(bs: &str, rest: &str) -> Message {
    let rest = rest.trim_end_matches('|').replace("<T>", T);
    msg(&format!("8={bs}|9=0|35={rest}|10=000|"))
}

pub(super) fn check(v: &Validator, bs: &str, rest: &str) -> Result<(), Rejection> {
    v.validate(&wire(bs, rest))
}

pub(super) fn rej(reason: R, tag: i32) -> Result<(), Rejection> {
    Err(Rejection::at(reason, tag))
}

/// The FIX.4.x and FIXT validators with their BeginStrings.
pub(super) fn all() -> [(&'static Validator, &'static str); 3] {
    [(v42(), "FIX.4.2"), (v44(), "FIX.4.4"), (vt(), "FIXT.1.1")]
}

#[test]
fn reason_codes_and_texts() {
    assert_eq!(R::ALL.len(), 19);
    for (i, r) in R::ALL.iter().enumerate() {
        let expected = if i == 18 { 99 } else { i as u32 };
        assert_eq!(r.code(), expected);
        assert_eq!(R::from_code(expected), Some(*r));
        assert_eq!(r.to_string(), r.text());
    }
    assert_eq!(
        R::IncorrectNumInGroupCount.text(),
        "Incorrect NumInGroup count for repeating group"
    );
    assert_eq!(
        R::NonDataValueIncludesFieldDelimiter.text(),
        "Non Data value includes field delimiter (SOH character)"
    );
    assert_eq!(R::UndefinedTag.text(), "Undefined Tag");
    assert_eq!(R::from_code(18), None);
}

#[test]
fn valid_admin_and_order_messages_pass() {
    for (v, bs) in all() {
        assert_eq!(check(v, bs, "0|34=2|49=TW|52=<T>|56=ISLD|"), Ok(()), "{bs}");
        assert_eq!(
            check(v, bs, "1|34=2|49=TW|52=<T>|56=ISLD|112=HELLO|"),
            Ok(()),
            "{bs}"
        );
        let nos =
            "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=002000.00|55=INTC|60=<T>|167=CS|";
        let nos = if bs == "FIX.4.2" {
            nos.replace("167=CS", "167=FUT")
        } else {
            nos.to_owned()
        };
        assert_eq!(check(v, bs, &nos), Ok(()), "{bs}");
        // 15: header and body fields in any order within their part.
        let nos = "D|49=TW|34=3|56=ISLD|52=<T>|40=1|55=MSFT|60=<T>|54=1|21=3|11=id|38=100|";
        assert_eq!(check(v, bs, nos), Ok(()), "{bs}");
    }
    // 2r: an ExecutionReport is valid (the session answers it with a
    // BusinessMessageReject, not a Reject).
    let er = "8|34=2|49=TW|52=<T>|56=ISLD|37=id|17=id|150=0|39=0|55=WLRI|54=1|151=100|14=0|6=0.0|";
    assert_eq!(check(v44(), "FIX.4.4", er), Ok(()));
    assert_eq!(check(vt(), "FIXT.1.1", er), Ok(()));
    assert_eq!(
        check(v44(), "FIX.4.4", "A|34=1|49=TW|52=<T>|56=ISLD|98=0|108=30|"),
        Ok(())
    );
    assert_eq!(
        check(
            vt(),
            "FIXT.1.1",
            "A|34=1|49=TW|52=<T>|56=ISLD|98=0|108=30|1137=9|"
        ),
        Ok(())
    );
}

#[test]
fn t14a_invalid_tag_numbers() {
    for (v, bs) in all() {
        for tag in [999, 0, -1, 5000] {
            let r = check(v, bs, &format!("0|34=2|49=TW|52=<T>|56=ISLD|{tag}=HI|"));
            assert_eq!(r, rej(R::InvalidTagNumber, tag), "{bs} {tag}");
        }
    }
}

#[test]
fn t14b_required_tag_missing() {
    for (v, bs) in all() {
        assert_eq!(
            check(v, bs, "0|34=2|49=TW|52=<T>|"),
            rej(R::RequiredTagMissing, 56)
        );
    }
    let fix44 = "D|49=TW|34=3|56=ISLD|52=<T>|40=1|60=<T>|54=1|21=3|";
    assert_eq!(
        check(v44(), "FIX.4.4", fix44),
        rej(R::RequiredTagMissing, 11)
    );
    let fix42 = "D|49=TW|34=3|56=ISLD|52=<T>|40=1|60=<T>|54=1|21=3|11=id|";
    assert_eq!(
        check(v42(), "FIX.4.2", fix42),
        rej(R::RequiredTagMissing, 55)
    );
    let fix50 = "D|49=TW|34=3|56=ISLD|52=<T>|40=1|60=<T>|11=id|21=3|";
    assert_eq!(
        check(vt(), "FIXT.1.1", fix50),
        rej(R::RequiredTagMissing, 54)
    );
    // Header before body: a missing 52 wins over a missing 11.
    let both = "D|49=TW|34=3|56=ISLD|40=1|60=<T>|54=1|21=3|55=X|";
    assert_eq!(
        check(v44(), "FIX.4.4", both),
        rej(R::RequiredTagMissing, 52)
    );
}

#[test]
fn t14c_tag_not_defined_for_message_type() {
    for (v, bs) in all() {
        let r = check(v, bs, "0|34=2|49=TW|52=<T>|56=ISLD|55=MSFT|");
        let expected = if bs == "FIXT.1.1" {
            // FIXT.1.1 has no Symbol (55) at all.
            rej(R::InvalidTagNumber, 55)
        } else {
            rej(R::TagNotDefinedForMessageType, 55)
        };
        assert_eq!(r, expected, "{bs}");
        let r = check(v, bs, "0|34=2|49=TW|52=<T>|56=ISLD|58=Text|");
        assert_eq!(r, rej(R::TagNotDefinedForMessageType, 58), "{bs}");
    }
}

#[test]
fn t14d_tag_without_value() {
    for (v, bs) in all() {
        assert_eq!(
            check(v, bs, "0|34=2|49=TW|52=<T>|56=|"),
            rej(R::TagSpecifiedWithoutValue, 56),
            "{bs}"
        );
    }
}

#[test]
fn t14e_incorrect_enum_value() {
    let base = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=002000.00|55=INTC|60=<T>|";
    for (v, bs) in all() {
        let r = check(v, bs, &base.replace("21=1", "21=4"));
        assert_eq!(r, rej(R::ValueIsIncorrect, 21), "{bs}");
        let r = check(v, bs, &format!("{base}167=BOO|"));
        assert_eq!(r, rej(R::ValueIsIncorrect, 167), "{bs}");
        // ReverseRoute: 40=w with routing header fields.
        let r = check(v, bs, "D|34=2|49=TW|52=<T>|56=ISLD|115=JCD|116=CS|144=CHI|11=ID|21=3|38=100|40=w|54=1|55=INTC|60=<T>|");
        assert_eq!(r, rej(R::ValueIsIncorrect, 40), "{bs}");
    }
}

#[test]
fn t14f_incorrect_data_format() {
    for (v, bs) in all() {
        let r = check(
            v,
            bs,
            "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=+200.00|55=INTC|60=<T>|",
        );
        assert_eq!(r, rej(R::IncorrectDataFormat, 38), "{bs}");
        // RejectResentMessage: a date where a UTCTimestamp is due.
        let r = check(v, bs, "D|34=2|43=Y|49=TW|52=<T>|56=ISLD|122=<T>|11=ID|21=3|38=100|40=1|54=1|55=IVP|60=<T>|126=20040415|");
        assert_eq!(r, rej(R::IncorrectDataFormat, 126), "{bs}");
        let r = check(v, bs, "0|34=x|49=TW|52=<T>|56=ISLD|");
        assert_eq!(r, rej(R::IncorrectDataFormat, 34), "{bs}");
        let r = check(v, bs, "0|34=2|49=TW|52=<T>|56=ISLD|43=X|");
        assert!(
            matches!(
                r,
                Err(Rejection {
                    ref_tag: Some(Tag(43)),
                    ..
                })
            ),
            "{bs} {r:?}"
        );
    }
}

#[test]
fn t14g_header_body_trailer_order() {
    for (v, bs) in all() {
        let r = check(
            v,
            bs,
            "D|11=id|21=3|40=1|54=1|55=MSFT|60=<T>|34=2|49=TW|52=<T>|56=ISLD|",
        );
        assert_eq!(r, rej(R::TagSpecifiedOutOfRequiredOrder, 34), "{bs}");
        let r = check(
            v,
            bs,
            "D|55=MSFT|34=3|49=TW|52=<T>|56=ISLD|11=id|21=3|40=1|54=1|60=<T>|",
        );
        assert_eq!(r, rej(R::TagSpecifiedOutOfRequiredOrder, 34), "{bs}");
    }
    // A body field after a trailer field.
    let m = msg(&format!(
        "8=FIX.4.4|9=0|35=0|34=2|49=TW|52={T}|56=ISLD|93=2|89=ab|112=x|10=000|"
    ));
    assert_eq!(
        v44().validate(&m),
        rej(R::TagSpecifiedOutOfRequiredOrder, 112)
    );
    // Switched off, the same message is judged on its fields.
    let lax = Validator::new(
        fix44(),
        None,
        ValidationOptions {
            check_fields_out_of_order: false,
            ..Default::default()
        },
    );
    let r = lax.validate(&wire(
        "FIX.4.4",
        "D|11=id|21=3|40=1|54=1|55=MSFT|60=<T>|34=2|49=TW|52=<T>|56=ISLD|",
    ));
    assert_eq!(r, Ok(()));
}

#[test]
fn t14h_repeated_tag() {
    for (v, bs) in all() {
        let r = check(
            v,
            bs,
            "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|40=2|38=200.00|55=INTC|60=<T>|",
        );
        assert_eq!(r, rej(R::TagAppearsMoreThanOnce, 40), "{bs}");
        let r = check(v, bs, "0|34=2|49=TW|49=TW|52=<T>|56=ISLD|");
        assert_eq!(r, rej(R::TagAppearsMoreThanOnce, 49), "{bs}");
    }
}

#[test]
fn t14i_group_count() {
    for (v, bs) in all() {
        let g = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=200.00|55=INTC|386=N|336=PRE-OPEN|336=AFTER-HOURS|60=<T>|";
        assert_eq!(
            check(v, bs, &g.replace("386=N", "386=3")),
            rej(R::IncorrectNumInGroupCount, 386),
            "{bs}"
        );
        assert_eq!(
            check(v, bs, &g.replace("386=N", "386=1")),
            rej(R::IncorrectNumInGroupCount, 386),
            "{bs}"
        );
        // (FIX.5.0SP2 enumerates TradingSessionID: 1..7.)
        let ok = g
            .replace("386=N", "386=2")
            .replace("PRE-OPEN", "1")
            .replace("AFTER-HOURS", "2");
        assert_eq!(check(v, bs, &ok), Ok(()), "{bs}");
        // A member outside its group is not a field of the message.
        let r = check(
            v,
            bs,
            "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=1|55=INTC|60=<T>|336=1|",
        );
        assert_eq!(r, rej(R::TagNotDefinedForMessageType, 336), "{bs}");
    }
}

#[test]
fn t21_group_count_zero() {
    let d44 = "d|34=2|49=TW|56=ISLD|52=<T>|320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|167=CS|336=ONE_MAIN|58=No Products found|454=0|";
    assert_eq!(check(v44(), "FIX.4.4", d44), Ok(()));
    let d42 = "d|34=2|49=TW|56=ISLD|52=<T>|320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|167=OPT|336=ONE_MAIN|58=No Products|393=0|146=0|";
    assert_eq!(check(v42(), "FIX.4.2", d42), Ok(()));
    let d50 = "d|34=2|49=TW|56=ISLD|52=<T>|320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|167=CS|58=No Products|454=0|";
    assert_eq!(check(vt(), "FIXT.1.1", d50), Ok(()));
    assert_eq!(
        check(vt(), "FIXT.1.1", &d50.replace("454=0", "454=1")),
        rej(R::IncorrectNumInGroupCount, 454)
    );
}

#[test]
fn t2q_invalid_msg_type() {
    for (v, bs) in all() {
        let r = check(v, bs, "*|34=2|49=TW|52=<T>|56=ISLD|");
        assert_eq!(
            r,
            Err(Rejection {
                reason: R::InvalidMsgType,
                ref_tag: None
            }),
            "{bs}"
        );
        // Structure is checked first.
        let r = check(v, bs, "*|55=X|34=2|49=TW|52=<T>|56=ISLD|");
        assert_eq!(r, rej(R::TagSpecifiedOutOfRequiredOrder, 34), "{bs}");
    }
    assert!(v44().is_known_msg_type(b"D"));
    assert!(!v44().is_known_msg_type(b"*"));
    assert!(vt().is_known_msg_type(b"A") && vt().is_known_msg_type(b"AE"));
}

#[test]
fn nested_groups() {
    let base = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=1|55=INTC|60=<T>|";
    let parties = "453=2|448=P1|447=D|452=1|802=N|523=S1|803=1|523=S2|803=2|448=P2|447=D|452=3|";
    for (v, bs) in [(v44(), "FIX.4.4"), (vt(), "FIXT.1.1")] {
        let ok = format!("{base}{}", parties.replace("802=N", "802=2"));
        assert_eq!(check(v, bs, &ok), Ok(()), "{bs}");
        let bad = format!("{base}{}", parties.replace("802=N", "802=3"));
        assert_eq!(
            check(v, bs, &bad),
            rej(R::IncorrectNumInGroupCount, 802),
            "{bs}"
        );
        let bad = format!(
            "{base}{}",
            parties.replace("453=2", "453=1").replace("802=N", "802=2")
        );
        assert_eq!(
            check(v, bs, &bad),
            rej(R::IncorrectNumInGroupCount, 453),
            "{bs}"
        );
        // A bad enum inside a nested group.
        let bad = format!(
            "{base}{}",
            parties
                .replace("802=N", "802=2")
                .replace("447=D|452=3", "447=D|452=ZZ")
        );
        assert!(
            matches!(
                check(v, bs, &bad),
                Err(Rejection {
                    ref_tag: Some(Tag(452)),
                    ..
                })
            ),
            "{bs}"
        );
    }
    // Required member missing in an instance: News (B), LinesOfText.
    let news = "B|34=2|49=TW|52=<T>|56=ISLD|148=Headline|33=1|354=1|355=x|";
    assert_eq!(
        check(v44(), "FIX.4.4", news),
        rej(R::RequiredTagMissing, 58)
    );
    let news = "B|34=2|49=TW|52=<T>|56=ISLD|148=Headline|33=2|58=a|58=b|";
    assert_eq!(check(v44(), "FIX.4.4", news), Ok(()));
    // MarketDataRequest: two groups, the second after the first.
    let md = "V|34=2|49=TW|52=<T>|56=ISLD|262=R1|263=1|264=0|267=2|269=0|269=1|146=1|55=IBM|";
    assert_eq!(check(v44(), "FIX.4.4", md), Ok(()));
    let md = "V|34=2|49=TW|52=<T>|56=ISLD|262=R1|263=1|264=0|267=2|269=0|146=1|55=IBM|";
    assert_eq!(
        check(v44(), "FIX.4.4", md),
        rej(R::IncorrectNumInGroupCount, 267)
    );
}

#[test]
fn header_groups() {
    let hops = "0|34=2|49=TW|52=<T>|56=ISLD|627=N|628=A|629=<T>|628=B|";
    assert_eq!(
        check(v44(), "FIX.4.4", &hops.replace("627=N", "627=2")),
        Ok(())
    );
    assert_eq!(
        check(v44(), "FIX.4.4", &hops.replace("627=N", "627=3")),
        rej(R::IncorrectNumInGroupCount, 627)
    );
    assert!(v44().is_header_tag(628) && v44().is_header_tag(34) && !v44().is_header_tag(55));
    assert!(v44().is_trailer_tag(10) && !v44().is_trailer_tag(34));
}

#[test]
fn fixt_application_messages_use_fix50sp2() {
    // 1090 MaxPriceLevels exists in FIX.5.0SP2 but not in FIX.4.4.
    let nos = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|40=1|54=1|38=1|55=INTC|60=<T>|1090=2|";
    assert_eq!(check(vt(), "FIXT.1.1", nos), Ok(()));
    assert_eq!(check(v44(), "FIX.4.4", nos), rej(R::InvalidTagNumber, 1090));
    // ApplVerID in the header picks the dictionary.
    let with = "D|34=2|49=TW|52=<T>|56=ISLD|1128=9|11=ID|40=1|54=1|38=1|55=INTC|60=<T>|";
    assert_eq!(check(vt(), "FIXT.1.1", with), Ok(()));
    assert_eq!(
        check(vt(), "FIXT.1.1", &with.replace("1128=9", "1128=6")),
        rej(R::ValueIsIncorrect, 1128)
    );
    let mut both = Validator::new(fixt11(), Some(fix50sp2()), ValidationOptions::default());
    both.add_app_dictionary("6", fix44());
    assert_eq!(
        both.validate(&wire("FIXT.1.1", &nos.replace("|60=", "|1128=6|60="))),
        rej(R::TagSpecifiedOutOfRequiredOrder, 1128)
    );
    let with44 = with.replace("1128=9", "1128=6") + "1090=2|";
    assert_eq!(
        both.validate(&wire("FIXT.1.1", &with44)),
        rej(R::InvalidTagNumber, 1090)
    );
    assert!(both.set_default_appl_ver_id(b"6"));
    assert!(!both.set_default_appl_ver_id(b"2"));
    assert_eq!(
        both.validate(&wire("FIXT.1.1", nos)),
        rej(R::InvalidTagNumber, 1090)
    );
    // Session messages are FIXT.1.1 only: no application message there.
    assert_eq!(
        check(vt(), "FIXT.1.1", "0|34=2|49=TW|52=<T>|56=ISLD|1090=2|"),
        rej(R::InvalidTagNumber, 1090)
    );
}

#[test]
fn for_session_picks_the_dictionaries() {
    let o = ValidationOptions::default();
    assert!(Validator::for_session("FIX.4.3", None, o).is_none());
    assert!(Validator::for_session("FIXT.1.1", Some(b"2"), o).is_none());
    let v = Validator::for_session("FIX.4.2", None, o).unwrap();
    assert_eq!(check(&v, "FIX.4.2", "0|34=2|49=TW|52=<T>|56=ISLD|"), Ok(()));
    let v = Validator::for_session("FIXT.1.1", None, o).unwrap();
    let nos = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|40=1|54=1|38=1|55=INTC|60=<T>|1090=2|";
    assert_eq!(check(&v, "FIXT.1.1", nos), Ok(()));
    let nos44 = nos.replace("|11=ID", "|1128=6|11=ID");
    assert_eq!(
        check(&v, "FIXT.1.1", &nos44),
        rej(R::InvalidTagNumber, 1090)
    );
    let v = Validator::for_session("FIXT.1.1", Some(b"6"), o).unwrap();
    assert_eq!(check(&v, "FIXT.1.1", nos), rej(R::InvalidTagNumber, 1090));
}

#[test]
fn options() {
    let opts = |f: fn(&mut ValidationOptions)| {
        let mut o = ValidationOptions::default();
        f(&mut o);
        Validator::new(fix44(), None, o)
    };
    let no_udf = opts(|o| o.check_user_defined_fields = false);
    assert_eq!(
        no_udf.validate(&wire("FIX.4.4", "0|34=2|49=TW|52=<T>|56=ISLD|5000=HI|")),
        Ok(())
    );
    assert_eq!(
        no_udf.validate(&wire("FIX.4.4", "0|34=2|49=TW|52=<T>|56=ISLD|999=HI|")),
        rej(R::InvalidTagNumber, 999)
    );
    let unknown = opts(|o| o.allow_unknown_message_fields = true);
    assert_eq!(
        unknown.validate(&wire("FIX.4.4", "0|34=2|49=TW|52=<T>|56=ISLD|55=X|999=HI|")),
        Ok(())
    );
    assert_eq!(
        unknown.validate(&wire("FIX.4.4", "0|34=2|49=TW|52=<T>|56=ISLD|5000=HI|")),
        rej(R::InvalidTagNumber, 5000)
    );
    assert_eq!(
        unknown.validate(&wire("FIX.4.4", "0|34=2|49=TW|52=<T>|56=ISLD|-1=HI|")),
        rej(R::InvalidTagNumber, -1)
    );
    let no_enums = opts(|o| o.check_enum_values = false);
    let nos = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=4|40=1|54=1|38=1|55=INTC|60=<T>|";
    assert_eq!(no_enums.validate(&wire("FIX.4.4", nos)), Ok(()));
    assert_eq!(
        v44().validate(&wire("FIX.4.4", nos)),
        rej(R::ValueIsIncorrect, 21)
    );
    assert_eq!(
        ValidationOptions::default(),
        ValidationOptions {
            check_fields_out_of_order: true,
            check_user_defined_fields: true,
            allow_unknown_message_fields: false,
            check_enum_values: true,
        }
    );
}

#[test]
fn options_deserialize_with_defaults_and_reject_unknown_keys() {
    use serde::de::value::{Error, MapDeserializer};
    let de = |pairs: Vec<(&'static str, bool)>| {
        ValidationOptions::deserialize(MapDeserializer::<_, Error>::new(pairs.into_iter()))
    };
    let o = de(vec![("check_enum_values", false)]).unwrap();
    assert_eq!(
        o,
        ValidationOptions {
            check_enum_values: false,
            ..Default::default()
        }
    );
    assert_eq!(de(vec![]).unwrap(), ValidationOptions::default());
    let err = de(vec![("check_enums", false)]).unwrap_err();
    assert!(err.to_string().contains("check_enums"), "{err}");
}

#[test]
fn user_defined_fields_from_fix_dictionaries() {
    let ext = Extensions {
        fields: vec![UserField {
            tag: 5001,
            name: "RiskBucket".into(),
            fix_type: "STRING".into(),
            enums: vec![("A".into(), "Alpha".into()), ("B".into(), "Beta".into())],
            messages: vec![("D".into(), false)],
        }],
    };
    let nos = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=1|55=INTC|60=<T>|5001=A|";
    let d44 = Version::Fix44.extended(&ext).unwrap();
    let v = Validator::new(&d44, None, ValidationOptions::default());
    assert_eq!(v.validate(&wire("FIX.4.4", nos)), Ok(()));
    assert_eq!(
        v.validate(&wire("FIX.4.4", &nos.replace("5001=A", "5001=Z"))),
        rej(R::ValueIsIncorrect, 5001)
    );
    assert_eq!(
        v.validate(&wire("FIX.4.4", "0|34=2|49=TW|52=<T>|56=ISLD|5001=A|")),
        rej(R::TagNotDefinedForMessageType, 5001)
    );
    assert_eq!(
        v44().validate(&wire("FIX.4.4", nos)),
        rej(R::InvalidTagNumber, 5001)
    );
    let d50 = Version::Fix50Sp2.extended(&ext).unwrap();
    let vt = Validator::new(fixt11(), Some(&d50), ValidationOptions::default());
    let nos50 = nos.replace("21=1|", "");
    assert_eq!(vt.validate(&wire("FIXT.1.1", &nos50)), Ok(()));
    // Header fields of FIX 5 sessions belong to FIXT.1.1.
    let hop = Extensions {
        fields: vec![UserField {
            tag: 5002,
            name: "GatewayHop".into(),
            fix_type: "INT".into(),
            enums: vec![],
            messages: vec![("header".into(), false)],
        }],
    };
    let t = Version::Fixt11.extended(&hop).unwrap();
    let vh = Validator::new(&t, Some(&d50), ValidationOptions::default());
    assert!(vh.is_header_tag(5002));
    let with_hop = nos50.replace("|11=ID", "|5002=3|11=ID");
    assert_eq!(vh.validate(&wire("FIXT.1.1", &with_hop)), Ok(()));
    assert_eq!(
        vh.validate(&wire("FIXT.1.1", &with_hop.replace("5002=3", "5002=x"))),
        rej(R::IncorrectDataFormat, 5002)
    );
    assert_eq!(
        vt.validate(&wire("FIXT.1.1", &with_hop)),
        rej(R::InvalidTagNumber, 5002)
    );
}

#[test]
fn error_priority() {
    // Header errors win over body errors, the lowest tag within a part.
    let r = check(
        v44(),
        "FIX.4.4",
        "D|34=2|43=Q|49=TW|52=<T>|56=ISLD|11=ID|21=9|40=1|54=1|38=1|55=INTC|60=<T>|",
    );
    assert_eq!(r, rej(R::IncorrectDataFormat, 43));
    let r = check(
        v44(),
        "FIX.4.4",
        "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|40=9|54=1|38=1|55=INTC|60=<T>|21=9|",
    );
    assert_eq!(r, rej(R::ValueIsIncorrect, 21));
    // Missing required beats a bad value.
    let r = check(
        v44(),
        "FIX.4.4",
        "D|34=2|49=TW|52=<T>|56=ISLD|21=9|40=1|54=1|38=1|55=INTC|60=<T>|",
    );
    assert_eq!(r, rej(R::RequiredTagMissing, 11));
}

#[test]
fn data_formats() {
    let k = |k: Kind, v: &str| k.accepts(v.as_bytes());
    assert!(
        k(Kind::Float, "002000.00")
            && k(Kind::Float, "-1")
            && k(Kind::Float, ".5")
            && k(Kind::Float, "5.")
    );
    assert!(
        !k(Kind::Float, "+200.00")
            && !k(Kind::Float, "1e5")
            && !k(Kind::Float, "1.2.3")
            && !k(Kind::Float, ".")
            && !k(Kind::Float, "-")
    );
    assert!(
        k(Kind::Int, "-12")
            && k(Kind::Int, "007")
            && !k(Kind::Int, "+1")
            && !k(Kind::Int, "1.0")
            && !k(Kind::Int, "-")
    );
    assert!(k(Kind::NonNegInt, "0") && !k(Kind::NonNegInt, "-1"));
    assert!(k(Kind::Char, "x") && !k(Kind::Char, "xy"));
    assert!(k(Kind::Bool, "Y") && k(Kind::Bool, "N") && !k(Kind::Bool, "y"));
    for ok in [
        "20040415-10:11:12",
        "20040415-10:11:12.123",
        "20040415-10:11:12.123456",
        "20040415-10:11:12.123456789",
        "20001231-23:59:60",
    ] {
        assert!(k(Kind::Timestamp, ok), "{ok}");
    }
    for bad in [
        "20040415",
        "20040415-10:11",
        "20040415-24:00:00",
        "20040231-10:11:12",
        "20040415-10:11:12.",
        "20040415 10:11:12",
        "2004041510:11:12.123",
    ] {
        assert!(!k(Kind::Timestamp, bad), "{bad}");
    }
    assert!(k(Kind::Timestamp, "20040415-10:11:12Z") && k(Kind::TimeOnly, "10:11:12-05:00"));
    assert!(k(Kind::TimeOnly, "10:11:12.5") && !k(Kind::TimeOnly, "10:61:12"));
    assert!(k(Kind::Date, "20240229") && !k(Kind::Date, "20230229") && !k(Kind::Date, "2024022"));
    assert!(
        k(Kind::MonthYear, "202401")
            && k(Kind::MonthYear, "20240115")
            && k(Kind::MonthYear, "202401w2")
    );
    assert!(
        !k(Kind::MonthYear, "202413")
            && !k(Kind::MonthYear, "202401w9")
            && !k(Kind::MonthYear, "2024011")
    );
}

#[test]
fn multiple_value_enums() {
    // ExecInst (18) is MultipleValueString/MultipleCharValue.
    let nos = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=1|55=INTC|60=<T>|18=1 5|";
    assert_eq!(check(v44(), "FIX.4.4", nos), Ok(()));
    assert_eq!(
        check(v44(), "FIX.4.4", &nos.replace("18=1 5", "18=1 #")),
        rej(R::ValueIsIncorrect, 18)
    );
}

/// Rough timing, run with `--ignored --nocapture` (a benchmark belongs
/// in benches/; this only gives a figure during development).
#[test]
#[ignore]
fn timing() {
    let m = wire("FIX.4.4", "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=2|44=10.5|54=1|38=200|55=INTC|60=<T>|59=0|1=ACC|");
    let t = std::time::Instant::now();
    let fixt = Validator::for_session("FIXT.1.1", None, ValidationOptions::default());
    println!("compile FIXT.1.1 + 5.0SP2 + 4.4 + 4.2: {:?}", t.elapsed());
    assert!(fixt.is_some());
    let t = std::time::Instant::now();
    let again = Validator::for_session("FIXT.1.1", None, ValidationOptions::default());
    println!("for_session again (cached): {:?}", t.elapsed());
    assert!(again.is_some());
    let v = v44();
    assert_eq!(v.validate(&m), Ok(()));
    let n = 1_000_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(v.validate(std::hint::black_box(&m))).unwrap();
    }
    println!("validate NewOrderSingle: {:?}/msg", t.elapsed() / n);
}

#[test]
fn the_standard_header_is_the_dictionaries_header() {
    // The list the session used to keep by hand (FIX.4.2 to FIXT.1.1).
    let by_hand = [
        8, 9, 35, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144, 129, 145, 43, 97, 52,
        122, 212, 213, 347, 369, 627, 628, 629, 630, 1128, 1129, 1156,
    ];
    let from_dicts: Vec<i32> = (1..10_000).filter(|&t| is_standard_header_tag(t)).collect();
    // The dictionaries add OnBehalfOfSendingTime (370), a header field of
    // FIX.4.2 and FIX.4.4 the list had missed (a copy put it in the body).
    let mut expected = by_hand.to_vec();
    expected.push(370);
    expected.sort_unstable();
    assert_eq!(from_dicts, expected);
}
