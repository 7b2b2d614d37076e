//! Message validation against a FIX data dictionary, with the semantics of
//! QuickFIX's `DataDictionary::validate` (the shared acceptance suite checks
//! its exact SessionRejectReasons and RefTagIDs).
//!
//! Owns: compiling a [`fefix::Dictionary`] once into flat lookup tables
//! (field type and enum set indexed by tag; per message type a bitset of the
//! tags its body allows, its required tags in ascending order and its
//! repeating groups, recursively; the same for the standard header and
//! trailer), and checking a decoded [`Message`] against them without
//! allocating on the accept path.
//!
//! Does not own: framing, BodyLength/CheckSum (the codec), sequence numbers,
//! CompIDs and SendingTime (the session), or what to answer (the session
//! turns a [`Rejection`] into a Reject (3)).
//!
//! # Order of checks (first failure wins)
//!
//! 1. Structure (if `check_fields_out_of_order`): a header tag after the
//!    first body or trailer tag, or a body tag after a trailer tag, is
//!    `TagSpecifiedOutOfRequiredOrder` with that tag (QuickFIX's
//!    `hasValidStructure`).
//! 2. Message type known to the dictionary that validates the body, else
//!    `InvalidMsgType` without a RefTagID.
//! 3. Required tags: header, trailer, body (each in ascending tag order),
//!    then inside each present group instance, in wire order.
//! 4. Each field: empty value, data format, enum value, tag defined, tag
//!    allowed in this message, tag repeated, group count. As in QuickFIX the
//!    header is reported before the trailer, the trailer before the body's
//!    top-level fields, and those before fields inside groups; within the
//!    header, trailer and body the error on the lowest tag wins (QuickFIX
//!    sorts those field maps by tag), within groups the first in wire order.
//!
//! Group instances are delimited as QuickFIX's parser does: an instance
//! starts at the delimiter (first field of the group), at the first member
//! field when no instance is open, or at a member already present in the
//! open instance; the first field that is not a member ends the group.
//!
//! # FIXT.1.1
//!
//! Session messages (0 1 2 3 4 5 A) are validated entirely against the
//! session dictionary. Application messages take header and trailer from the
//! session dictionary and the body from the application dictionary chosen by
//! ApplVerID (1128) in the header, or the default one. An ApplVerID this
//! validator has no dictionary for is `ValueIsIncorrect` on 1128.
//!
//! # Deliberate differences from QuickFIX
//!
//! - Header repeating-group counts (NoHops 627) are checked; QuickFIX
//!   checks group counts only in the body.
//! - Tags <= 0 are always `InvalidTagNumber`, whatever the options.
//! - fefix maps TZTimeOnly/TZTimestamp onto its UTC time types, so time
//!   values may carry a time-zone suffix (`Z`, `+hh`, `-hh:mm`).
//! - The body is checked against the fields table of the application
//!   dictionary; header fields of FIXT application messages are checked
//!   against FIXT.1.1 (QuickFIX's application dictionary for FIX 5.0 has an
//!   empty header, so it checks no header requirements there).
#![forbid(unsafe_code)]

use crate::codec::{Field, Message};
use fefix::dict::{Component, FixDatatype, LayoutItem, LayoutItemKind};
use fefix::Dictionary;
use fix_dictionaries::Version;
use serde::Deserialize;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// SessionRejectReason (373) values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejectReason {
    #[error("Invalid tag number")]
    InvalidTagNumber,
    #[error("Required tag missing")]
    RequiredTagMissing,
    #[error("Tag not defined for this message type")]
    TagNotDefinedForMessageType,
    #[error("Undefined Tag")]
    UndefinedTag,
    #[error("Tag specified without a value")]
    TagSpecifiedWithoutValue,
    #[error("Value is incorrect (out of range) for this tag")]
    ValueIsIncorrect,
    #[error("Incorrect data format for value")]
    IncorrectDataFormat,
    #[error("Decryption problem")]
    DecryptionProblem,
    #[error("Signature problem")]
    SignatureProblem,
    #[error("CompID problem")]
    CompIdProblem,
    #[error("SendingTime accuracy problem")]
    SendingTimeAccuracyProblem,
    #[error("Invalid MsgType")]
    InvalidMsgType,
    #[error("XML Validation error")]
    XmlValidationError,
    #[error("Tag appears more than once")]
    TagAppearsMoreThanOnce,
    #[error("Tag specified out of required order")]
    TagSpecifiedOutOfRequiredOrder,
    #[error("Repeating group fields out of order")]
    RepeatingGroupFieldsOutOfOrder,
    #[error("Incorrect NumInGroup count for repeating group")]
    IncorrectNumInGroupCount,
    #[error("Non Data value includes field delimiter (SOH character)")]
    NonDataValueIncludesFieldDelimiter,
    #[error("Other")]
    Other,
}

impl SessionRejectReason {
    /// Every value, in code order.
    pub const ALL: [SessionRejectReason; 19] = [
        Self::InvalidTagNumber,
        Self::RequiredTagMissing,
        Self::TagNotDefinedForMessageType,
        Self::UndefinedTag,
        Self::TagSpecifiedWithoutValue,
        Self::ValueIsIncorrect,
        Self::IncorrectDataFormat,
        Self::DecryptionProblem,
        Self::SignatureProblem,
        Self::CompIdProblem,
        Self::SendingTimeAccuracyProblem,
        Self::InvalidMsgType,
        Self::XmlValidationError,
        Self::TagAppearsMoreThanOnce,
        Self::TagSpecifiedOutOfRequiredOrder,
        Self::RepeatingGroupFieldsOutOfOrder,
        Self::IncorrectNumInGroupCount,
        Self::NonDataValueIncludesFieldDelimiter,
        Self::Other,
    ];

