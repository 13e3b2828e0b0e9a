//! The journal's own description in the `meta` map: its name, kind and creation time,
//! and the text values kept beside them (such as the user's own vocabulary).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ReadDoc, ScalarValue, Value};

use super::{SchemaError, root_map};

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
