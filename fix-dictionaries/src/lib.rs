//! The FIX data dictionaries the engine validates against.
//!
//! Owns: the QuickFIX-format XML dictionaries for FIX.4.2, FIX.4.4,
//! FIX.5.0SP2 and FIXT.1.1 (copied from fefix 0.7, see `xml/README.md`),
//! embedded in the binary and parsed once into [`fefix::Dictionary`]s, and
//! the way the project adds its own user-defined fields ([`Extensions`]).
//!
//! Does not own: validation of messages (that is `fix_engine::validate`,
//! which compiles a `Dictionary` into lookup tables).
//!
//! # User-defined fields
//!
//! An [`Extensions`] value lists [`UserField`]s: tag, name, QuickFIX type
//! name, optional enum values, and the message types (with "required" flags)
//! whose bodies may carry the field. [`Version::extended`] merges them into
//! the embedded XML text (new `<field>` definitions in `<fields>`, and a
//! `<field name=.. required=..>` reference at the start of each listed
//! `<message>`; the pseudo message type `"header"` adds it to the standard
//! header) and parses the result into a new `Dictionary`. For FIX 5.0
//! sessions the header belongs to FIXT.1.1: extend [`Version::Fixt11`] for
//! header fields and [`Version::Fix50Sp2`] for body fields. Every input is
//! checked first (tag and name unused, known type, XML-safe name, listed
//! message types exist), so a bad extension is an [`ExtensionError`], never
//! a panic inside fefix's parser.
#![forbid(unsafe_code)]

use fefix::dict::FixDatatype;
use fefix::Dictionary;
use std::fmt::Write as _;
use std::sync::OnceLock;

pub use fefix;

const FIX42_XML: &str = include_str!("../xml/FIX-4.2.xml");
const FIX44_XML: &str = include_str!("../xml/FIX-4.4.xml");
const FIX50SP2_XML: &str = include_str!("../xml/FIX-5.0-SP2.xml");
const FIXT11_XML: &str = include_str!("../xml/FIXT-1.1.xml");

/// The dictionaries this crate embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Fix42,
    Fix44,
    Fix50Sp2,
    Fixt11,
}

impl Version {
    /// All embedded versions.
    pub const ALL: [Version; 4] = [
        Version::Fix42,
        Version::Fix44,
        Version::Fix50Sp2,
        Version::Fixt11,
    ];

    /// The QuickFIX-format XML text, as embedded.
    pub fn xml(self) -> &'static str {
        match self {
            Version::Fix42 => FIX42_XML,
            Version::Fix44 => FIX44_XML,
            Version::Fix50Sp2 => FIX50SP2_XML,
            Version::Fixt11 => FIXT11_XML,
        }
    }

    /// The parsed dictionary, loaded on first use and shared afterwards.
    pub fn dictionary(self) -> &'static Dictionary {
        static CELLS: [OnceLock<Dictionary>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        CELLS[self as usize].get_or_init(|| {
            // The embedded files are fixed at build time and covered by this
            // crate's tests, so failing to parse them is a build defect.
            Dictionary::from_quickfix_spec(self.xml())
                .unwrap_or_else(|e| panic!("embedded {self:?} dictionary does not parse: {e:?}"))
        })
    }

    /// The version for a BeginString (8) value: `FIX.4.2`, `FIX.4.4`,
    /// `FIXT.1.1`, or `FIX.5.0SP2` (the ApplVerID spelling of the
    /// application version carried over FIXT.1.1).
    pub fn from_begin_string(s: &str) -> Option<Version> {
        match s {
            "FIX.4.2" => Some(Version::Fix42),
            "FIX.4.4" => Some(Version::Fix44),
            "FIXT.1.1" => Some(Version::Fixt11),
            "FIX.5.0SP2" => Some(Version::Fix50Sp2),
            _ => None,
        }
    }

    /// The version for an ApplVerID (1128) / DefaultApplVerID (1137) value
    /// that this crate has a dictionary for (`4` FIX.4.2, `6` FIX.4.4,
    /// `9` FIX.5.0SP2).
    pub fn from_appl_ver_id(s: &[u8]) -> Option<Version> {
        match s {
            b"4" => Some(Version::Fix42),
            b"6" => Some(Version::Fix44),
            b"9" => Some(Version::Fix50Sp2),
            _ => None,
        }
    }

    /// Parses this version's XML with `ext` merged in.
    pub fn extended(self, ext: &Extensions) -> Result<Dictionary, ExtensionError> {
        let base = self.dictionary();
        let xml = merge_extensions(self.xml(), base, ext)?;
        Dictionary::from_quickfix_spec(&xml).map_err(|e| ExtensionError::Parse(format!("{e:?}")))
    }
}

