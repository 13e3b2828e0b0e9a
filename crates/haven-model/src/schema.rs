//! How a journal lives inside one Automerge document.
//!
//! ```text
//! ROOT
//! ├── entries     map: entry id (ULID) -> entry map
//! ├── meta        map: name, kind ("personal" | "shared"), created
//! ├── members     map: device id -> member map (filled in by sync)
//! └── tombstones  map: entry id -> deletion time (ms)
//! ```
//!
//! Every journal starts from the same *genesis change*, made by a fixed actor at time zero,
//! which creates the four root maps. Because it is byte-for-byte identical everywhere, two
//! devices that start a document independently never create competing `entries` maps, and
//! a change that depends only on genesis (a sealed entry) applies to any copy of any journal.
//!
//! Entries are maps of plain scalars. The text is a plain string, not Automerge Text; a
//! concurrent edit of the same text shows up as a conflict that [`read_entry`] reports with
//! the device that wrote each version.

use std::sync::OnceLock;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};

use crate::entry::{Entry, EntryId, EntryKind, FieldValue, Fields, Timestamp};

mod refresh;
pub use refresh::{refresh_entries, reread_entries, touched_entries};

/// The actor of the genesis change. No real writer ever uses it.
pub const GENESIS_ACTOR: &[u8; 16] = b"haven-genesis-v1";

/// What can go wrong reading or changing a journal document.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Automerge refused the document or the change.
    #[error("automerge: {0}")]
    Automerge(Box<automerge::AutomergeError>),
    /// A root map that every journal has is missing or of the wrong type.
    #[error("the document has no `{0}` map; it is not a Haven journal")]
    MissingRoot(&'static str),
    /// An entry lacks a field or has one of the wrong type.
    #[error("entry {entry}: field `{field}` is missing or malformed")]
    BadField {
        /// The entry key.
        entry: String,
        /// The field name.
        field: &'static str,
    },
    /// A sealed entry is not a single entry built on genesis.
    #[error("sealed entry is malformed: {0}")]
    BadSealedEntry(&'static str),
    /// No entry has this id.
    #[error("no entry {0}")]
    NoSuchEntry(EntryId),
    /// An entry beyond a limit every device enforces (see [`crate::validate::limits`]).
    #[error("entry {entry} is too large: {reason}")]
    TooLarge {
        /// The entry.
        entry: EntryId,
        /// Which limit.
        reason: String,
    },
}

impl From<automerge::AutomergeError> for SchemaError {
    fn from(e: automerge::AutomergeError) -> Self {
        SchemaError::Automerge(Box::new(e))
    }
}

/// Whether a journal is one person's or shared with others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalKind {
    /// One person's journal, synced among their own devices.
    Personal,
    /// A journal shared with other people.
    Shared,
}

impl JournalKind {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            JournalKind::Personal => "personal",
            JournalKind::Shared => "shared",
        }
    }
}

/// A journal's own description, kept in the document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalMeta {
    /// The name users type with `--journal`.
    pub name: String,
    /// Personal or shared.
    pub kind: JournalKind,
    /// When it was created (ms since the epoch).
    pub created_ms: i64,
}

fn genesis_doc() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(GENESIS_ACTOR.as_slice()));
    for name in ["entries", "meta", "members", "tombstones"] {
        // Putting a fresh map at the root of an empty document cannot fail.
        let _ = doc.put_object(ROOT, name, ObjType::Map);
    }
    doc.commit_with(CommitOptions::default().with_time(0));
    doc
}

/// The genesis change as a saved document: the bytes every journal starts from.
pub fn genesis_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| genesis_doc().save())
}

/// The hash of the genesis change.
pub fn genesis_hash() -> ChangeHash {
    static HASH: OnceLock<ChangeHash> = OnceLock::new();
    *HASH.get_or_init(|| {
        let mut doc = genesis_doc();
        doc.get_heads()[0]
    })
}

/// Whether `hash` is the genesis change's.
pub fn is_genesis_hash(hash: &[u8; 32]) -> bool {
    genesis_hash().0 == *hash
}

/// A document holding only genesis, writing as `actor`.
pub fn new_document(actor: ActorId) -> Result<AutoCommit, SchemaError> {
    Ok(AutoCommit::load(genesis_bytes())?.with_actor(actor))
}

