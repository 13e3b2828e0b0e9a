//! Sealed entries: one entry as a standalone change on genesis, written without the
//! journal (by a locked device) and checked before it is read back.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, ReadDoc};

use super::{
    SchemaError, genesis_bytes, genesis_hash, new_document, put_entry, read_entry, root_map,
};
use crate::entry::Entry;

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