    /// The value of tag 373.
    pub fn code(self) -> u32 {
        match self {
            Self::InvalidTagNumber => 0,
            Self::RequiredTagMissing => 1,
            Self::TagNotDefinedForMessageType => 2,
            Self::UndefinedTag => 3,
            Self::TagSpecifiedWithoutValue => 4,
            Self::ValueIsIncorrect => 5,
            Self::IncorrectDataFormat => 6,
            Self::DecryptionProblem => 7,
            Self::SignatureProblem => 8,
            Self::CompIdProblem => 9,
            Self::SendingTimeAccuracyProblem => 10,
            Self::InvalidMsgType => 11,
            Self::XmlValidationError => 12,
            Self::TagAppearsMoreThanOnce => 13,
            Self::TagSpecifiedOutOfRequiredOrder => 14,
            Self::RepeatingGroupFieldsOutOfOrder => 15,
            Self::IncorrectNumInGroupCount => 16,
            Self::NonDataValueIncludesFieldDelimiter => 17,
            Self::Other => 99,
        }
    }

    /// The reason for a 373 value.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// QuickFIX's Text (58) for this reason.
    pub fn text(self) -> &'static str {
        match self {
            Self::InvalidTagNumber => "Invalid tag number",
            Self::RequiredTagMissing => "Required tag missing",
            Self::TagNotDefinedForMessageType => "Tag not defined for this message type",
            Self::UndefinedTag => "Undefined Tag",
            Self::TagSpecifiedWithoutValue => "Tag specified without a value",
            Self::ValueIsIncorrect => "Value is incorrect (out of range) for this tag",
            Self::IncorrectDataFormat => "Incorrect data format for value",
            Self::DecryptionProblem => "Decryption problem",
            Self::SignatureProblem => "Signature problem",
            Self::CompIdProblem => "CompID problem",
            Self::SendingTimeAccuracyProblem => "SendingTime accuracy problem",
            Self::InvalidMsgType => "Invalid MsgType",
            Self::XmlValidationError => "XML Validation error",
            Self::TagAppearsMoreThanOnce => "Tag appears more than once",
            Self::TagSpecifiedOutOfRequiredOrder => "Tag specified out of required order",
            Self::RepeatingGroupFieldsOutOfOrder => "Repeating group fields out of order",
            Self::IncorrectNumInGroupCount => "Incorrect NumInGroup count for repeating group",
            Self::NonDataValueIncludesFieldDelimiter => {
                "Non Data value includes field delimiter (SOH character)"
            }
            Self::Other => "Other",
        }
    }
}

/// Why a message fails validation: SessionRejectReason (373) and RefTagID
/// (371), the tag as the peer sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{reason} (373={}, 371={:?})", .reason.code(), .ref_tag)]
pub struct Rejection {
    pub reason: SessionRejectReason,
    pub ref_tag: Option<i32>,
}

impl Rejection {
    fn at(reason: SessionRejectReason, tag: i32) -> Self {
        Self {
            reason,
            ref_tag: Some(tag),
        }
    }
}

/// QuickFIX's validation settings that this validator honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationOptions {
    /// Header/body/trailer order (QuickFIX `ValidateFieldsOutOfOrder`).
    pub check_fields_out_of_order: bool,
    /// Tags 5000 and up must be defined too (`ValidateUserDefinedFields`).
    pub check_user_defined_fields: bool,
    /// Undefined tags below 5000, and tags not in the message, are let
    /// through (`AllowUnknownMsgFields`).
    pub allow_unknown_message_fields: bool,
    /// Values of enumerated fields must be listed (`ValidateFieldsHaveValues`
    /// is always on; this is QuickFIX's enum check).
    pub check_enum_values: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            check_fields_out_of_order: true,
            check_user_defined_fields: true,
            allow_unknown_message_fields: false,
            check_enum_values: true,
        }
    }
}

/// A dictionary (or a session/application pair) compiled for validation.
/// The compiled tables are shared (`Arc`), so cloning is cheap.
#[derive(Debug, Clone)]
pub struct Validator {
    session: Arc<Tables>,
    /// Application dictionaries by ApplVerID; empty when the session
    /// dictionary also defines the application messages (FIX.4.x).
    apps: Vec<(Box<[u8]>, Arc<Tables>)>,
    default_app: usize,
    options: ValidationOptions,
}

impl Validator {
    /// Compiles `session_dict` (FIX.4.x, or FIXT.1.1) and, for FIXT, the
    /// default application dictionary. For FIX.4.x pass the same dictionary
    /// (or `None`) as `app_dict`.
    pub fn new(
        session_dict: &Dictionary,
        app_dict: Option<&Dictionary>,
        options: ValidationOptions,
    ) -> Self {
        let mut v = Self {
            session: Arc::new(Tables::compile(session_dict)),
            apps: Vec::new(),
            default_app: 0,
            options,
        };
        if let Some(app) = app_dict {
            if app.get_version() != session_dict.get_version() {
                let id = appl_ver_id_for(app.get_version()).unwrap_or("");
                v.add_app_dictionary(id, app);
            }
        }
        v
    }

