//! Keeping a journal's materialised entries up to date after a change, by re-reading only
//! the entries the change touched instead of the whole document.
//!
//! Which entries were touched comes from Automerge's patches between the heads before and
//! after ([`touched_entries`]); [`refresh_entries`] then re-reads those keys into the
//! previous [`Materialized`]. Both say when they cannot tell (a patch on the root, a key
//! that is not a canonical entry id), and the caller then reads everything, so the result is
//! always what [`read_entries`] would return.

use std::collections::BTreeSet;

use automerge::{ObjType, Patch, PatchAction, Prop, ROOT, ReadDoc, Value};

use super::{Materialized, SchemaError, read_entries, read_entry, root_map};
use crate::entry::EntryId;

/// The keys of the entries that `patches` change (added, edited or removed). `None` when
/// a patch reaches past the entries (the root itself changed), so that only a full read
/// can tell. Patches on `meta`, `members` and `tombstones` touch no entry.
pub fn touched_entries(patches: &[Patch]) -> Option<BTreeSet<String>> {
    let mut touched = BTreeSet::new();
    for patch in patches {
        let Some((parent, prop)) = patch.path.first() else {
            // A patch on the root object itself.
            return None;
        };
        if *parent != ROOT {
            return None;
        }
        if *prop != Prop::Map("entries".into()) {
            continue;
        }
        match patch.path.get(1) {
            Some((_, Prop::Map(key))) => {
                touched.insert(key.clone());
            }
            Some((_, Prop::Seq(_))) => return None,
            // The patch is on the entries map: the key is in the action.
            None => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    touched.insert(key.clone());
                }
                PatchAction::Conflict {
                    prop: Prop::Map(key),
                }
                | PatchAction::Increment {
                    prop: Prop::Map(key),
                    ..
                } => {
                    touched.insert(key.clone());
                }
                _ => return None,
            },
        }
    }
    Some(touched)
}

/// Re-reads the entries under `touched` from `doc` into `prior` (which held `doc`'s
/// entries before the change), leaving every other entry as it was. Returns `false`, with
/// `prior` unchanged, when a key is not a canonical entry id: the caller then reads
/// everything with [`read_entries`].
pub fn refresh_entries<R: ReadDoc>(
    doc: &R,
    prior: &mut Materialized,
    touched: &BTreeSet<String>,
) -> Result<bool, SchemaError> {
    let mut ids = Vec::with_capacity(touched.len());
    for key in touched {
        match key.parse::<EntryId>() {
            Ok(id) if id.to_string() == *key => ids.push((key, id)),
            _ => return Ok(false),
        }
    }
    let entries = root_map(doc, "entries")?;
    for (key, id) in ids {
        if let Ok(at) = prior.entries.binary_search_by(|e| e.id.cmp(&id)) {
            prior.entries.remove(at);
        }
        prior.malformed.retain(|(k, _)| k != key);
        let read = match doc.get(&entries, key.as_str())? {
            None => continue,
            Some((Value::Object(ObjType::Map), obj)) => read_entry(doc, key, &obj),
            Some(_) => {
                insert_malformed(prior, key, "not a map".into());
                continue;
            }
        };
        match read {
            Ok(entry) => {
                let at = prior
                    .entries
                    .binary_search_by(|e| e.id.cmp(&entry.id))
                    .unwrap_or_else(|at| at);
                prior.entries.insert(at, entry);
            }
            Err(e) => insert_malformed(prior, key, e.to_string()),
        }
    }
    Ok(true)
}

/// Keeps `malformed` in key order, as a full read lists it.
fn insert_malformed(m: &mut Materialized, key: &str, reason: String) {
    let at = m
        .malformed
        .binary_search_by(|(k, _)| k.as_str().cmp(key))
        .unwrap_or_else(|at| at);
    m.malformed.insert(at, (key.to_string(), reason));
}

