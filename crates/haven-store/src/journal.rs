//! One journal on disk: encrypted Automerge chunks, an inbox of sealed entries, and an
//! encrypted read cache.
//!
//! * **Appending** seals the entry as a standalone Automerge change that depends only on
//!   the genesis change, encrypts it to the device recipient and drops it in `inbox/`. No
//!   secret and no document load is needed, so it costs the same at any journal size and
//!   works while the vault is locked.
//! * **Changing** (folding the inbox in, editing, starring, deleting) loads the whole
//!   document under the writer lock with a fresh random actor id, applies the change,
//!   writes the new changes as one chunk and refreshes the read cache. A fresh actor per
//!   process means an actor id is never reused, even after a restore from backup.
//! * **Reading** decrypts the read cache (`view.age`: every entry, materialised) and the
//!   inbox. The cache records which chunks it was built from; if the chunk set differs (a
//!   crash, a sync, a file restored by hand) it is rebuilt from the document.
//! * **Compaction** replaces the chunks by one snapshot once there are more than
//!   [`COMPACT_AFTER`], or at once after a large change (an import). The snapshot is
//!   durable before any old chunk is removed, and a document with changes it cannot apply
//!   (a damaged chunk they depend on) is never compacted, so no change is ever lost by it.

use std::fmt;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::x25519;
use automerge::{ActorId, AutoCommit, ChangeHash};
use haven_model::members::{self, Member};
use haven_model::{Entry, EntryId, JournalMeta};
use haven_model::{schema, signed};

use crate::durable::{self, private_dir, sync_dir, write_atomic};
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;
use crate::lock::VaultLock;

mod chunks;
mod sync;
mod view;

pub use sync::SyncCopy;
pub use view::{JournalView, MERGE_ON_READ_UP_TO, RECENT};

/// Chunks beyond which a change also compacts the journal into one snapshot.
pub const COMPACT_AFTER: usize = 16;
/// A change chunk larger than this is compacted at once (a snapshot loads far faster).
pub const COMPACT_BYTES: usize = 64 * 1024;
/// Sealed entries beyond which a read folds the inbox into the document first.
pub const FOLD_AFTER: usize = 256;

/// A journal's directory name: 16 random hex digits, revealing nothing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct JournalId([u8; 8]);

impl JournalId {
    /// A new random id.
    pub fn random() -> Self {
        JournalId(rand::random())
    }
}

impl fmt::Display for JournalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for JournalId {
    type Err = hex::FromHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 8];
        hex::decode_to_slice(s, &mut out)?;
        Ok(JournalId(out))
    }
}

/// The kind of a chunk file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// A whole document (`Automerge::save`).
    Snapshot,
    /// Incremental changes (`save_after`).
    Changes,
}

/// Parses a chunk file name (`<ulid>[.<tag>].snapshot.age` or `<ulid>[.<tag>].changes.age`).
pub fn chunk_kind(name: &str) -> Option<ChunkKind> {
    chunks::ChunkName::parse(name).map(|n| n.kind)
}

/// Whether `name` is a sealed-entry file name (`<entry id>.age`).
pub fn is_inbox_name(name: &str) -> bool {
    name.strip_suffix(".age")
        .is_some_and(|stem| stem.parse::<EntryId>().is_ok())
}

/// One journal's files.
#[derive(Debug, Clone)]
pub struct JournalStore {
    id: JournalId,
    dir: PathBuf,
    lock_path: PathBuf,
    recipient: x25519::Recipient,
}

fn new_file_stem() -> String {
    ulid::Ulid::from_parts(now_ms(), rand::random()).to_string()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Lists file names in `dir` accepted by `keep`, sorted; a missing directory is empty.
fn list(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("list", dir)(e)),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| keep(n))
        .collect();
    names.sort();
    Ok(names)
}

/// Runs Automerge on bytes from disk, turning a panic in its decoder into an error.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, automerge::AutomergeError>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(StoreError::Damaged {
            path: path.to_path_buf(),
            reason: format!("not a valid Automerge chunk ({e})"),
        }),
        Err(_) => Err(StoreError::Damaged {
            path: path.to_path_buf(),
            reason: "Automerge could not decode it".into(),
        }),
    }
}

impl JournalStore {
    pub(crate) fn new(root: &Path, id: JournalId, recipient: x25519::Recipient) -> Self {
        JournalStore {
            id,
            dir: root.join("journals").join(id.to_string()),
            lock_path: root.join("lock"),
            recipient,
        }
    }

    /// The journal's id.
    pub fn id(&self) -> JournalId {
        self.id
    }