    /// The validator for a session's BeginString with the embedded
    /// dictionaries: FIX.4.2 and FIX.4.4 validate against themselves;
    /// FIXT.1.1 validates session messages against FIXT.1.1 and application
    /// messages against FIX.5.0SP2 (ApplVerID 9), FIX.4.4 (6) or FIX.4.2 (4),
    /// by ApplVerID (1128) or else `default_appl_ver_id` (DefaultApplVerID
    /// from the Logon; 9 if `None`). `None` for other BeginStrings or a
    /// default ApplVerID without a dictionary. The embedded dictionaries are
    /// compiled once per process, so this is cheap after the first call.
    pub fn for_session(
        begin_string: &str,
        default_appl_ver_id: Option<&[u8]>,
        options: ValidationOptions,
    ) -> Option<Self> {
        let version = Version::from_begin_string(begin_string)?;
        let session_only = |session| Self {
            session,
            apps: Vec::new(),
            default_app: 0,
            options,
        };
        match version {
            Version::Fixt11 => {
                let mut v = session_only(embedded(Version::Fixt11));
                v.apps = vec![
                    ((*b"9").into(), embedded(Version::Fix50Sp2)),
                    ((*b"6").into(), embedded(Version::Fix44)),
                    ((*b"4").into(), embedded(Version::Fix42)),
                ];
                v.set_default_appl_ver_id(default_appl_ver_id.unwrap_or(b"9"))
                    .then_some(v)
            }
            Version::Fix50Sp2 => None,
            version => Some(session_only(embedded(version))),
        }
    }