fn root_map<R: ReadDoc>(doc: &R, name: &'static str) -> Result<ObjId, SchemaError> {
    match doc.get(ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(SchemaError::MissingRoot(name)),
    }
}

/// Writes the journal's name and kind.
pub fn set_meta(doc: &mut AutoCommit, meta: &JournalMeta) -> Result<(), SchemaError> {
    let obj = root_map(doc, "meta")?;
    doc.put(&obj, "name", meta.name.as_str())?;
    doc.put(&obj, "kind", meta.kind.as_str())?;
    doc.put(&obj, "created", meta.created_ms)?;
    Ok(())
}

/// Sets `key` in the journal's `meta` map to a text value (used for the user's own words).
pub fn set_meta_value(doc: &mut AutoCommit, key: &str, value: &str) -> Result<(), SchemaError> {
    let obj = root_map(doc, "meta")?;
    doc.put(&obj, key, value)?;
    Ok(())
}

/// The `meta` entries whose key starts with `prefix`, as (key, text value) pairs.
pub fn meta_values<R: ReadDoc>(
    doc: &R,
    prefix: &str,
) -> Result<Vec<(String, String)>, SchemaError> {
    let obj = root_map(doc, "meta")?;
    Ok(doc
        .map_range(&obj, prefix.to_string()..)
        .take_while(|item| item.key.starts_with(prefix))
        .filter_map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(v)) => {
                Some((item.key.to_string(), v.to_string()))
            }
            _ => None,
        })
        .collect())
}

/// Reads the journal's name and kind, if they have been set.
pub fn read_meta<R: ReadDoc>(doc: &R) -> Result<Option<JournalMeta>, SchemaError> {
    let obj = root_map(doc, "meta")?;
    let Some(name) = get_str(doc, &obj, "name")? else {
        return Ok(None);
    };
    let kind = match get_str(doc, &obj, "kind")?.as_deref() {
        Some("shared") => JournalKind::Shared,
        _ => JournalKind::Personal,
    };
    let created_ms = get_int(doc, &obj, "created")?.unwrap_or(0);
    Ok(Some(JournalMeta {
        name,
        kind,
        created_ms,
    }))
}

fn get_scalar<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &str,
) -> Result<Option<ScalarValue>, SchemaError> {
    Ok(match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => Some(s.into_owned()),
        _ => None,
    })
}

fn get_str<R: ReadDoc>(doc: &R, obj: &ObjId, key: &str) -> Result<Option<String>, SchemaError> {
    Ok(match get_scalar(doc, obj, key)? {
        Some(ScalarValue::Str(s)) => Some(s.to_string()),
        _ => None,
    })
}

fn get_int<R: ReadDoc>(doc: &R, obj: &ObjId, key: &str) -> Result<Option<i64>, SchemaError> {
    Ok(match get_scalar(doc, obj, key)? {
        Some(ScalarValue::Int(i)) => Some(i),
        Some(ScalarValue::Uint(u)) => i64::try_from(u).ok(),
        Some(ScalarValue::Timestamp(t)) => Some(t),
        _ => None,
    })
}

/// Marks a string that holds a list (see [`encode_list`]).
const LIST_MARK: char = '\u{1e}';
/// Separates the items of an encoded list.
const ITEM_SEP: char = '\u{1f}';

/// Encodes a list of strings as one string: U+001E, then the items separated by U+001F.
///
/// One scalar costs one operation, where an Automerge list costs one per item plus one;
/// journals of many entries load markedly faster and lighter this way. Concurrent edits of
/// the same list keep one version (like any scalar), which suits tags, people and choices.
pub fn encode_list(items: &[String]) -> String {
    let mut out = String::from(LIST_MARK);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(ITEM_SEP);
        }
        out.extend(item.chars().filter(|c| *c != LIST_MARK && *c != ITEM_SEP));
    }
    out
}

/// Decodes [`encode_list`]; `None` if `text` is not an encoded list.
pub fn decode_list(text: &str) -> Option<Vec<String>> {
    let body = text.strip_prefix(LIST_MARK)?;
    if body.is_empty() {
        return Some(Vec::new());
    }
    Some(body.split(ITEM_SEP).map(str::to_string).collect())
}

fn put_str_list(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    items: &[String],
) -> Result<(), SchemaError> {
    doc.put(obj, key, encode_list(items))?;
    Ok(())
}