    /// The journal's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The chunks directory.
    pub fn chunks_dir(&self) -> PathBuf {
        self.dir.join("chunks")
    }

    /// The inbox directory.
    pub fn inbox_dir(&self) -> PathBuf {
        self.dir.join("inbox")
    }

    /// The read-cache file.
    pub fn view_path(&self) -> PathBuf {
        self.dir.join("view.age")
    }

    /// Chunk file names, sorted.
    pub fn chunk_names(&self) -> Result<Vec<String>> {
        list(&self.chunks_dir(), |n| chunk_kind(n).is_some())
    }

    /// Sealed-entry file names, sorted.
    pub fn inbox_names(&self) -> Result<Vec<String>> {
        list(&self.inbox_dir(), is_inbox_name)
    }

    /// How many sealed entries wait in the inbox.
    pub fn inbox_len(&self) -> Result<usize> {
        Ok(self.inbox_names()?.len())
    }

    pub(crate) fn create(&self, keys: &Keys, meta: &JournalMeta, me: &Member) -> Result<()> {
        self.create_with(keys, Origin::Created { meta, me })
    }

    /// Creates the local copy of a journal that another device shares with us: genesis and
    /// the shared key; its name, members and entries arrive by sync.
    pub(crate) fn adopt(&self, keys: &Keys, key_hex: &str) -> Result<()> {
        self.create_with(keys, Origin::Adopted { key_hex })
    }

    fn create_with(&self, keys: &Keys, origin: Origin<'_>) -> Result<()> {
        private_dir(&self.dir)?;
        private_dir(&self.chunks_dir())?;
        private_dir(&self.inbox_dir())?;
        sync_dir(self.dir.parent().unwrap_or(&self.dir))?;
        let _lock = VaultLock::exclusive(&self.lock_path)?;
        let mut doc = schema::new_document(actor_of(keys))?;
        let (base, before) = (doc.clone(), doc.get_heads());
        match origin {
            Origin::Created { meta, me } => {
                schema::set_meta(&mut doc, meta)?;
                // The key names its creator: with the nonce, only this device's id gives it.
                members::set_created_key(&mut doc, &me.device, rand::random())?;
                members::add_member(&mut doc, me)?;
            }
            Origin::Adopted { key_hex } => members::set_journal_key(&mut doc, key_hex)?,
        }
        doc.commit();
        let mut doc = signed_since(base, doc, &before, keys)?;
        let name = self.write_snapshot(keys, &mut doc)?;
        self.write_view(keys, doc, vec![name])
    }

    /// Appends an entry without any secret: seals it into the inbox. Durable on return.
    pub fn seal(&self, entry: &Entry) -> Result<()> {
        let bytes = schema::seal_entry(entry, ActorId::random())?;
        let sealed = envelope::seal(&self.recipient, &bytes)?;
        let inbox = self.inbox_dir();
        let _lock = VaultLock::exclusive(&self.lock_path)?;
        if !inbox.exists() {
            private_dir(&inbox)?;
        }
        write_atomic(&inbox, &format!("{}.age", entry.id), &sealed)
    }