/// FIX.4.2.
pub fn fix42() -> &'static Dictionary {
    Version::Fix42.dictionary()
}

/// FIX.4.4.
pub fn fix44() -> &'static Dictionary {
    Version::Fix44.dictionary()
}

/// FIX.5.0SP2 (application messages only; the session layer is FIXT.1.1).
pub fn fix50sp2() -> &'static Dictionary {
    Version::Fix50Sp2.dictionary()
}

/// FIXT.1.1 (session messages, header and trailer of FIX 5.0 sessions).
pub fn fixt11() -> &'static Dictionary {
    Version::Fixt11.dictionary()
}

/// The dictionary for a BeginString (see [`Version::from_begin_string`]).
pub fn for_begin_string(s: &str) -> Option<&'static Dictionary> {
    Version::from_begin_string(s).map(Version::dictionary)
}

/// One field the project defines on top of a standard dictionary.
///
/// Deserializable from configuration, e.g. in TOML:
/// `{ tag = 5001, name = "RiskBucket", fix_type = "STRING",
///    enums = [["A", "Alpha"]], messages = [["D", false]] }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserField {
    /// Tag number (by FIX convention 5000-9999 for bilateral fields).
    pub tag: u16,
    /// Name, an XML-safe identifier such as `RiskLimitId`.
    pub name: String,
    /// QuickFIX type name, e.g. `STRING`, `INT`, `PRICE`, `CHAR`.
    pub fix_type: String,
    /// Allowed values with descriptions; empty means any value of the type.
    #[serde(default)]
    pub enums: Vec<(String, String)>,
    /// `(msg_type, required)`: the messages whose body may carry the field;
    /// msg_type `"header"` puts it in the standard header.
    pub messages: Vec<(String, bool)>,
}

/// The project's additions to a standard dictionary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extensions {
    pub fields: Vec<UserField>,
}

/// Why an [`Extensions`] value cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    #[error("tag {tag} ({name}) is already defined")]
    TagInUse { tag: u16, name: String },
    #[error("tag 0 is not a valid tag (field {name})")]
    ZeroTag { name: String },
    #[error("field name {0:?} is already defined")]
    NameInUse(String),
    #[error(
        "field name {0:?} is not an identifier (ASCII letters and digits, starting with a letter)"
    )]
    BadName(String),
    #[error("field {name}: unknown QuickFIX type {fix_type:?}")]
    UnknownType { name: String, fix_type: String },
    #[error("field {name}: message type {msg_type:?} is not in the dictionary")]
    UnknownMessage { name: String, msg_type: String },
    #[error("the merged dictionary does not parse: {0}")]
    Parse(String),
}