    /// Adds (or replaces) the application dictionary used for messages whose
    /// ApplVerID (1128) is `appl_ver_id`. The first one added is the
    /// default (DefaultApplVerID); see [`Validator::set_default_appl_ver_id`].
    pub fn add_app_dictionary(&mut self, appl_ver_id: &str, dict: &Dictionary) {
        let tables = Arc::new(Tables::compile(dict));
        let key: Box<[u8]> = appl_ver_id.as_bytes().into();
        match self.apps.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = tables,
            None => self.apps.push((key, tables)),
        }
    }

    /// Makes the dictionary registered for `appl_ver_id` the default; false
    /// if there is none.
    pub fn set_default_appl_ver_id(&mut self, appl_ver_id: &[u8]) -> bool {
        match self.apps.iter().position(|(k, _)| &**k == appl_ver_id) {
            Some(i) => {
                self.default_app = i;
                true
            }
            None => false,
        }
    }

    pub fn options(&self) -> &ValidationOptions {
        &self.options
    }

    /// True if `tag` belongs to the standard header (including the members
    /// of header groups such as NoHops).
    pub fn is_header_tag(&self, tag: i32) -> bool {
        self.session.header_all.contains(tag)
    }

    /// True if `tag` belongs to the standard trailer.
    pub fn is_trailer_tag(&self, tag: i32) -> bool {
        self.session.trailer_all.contains(tag)
    }

    /// True if any of the dictionaries defines this message type.
    pub fn is_known_msg_type(&self, msg_type: &[u8]) -> bool {
        self.session.message(msg_type).is_some()
            || self.apps.iter().any(|(_, t)| t.message(msg_type).is_some())
    }

    /// Checks `msg`; `Ok(())` if it is valid, else the first problem in the
    /// order described in the module documentation.
    pub fn validate(&self, msg: &Message) -> Result<(), Rejection> {
        let msg_type = msg.msg_type();
        let body_tables = self.body_tables(msg)?;
        let body_section = body_tables.message(msg_type);
        let mut found = Found::default();
        let fields = msg.fields();
        let head: &Tables = &self.session;

        let mut header_seen = Seen::new();
        let mut trailer_seen = Seen::new();
        let mut body_seen = Seen::new();
        let mut state = Part::Header;
        let mut i = 0;
        while i < fields.len() {
            let f = fields[i];
            let tag = f.tag;
            let value = msg.value(&f);
            i += 1;
            let (tables, section, part) = if head.header.allowed.contains(tag) {
                (head, Some(&head.header), Part::Header)
            } else if head.trailer.allowed.contains(tag) {
                (head, Some(&head.trailer), Part::Trailer)
            } else {
                (body_tables, body_section, Part::Body)
            };
            if found.structure.is_none() {
                let out_of_order = match part {
                    Part::Header => state != Part::Header,
                    Part::Body => state == Part::Trailer,
                    Part::Trailer => false,
                };
                if out_of_order {
                    found.structure = Some(tag);
                }
            }
            state = match part {
                Part::Header if state != Part::Header => state,
                p => p,
            };
            let Some(section) = section else {
                // Unknown message type: only the structure is of interest.
                continue;
            };
            let seen = match part {
                Part::Header => &mut header_seen,
                Part::Trailer => &mut trailer_seen,
                Part::Body => &mut body_seen,
            };
            let mut problem = None;
            if !seen.insert(tag) {
                problem = Some(Rejection::at(
                    SessionRejectReason::TagAppearsMoreThanOnce,
                    tag,
                ));
            }
            if problem.is_none() {
                let allowed_in = (part == Part::Body).then_some(section);
                problem = self.check_field(tables, tag, value, allowed_in);
            }
            if tag > 0 && section.counts.contains(tag) {
                if let Some(group) = section.group(tag) {
                    let (next, instances) =
                        self.walk_group(tables, group, fields, msg, i, &mut found);
                    i = next;
                    if problem.is_none() && parse_count(value) != Some(instances) {
                        problem = Some(Rejection::at(
                            SessionRejectReason::IncorrectNumInGroupCount,
                            tag,
                        ));
                    }
                }
            }
            if let Some(p) = problem {
                let slot = match part {
                    Part::Header => &mut found.header,
                    Part::Trailer => &mut found.trailer,
                    Part::Body => &mut found.body,
                };
                offer_lowest(slot, p);
            }
        }

        if let Some(tag) = found.structure {
            if self.options.check_fields_out_of_order {
                return Err(Rejection::at(
                    SessionRejectReason::TagSpecifiedOutOfRequiredOrder,
                    tag,
                ));
            }
        }
        let Some(body_section) = body_section else {
            return Err(Rejection {
                reason: SessionRejectReason::InvalidMsgType,
                ref_tag: None,
            });
        };
        missing(&head.header.required, &header_seen)?;
        missing(&head.trailer.required, &trailer_seen)?;
        missing(&body_section.required, &body_seen)?;
        let first = [
            found.group_required,
            found.header,
            found.trailer,
            found.body,
            found.groups,
        ]
        .into_iter()
        .flatten()
        .next();
        match first {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }

    /// The tables that validate the body of `msg`.
    fn body_tables(&self, msg: &Message) -> Result<&Tables, Rejection> {
        if self.apps.is_empty() || msg.is_admin() {
            return Ok(&self.session);
        }
        match msg.get(1128) {
            None => Ok(&self.apps[self.default_app].1),
            Some(id) => self
                .apps
                .iter()
                .find(|(k, _)| &**k == id)
                .map(|(_, t)| &**t)
                .ok_or(Rejection::at(SessionRejectReason::ValueIsIncorrect, 1128)),
        }
    }

    /// Consumes the instances of `group` starting at `fields[start]`;
    /// returns the index of the first field after the group and the number
    /// of instances.
    fn walk_group(
        &self,
        tables: &Tables,
        group: &GroupSpec,
        fields: &[Field],
        msg: &Message,
        start: usize,
        found: &mut Found,
    ) -> (usize, u64) {
        let mut instances = 0u64;
        let mut seen: SmallVec<[i32; 16]> = SmallVec::new();
        let mut i = start;
        while i < fields.len() {
            let f = fields[i];
            let tag = f.tag;
            if !group.body.allowed.contains(tag) {
                break;
            }
            if instances == 0 || tag == group.delim || seen.contains(&tag) {
                if instances > 0 {
                    offer_first(&mut found.group_required, missing_err(&group.body, &seen));
                }
                instances += 1;
                seen.clear();
            }
            seen.push(tag);
            let value = msg.value(&f);
            i += 1;
            let mut problem = self.check_field(tables, tag, value, None);
            if group.body.counts.contains(tag) {
                if let Some(nested) = group.body.group(tag) {
                    let (next, n) = self.walk_group(tables, nested, fields, msg, i, found);
                    i = next;
                    if problem.is_none() && parse_count(value) != Some(n) {
                        problem = Some(Rejection::at(
                            SessionRejectReason::IncorrectNumInGroupCount,
                            tag,
                        ));
                    }
                }
            }
            offer_first(&mut found.groups, problem);
        }
        if instances > 0 {
            offer_first(&mut found.group_required, missing_err(&group.body, &seen));
        }
        (i, instances)
    }

    /// Checks one field's value and, for top-level body fields
    /// (`allowed_in`), that the message allows it.
    fn check_field(
        &self,
        tables: &Tables,
        tag: i32,
        value: &[u8],
        allowed_in: Option<&Section>,
    ) -> Option<Rejection> {
        use SessionRejectReason as R;
        if value.is_empty() {
            return Some(Rejection::at(R::TagSpecifiedWithoutValue, tag));
        }
        let def = tables.field(tag);
        if let Some(def) = def {
            if !def.kind.accepts(value) {
                return Some(Rejection::at(R::IncorrectDataFormat, tag));
            }
            if self.options.check_enum_values {
                if let Some(set) = tables.enum_set(def) {
                    let ok = if def.kind == Kind::Multi {
                        value
                            .split(|&b| b == b' ')
                            .filter(|v| !v.is_empty())
                            .all(|v| set.contains(v))
                    } else {
                        set.contains(value)
                    };
                    if !ok {
                        return Some(Rejection::at(R::ValueIsIncorrect, tag));
                    }
                }
            }
        }
        if tag <= 0 {
            return Some(Rejection::at(R::InvalidTagNumber, tag));
        }
        if self.should_check_tag(tag) {
            if def.is_none() {
                return Some(Rejection::at(R::InvalidTagNumber, tag));
            }
            if let Some(section) = allowed_in {
                if !section.allowed.contains(tag) {
                    return Some(Rejection::at(R::TagNotDefinedForMessageType, tag));
                }
            }
        }
        None
    }

    fn should_check_tag(&self, tag: i32) -> bool {
        if tag >= USER_MIN {
            self.options.check_user_defined_fields
        } else {
            !self.options.allow_unknown_message_fields
        }
    }
}