    fn open_sealed(&self, keys: &Keys, name: &str) -> Result<Entry> {
        let path = self.inbox_dir().join(name);
        let plain = envelope::open_file(keys.identity(), &path)?;
        let mut entry = match catch_unwind(|| schema::unseal_entry(&plain)) {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                return Err(StoreError::Damaged {
                    path,
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(StoreError::Damaged {
                    path,
                    reason: "Automerge could not decode it".into(),
                });
            }
        };
        // Anyone who knows the recipient can seal an entry, so it claims nothing about who
        // wrote it: this device folds it in, signs it, and it is this device's entry.
        if let Some(me) = own_device(keys) {
            entry.device = me;
        }
        if entry.author.is_empty() {
            entry.author = keys.secrets.person_name.clone();
        }
        Ok(entry)
    }

    /// The entry id a prefix names, looked up in a loaded document.
    pub fn resolve_in(doc: &AutoCommit, prefix: &str) -> Result<EntryId> {
        schema::resolve_prefix(doc, prefix).map_err(|e| match e {
            schema::PrefixError::None => StoreError::NoSuchEntry(prefix.to_string()),
            schema::PrefixError::Ambiguous(count) => StoreError::AmbiguousEntry {
                prefix: prefix.to_string(),
                count,
            },
        })
    }

    /// Loads the whole document from the chunks. Returns it with the chunk names it used
    /// (a chunk this device did not write is used only if its changes pass the check; see
    /// [`chunks`]).
    pub fn load(&self, keys: &Keys) -> Result<(AutoCommit, Vec<String>)> {
        let loaded = self.load_checked(keys)?;
        Ok((loaded.doc.with_actor(actor_of(keys)), loaded.names))
    }

    /// Applies `f` to the whole document under the writer lock, after folding the inbox in.
    ///
    /// The new changes are durable when this returns. Returns what `f` returned.
    pub fn change<T>(
        &self,
        keys: &Keys,
        f: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        let _lock = VaultLock::exclusive(&self.lock_path)?;
        self.change_unlocked(keys, f)
    }

    /// [`Self::change`] for a caller that already holds the writer lock.
    pub(crate) fn change_unlocked<T>(
        &self,
        keys: &Keys,
        f: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        self.remove_temp_files()?;
        let loaded = self.load_checked(keys)?;
        let names = self.settle(keys, &loaded)?;
        let mut doc = loaded.doc.with_actor(actor_of(keys));
        let before = doc.get_heads();

        let (sealed, folded) = match writes_entries(&mut doc, keys) {
            true => self.open_inbox(keys)?,
            false => Default::default(),
        };
        let base = doc.clone();
        schema::insert_all(&mut doc, &sealed)?;
        let out = f(&mut doc)?;
        doc.commit();
        let mut doc = signed_since(base, doc, &before, keys)?;
        follows_rules(&mut doc, &before, keys)?;
        let names = self.keep_new(keys, &mut doc, &before, names)?;
        self.write_view(keys, doc, names)?;
        self.remove_folded(&folded)?;
        Ok(out)
    }

    /// The sealed entries of the inbox that open, with their file names. A damaged one
    /// stays where it is for `doctor`; it must not block writes.
    fn open_inbox(&self, keys: &Keys) -> Result<(Vec<Entry>, Vec<String>)> {
        let mut folded = Vec::new();
        let mut sealed = Vec::new();
        for name in self.inbox_names()? {
            if let Ok(entry) = self.open_sealed(keys, &name) {
                sealed.push(entry);
                folded.push(name);
            }
        }
        Ok((sealed, folded))
    }

    /// Writes what `doc` gained since `before` as one chunk beside `names` (durable on
    /// return), compacting when there are many chunks or the change is large; returns the
    /// chunks that now hold the document.
    fn keep_new(
        &self,
        keys: &Keys,
        doc: &mut AutoCommit,
        before: &[automerge::ChangeHash],
        mut names: Vec<String>,
    ) -> Result<Vec<String>> {
        let new = doc.save_after(before);
        if !new.is_empty() {
            names.push(self.write_chunk(keys, ChunkKind::Changes, &new)?);
        }
        let big_change = new.len() > COMPACT_BYTES;
        if (names.len() > COMPACT_AFTER || big_change) && doc.get_missing_deps(&[]).is_empty() {
            names = self.compact(keys, doc, &names)?;
        }
        Ok(names)
    }

    /// Removes sealed entries once the document holding them is durable.
    fn remove_folded(&self, folded: &[String]) -> Result<()> {
        for name in folded {
            let path = self.inbox_dir().join(name);
            fs::remove_file(&path).map_err(StoreError::io("remove", &path))?;
        }
        if !folded.is_empty() {
            sync_dir(&self.inbox_dir())?;
        }
        Ok(())
    }

    /// Removes what an interrupted write left behind (call under the writer lock).
    fn remove_temp_files(&self) -> Result<()> {
        durable::remove_temp_files(&self.chunks_dir())?;
        durable::remove_temp_files(&self.inbox_dir())?;
        durable::remove_temp_files(&self.dir)?;
        Ok(())
    }

    /// Writes `doc` as a new snapshot chunk (durable on return); returns its name.
    pub(crate) fn write_snapshot(&self, keys: &Keys, doc: &mut AutoCommit) -> Result<String> {
        self.write_chunk(keys, ChunkKind::Snapshot, &doc.save())
    }

    /// Writes one snapshot holding everything, then removes the chunks it replaces.
    fn compact(&self, keys: &Keys, doc: &mut AutoCommit, old: &[String]) -> Result<Vec<String>> {
        let name = self.write_snapshot(keys, doc)?;
        for old_name in old {
            let path = self.chunks_dir().join(old_name);
            fs::remove_file(&path).map_err(StoreError::io("remove", &path))?;
        }
        sync_dir(&self.chunks_dir())?;
        Ok(vec![name])
    }
}

/// How a local copy of a journal begins.
enum Origin<'a> {
    /// This device creates the journal, as its first member.
    Created {
        /// Its name and kind.
        meta: &'a JournalMeta,
        /// This device's record.
        me: &'a Member,
    },
    /// Another device shares it: only its key is known until the first sync.
    Adopted {
        /// The shared key (hex).
        key_hex: &'a str,
    },
}

