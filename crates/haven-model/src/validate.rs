//! What a journal document must look like, checked on an in-memory copy before anything
//! received from another device is kept.
//!
//! * **Shape** ([`check_shape`], cheap, after every round of a sync): the root holds exactly
//!   the four maps genesis made (`entries`, `meta`, `members`, `tombstones`), never
//!   replaced, deleted or put in conflict; `meta.key`, `meta.kind` and `meta.created` keep
//!   the one value they were given at creation (the key is also the one this device knows
//!   the journal by); a proposed name stays a short name.
//! * **Content** ([`check_journal`], once, before keeping what a session brought): every
//!   entry reads and stays within [`limits`], every member entry is a device with short
//!   names, every tombstone names an entry id. A document that was already imperfect
//!   (entries written by an older version that break a newer limit) stays usable: only
//!   violations the received changes *add* are refused, measured against a [`Baseline`].

use std::collections::BTreeSet;

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::entry::{Entry, FieldValue};
use crate::schema::{self, Materialized};

/// The bounds on one entry, and on the names a journal holds.
pub mod limits {
    /// The longest entry text, in bytes (256 KiB: a long essay is a tenth of that).
    pub const TEXT_BYTES: usize = 256 * 1024;
    /// The longest text of one structured field, in bytes.
    pub const FIELD_BYTES: usize = 16 * 1024;
    /// The most structured fields in one entry.
    pub const FIELDS: usize = 64;
    /// The most items in one list (tags, people, feelings, ...).
    pub const LIST_ITEMS: usize = 256;
    /// The longest list item (a tag, a person, a feeling), in characters.
    pub const ITEM_CHARS: usize = 128;
    /// The longest name (a journal's, a device's, a person's), in characters.
    pub const NAME_CHARS: usize = 64;
    /// The longest value a member entry holds (its announced addresses), in bytes.
    pub const MEMBER_VALUE_BYTES: usize = 2048;
    /// The longest value under `meta` other than the name (the user's own words), in bytes.
    pub const META_VALUE_BYTES: usize = 1024;
}

/// A rule a document broke, in words a log line can carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The root holds something other than the four genesis maps.
    #[error("replaces or adds to the journal's root (`{0}`)")]
    Root(String),
    /// A fixed part of the journal's identity changed.
    #[error("changes the journal's `{0}`, which never changes")]
    Identity(&'static str),
    /// A proposed journal name or a `meta` value is malformed or too long.
    #[error("writes a malformed or oversized `meta.{0}`")]
    Meta(String),
    /// An entry does not read or breaks a limit.
    #[error("makes entry {entry} invalid: {reason}")]
    Entry {
        /// The entry's key (cut short).
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// A member entry is malformed.
    #[error("makes member {member} invalid: {reason}")]
    Member {
        /// The member key (cut short).
        member: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A tombstone is malformed.
    #[error("writes a malformed tombstone `{0}`")]
    Tombstone(String),
    /// The document could not be read at all.
    #[error("leaves the document unreadable: {0}")]
    Unreadable(String),
}

fn cut(s: &str) -> String {
    s.chars().take(32).collect()
}

/// What this device knew of a journal before a session: the fixed parts of its identity
/// and the entries that already broke a rule (which stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The journal's key as this device knows it (its local copy was made with it).
    pub key: Option<String>,
    /// The kind, once set.
    pub kind: Option<String>,
    /// The creation time, once set.
    pub created: Option<i64>,
    /// Entry keys that were already malformed or over a limit.
    pub flawed: BTreeSet<String>,
}

impl Baseline {
    /// The baseline of `doc`, with `flawed` the entries already known to break a rule (from
    /// the read cache, say, so that nothing needs materialising).
    pub fn of<R: ReadDoc>(doc: &R, flawed: BTreeSet<String>) -> Baseline {
        let meta = root_obj(doc, "meta");
        let one = |key: &str| {
            meta.as_ref()
                .and_then(|m| doc.get(m, key).ok().flatten())
                .and_then(|(v, _)| match v {
                    Value::Scalar(s) => Some(s.into_owned()),
                    Value::Object(_) => None,
                })
        };
        Baseline {
            key: one("key").and_then(|s| s.as_str().map(str::to_string)),
            kind: one("kind").and_then(|s| s.as_str().map(str::to_string)),
            created: one("created").and_then(|s| s.as_i64()),
            flawed,
        }
    }

    /// The entry keys of `m` that are malformed or break a limit.
    pub fn flawed_in(m: &Materialized) -> BTreeSet<String> {
        m.malformed
            .iter()
            .map(|(k, _)| k.clone())
            .chain(
                m.entries
                    .iter()
                    .filter(|e| entry_limits(e).is_err())
                    .map(|e| e.id.to_string()),
            )
            .collect()
    }
}

fn root_obj<R: ReadDoc>(doc: &R, name: &str) -> Option<ObjId> {
    match doc.get(ROOT, name).ok().flatten() {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    }
}

/// The root's four maps as genesis made them.
fn genesis_roots() -> &'static [(String, ObjId); 4] {
    static ROOTS: std::sync::OnceLock<[(String, ObjId); 4]> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let doc = automerge::Automerge::load(schema::genesis_bytes()).unwrap_or_default();
        ["entries", "meta", "members", "tombstones"].map(|name| {
            let id = root_obj(&doc, name).unwrap_or(ROOT);
            (name.to_string(), id)
        })
    })
}