/// Tags seen in one part of a message: a bitset for tags below 2048, a
/// short list (on the stack for typical sizes) for the rest.
struct Seen {
    low: [u64; 32],
    high: SmallVec<[i32; 8]>,
}

impl Seen {
    fn new() -> Self {
        Self {
            low: [0; 32],
            high: SmallVec::new(),
        }
    }

    /// Adds `tag`; false if it was already there.
    #[inline]
    fn insert(&mut self, tag: i32) -> bool {
        if (0..2048).contains(&tag) {
            let (w, b) = (tag as usize / 64, tag as usize % 64);
            let fresh = self.low[w] & (1 << b) == 0;
            self.low[w] |= 1 << b;
            fresh
        } else if self.high.contains(&tag) {
            false
        } else {
            self.high.push(tag);
            true
        }
    }

    #[inline]
    fn contains(&self, tag: i32) -> bool {
        if (0..2048).contains(&tag) {
            self.low[tag as usize / 64] & (1 << (tag as usize % 64)) != 0
        } else {
            self.high.contains(&tag)
        }
    }
}

trait TagLookup {
    fn has(&self, tag: i32) -> bool;
}

impl TagLookup for Seen {
    fn has(&self, tag: i32) -> bool {
        self.contains(tag)
    }
}

impl TagLookup for [i32] {
    fn has(&self, tag: i32) -> bool {
        self.contains(&tag)
    }
}

