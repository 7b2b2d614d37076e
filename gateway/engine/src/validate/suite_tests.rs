//! The validator against every inbound message of the shared FIX session
//! acceptance suite (read from `../shared`, never copied here). Ignored by
//! default: `scripts/test.sh` runs it when the suite is present.

use super::tests::{v42, v44, vt, T};
use super::*;
use crate::tags::Tag;
use bytes::Bytes;
use SessionRejectReason as R;

/// Every inbound message of the shared acceptance suite (QuickFIX's
/// scripts, read from `../shared`, never copied here): where the script
/// expects a Reject whose reason is a dictionary check, the validator
/// must give that reason and RefTagID; where it expects no Reject, the
/// message must pass, except for the scripts listed whose message the
/// session drops or refuses before validation.
///
/// Ignored by default: a clone of this repository on its own has no
/// `../shared`. `scripts/test.sh` runs it (`--ignored`) whenever the
/// suite is there, and says plainly when it is not.
#[test]
#[ignore = "reads the shared FIX acceptance suite (../shared/fix-acceptance, or FIX_ACCEPTANCE_DIR); scripts/test.sh runs it when present"]
fn acceptance_suite_messages() {
    let root = std::env::var("FIX_ACCEPTANCE_DIR").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fix-acceptance"
        )
        .to_owned()
    });
    // Garbled (2t, 3b), refused at logon (1d), or a session rule rather
    // than a dictionary one (2g: OrigSendingTime required with PossDup).
    let session_level = [
        "2t_FirstThreeFieldsOutOfOrder",
        "3b_InvalidChecksum",
        "1d_InvalidLogonNoDefaultApplVerID",
        "2g_PossDupNoOrigSendingTime",
    ];
    let dictionary_reasons = [0, 1, 2, 4, 5, 6, 11, 13, 14, 16];
    let field = |line: &str, tag: &str| {
        line.split('\x01')
            .find_map(|f| f.strip_prefix(&format!("{tag}=")).map(str::to_owned))
    };
    let (mut rejects, mut passes) = (0, 0);
    for (dir, v) in [("fix42", v42()), ("fix44", v44()), ("fix50sp2", vt())] {
        let path = format!("{root}/{dir}");
        let entries = std::fs::read_dir(&path).unwrap_or_else(|e| {
            panic!("acceptance suite not found at {path} ({e}); set FIX_ACCEPTANCE_DIR")
        });
        for entry in entries {
            let p = entry.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let Some(sent) = line.strip_prefix("I8=") else {
                    continue;
                };
                let sent = time_placeholders(&format!("8={sent}"));
                let Some((begin, tail)) = sent.split_once('\x01') else {
                    continue;
                };
                let mut s = format!("{begin}\x01");
                if !tail.starts_with("9=") {
                    s.push_str("9=0\x01");
                }
                s.push_str(tail);
                if !s.contains("\x0110=") {
                    s.push_str("10=000\x01");
                }
                let Ok(m) = Message::parse_trusted(Bytes::from(s.clone())) else {
                    continue;
                };
                let got = v.validate(&m);
                let next = lines[i + 1..]
                    .iter()
                    .find(|l| l.starts_with('E') || l.starts_with('I'))
                    .filter(|l| l.starts_with('E'));
                let reject = next.filter(|e| field(e, "35").as_deref() == Some("3"));
                let shown = s.replace('\x01', "|");
                match reject {
                    Some(_) if session_level.contains(&name.as_str()) => {}
                    Some(e) => {
                        let Some(code) = field(e, "373").and_then(|c| c.parse::<u32>().ok()) else {
                            continue;
                        };
                        if !dictionary_reasons.contains(&code) {
                            continue;
                        }
                        let reason = R::from_code(code).unwrap();
                        let ref_tag = field(e, "371").map(|t| Tag(t.parse::<i32>().unwrap()));
                        if ref_tag.is_none() && reason != R::InvalidMsgType {
                            // e.g. 11c: a NewSeqNo lower than expected.
                            continue;
                        }
                        assert_eq!(
                            got,
                            Err(Rejection { reason, ref_tag }),
                            "{dir}/{name}: {shown}"
                        );
                        rejects += 1;
                    }
                    None if session_level.contains(&name.as_str()) => {}
                    None => {
                        assert_eq!(got, Ok(()), "{dir}/{name}: {shown}");
                        passes += 1;
                    }
                }
            }
        }
    }
    assert!(
        rejects >= 60 && passes >= 500,
        "rejects {rejects}, passes {passes}"
    );
}

/// `<TIME>`, `<TIME-1>`, `<TIME+121>`... become a valid timestamp (the
/// suite's SendingTime checks are the session's, not the validator's).
fn time_placeholders(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("<TIME") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(T);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
