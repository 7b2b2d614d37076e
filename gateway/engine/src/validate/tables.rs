//! The compiled dictionary tables: a [`fefix::Dictionary`] turned once into
//! flat lookups (field kind and enum set indexed by tag; per message type a
//! bitset of the tags its body allows, its required tags in ascending order
//! and its repeating groups, recursively; the same for the standard header
//! and trailer), and the per-process cache of the embedded dictionaries.
//!
//! Does not own: walking a message against the tables (the validator in
//! `mod.rs`) or data formats (`formats`).

use super::formats::{kind_of, Kind};
use fefix::dict::{Component, LayoutItem, LayoutItemKind};
use fefix::Dictionary;
use fix_dictionaries::Version;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The compiled tables of an embedded dictionary, built once per process.
pub(super) fn embedded(version: Version) -> Arc<Tables> {
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

/// A set of tags as a bitset.
#[derive(Debug, Clone, Default)]
pub(super) struct TagSet {
    pub(super) bits: Box<[u64]>,
}

impl TagSet {
    pub(super) fn from_tags(tags: &[i32]) -> Self {
        let max = tags.iter().copied().max().unwrap_or(0).max(0) as usize;
        let mut bits = vec![0u64; max / 64 + 1];
        for &t in tags.iter().filter(|&&t| t > 0) {
            bits[t as usize / 64] |= 1 << (t as usize % 64);
        }
        Self { bits: bits.into() }
    }

    /// The tags in the set, ascending.
    pub(super) fn iter(&self) -> impl Iterator<Item = i32> + '_ {
        (0..self.bits.len() * 64)
            .map(|t| t as i32)
            .filter(|&t| self.contains(t))
    }

    #[inline]
    pub(super) fn contains(&self, tag: i32) -> bool {
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
pub(super) struct Section {
    /// Tags allowed at this level (group count tags included, group members
    /// not).
    pub(super) allowed: TagSet,
    /// Count tags of the groups at this level.
    pub(super) counts: TagSet,
    /// Required tags at this level, ascending.
    pub(super) required: Box<[i32]>,
    pub(super) groups: Box<[GroupSpec]>,
}

impl Section {
    pub(super) fn group(&self, count_tag: i32) -> Option<&GroupSpec> {
        self.groups.iter().find(|g| g.count == count_tag)
    }
}

#[derive(Debug, Clone)]
pub(super) struct GroupSpec {
    pub(super) count: i32,
    /// The first field of an instance.
    pub(super) delim: i32,
    pub(super) body: Section,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct FieldDef {
    pub(super) kind: Kind,
    /// Index into `Tables::enums`, `u32::MAX` for none.
    pub(super) enum_id: u32,
}

/// The values of an enumerated field. Values of up to 7 bytes (nearly all)
/// are packed into sorted `u64`s, so a lookup is a binary search over
/// integers; longer ones are kept as sorted byte strings.
#[derive(Debug, Clone)]
pub(super) struct EnumSet {
    pub(super) short: Box<[u64]>,
    pub(super) long: Box<[Box<[u8]>]>,
}

impl EnumSet {
    pub(super) fn new(values: impl IntoIterator<Item = Box<[u8]>>) -> Self {
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

    pub(super) fn is_empty(&self) -> bool {
        self.short.is_empty() && self.long.is_empty()
    }

    #[inline]
    pub(super) fn contains(&self, v: &[u8]) -> bool {
        match pack(v) {
            Some(k) => self.short.binary_search(&k).is_ok(),
            None => self.long.binary_search_by(|x| (**x).cmp(v)).is_ok(),
        }
    }
}

/// Packs a value of at most 7 bytes into a `u64`: the bytes from the top,
/// the length in the lowest byte (so distinct values get distinct keys).
#[inline]
pub(super) fn pack(v: &[u8]) -> Option<u64> {
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
pub(super) struct Tables {
    pub(super) fields: Box<[Option<FieldDef>]>,
    pub(super) enums: Box<[EnumSet]>,
    pub(super) header: Section,
    pub(super) trailer: Section,
    pub(super) header_all: TagSet,
    pub(super) trailer_all: TagSet,
    /// Message bodies sorted by packed MsgType (see [`pack`]); every
    /// standard MsgType has at most 7 bytes.
    pub(super) messages: Box<[(u64, Section)]>,
}

impl Tables {
    pub(super) fn field(&self, tag: i32) -> Option<&FieldDef> {
        if tag <= 0 {
            return None;
        }
        self.fields.get(tag as usize).and_then(Option::as_ref)
    }

    pub(super) fn enum_set(&self, def: &FieldDef) -> Option<&EnumSet> {
        self.enums.get(def.enum_id as usize)
    }

    pub(super) fn message(&self, msg_type: &[u8]) -> Option<&Section> {
        let key = pack(msg_type)?;
        self.messages
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.messages[i].1)
    }

    pub(super) fn compile(dict: &Dictionary) -> Self {
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

pub(super) fn all_tags(s: &Section) -> Vec<i32> {
    let mut out: Vec<i32> = s.allowed.iter().collect();
    for g in s.groups.iter() {
        out.extend(all_tags(&g.body));
    }
    out
}

/// Nesting limit for components, against cyclic definitions.
pub(super) const MAX_DEPTH: usize = 32;

pub(super) struct Compiler<'d> {
    pub(super) components: HashMap<String, Component<'d>>,
}

#[derive(Default)]
pub(super) struct SectionBuilder {
    pub(super) allowed: Vec<i32>,
    pub(super) counts: Vec<i32>,
    pub(super) required: Vec<i32>,
    pub(super) groups: Vec<GroupSpec>,
}

impl Compiler<'_> {
    pub(super) fn section<'a>(
        &self,
        items: impl Iterator<Item = LayoutItem<'a>>,
        depth: usize,
    ) -> Section {
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

    pub(super) fn add_items<'a>(
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