/// The compiled tables of an embedded dictionary, built once per process.
fn embedded(version: Version) -> Arc<Tables> {
    static CACHE: [OnceLock<Arc<Tables>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = match version {
        Version::Fix42 => 0,
        Version::Fix44 => 1,
        Version::Fix50Sp2 => 2,
        Version::Fixt11 => 3,
    };
    CACHE[slot]
        .get_or_init(|| Arc::new(Tables::compile(version.dictionary())))
        .clone()
}

/// First user-defined tag (FIX convention, QuickFIX `FIELD::UserMin`).
const USER_MIN: i32 = 5000;

fn appl_ver_id_for(version: &str) -> Option<&'static str> {
    match version {
        "FIX.4.2" => Some("4"),
        "FIX.4.4" => Some("6"),
        "FIX.5.0" => Some("7"),
        "FIX.5.0-SP1" => Some("8"),
        "FIX.5.0-SP2" => Some("9"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Header,
    Body,
    Trailer,
}

/// Problems found during the walk, one slot per reporting class.
#[derive(Default)]
struct Found {
    structure: Option<i32>,
    group_required: Option<Rejection>,
    header: Option<Rejection>,
    trailer: Option<Rejection>,
    body: Option<Rejection>,
    groups: Option<Rejection>,
}

/// Keeps the problem on the lowest tag (QuickFIX reports in tag order).
fn offer_lowest(slot: &mut Option<Rejection>, r: Rejection) {
    match slot {
        Some(old) if old.ref_tag <= r.ref_tag => {}
        _ => *slot = Some(r),
    }
}

fn offer_first(slot: &mut Option<Rejection>, r: Option<Rejection>) {
    if slot.is_none() {
        *slot = r;
    }
}

fn missing<S: TagLookup + ?Sized>(required: &[i32], seen: &S) -> Result<(), Rejection> {
    match required.iter().find(|&&t| !seen.has(t)) {
        Some(&t) => Err(Rejection::at(SessionRejectReason::RequiredTagMissing, t)),
        None => Ok(()),
    }
}

fn missing_err(section: &Section, seen: &[i32]) -> Option<Rejection> {
    missing(&section.required, seen).err()
}

fn parse_count(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')))
}

// ---------------------------------------------------------------------------
// Compiled tables

/// A set of tags as a bitset.
#[derive(Debug, Clone, Default)]
struct TagSet {
    bits: Box<[u64]>,
}

impl TagSet {
    fn from_tags(tags: &[i32]) -> Self {
        let max = tags.iter().copied().max().unwrap_or(0).max(0) as usize;
        let mut bits = vec![0u64; max / 64 + 1];
        for &t in tags.iter().filter(|&&t| t > 0) {
            bits[t as usize / 64] |= 1 << (t as usize % 64);
        }
        Self { bits: bits.into() }
    }

    #[inline]
    fn contains(&self, tag: i32) -> bool {
        if tag <= 0 {
            return false;
        }
        let t = tag as usize;
        self.bits
            .get(t / 64)
            .is_some_and(|w| w & (1 << (t % 64)) != 0)
    }
}

/// The layout of a message body, header, trailer or group instance.
#[derive(Debug, Clone, Default)]
struct Section {
    /// Tags allowed at this level (group count tags included, group members
    /// not).
    allowed: TagSet,
    /// Count tags of the groups at this level.
    counts: TagSet,
    /// Required tags at this level, ascending.
    required: Box<[i32]>,
    groups: Box<[GroupSpec]>,
}

impl Section {
    fn group(&self, count_tag: i32) -> Option<&GroupSpec> {
        self.groups.iter().find(|g| g.count == count_tag)
    }
}

#[derive(Debug, Clone)]
struct GroupSpec {
    count: i32,
    /// The first field of an instance.
    delim: i32,
    body: Section,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    NonNegInt,
    Float,
    Char,
    Bool,
    Timestamp,
    TimeOnly,
    Date,
    MonthYear,
    /// Space-separated values, each checked against the enum.
    Multi,
    Any,
}

#[derive(Debug, Clone, Copy)]
struct FieldDef {
    kind: Kind,
    /// Index into `Tables::enums`, `u32::MAX` for none.
    enum_id: u32,
}

/// The values of an enumerated field. Values of up to 7 bytes (nearly all)
/// are packed into sorted `u64`s, so a lookup is a binary search over
/// integers; longer ones are kept as sorted byte strings.
#[derive(Debug, Clone)]
struct EnumSet {
    short: Box<[u64]>,
    long: Box<[Box<[u8]>]>,
}

impl EnumSet {
    fn new(values: impl IntoIterator<Item = Box<[u8]>>) -> Self {
        let mut short = Vec::new();
        let mut long = Vec::new();
        for v in values {
            match pack(&v) {
                Some(k) => short.push(k),
                None => long.push(v),
            }
        }
        short.sort_unstable();
        short.dedup();
        long.sort();
        long.dedup();
        Self {
            short: short.into(),
            long: long.into(),
        }
    }

    fn is_empty(&self) -> bool {
        self.short.is_empty() && self.long.is_empty()
    }

    #[inline]
    fn contains(&self, v: &[u8]) -> bool {
        match pack(v) {
            Some(k) => self.short.binary_search(&k).is_ok(),
            None => self.long.binary_search_by(|x| (**x).cmp(v)).is_ok(),
        }
    }
}

/// Packs a value of at most 7 bytes into a `u64`: the bytes from the top,
/// the length in the lowest byte (so distinct values get distinct keys).
#[inline]
fn pack(v: &[u8]) -> Option<u64> {
    if v.len() > 7 {
        return None;
    }
    let mut k = v.len() as u64;
    for (i, &b) in v.iter().enumerate() {
        k |= u64::from(b) << (56 - 8 * i);
    }
    Some(k)
}

#[derive(Debug, Clone)]
struct Tables {
    fields: Box<[Option<FieldDef>]>,
    enums: Box<[EnumSet]>,
    header: Section,
    trailer: Section,
    header_all: TagSet,
    trailer_all: TagSet,
    /// Message bodies sorted by packed MsgType (see [`pack`]); every
    /// standard MsgType has at most 7 bytes.
    messages: Box<[(u64, Section)]>,
}

impl Tables {
    fn field(&self, tag: i32) -> Option<&FieldDef> {
        if tag <= 0 {
            return None;
        }
        self.fields.get(tag as usize).and_then(Option::as_ref)
    }

    fn enum_set(&self, def: &FieldDef) -> Option<&EnumSet> {
        self.enums.get(def.enum_id as usize)
    }

    fn message(&self, msg_type: &[u8]) -> Option<&Section> {
        let key = pack(msg_type)?;
        self.messages
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.messages[i].1)
    }

    fn compile(dict: &Dictionary) -> Self {
        // fefix 0.7 resolves a <component> reference inside a message to an
        // empty component of the same name (its parser re-registers the
        // reference node), so components are looked up here by name, taking
        // the definition with the most items.
        let mut components: HashMap<String, Component<'_>> = HashMap::new();
        for c in dict.iter_components() {
            let n = c.items().count();
            match components.get(c.name()) {
                Some(old) if old.items().count() >= n => {}
                _ => {
                    components.insert(c.name().to_owned(), c);
                }
            }
        }
        let compiler = Compiler { components };

        let mut max_tag = 0usize;
        let mut defs: Vec<(usize, FieldDef)> = Vec::new();
        let mut enums = Vec::new();
        for f in dict.iter_fields() {
            let tag = usize::from(f.tag().get());
            max_tag = max_tag.max(tag);
            let kind = kind_of(f.fix_datatype());
            let enum_id = match f.enums() {
                Some(values) => {
                    let set = EnumSet::new(values.map(|e| e.value().as_bytes().into()));
                    if set.is_empty() {
                        u32::MAX
                    } else {
                        enums.push(set);
                        (enums.len() - 1) as u32
                    }
                }
                None => u32::MAX,
            };
            defs.push((tag, FieldDef { kind, enum_id }));
        }
        let mut fields = vec![None; max_tag + 1];
        for (tag, def) in defs {
            fields[tag] = Some(def);
        }

        let section_of = |name: &str| {
            compiler
                .components
                .get(name)
                .map(|c| compiler.section(c.items(), 0))
                .unwrap_or_default()
        };
        let header = section_of("StandardHeader");
        let trailer = section_of("StandardTrailer");
        let header_all = TagSet::from_tags(&all_tags(&header));
        let trailer_all = TagSet::from_tags(&all_tags(&trailer));
        // A MsgType longer than 7 bytes (none exists) could not be looked
        // up, so it is left out: such messages get InvalidMsgType.
        let mut messages: Vec<(u64, Section)> = dict
            .iter_messages()
            .filter_map(|m| {
                let key = pack(m.msg_type().as_bytes())?;
                Some((key, compiler.section(m.layout(), 0)))
            })
            .collect();
        messages.sort_by_key(|m| m.0);
        messages.dedup_by(|a, b| a.0 == b.0);
        Tables {
            fields: fields.into(),
            enums: enums.into(),
            header,
            trailer,
            header_all,
            trailer_all,
            messages: messages.into(),
        }
    }
}

fn all_tags(s: &Section) -> Vec<i32> {
    let mut out: Vec<i32> = (0..s.allowed.bits.len() * 64)
        .map(|t| t as i32)
        .filter(|&t| s.allowed.contains(t))
        .collect();
    for g in s.groups.iter() {
        out.extend(all_tags(&g.body));
    }
    out
}

fn kind_of(t: FixDatatype) -> Kind {
    use FixDatatype as T;
    match t {
        T::Int => Kind::Int,
        T::Length | T::NumInGroup | T::SeqNum | T::TagNum | T::DayOfMonth => Kind::NonNegInt,
        T::Float | T::Qty | T::Price | T::PriceOffset | T::Amt | T::Percentage => Kind::Float,
        T::Char => Kind::Char,
        T::Boolean => Kind::Bool,
        T::UtcTimestamp => Kind::Timestamp,
        T::UtcTimeOnly => Kind::TimeOnly,
        T::UtcDateOnly | T::LocalMktDate => Kind::Date,
        T::MonthYear => Kind::MonthYear,
        T::MultipleCharValue | T::MultipleStringValue => Kind::Multi,
        _ => Kind::Any,
    }
}

/// Nesting limit for components, against cyclic definitions.
const MAX_DEPTH: usize = 32;

struct Compiler<'d> {
    components: HashMap<String, Component<'d>>,
}

