//! Writing entries into a document and changing them: a whole entry, its structured
//! fields, people, text, star, and deleting it behind a tombstone.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};

use super::lists::put_str_list;
use super::{SchemaError, entry_obj, root_map};
use crate::entry::{Entry, EntryId, FieldValue, Timestamp};

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