fn merge_extensions(
    xml: &str,
    base: &Dictionary,
    ext: &Extensions,
) -> Result<String, ExtensionError> {
    let mut seen_tags = std::collections::HashSet::new();
    let mut seen_names = std::collections::HashSet::new();
    for f in &ext.fields {
        if f.tag == 0 {
            return Err(ExtensionError::ZeroTag {
                name: f.name.clone(),
            });
        }
        if base.field_by_tag(u32::from(f.tag)).is_some() || !seen_tags.insert(f.tag) {
            return Err(ExtensionError::TagInUse {
                tag: f.tag,
                name: f.name.clone(),
            });
        }
        let ident = f
            .name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && f.name.chars().all(|c| c.is_ascii_alphanumeric());
        if !ident {
            return Err(ExtensionError::BadName(f.name.clone()));
        }
        if base.field_by_name(&f.name).is_some() || !seen_names.insert(f.name.clone()) {
            return Err(ExtensionError::NameInUse(f.name.clone()));
        }
        if FixDatatype::from_quickfix_name(&f.fix_type).is_none() {
            return Err(ExtensionError::UnknownType {
                name: f.name.clone(),
                fix_type: f.fix_type.clone(),
            });
        }
        for (mt, _) in &f.messages {
            if mt != "header" && base.message_by_msgtype(mt).is_none() {
                return Err(ExtensionError::UnknownMessage {
                    name: f.name.clone(),
                    msg_type: mt.clone(),
                });
            }
        }
    }

    let mut out = xml.to_owned();
    // Field definitions go at the end of <fields>.
    let mut defs = String::new();
    for f in &ext.fields {
        let _ = write!(
            defs,
            "  <field number='{}' name='{}' type='{}'",
            f.tag,
            f.name,
            f.fix_type.to_ascii_uppercase()
        );
        if f.enums.is_empty() {
            defs.push_str(" />\n");
        } else {
            defs.push_str(">\n");
            for (value, description) in &f.enums {
                let _ = writeln!(
                    defs,
                    "   <value enum='{}' description='{}' />",
                    escape(value),
                    escape(description)
                );
            }
            defs.push_str("  </field>\n");
        }
    }
    let fields_end = find_section_end(&out, "fields")?;
    out.insert_str(fields_end, &defs);

    // References go first in each listed message (or the header).
    for f in &ext.fields {
        for (mt, required) in &f.messages {
            let reference = format!(
                "\n   <field name='{}' required='{}' />",
                f.name,
                if *required { 'Y' } else { 'N' }
            );
            let at = if mt == "header" {
                open_tag_end(&mut out, "<header")?
            } else {
                message_open_tag_end(&mut out, mt)?
            };
            out.insert_str(at, &reference);
        }
    }
    Ok(out)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// Byte offset of `</name>` for the top-level section `name`.
fn find_section_end(xml: &str, name: &str) -> Result<usize, ExtensionError> {
    xml.rfind(&format!("</{name}>"))
        .ok_or_else(|| ExtensionError::Parse(format!("no </{name}> in the dictionary")))
}

/// Byte offset just after the `>` of the first element opening with `prefix`.
fn open_tag_end(xml: &mut String, prefix: &str) -> Result<usize, ExtensionError> {
    let start = xml
        .find(prefix)
        .ok_or_else(|| ExtensionError::Parse(format!("no {prefix}> in the dictionary")))?;
    tag_close(xml, start)
}

fn message_open_tag_end(xml: &mut String, msg_type: &str) -> Result<usize, ExtensionError> {
    let messages = xml
        .find("<messages")
        .ok_or_else(|| ExtensionError::Parse("no <messages> in the dictionary".into()))?;
    for quote in ['\'', '"'] {
        let needle = format!("msgtype={quote}{msg_type}{quote}");
        if let Some(pos) = xml[messages..].find(&needle) {
            let at = messages + pos;
            let start = xml[..at].rfind('<').unwrap_or(at);
            return tag_close(xml, start);
        }
    }
    Err(ExtensionError::Parse(format!(
        "message {msg_type:?} not found in the XML text"
    )))
}

/// Byte offset just after the `>` of the opening tag that starts at `from`.
/// A self-closing element (`<header/>`) is first opened up into
/// `<header></header>` so that children can be inserted.
fn tag_close(xml: &mut String, from: usize) -> Result<usize, ExtensionError> {
    let rel = xml[from..]
        .find('>')
        .ok_or_else(|| ExtensionError::Parse("unterminated tag".into()))?;
    let gt = from + rel;
    if xml[..gt].ends_with('/') {
        let name: String = xml[from + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        xml.replace_range(gt - 1..gt + 1, &format!("></{name}>"));
        return Ok(gt);
    }
    Ok(gt + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fefix::dict::LayoutItemKind;

    #[test]
    fn every_embedded_dictionary_parses_with_its_version() {
        assert_eq!(fix42().get_version(), "FIX.4.2");
        assert_eq!(fix44().get_version(), "FIX.4.4");
        assert_eq!(fix50sp2().get_version(), "FIX.5.0-SP2");
        assert_eq!(fixt11().get_version(), "FIXT.1.1");
        assert!(fix44().message_by_msgtype("D").is_some());
        assert!(fixt11().message_by_msgtype("A").is_some());
        assert!(fixt11().message_by_msgtype("D").is_none());
    }

    #[test]
    fn loaded_once() {
        assert!(std::ptr::eq(fix44(), fix44()));
    }

    #[test]
    fn begin_string_lookup() {
        assert!(std::ptr::eq(for_begin_string("FIX.4.2").unwrap(), fix42()));
        assert!(std::ptr::eq(
            for_begin_string("FIXT.1.1").unwrap(),
            fixt11()
        ));
        assert!(for_begin_string("FIX.4.3").is_none());
        assert_eq!(Version::from_appl_ver_id(b"9"), Some(Version::Fix50Sp2));
    }

    fn sample() -> Extensions {
        Extensions {
            fields: vec![
                UserField {
                    tag: 5001,
                    name: "RiskBucket".into(),
                    fix_type: "STRING".into(),
                    enums: vec![
                        ("A".into(), "Alpha & co".into()),
                        ("B".into(), "Beta".into()),
                    ],
                    messages: vec![("D".into(), false), ("8".into(), true)],
                },
                UserField {
                    tag: 5002,
                    name: "GatewayHop".into(),
                    fix_type: "INT".into(),
                    enums: vec![],
                    messages: vec![("header".into(), false)],
                },
            ],
        }
    }

    fn body_refs(d: &Dictionary, mt: &str) -> Vec<(u16, bool)> {
        d.message_by_msgtype(mt)
            .unwrap()
            .layout()
            .filter_map(|i| match i.kind() {
                LayoutItemKind::Field(f) => Some((f.tag().get(), i.required())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn user_fields_are_merged() {
        for v in Version::ALL {
            if v == Version::Fixt11 {
                continue;
            }
            let d = v.extended(&sample()).unwrap();
            let f = d.field_by_tag(5001).unwrap();
            assert_eq!(f.name(), "RiskBucket");
            let values: Vec<String> = f.enums().unwrap().map(|e| e.value().to_owned()).collect();
            assert_eq!(values, ["A", "B"]);
            assert!(body_refs(&d, "D").contains(&(5001, false)));
            assert!(body_refs(&d, "8").contains(&(5001, true)));
            assert!(!body_refs(&d, "G").iter().any(|(t, _)| *t == 5001));
            let header = d.component_by_name("StandardHeader").unwrap();
            assert!(header.items().any(|i| matches!(i.kind(),
                LayoutItemKind::Field(f) if f.tag().get() == 5002)));
            // The shared dictionary is unchanged.
            assert!(v.dictionary().field_by_tag(5001).is_none());
        }
    }

    #[test]
    fn bad_extensions_are_errors() {
        let mut e = sample();
        e.fields[0].tag = 55;
        assert!(matches!(
            fix44_ext(&e),
            Err(ExtensionError::TagInUse { tag: 55, .. })
        ));
        let mut e = sample();
        e.fields[1].tag = 5001;
        assert!(matches!(
            fix44_ext(&e),
            Err(ExtensionError::TagInUse { tag: 5001, .. })
        ));
        let mut e = sample();
        e.fields[0].name = "Symbol".into();
        assert_eq!(
            fix44_ext(&e).unwrap_err(),
            ExtensionError::NameInUse("Symbol".into())
        );
        let mut e = sample();
        e.fields[0].name = "a'b".into();
        assert!(matches!(fix44_ext(&e), Err(ExtensionError::BadName(_))));
        let mut e = sample();
        e.fields[0].fix_type = "BIGNUM".into();
        assert!(matches!(
            fix44_ext(&e),
            Err(ExtensionError::UnknownType { .. })
        ));
        let mut e = sample();
        e.fields[0].messages.push(("ZZ".into(), false));
        assert!(matches!(
            fix44_ext(&e),
            Err(ExtensionError::UnknownMessage { .. })
        ));
        let mut e = sample();
        e.fields[0].tag = 0;
        assert!(matches!(fix44_ext(&e), Err(ExtensionError::ZeroTag { .. })));
    }

    #[test]
    fn extensions_deserialize() {
        let e: Extensions = serde_json::from_str(
            r#"{"fields": [{"tag": 5001, "name": "RiskBucket", "fix_type": "STRING",
                "enums": [["A", "Alpha & co"], ["B", "Beta"]],
                "messages": [["D", false], ["8", true]]},
               {"tag": 5002, "name": "GatewayHop", "fix_type": "INT",
                "messages": [["header", false]]}]}"#,
        )
        .unwrap();
        assert_eq!(e, sample());
        let bad = r#"{"fields": [{"tag": 5001, "name": "X", "fix_type": "INT", "messages": [], "colour": 1}]}"#;
        assert!(serde_json::from_str::<Extensions>(bad).is_err());
    }

    fn fix44_ext(e: &Extensions) -> Result<Dictionary, ExtensionError> {
        Version::Fix44.extended(e)
    }
}