#[derive(Default)]
struct SectionBuilder {
    allowed: Vec<i32>,
    counts: Vec<i32>,
    required: Vec<i32>,
    groups: Vec<GroupSpec>,
}

impl Compiler<'_> {
    fn section<'a>(&self, items: impl Iterator<Item = LayoutItem<'a>>, depth: usize) -> Section {
        let mut b = SectionBuilder::default();
        self.add_items(items, true, depth, &mut b);
        let mut required = b.required;
        required.sort_unstable();
        required.dedup();
        Section {
            allowed: TagSet::from_tags(&b.allowed),
            counts: TagSet::from_tags(&b.counts),
            required: required.into(),
            groups: b.groups.into(),
        }
    }

    fn add_items<'a>(
        &self,
        items: impl Iterator<Item = LayoutItem<'a>>,
        required: bool,
        depth: usize,
        b: &mut SectionBuilder,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for item in items {
            let req = required && item.required();
            match item.kind() {
                LayoutItemKind::Field(f) => {
                    let tag = i32::from(f.tag().get());
                    b.allowed.push(tag);
                    if req {
                        b.required.push(tag);
                    }
                }
                LayoutItemKind::Component(c) => {
                    if let Some(def) = self.components.get(c.name()) {
                        self.add_items(def.items(), req, depth + 1, b);
                    }
                }
                LayoutItemKind::Group(count, members) => {
                    let tag = i32::from(count.tag().get());
                    b.allowed.push(tag);
                    b.counts.push(tag);
                    if req {
                        b.required.push(tag);
                    }
                    let mut inner = SectionBuilder::default();
                    self.add_items(members.into_iter(), true, depth + 1, &mut inner);
                    let delim = inner.allowed.first().copied().unwrap_or(0);
                    let mut req_inner = inner.required;
                    req_inner.sort_unstable();
                    req_inner.dedup();
                    b.groups.push(GroupSpec {
                        count: tag,
                        delim,
                        body: Section {
                            allowed: TagSet::from_tags(&inner.allowed),
                            counts: TagSet::from_tags(&inner.counts),
                            required: req_inner.into(),
                            groups: inner.groups.into(),
                        },
                    });
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Data formats

impl Kind {
    fn accepts(self, v: &[u8]) -> bool {
        match self {
            Kind::Int => {
                let d = v.strip_prefix(b"-").unwrap_or(v);
                !d.is_empty() && d.iter().all(u8::is_ascii_digit)
            }
            Kind::NonNegInt => !v.is_empty() && v.iter().all(u8::is_ascii_digit),
            Kind::Float => is_float(v),
            Kind::Char => v.len() == 1,
            Kind::Bool => v == b"Y" || v == b"N",
            Kind::Timestamp => is_timestamp(v),
            Kind::TimeOnly => is_time(strip_tz(v)),
            Kind::Date => is_date(v),
            Kind::MonthYear => is_month_year(v),
            Kind::Multi | Kind::Any => true,
        }
    }
}

fn is_float(v: &[u8]) -> bool {
    let d = v.strip_prefix(b"-").unwrap_or(v);
    let mut digits = 0;
    let mut dots = 0;
    for &b in d {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

fn num(v: &[u8]) -> Option<u32> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
}

fn is_date(v: &[u8]) -> bool {
    if v.len() != 8 {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (num(&v[..4]), num(&v[4..6]), num(&v[6..8])) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// HH:MM:SS with an optional fraction of 1 to 9 digits.
fn is_time(v: &[u8]) -> bool {
    if v.len() < 8 || v[2] != b':' || v[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(s)) = (num(&v[..2]), num(&v[3..5]), num(&v[6..8])) else {
        return false;
    };
    if h > 23 || m > 59 || s > 60 {
        return false;
    }
    match &v[8..] {
        [] => true,
        [b'.', frac @ ..] => (1..=9).contains(&frac.len()) && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Strips a time-zone suffix (`Z`, `+hh`, `-hh`, `+hh:mm`, `+hhmm`).
fn strip_tz(v: &[u8]) -> &[u8] {
    if let Some(rest) = v.strip_suffix(b"Z") {
        return rest;
    }
    // The sign cannot be inside HH:MM:SS, so look only past it.
    if v.len() > 8 {
        if let Some(p) = v[8..].iter().position(|&b| b == b'+' || b == b'-') {
            let (time, zone) = v.split_at(8 + p);
            let z = &zone[1..];
            let ok = match z.len() {
                2 | 4 => z.iter().all(u8::is_ascii_digit),
                5 => z[2] == b':' && z[..2].iter().chain(&z[3..]).all(u8::is_ascii_digit),
                _ => false,
            };
            if ok {
                return time;
            }
        }
    }
    v
}

fn is_timestamp(v: &[u8]) -> bool {
    v.len() >= 17 && is_date(&v[..8]) && v[8] == b'-' && is_time(strip_tz(&v[9..]))
}

fn is_month_year(v: &[u8]) -> bool {
    if v.len() < 6 {
        return false;
    }
    let (Some(_), Some(m)) = (num(&v[..4]), num(&v[4..6])) else {
        return false;
    };
    if !(1..=12).contains(&m) {
        return false;
    }
    match &v[6..] {
        [] => true,
        [b'w', n] => (b'1'..=b'5').contains(n),
        [d1, d2] => num(&[*d1, *d2]).is_some_and(|d| (1..=31).contains(&d)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use fix_dictionaries::{fix42, fix44, fix50sp2, fixt11, Extensions, UserField};
    use SessionRejectReason as R;

    const T: &str = "20240102-03:04:05.678";

    fn msg(s: &str) -> Message {
        Message::parse_trusted(Bytes::from(s.replace('|', "\x01"))).unwrap()
    }

    fn v42() -> &'static Validator {
        static V: OnceLock<Validator> = OnceLock::new();
        V.get_or_init(|| Validator::new(fix42(), Some(fix42()), ValidationOptions::default()))
    }

    fn v44() -> &'static Validator {
        static V: OnceLock<Validator> = OnceLock::new();
        V.get_or_init(|| Validator::new(fix44(), None, ValidationOptions::default()))
    }

    fn vt() -> &'static Validator {
        static V: OnceLock<Validator> = OnceLock::new();
        V.get_or_init(|| Validator::new(fixt11(), Some(fix50sp2()), ValidationOptions::default()))
    }

    /// `8=<bs>|9=0|35=<rest>|10=000|` with `<T>` replaced by a timestamp.
    fn wire(bs: &str, rest: &str) -> Message {
        let rest = rest.trim_end_matches('|').replace("<T>", T);
        msg(&format!("8={bs}|9=0|35={rest}|10=000|"))
    }

    fn check(v: &Validator, bs: &str, rest: &str) -> Result<(), Rejection> {
        v.validate(&wire(bs, rest))
    }

    fn rej(reason: R, tag: i32) -> Result<(), Rejection> {
        Err(Rejection::at(reason, tag))
    }

    /// The FIX.4.x and FIXT validators with their BeginStrings.
    fn all() -> [(&'static Validator, &'static str); 3] {
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
            let nos = "D|34=2|49=TW|52=<T>|56=ISLD|11=ID|21=1|40=1|54=1|38=002000.00|55=INTC|60=<T>|167=CS|";
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
        let er =
            "8|34=2|49=TW|52=<T>|56=ISLD|37=id|17=id|150=0|39=0|55=WLRI|54=1|151=100|14=0|6=0.0|";
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
                        ref_tag: Some(43),
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
        let parties =
            "453=2|448=P1|447=D|452=1|802=N|523=S1|803=1|523=S2|803=2|448=P2|447=D|452=3|";
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
                        ref_tag: Some(452),
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
        assert!(
            k(Kind::Date, "20240229") && !k(Kind::Date, "20230229") && !k(Kind::Date, "2024022")
        );
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

    /// Every inbound message of the shared acceptance suite (QuickFIX's
    /// scripts, read from `../shared`, never copied here): where the script
    /// expects a Reject whose reason is a dictionary check, the validator
    /// must give that reason and RefTagID; where it expects no Reject, the
    /// message must pass, except for the scripts listed whose message the
    /// session drops or refuses before validation.
    #[test]
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
                            let Some(code) = field(e, "373").and_then(|c| c.parse::<u32>().ok())
                            else {
                                continue;
                            };
                            if !dictionary_reasons.contains(&code) {
                                continue;
                            }
                            let reason = R::from_code(code).unwrap();
                            let ref_tag = field(e, "371").map(|t| t.parse::<i32>().unwrap());
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

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn tag() -> impl Strategy<Value = i64> {
            prop_oneof![
                prop::sample::select(vec![
                    8i64, 9, 10, 11, 21, 34, 35, 38, 40, 43, 49, 52, 54, 55, 56, 58, 60, 93, 89,
                    112, 126, 146, 167, 269, 267, 336, 386, 447, 448, 452, 453, 454, 455, 456, 523,
                    627, 628, 629, 802, 803, 1128, 1137, 5000,
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
}