/// A fresh actor id for this process's writes: bound to this device when its secrets hold
/// a signing key (see [`haven_model::signed`]), random otherwise.
pub(crate) fn actor_of(keys: &Keys) -> ActorId {
    let nonce = ActorId::random();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&nonce.to_bytes()[..16]);
    match keys.signing_key() {
        Some(key) => signed::device_actor(&key.verifying_key().to_bytes(), bytes),
        None => nonce,
    }
}

/// `base` with the changes `doc` gained since `before` (made by this process, with
/// [`actor_of`]) signed by this device for the journal `base` names (or, for a journal
/// being created, the key the changes give it); `doc` as it is when the device has no
/// signing key or the journal no key.
pub fn signed_since(
    base: AutoCommit,
    mut doc: AutoCommit,
    before: &[ChangeHash],
    keys: &Keys,
) -> Result<AutoCommit> {
    let (Some(key), Some(journal)) = (
        keys.signing_key(),
        journal_key_of(&base).or_else(|| journal_key_of(&doc)),
    ) else {
        return Ok(doc);
    };
    let new: Vec<Vec<u8>> = doc
        .get_changes(before)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    if new.is_empty() {
        return Ok(doc);
    }
    let signed = signed::sign_changes(&new, &journal, &key).map_err(|e| StoreError::Damaged {
        path: PathBuf::new(),
        reason: format!("could not sign this device's change: {e}"),
    })?;
    let actor = doc.get_actor().clone();
    let mut out = base.with_actor(actor);
    for chunk in &signed {
        out.load_incremental(chunk)
            .map_err(|e| StoreError::Damaged {
                path: PathBuf::new(),
                reason: format!("this device's signed change did not apply: {e}"),
            })?;
    }
    Ok(out)
}

/// This device's id (hex), if it signs.
pub(crate) fn own_device(keys: &Keys) -> Option<String> {
    keys.signing_key()
        .map(|key| hex::encode(key.verifying_key().to_bytes()))
}

/// Whether `doc` ends in changes from before signing (a head with no device-bound actor)
/// while this device signs: its peers would refuse that history until a signed change of
/// this device's depends on it and so vouches for it.
pub(crate) fn unvouched(doc: &mut AutoCommit, keys: &Keys) -> bool {
    if own_device(keys).is_none() || journal_key_of(doc).is_none() {
        return false;
    }
    doc.get_heads().into_iter().any(|head| {
        doc.get_change_by_hash(&head)
            .is_some_and(|c| signed::actor_device(c.actor_id().to_bytes()).is_none())
    })
}

/// Whether this device may write entries into `doc`: not when it may only read the
/// journal, or has left it. Sealed entries for such a journal stay in its inbox.
pub(crate) fn writes_entries(doc: &mut AutoCommit, keys: &Keys) -> bool {
    let Some(me) = own_device(keys) else {
        return true;
    };
    match haven_model::authority::Authority::read(doc.document()) {
        Ok(authority) => authority
            .standing(&me)
            .is_none_or(|s| s.is_active() && s.role.writes()),
        Err(_) => true,
    }
}

/// Refuses, before anything is kept, a change of this device's that its journal's rules
/// forbid (so that every other device would refuse it too): a reader writing, an edit of
/// another person's entry, a member added by someone who may not.
pub(crate) fn follows_rules(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    keys: &Keys,
) -> Result<()> {
    if own_device(keys).is_none() || journal_key_of(doc).is_none() {
        return Ok(());
    }
    let changes = doc.get_changes(before);
    if changes.is_empty() {
        return Ok(());
    }
    let authority = haven_model::authority::Authority::read(doc.document())?;
    haven_model::rules::check_changes(doc.document(), &authority, &changes).map_err(|refusal| {
        StoreError::NotAllowed(format!(
            "this device may not do that in this journal: {}",
            refusal.rule
        ))
    })
}

/// The journal's 16-byte key, as `doc` records it.
fn journal_key_of(doc: &AutoCommit) -> Option<[u8; 16]> {
    let hex_key = members::journal_key(doc).ok()??;
    let mut out = [0u8; 16];
    hex::decode_to_slice(hex_key, &mut out).ok()?;
    Some(out)
}