/// Writes a whole entry under its id (replacing any entry with that id). An entry beyond
/// the limits is refused: every other device would refuse it.
pub fn put_entry(doc: &mut AutoCommit, entry: &Entry) -> Result<(), SchemaError> {
    crate::validate::entry_limits(entry).map_err(|reason| SchemaError::TooLarge {
        entry: entry.id,
        reason,
    })?;
    let entries = root_map(doc, "entries")?;
    let obj = doc.put_object(&entries, entry.id.to_string(), ObjType::Map)?;
    doc.put(&obj, "kind", entry.kind.as_str())?;
    doc.put(&obj, "created", entry.created.unix_ms)?;
    doc.put(&obj, "offset", i64::from(entry.created.offset_secs))?;
    if let Some(edited) = entry.edited {
        doc.put(&obj, "edited", edited.unix_ms)?;
        doc.put(&obj, "edited_offset", i64::from(edited.offset_secs))?;
    }
    doc.put(&obj, "device", entry.device.as_str())?;
    doc.put(&obj, "author", entry.author.as_str())?;
    doc.put(&obj, "text", entry.text.as_str())?;
    // Fields at their default are left out: fewer operations make a lighter document.
    // `text_by` (who wrote the current text) defaults to `device` until an edit.
    if !entry.tags.is_empty() {
        put_str_list(doc, &obj, "tags", &entry.tags)?;
    }
    if !entry.people.is_empty() {
        put_str_list(doc, &obj, "people", &entry.people)?;
    }
    if entry.starred {
        doc.put(&obj, "starred", true)?;
    }
    if !entry.fields.is_empty() {
        let fields = doc.put_object(&obj, "fields", ObjType::Map)?;
        for (key, value) in &entry.fields {
            put_field(doc, &fields, key, value)?;
        }
    }
    Ok(())
}

fn put_field(
    doc: &mut AutoCommit,
    fields: &ObjId,
    key: &str,
    value: &FieldValue,
) -> Result<(), SchemaError> {
    match value {
        FieldValue::Int(i) => doc.put(fields, key, *i)?,
        FieldValue::Bool(b) => doc.put(fields, key, *b)?,
        FieldValue::Text(t) => doc.put(fields, key, t.as_str())?,
        FieldValue::List(items) => put_str_list(doc, fields, key, items)?,
    }
    Ok(())
}

/// Sets (or with `None` removes) one structured field of an entry.
pub fn set_field(
    doc: &mut AutoCommit,
    id: EntryId,
    key: &str,
    value: Option<&FieldValue>,
) -> Result<(), SchemaError> {
    let obj = entry_obj(doc, id)?.ok_or(SchemaError::NoSuchEntry(id))?;
    let fields = match doc.get(&obj, "fields")? {
        Some((Value::Object(ObjType::Map), f)) => f,
        _ => doc.put_object(&obj, "fields", ObjType::Map)?,
    };
    match value {
        Some(v) => put_field(doc, &fields, key, v),
        None => Ok(doc.delete(&fields, key)?),
    }
}

/// Replaces the people named in an entry.
pub fn set_people(doc: &mut AutoCommit, id: EntryId, people: &[String]) -> Result<(), SchemaError> {
    let obj = entry_obj(doc, id)?.ok_or(SchemaError::NoSuchEntry(id))?;
    put_str_list(doc, &obj, "people", people)
}

fn list_strings<R: ReadDoc>(doc: &R, list: &ObjId) -> Vec<String> {
    doc.list_range(list, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.into_owned()),
            _ => None,
        })
        .collect()
}

/// At most `max` characters of `s` (names read from a document are capped whatever was
/// written; texts are bounded by validation instead).
fn capped(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        s.chars().take(max).collect()
    }
}

fn valid_offset(o: i64) -> Option<i32> {
    i32::try_from(o).ok().filter(|o| o.abs() < 18 * 3600)
}

