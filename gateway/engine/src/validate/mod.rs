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
//!
//! # Layout
//!
//! - `reasons`: SessionRejectReason, BusinessRejectReason, [`Rejection`];
//! - `tables`: the compiled dictionary tables and the embedded-dictionary
//!   cache;
//! - `formats`: field data formats;
//! - this file: the options, the [`Validator`] and its walk over a message.

mod formats;
#[cfg(test)]
mod prop_tests;
mod reasons;
#[cfg(test)]
mod suite_tests;
mod tables;
#[cfg(test)]
mod tests;

pub use reasons::{BusinessRejectReason, Rejection, SessionRejectReason};

use crate::codec::{Field, Message};
use crate::tags;
use fefix::Dictionary;
use fix_dictionaries::Version;
use formats::Kind;
use serde::Deserialize;
use smallvec::SmallVec;
use std::sync::{Arc, OnceLock};
use tables::{embedded, GroupSpec, Section, Tables, TagSet};

/// True if `tag` belongs to the standard header of FIX.4.2, FIX.4.4 or
/// FIXT.1.1 (including the members of header groups such as NoHops), as
/// their dictionaries define it, or is one of [`HEADER_EXTENSION_TAGS`].
/// The one list of header tags: the session uses it to put the fields it
/// copies back into the header.
pub fn is_standard_header_tag(tag: i32) -> bool {
    static HEADER: OnceLock<TagSet> = OnceLock::new();
    HEADER
        .get_or_init(|| {
            let mut tags: Vec<i32> = HEADER_EXTENSION_TAGS.to_vec();
            for v in [Version::Fix42, Version::Fix44, Version::Fixt11] {
                tags.extend(embedded(v).header_all.iter());
            }
            TagSet::from_tags(&tags)
        })
        .contains(tag)
}

/// Header tags of FIXT.1.1 extension packs that the embedded FIXT.1.1
/// dictionary does not list: ApplExtID (1156).
pub const HEADER_EXTENSION_TAGS: [i32; 1] = [1156];
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
            return Err(Rejection::new(SessionRejectReason::InvalidMsgType));
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
        match msg.get(tags::APPL_VER_ID) {
            None => Ok(&self.apps[self.default_app].1),
            Some(id) => self
                .apps
                .iter()
                .find(|(k, _)| &**k == id)
                .map(|(_, t)| &**t)
                .ok_or(Rejection::at(
                    SessionRejectReason::ValueIsIncorrect,
                    tags::APPL_VER_ID as i32,
                )),
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
