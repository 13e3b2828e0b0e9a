//! Reading entries back out of a document: one entry, every entry, and finding an entry by
//! its id or an id prefix.

use automerge::{ObjId, ObjType, ReadDoc, Value};

use super::lists::{decode_list, list_strings};
use super::{SchemaError, root_map};
use crate::entry::{Entry, EntryId, EntryKind, FieldValue, Fields, Timestamp};

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