/// Reads the entry stored under `key` in the entries map `obj`.
///
/// One pass over the entry's keys; the text's conflicting versions are only looked up
/// when Automerge says there is a conflict.
pub fn read_entry<R: ReadDoc>(doc: &R, key: &str, obj: &ObjId) -> Result<Entry, SchemaError> {
    use automerge::ScalarValueRef as S;
    use automerge::ValueRef as V;
    let bad = |field| SchemaError::BadField {
        entry: key.chars().take(32).collect(),
        field,
    };
    let mut fields = Fields::new();
    let id: EntryId = key.parse().map_err(|_| bad("id"))?;
    let (mut kind, mut created, mut offset, mut edited, mut edited_offset) =
        (None, None, 0i64, None, 0i64);
    let (mut device, mut author, mut text) = (String::new(), String::new(), None);
    let (mut tags, mut people, mut starred, mut text_conflict) =
        (Vec::new(), Vec::new(), false, false);
    for item in doc.map_range(obj, ..) {
        let int = |v: &V<'_>| match v {
            V::Scalar(S::Int(i)) | V::Scalar(S::Timestamp(i)) => Some(*i),
            V::Scalar(S::Uint(u)) => i64::try_from(*u).ok(),
            _ => None,
        };
        let string = |v: &V<'_>| match v {
            V::Scalar(S::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        match item.key.as_ref() {
            "kind" => kind = string(&item.value).and_then(|k| k.parse::<EntryKind>().ok()),
            "created" => created = int(&item.value),
            "offset" => offset = int(&item.value).unwrap_or(0),
            "edited" => edited = int(&item.value),
            "edited_offset" => edited_offset = int(&item.value).unwrap_or(0),
            "device" => device = capped(string(&item.value).unwrap_or_default(), 64),
            "author" => {
                author = capped(
                    string(&item.value).unwrap_or_default(),
                    crate::text::NAME_CHARS,
                )
            }
            "text" => {
                text = string(&item.value);
                text_conflict = item.conflict;
            }
            "starred" => starred = matches!(item.value, V::Scalar(S::Boolean(true))),
            "fields" if matches!(item.value, V::Object(ObjType::Map)) => {
                let obj = item.id();
                for field in doc.map_range(&obj, ..) {
                    let value = match &field.value {
                        V::Scalar(S::Str(t)) => match decode_list(t) {
                            Some(items) => FieldValue::List(items),
                            None => FieldValue::Text(t.to_string()),
                        },
                        V::Scalar(S::Boolean(b)) => FieldValue::Bool(*b),
                        V::Object(ObjType::List) => {
                            FieldValue::List(list_strings(doc, &field.id()))
                        }
                        other => match int(other) {
                            Some(i) => FieldValue::Int(i),
                            None => continue,
                        },
                    };
                    fields.insert(field.key.to_string(), value);
                }
            }
            "tags" | "people" => {
                let values = match &item.value {
                    V::Object(ObjType::List) => list_strings(doc, &item.id()),
                    V::Scalar(S::Str(t)) => decode_list(t).unwrap_or_default(),
                    _ => Vec::new(),
                };
                if item.key == "tags" {
                    tags = values;
                } else {
                    people = values;
                }
            }
            _ => {}
        }
    }
    let mut conflicts = Vec::new();
    if text_conflict {
        let texts = doc.get_all(obj, "text")?;
        let writers = doc.get_all(obj, "text_by")?;
        let as_string = |v: &Value<'_>| v.as_str().map(str::to_string);
        conflicts = texts
            .iter()
            .enumerate()
            .filter_map(|(i, (v, _))| {
                let by = writers
                    .get(i)
                    .and_then(|(w, _)| as_string(w))
                    .unwrap_or_default();
                Some((by, as_string(v)?))
            })
            .collect();
        // The value `get` returns (the winner) is the last of `get_all`'s.
        conflicts.pop();
    }
    Ok(Entry {
        id,
        kind: kind.ok_or_else(|| bad("kind"))?,
        created: Timestamp {
            unix_ms: created.ok_or_else(|| bad("created"))?,
            offset_secs: valid_offset(offset).ok_or_else(|| bad("offset"))?,
        },
        edited: edited.map(|ms| Timestamp {
            unix_ms: ms,
            offset_secs: valid_offset(edited_offset).unwrap_or(0),
        }),
        device,
        author,
        text: text.ok_or_else(|| bad("text"))?,
        tags,
        people,
        starred,
        conflicts,
        fields,
    })
}

/// Every entry of a document, oldest first, plus the keys of entries that could not be read.
#[derive(Debug, Default)]
pub struct Materialized {
    /// Entries in id (time) order.
    pub entries: Vec<Entry>,
    /// Keys whose entries are malformed, with the reason.
    pub malformed: Vec<(String, String)>,
}