/// Checks the document's root and identity against `baseline`.
pub fn check_shape<R: ReadDoc>(doc: &R, baseline: &Baseline) -> Result<(), Violation> {
    let roots = genesis_roots();
    for key in doc.keys(ROOT) {
        if !roots.iter().any(|(name, _)| *name == key) {
            return Err(Violation::Root(cut(&key)));
        }
    }
    for (name, id) in roots {
        let values = doc
            .get_all(ROOT, name.as_str())
            .map_err(|e| Violation::Unreadable(e.to_string()))?;
        match values.as_slice() {
            [(Value::Object(ObjType::Map), got)] if got == id => {}
            _ => return Err(Violation::Root(name.clone())),
        }
    }
    let meta = &roots[1].1;
    let all = |key: &str| -> Result<Vec<ScalarValue>, Violation> {
        let values = doc
            .get_all(meta, key)
            .map_err(|e| Violation::Unreadable(e.to_string()))?;
        values
            .into_iter()
            .map(|(v, _)| match v {
                Value::Scalar(s) => Ok(s.into_owned()),
                Value::Object(_) => Err(Violation::Meta(key.to_string())),
            })
            .collect()
    };
    // Each fixed value: every concurrent value agrees with the one known before, or (for a
    // journal whose creation is arriving now) with each other.
    let fixed = |key: &'static str, known: Option<ScalarValue>| -> Result<(), Violation> {
        let values = all(key)?;
        let reference = known.or_else(|| values.first().cloned());
        if values.iter().any(|v| Some(v) != reference.as_ref()) {
            return Err(Violation::Identity(key));
        }
        Ok(())
    };
    fixed("key", baseline.key.clone().map(ScalarValue::from))?;
    fixed("kind", baseline.kind.clone().map(ScalarValue::from))?;
    fixed("created", baseline.created.map(ScalarValue::Int))?;
    if let Some(kind) = all("kind")?.first()
        && !matches!(kind.as_str(), Some("personal" | "shared"))
    {
        return Err(Violation::Identity("kind"));
    }
    if let Some(key) = all("key")?.first() {
        let ok = key
            .as_str()
            .is_some_and(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            return Err(Violation::Identity("key"));
        }
    }
    if all("created")?
        .first()
        .is_some_and(|c| c.as_i64().is_none())
    {
        return Err(Violation::Identity("created"));
    }
    for name in all("name")? {
        let ok = name
            .as_str()
            .is_some_and(|n| n.chars().count() <= limits::NAME_CHARS);
        if !ok {
            return Err(Violation::Meta("name".into()));
        }
    }
    Ok(())
}

/// The limits of one entry, or which one it breaks.
pub fn entry_limits(e: &Entry) -> Result<(), String> {
    use limits::*;
    if e.text.len() > TEXT_BYTES {
        return Err(format!(
            "its text is {} bytes, over the limit of {TEXT_BYTES} (256 KiB)",
            e.text.len()
        ));
    }
    for (name, items) in [("tags", &e.tags), ("people", &e.people)] {
        list_limits(name, items)?;
    }
    if e.author.chars().count() > NAME_CHARS || e.device.len() > 64 {
        return Err("its author or device is too long".into());
    }
    if e.fields.len() > FIELDS {
        return Err(format!(
            "it has {} fields (at most {FIELDS})",
            e.fields.len()
        ));
    }
    for (key, value) in &e.fields {
        if key.len() > 64 {
            return Err("a field name is too long".into());
        }
        match value {
            FieldValue::Text(t) if t.len() > FIELD_BYTES => {
                return Err(format!(
                    "field `{}` is longer than {FIELD_BYTES} bytes",
                    cut(key)
                ));
            }
            FieldValue::List(items) => list_limits(key, items)?,
            _ => {}
        }
    }
    for (device, text) in &e.conflicts {
        if text.len() > TEXT_BYTES || device.len() > 64 {
            return Err("a conflicting version is too long".into());
        }
    }
    Ok(())
}

fn list_limits(name: &str, items: &[String]) -> Result<(), String> {
    if items.len() > limits::LIST_ITEMS {
        return Err(format!("`{}` has {} items", cut(name), items.len()));
    }
    if items.iter().any(|i| i.chars().count() > limits::ITEM_CHARS) {
        return Err(format!("an item of `{}` is too long", cut(name)));
    }
    Ok(())
}