/// [`refresh_entries`] when `touched` is known, else (or when it cannot tell) a full read.
pub fn reread_entries<R: ReadDoc>(
    doc: &R,
    prior: Option<Materialized>,
    touched: Option<&BTreeSet<String>>,
) -> Result<Materialized, SchemaError> {
    if let (Some(mut m), Some(touched)) = (prior, touched)
        && refresh_entries(doc, &mut m, touched)?
    {
        return Ok(m);
    }
    read_entries(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Entry;
    use crate::entry::Timestamp;
    use crate::schema::{delete_entry, new_document, put_entry, set_starred};
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit};

    fn entry(n: u64, text: &str) -> Entry {
        Entry::note(
            EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
            Timestamp {
                unix_ms: 1_700_000_000_000 + n as i64,
                offset_secs: 0,
            },
            "d".repeat(64),
            text.into(),
        )
    }

    /// The patches of `f` applied to `doc`, with the patch log on as a daemon keeps it.
    fn changed(doc: &mut AutoCommit, f: impl FnOnce(&mut AutoCommit)) -> Vec<Patch> {
        doc.update_diff_cursor();
        let before = doc.diff_cursor();
        f(doc);
        doc.commit();
        let after = doc.get_heads();
        let patches = doc.diff(&before, &after);
        doc.reset_diff_cursor();
        patches
    }

    fn same(a: &Materialized, b: &Materialized) {
        assert_eq!(a.entries, b.entries);
        assert_eq!(a.malformed, b.malformed);
    }

    #[test]
    fn refreshing_touched_entries_reads_what_a_full_read_reads() {
        let mut doc = new_document(ActorId::random()).unwrap();
        for n in 0..20 {
            put_entry(&mut doc, &entry(n, &format!("entry {n}"))).unwrap();
        }
        doc.commit();
        let mut m = read_entries(&doc).unwrap();
        let patches = changed(&mut doc, |doc| {
            put_entry(doc, &entry(25, "a new one")).unwrap();
            set_starred(doc, entry(3, "").id, true).unwrap();
            delete_entry(doc, entry(7, "").id, 1).unwrap();
            let entries = root_map(doc, "entries").unwrap();
            doc.put(&entries, entry(9, "").id.to_string(), "not a map")
                .unwrap();
        });
        let touched = touched_entries(&patches).unwrap();
        assert_eq!(touched.len(), 4, "{touched:?}");
        assert!(refresh_entries(&doc, &mut m, &touched).unwrap());
        same(&m, &read_entries(&doc).unwrap());
        assert_eq!(m.malformed.len(), 1);
    }

    #[test]
    fn what_cannot_be_told_falls_back_to_a_full_read() {
        let mut doc = new_document(ActorId::random()).unwrap();
        put_entry(&mut doc, &entry(1, "one")).unwrap();
        doc.commit();
        let prior = read_entries(&doc).unwrap();
        // A key that is an entry id in another spelling.
        let patches = changed(&mut doc, |doc| {
            let entries = root_map(doc, "entries").unwrap();
            let key = entry(2, "").id.to_string().to_lowercase();
            doc.put_object(&entries, key, ObjType::Map).unwrap();
        });
        let touched = touched_entries(&patches).unwrap();
        let mut m = Materialized {
            entries: prior.entries.clone(),
            malformed: prior.malformed.clone(),
        };
        assert!(!refresh_entries(&doc, &mut m, &touched).unwrap());
        same(
            &reread_entries(&doc, Some(m), Some(&touched)).unwrap(),
            &read_entries(&doc).unwrap(),
        );
        // A change to the root.
        let patches = changed(&mut doc, |doc| {
            doc.put(ROOT, "extra", 1).unwrap();
        });
        assert_eq!(touched_entries(&patches), None);
        // Meta, members and tombstones touch no entry.
        let patches = changed(&mut doc, |doc| {
            crate::schema::set_meta_value(doc, "vocab/calm", "feelings").unwrap();
        });
        assert_eq!(touched_entries(&patches), Some(BTreeSet::new()));
    }
}