/// Reads every entry of a journal document.
pub fn read_entries<R: ReadDoc>(doc: &R) -> Result<Materialized, SchemaError> {
    let entries = root_map(doc, "entries")?;
    let mut out = Materialized::default();
    for item in doc.map_range(&entries, ..) {
        let key = item.key.to_string();
        if !matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
            out.malformed.push((key, "not a map".into()));
            continue;
        }
        match read_entry(doc, &key, &item.id()) {
            Ok(entry) => out.entries.push(entry),
            Err(e) => out.malformed.push((key, e.to_string())),
        }
    }
    Ok(out)
}

/// The map object of the entry `id`, if present.
pub fn entry_obj<R: ReadDoc>(doc: &R, id: EntryId) -> Result<Option<ObjId>, SchemaError> {
    let entries = root_map(doc, "entries")?;
    Ok(match doc.get(&entries, id.to_string())? {
        Some((Value::Object(ObjType::Map), obj)) => Some(obj),
        _ => None,
    })
}

/// The id of the one entry whose id starts with `prefix` (case-insensitive).
pub fn resolve_prefix<R: ReadDoc>(doc: &R, prefix: &str) -> Result<EntryId, PrefixError> {
    let wanted = prefix.trim().to_ascii_uppercase();
    if wanted.is_empty() || wanted.len() > 26 {
        return Err(PrefixError::None);
    }
    let entries = root_map(doc, "entries").map_err(|_| PrefixError::None)?;
    let mut found = doc
        .map_range(&entries, wanted.clone()..)
        .map(|item| item.key.to_string())
        .take_while(|k| k.starts_with(&wanted))
        .filter_map(|k| k.parse::<EntryId>().ok());
    match (found.next(), found.count()) {
        (Some(id), 0) => Ok(id),
        (None, _) => Err(PrefixError::None),
        (Some(_), more) => Err(PrefixError::Ambiguous(more + 1)),
    }
}

/// Why an id prefix did not name one entry.
#[derive(Debug, PartialEq, Eq)]
pub enum PrefixError {
    /// No entry has an id with this prefix.
    None,
    /// This many entries do.
    Ambiguous(usize),
}

/// Whether `id` is present or was deleted (so that re-merging a sealed entry is a no-op).
pub fn is_known(doc: &AutoCommit, id: EntryId) -> Result<bool, SchemaError> {
    let tombstones = root_map(doc, "tombstones")?;
    Ok(entry_obj(doc, id)?.is_some() || doc.get(&tombstones, id.to_string())?.is_some())
}

/// How many entries one change holds at most when many are written at once (an import,
/// folding sealed entries), and how many bytes of text: every change stays well within what
/// other devices accept from one change.
pub const ENTRIES_PER_CHANGE: usize = 500;
/// See [`ENTRIES_PER_CHANGE`].
pub const TEXT_BYTES_PER_CHANGE: usize = 1024 * 1024;

/// Adds every entry of `entries` that is not there yet (nor deleted), committing a change
/// every [`ENTRIES_PER_CHANGE`] entries or [`TEXT_BYTES_PER_CHANGE`] bytes of text. Returns
/// how many were added.
pub fn insert_all<'a>(
    doc: &mut AutoCommit,
    entries: impl IntoIterator<Item = &'a Entry>,
) -> Result<usize, SchemaError> {
    let (mut added, mut pending, mut bytes) = (0, 0, 0);
    for entry in entries {
        if insert_if_absent(doc, entry)? {
            added += 1;
            pending += 1;
            bytes += entry.text.len();
            if pending >= ENTRIES_PER_CHANGE || bytes >= TEXT_BYTES_PER_CHANGE {
                doc.commit();
                pending = 0;
                bytes = 0;
            }
        }
    }
    Ok(added)
}

/// Adds `entry` unless an entry with its id exists or was deleted. Returns whether it was added.
pub fn insert_if_absent(doc: &mut AutoCommit, entry: &Entry) -> Result<bool, SchemaError> {
    if is_known(doc, entry.id)? {
        return Ok(false);
    }
    put_entry(doc, entry)?;
    Ok(true)
}