/// Checks what a journal needs to read at all (shape, identity, members, tombstones, the
/// values under `meta`), leaving entries aside: a malformed entry is skipped by reads, a
/// broken structure makes the journal unreadable.
pub fn check_structure<R: ReadDoc>(doc: &R, baseline: &Baseline) -> Result<(), Violation> {
    check_shape(doc, baseline)?;
    check_meta_values(doc)?;
    check_members(doc)?;
    check_tombstones(doc)
}

/// Checks the whole document (shape, entries, members, tombstones) and returns its entries,
/// refusing any violation that `baseline` did not already have.
pub fn check_journal<R: ReadDoc>(doc: &R, baseline: &Baseline) -> Result<Materialized, Violation> {
    check_changed(doc, baseline, None, None)
}

/// [`check_journal`] after a change that touched only the entries in `touched` (see
/// [`schema::touched_entries`]), given `prior`, the document's entries before it: only the
/// touched entries are read again. With either missing, the whole document is read.
pub fn check_changed<R: ReadDoc>(
    doc: &R,
    baseline: &Baseline,
    prior: Option<Materialized>,
    touched: Option<&BTreeSet<String>>,
) -> Result<Materialized, Violation> {
    check_shape(doc, baseline)?;
    let m = schema::reread_entries(doc, prior, touched)
        .map_err(|e| Violation::Unreadable(e.to_string()))?;
    for (key, reason) in &m.malformed {
        if !baseline.flawed.contains(key) {
            return Err(Violation::Entry {
                entry: cut(key),
                reason: reason.clone(),
            });
        }
    }
    for e in &m.entries {
        if let Err(reason) = entry_limits(e) {
            let key = e.id.to_string();
            if !baseline.flawed.contains(&key) {
                return Err(Violation::Entry { entry: key, reason });
            }
        }
    }
    check_meta_values(doc)?;
    check_members(doc)?;
    check_tombstones(doc)?;
    Ok(m)
}

fn check_members<R: ReadDoc>(doc: &R) -> Result<(), Violation> {
    let Some(members) = root_obj(doc, "members") else {
        return Err(Violation::Root("members".into()));
    };
    for item in doc.map_range(&members, ..) {
        let bad = |reason| Violation::Member {
            member: cut(&item.key),
            reason,
        };
        if !crate::members::is_device_id(&item.key) {
            return Err(bad("not a device id"));
        }
        if !matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
            return Err(bad("not a map"));
        }
        let obj = item.id();
        for field in doc.map_range(&obj, ..) {
            use automerge::ScalarValueRef as S;
            use automerge::ValueRef as V;
            let ok = match (field.key.as_ref(), &field.value) {
                ("device_name" | "person", V::Scalar(S::Str(s))) => {
                    s.chars().count() <= limits::NAME_CHARS
                }
                ("added_by", V::Scalar(S::Str(s))) => {
                    s.is_empty() || crate::members::is_device_id(s)
                }
                (
                    "added_at" | "revoked_at",
                    V::Scalar(S::Int(_) | S::Uint(_) | S::Timestamp(_)),
                ) => true,
                (_, V::Scalar(S::Str(s))) => s.len() <= limits::MEMBER_VALUE_BYTES,
                (_, V::Scalar(_)) => true,
                (_, V::Object(_)) => false,
            };
            if !ok {
                return Err(bad("a malformed or oversized field"));
            }
        }
    }
    Ok(())
}

fn check_tombstones<R: ReadDoc>(doc: &R) -> Result<(), Violation> {
    let Some(tombstones) = root_obj(doc, "tombstones") else {
        return Err(Violation::Root("tombstones".into()));
    };
    for item in doc.map_range(&tombstones, ..) {
        let is_time = matches!(
            item.value,
            automerge::ValueRef::Scalar(
                automerge::ScalarValueRef::Int(_) | automerge::ScalarValueRef::Uint(_)
            )
        );
        if item.key.parse::<crate::EntryId>().is_err() || !is_time {
            return Err(Violation::Tombstone(cut(&item.key)));
        }
    }
    Ok(())
}

/// Checks the `meta` map's values (the name, the user's own words): short scalars only.
fn check_meta_values<R: ReadDoc>(doc: &R) -> Result<(), Violation> {
    let meta = &genesis_roots()[1].1;
    for item in doc.map_range(meta, ..) {
        let ok = match &item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => {
                s.len() <= limits::META_VALUE_BYTES
            }
            automerge::ValueRef::Scalar(_) => true,
            automerge::ValueRef::Object(_) => false,
        };
        if !ok || item.key.len() > 256 {
            return Err(Violation::Meta(cut(&item.key)));
        }
    }
    Ok(())
}

mod rollback;
pub use rollback::{Rollback, last_valid};

#[cfg(test)]
mod tests;
