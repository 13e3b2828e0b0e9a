//! Adding entries that a journal does not hold yet (nor deleted), many at once in changes
//! of bounded size.

use automerge::{AutoCommit, ReadDoc};

use super::{SchemaError, entry_obj, put_entry, root_map};
use crate::entry::{Entry, EntryId};

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