/// Replaces the text of an entry (recording the editing device and time) and its tags.
pub fn set_text(
    doc: &mut AutoCommit,
    id: EntryId,
    text: &str,
    device: &str,
    at: Timestamp,
) -> Result<(), SchemaError> {
    if text.len() > crate::validate::limits::TEXT_BYTES {
        return Err(SchemaError::TooLarge {
            entry: id,
            reason: format!(
                "its text is {} bytes, over the limit of {} (256 KiB)",
                text.len(),
                crate::validate::limits::TEXT_BYTES
            ),
        });
    }
    let obj = entry_obj(doc, id)?.ok_or(SchemaError::NoSuchEntry(id))?;
    doc.put(&obj, "text", text)?;
    doc.put(&obj, "text_by", device)?;
    doc.put(&obj, "edited", at.unix_ms)?;
    doc.put(&obj, "edited_offset", i64::from(at.offset_secs))?;
    put_str_list(doc, &obj, "tags", &crate::tags::extract(text))?;
    Ok(())
}

/// Sets or clears the star of an entry.
pub fn set_starred(doc: &mut AutoCommit, id: EntryId, starred: bool) -> Result<(), SchemaError> {
    let obj = entry_obj(doc, id)?.ok_or(SchemaError::NoSuchEntry(id))?;
    doc.put(&obj, "starred", starred)?;
    Ok(())
}

/// Removes an entry and leaves a tombstone so that it does not come back.
pub fn delete_entry(doc: &mut AutoCommit, id: EntryId, at_ms: i64) -> Result<(), SchemaError> {
    let entries = root_map(doc, "entries")?;
    if entry_obj(doc, id)?.is_none() {
        return Err(SchemaError::NoSuchEntry(id));
    }
    doc.delete(&entries, id.to_string())?;
    let tombstones = root_map(doc, "tombstones")?;
    doc.put(&tombstones, id.to_string(), at_ms)?;
    Ok(())
}

/// Seals one entry as a standalone change that depends only on genesis.
///
/// The result is standard Automerge binary (a change chunk) that any copy of any journal
/// can apply. It needs no secret and no existing document, which is what lets a locked
/// device append.
pub fn seal_entry(entry: &Entry, actor: ActorId) -> Result<Vec<u8>, SchemaError> {
    let mut doc = new_document(actor)?;
    let base = doc.get_heads();
    put_entry(&mut doc, entry)?;
    doc.commit_with(CommitOptions::default().with_time(entry.created.unix_ms / 1000));
    Ok(doc.save_after(&base))
}

