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
//!
//! Where each part lives: `genesis` (the change every journal starts from), `meta` (the
//! journal's name, kind and vocabulary), `write` and `read` (entries in and out), `lists`
//! (how lists of strings are stored), `insert` (adding entries not there yet, in bounded
//! changes), `sealed` (entries written without the journal) and `refresh` (re-reading only
//! what a change touched). Everything is used through this module.

use automerge::{ObjId, ObjType, ROOT, ReadDoc, Value};

use crate::entry::EntryId;

mod genesis;
mod insert;
mod lists;
mod meta;
mod read;
mod refresh;
mod sealed;
mod write;

pub use genesis::{GENESIS_ACTOR, genesis_bytes, genesis_hash, is_genesis_hash, new_document};
pub use insert::{
    ENTRIES_PER_CHANGE, TEXT_BYTES_PER_CHANGE, insert_all, insert_if_absent, is_known,
};
pub use lists::{decode_list, encode_list};
pub use meta::{JournalKind, JournalMeta, meta_values, read_meta, set_meta, set_meta_value};
pub use read::{Materialized, PrefixError, entry_obj, read_entries, read_entry, resolve_prefix};
pub use refresh::{refresh_entries, reread_entries, touched_entries};
pub use sealed::{seal_entry, unseal_entry};
pub use write::{delete_entry, put_entry, set_field, set_people, set_starred, set_text};

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

fn root_map<R: ReadDoc>(doc: &R, name: &'static str) -> Result<ObjId, SchemaError> {
    match doc.get(ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(SchemaError::MissingRoot(name)),
    }
}

#[cfg(test)]
mod tests;
