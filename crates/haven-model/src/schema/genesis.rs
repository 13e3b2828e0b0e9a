//! The genesis change every journal starts from, and new documents built on it.
//!
//! A fixed actor at time zero creates the four root maps, so the change is byte-for-byte
//! the same everywhere (see the overview in [`crate::schema`]).

use std::sync::OnceLock;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT};

use super::SchemaError;

/// The actor of the genesis change. No real writer ever uses it.
pub const GENESIS_ACTOR: &[u8; 16] = b"haven-genesis-v1";

pub(super) fn genesis_doc() -> AutoCommit {
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