/// Reads back a sealed entry, checking that it is exactly one plain change, built on
/// genesis, that writes exactly one entry within the limits. Anyone who knows a device's
/// public recipient can write one, so it is inspected before Automerge reads it.
pub fn unseal_entry(bytes: &[u8]) -> Result<Entry, SchemaError> {
    let info = crate::inspect::inspect_change(bytes, &crate::inspect::ChangeLimits::default())
        .map_err(|_| SchemaError::BadSealedEntry("not a plain Automerge change"))?;
    if info.deps != [genesis_hash().0] {
        return Err(SchemaError::BadSealedEntry("not built on genesis"));
    }
    let mut doc = AutoCommit::load(genesis_bytes())?;
    doc.load_incremental(bytes)?;
    let heads = doc.get_heads();
    if heads.len() != 1 || heads[0] == genesis_hash() {
        return Err(SchemaError::BadSealedEntry(
            "not one change on top of genesis",
        ));
    }
    let entries = root_map(&doc, "entries")?;
    let mut items = doc.map_range(&entries, ..);
    let (Some(item), None) = (items.next(), items.next()) else {
        return Err(SchemaError::BadSealedEntry("not exactly one entry"));
    };
    let key = item.key.to_string();
    let entry = read_entry(&doc, &key, &item.id())?;
    if crate::validate::entry_limits(&entry).is_err() {
        return Err(SchemaError::BadSealedEntry(
            "the entry is beyond the limits",
        ));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: u64, text: &str) -> Entry {
        Entry::note(
            EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
            Timestamp {
                unix_ms: 1_700_000_000_000 + n as i64,
                offset_secs: 3600,
            },
            "dev1".into(),
            text.into(),
        )
    }

    #[test]
    fn genesis_is_deterministic() {
        assert_eq!(genesis_doc().save(), genesis_doc().save());
        assert_eq!(genesis_hash(), genesis_doc().get_heads()[0]);
    }

    #[test]
    fn entry_round_trips() {
        let mut doc = new_document(ActorId::random()).unwrap();
        let mut e = sample(1, "Walked with @Sam #calm");
        e.people = vec!["Sam".into()];
        e.starred = true;
        put_entry(&mut doc, &e).unwrap();
        let all = read_entries(&doc).unwrap();
        assert_eq!(all.entries, vec![e]);
        assert!(all.malformed.is_empty());
    }

    #[test]
    fn structured_fields_round_trip_and_change() {
        use crate::entry::FieldValue;
        let mut doc = new_document(ActorId::random()).unwrap();
        let mut e = sample(7, "check-in");
        e.kind = EntryKind::Checkin;
        e.fields.insert(
            "feelings".into(),
            FieldValue::List(vec!["calm".into(), "tired".into()]),
        );
        e.fields.insert("intensity".into(), FieldValue::Int(4));
        e.fields
            .insert("need".into(), FieldValue::Text("rest".into()));
        e.fields.insert("shared".into(), FieldValue::Bool(true));
        put_entry(&mut doc, &e).unwrap();
        assert_eq!(read_entries(&doc).unwrap().entries, vec![e.clone()]);
        set_field(&mut doc, e.id, "intensity", Some(&FieldValue::Int(2))).unwrap();
        set_field(&mut doc, e.id, "shared", None).unwrap();
        let got = read_entries(&doc).unwrap().entries.remove(0);
        assert_eq!(got.int_field("intensity"), Some(2));
        assert!(!got.fields.contains_key("shared"));
        assert_eq!(got.list_field("feelings"), vec!["calm", "tired"]);
    }

    #[test]
    fn sealed_entry_merges_into_any_copy() {
        let e = sample(2, "sealed while locked");
        let sealed = seal_entry(&e, ActorId::random()).unwrap();
        assert_eq!(unseal_entry(&sealed).unwrap(), e);
        let mut journal = new_document(ActorId::random()).unwrap();
        put_entry(&mut journal, &sample(1, "older")).unwrap();
        journal.commit();
        journal.load_incremental(&sealed).unwrap();
        let texts: Vec<_> = read_entries(&journal)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(texts, vec!["older", "sealed while locked"]);
    }

    #[test]
    fn unseal_rejects_two_entries_and_garbage() {
        let mut doc = new_document(ActorId::random()).unwrap();
        let base = doc.get_heads();
        put_entry(&mut doc, &sample(1, "a")).unwrap();
        put_entry(&mut doc, &sample(2, "b")).unwrap();
        let two = doc.save_after(&base);
        assert!(matches!(
            unseal_entry(&two),
            Err(SchemaError::BadSealedEntry(_))
        ));
        assert!(unseal_entry(b"not automerge at all").is_err());
        assert!(unseal_entry(&[]).is_err());
    }

    #[test]
    fn concurrent_text_edits_are_reported_as_conflicts() {
        let mut a = new_document(ActorId::random()).unwrap();
        let e = sample(3, "first");
        put_entry(&mut a, &e).unwrap();
        let mut b = a.fork().with_actor(ActorId::random());
        let at = Timestamp {
            unix_ms: 1_800_000_000_000,
            offset_secs: 0,
        };
        set_text(&mut a, e.id, "from laptop", "laptop", at).unwrap();
        set_text(&mut b, e.id, "from desktop", "desktop", at).unwrap();
        a.merge(&mut b).unwrap();
        let got = read_entries(&a).unwrap().entries.remove(0);
        assert_eq!(got.conflicts.len(), 1);
        let mut all = vec![(got.conflicts[0].0.clone(), got.conflicts[0].1.clone())];
        let winner_by = if got.text == "from laptop" {
            "laptop"
        } else {
            "desktop"
        };
        all.push((winner_by.to_string(), got.text.clone()));
        all.sort();
        assert_eq!(
            all,
            vec![
                ("desktop".into(), "from desktop".into()),
                ("laptop".into(), "from laptop".into())
            ]
        );
    }

    #[test]
    fn deleted_entries_are_not_reinserted() {
        let mut doc = new_document(ActorId::random()).unwrap();
        let e = sample(4, "gone");
        assert!(insert_if_absent(&mut doc, &e).unwrap());
        assert!(!insert_if_absent(&mut doc, &e).unwrap());
        delete_entry(&mut doc, e.id, 5).unwrap();
        assert!(!insert_if_absent(&mut doc, &e).unwrap());
        assert!(read_entries(&doc).unwrap().entries.is_empty());
    }
}
