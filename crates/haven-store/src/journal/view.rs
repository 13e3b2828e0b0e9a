//! The read caches of a journal: `view.age` holds every entry, materialised, and
//! `recent.age` the newest [`RECENT`] of them, so that reads never load the document. Each
//! records which chunks it was built from; a cache built from other chunks (a crash, a sync,
//! a file restored by hand) is rebuilt from the document when next read.
//!
//! A cache is encrypted to the vault's public recipient, which anyone holding that
//! recipient can do, so it is also tagged: its plaintext starts with a MAC under this
//! device's [`crate::keys::ChunkKey`] over the journal, the file's name and the rest. A
//! cache whose tag does not verify (written by someone else, or by another device's key)
//! is never read: it is rebuilt from the chunks, which are checked on their own.

use std::collections::BTreeSet;
use std::path::PathBuf;

use automerge::AutoCommit;
use haven_model::authority::Authority;
use haven_model::members::Member;
use haven_model::rules::void::read_entries_by_map;
use haven_model::schema::{self, Materialized};
use haven_model::validate::Baseline;
use haven_model::{Entry, JournalMeta};
use serde::{Deserialize, Serialize};

use super::{FOLD_AFTER, JournalStore};
use crate::durable;
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;
use crate::lock::VaultLock;

/// Version of the read-cache format.
const VIEW_VERSION: u32 = 6;

/// Length of the tag that starts a read cache's plaintext (hex digits).
const TAG_LEN: usize = 32;

/// What a read returns: every entry, the journal's meta, and how many came from the inbox.
#[derive(Debug, Default)]
pub struct JournalView {
    /// Name and kind, once set.
    pub meta: Option<JournalMeta>,
    /// How many entries the journal has (`entries` may hold only the newest).
    pub total: usize,
    /// Entries, oldest first.
    pub entries: Vec<Entry>,
    /// How many of them are sealed entries not yet folded into the document.
    pub pending: usize,
    /// Entries that could not be read, with the reason.
    pub malformed: Vec<(String, String)>,
    /// The user's own vocabulary words: `meta` keys under `vocab/` with their group.
    pub vocab: Vec<(String, String)>,
    /// The journal's shared key (hex), the same in every copy.
    pub key: Option<String>,
    /// The devices allowed to sync it.
    pub members: Vec<Member>,
    /// Sealed-entry files that could not be opened (left in place for `doctor`).
    pub damaged: Vec<PathBuf>,
    /// Entries that break a rule of the current version (malformed, or beyond a limit an
    /// older version did not have): kept as they are, and not held against later syncs.
    pub flawed: Vec<String>,
}

impl JournalView {
    /// Finds the entry whose id is `prefix` or starts with it (case-insensitive).
    pub fn resolve(&self, prefix: &str) -> Result<&Entry> {
        let wanted = prefix.trim().to_ascii_uppercase();
        if wanted.is_empty() {
            return Err(StoreError::NoSuchEntry(prefix.to_string()));
        }
        let mut matches = self
            .entries
            .iter()
            .filter(|e| e.id.to_string().starts_with(&wanted));
        match (matches.next(), matches.count()) {
            (Some(e), 0) => Ok(e),
            (None, _) => Err(StoreError::NoSuchEntry(prefix.to_string())),
            (Some(_), more) => Err(StoreError::AmbiguousEntry {
                prefix: prefix.to_string(),
                count: more + 1,
            }),
        }
    }
}

/// The read cache as stored (`view.age` holds every entry, `recent.age` the newest
/// [`RECENT`] of them so that `list -n 10` stays cheap at any size).
#[derive(Deserialize)]
struct ViewFile {
    version: u32,
    covers: Vec<String>,
    meta: Option<JournalMeta>,
    total: usize,
    entries: Vec<Entry>,
    malformed: Vec<(String, String)>,
    vocab: Vec<(String, String)>,
    key: Option<String>,
    members: Vec<Member>,
    flawed: Vec<String>,
}

/// The same, borrowed for writing.
#[derive(Serialize)]
struct ViewRef<'a> {
    version: u32,
    covers: &'a [String],
    meta: Option<&'a JournalMeta>,
    total: usize,
    entries: &'a [Entry],
    malformed: &'a [(String, String)],
    vocab: &'a [(String, String)],
    key: Option<&'a str>,
    members: &'a [Member],
    flawed: &'a [String],
}

/// What the read caches hold besides the entries, read out of a document.
struct ViewParts {
    meta: Option<JournalMeta>,
    vocab: Vec<(String, String)>,
    key: Option<String>,
    members: Vec<Member>,
    flawed: Vec<String>,
    /// Entries a revocation or a demotion voided: kept in the document, read by no one.
    void: BTreeSet<String>,
    /// Entries read from another map than the one Automerge reads under their id (see
    /// `haven_model::rules::void`).
    beneath: Vec<Entry>,
}

impl ViewParts {
    fn of(doc: &mut AutoCommit, read: &Materialized) -> Result<ViewParts> {
        let authority = Authority::read(doc.document())?;
        let voided = read_entries_by_map(doc.document(), &authority);
        let beneath = (voided.beneath.iter())
            .filter_map(|(key, obj)| schema::read_entry(doc.document(), key, obj).ok())
            .collect();
        Ok(ViewParts {
            meta: schema::read_meta(doc)?,
            vocab: schema::meta_values(doc, "vocab/")?,
            key: haven_model::members::journal_key(doc)?,
            members: haven_model::members::read_members_of(doc.document(), &authority)?,
            flawed: Baseline::flawed_in(read).into_iter().collect(),
            void: voided.hidden,
            beneath,
        })
    }
}

/// How many of the newest entries `recent.age` holds.
pub const RECENT: usize = 512;

/// The largest journal (in entries) whose sealed entries a read merges: a merge loads the
/// whole document, about 14 µs an entry.
pub const MERGE_ON_READ_UP_TO: usize = 10_000;

impl JournalStore {
    /// The journal's name and kind, from the read cache (or the document if stale).
    pub fn meta(&self, keys: &Keys) -> Result<Option<JournalMeta>> {
        let _lock = VaultLock::shared(&self.lock_path)?;
        if let Some(view) = self.cached_view(keys)? {
            return Ok(view.meta);
        }
        drop(_lock);
        Ok(self.read(keys)?.meta)
    }

    /// The read cache `name` if it is readable, whatever chunks it was built from.
    fn any_view_named(&self, keys: &Keys, name: &str) -> Result<Option<ViewFile>> {
        let Some(plain) = self.open_view(keys, name) else {
            return Ok(None);
        };
        Ok(postcard::from_bytes::<ViewFile>(&plain[TAG_LEN..])
            .ok()
            .filter(|v| v.version == VIEW_VERSION)
            .map(|mut v| {
                haven_model::members::attribute(&mut v.entries, &v.members);
                v
            }))
    }

    fn any_view(&self, keys: &Keys) -> Result<Option<ViewFile>> {
        self.any_view_named(keys, "view.age")
    }

    /// The read cache `name` if it was built from exactly the chunks present now.
    fn cached_view_named(&self, keys: &Keys, name: &str) -> Result<Option<ViewFile>> {
        Ok(self
            .any_view_named(keys, name)?
            .filter(|v| self.chunk_names().is_ok_and(|names| names == v.covers)))
    }

    fn cached_view(&self, keys: &Keys) -> Result<Option<ViewFile>> {
        self.cached_view_named(keys, "view.age")
    }

    /// Merges the entries sealed since the last change (every write seals, key or not), so
    /// that a read that holds the key leaves none waiting. A merge is a full change, so it
    /// is done only for journals of at most [`MERGE_ON_READ_UP_TO`] entries, where it costs
    /// at most about a seventh of a second; a larger journal keeps them sealed until its
    /// next change, still read with the rest. Returns how many were merged; a merge that
    /// cannot be done now (a full or read-only disk, a role that may not write) is logged
    /// rather than failing the read.
    pub fn merge_sealed(&self, keys: &Keys) -> usize {
        let waiting = match self.inbox_len() {
            Ok(0) | Err(_) => return 0,
            Ok(n) => n,
        };
        match self.read_recent(keys, 0) {
            Ok(view) if view.total <= MERGE_ON_READ_UP_TO => {}
            _ => return 0,
        }
        if let Err(err) = self.change(keys, |_| Ok(())) {
            tracing::warn!(%err, waiting, "the sealed entries could not be merged now");
            return 0;
        }
        waiting.saturating_sub(self.inbox_len().unwrap_or(waiting))
    }

    /// The newest `n` entries (plus every sealed one), reading only the small recent cache
    /// when it suffices. `total` in the result still counts every entry.
    pub fn read_recent(&self, keys: &Keys, n: usize) -> Result<JournalView> {
        if n <= RECENT {
            let _lock = VaultLock::shared(&self.lock_path)?;
            let inbox = self.inbox_names()?;
            if inbox.len() <= FOLD_AFTER
                && let Some(view) = self.cached_view_named(keys, "recent.age")?
            {
                return Ok(self.with_inbox(keys, view, &inbox, Vec::new()));
            }
        }
        self.read(keys)
    }

    /// Reads every entry: the read cache plus the inbox. Folds the inbox first when it is
    /// large, and rebuilds the cache when it is stale.
    pub fn read(&self, keys: &Keys) -> Result<JournalView> {
        for _ in 0..2 {
            let lock = VaultLock::shared(&self.lock_path)?;
            let inbox = self.inbox_names()?;
            if inbox.len() <= FOLD_AFTER
                && let Some(view) = self.cached_view(keys)?
            {
                return Ok(self.with_inbox(keys, view, &inbox, Vec::new()));
            }
            drop(lock);
            if let Err(err) = self.change(keys, |_| Ok(())) {
                // A damaged chunk must not hide everything else: fall back to the last
                // good read cache and name the damaged file.
                let StoreError::Damaged { path, .. } = &err else {
                    return Err(err);
                };
                let _lock = VaultLock::shared(&self.lock_path)?;
                let Ok(Some(view)) = self.any_view(keys) else {
                    return Err(err);
                };
                return Ok(self.with_inbox(keys, view, &self.inbox_names()?, vec![path.clone()]));
            }
        }
        Err(StoreError::Damaged {
            path: self.view_path(),
            reason: "the read cache could not be rebuilt".into(),
        })
    }

    /// Adds the sealed entries of the inbox to a read cache.
    fn with_inbox(
        &self,
        keys: &Keys,
        view: ViewFile,
        inbox: &[String],
        damaged: Vec<PathBuf>,
    ) -> JournalView {
        let mut out = JournalView {
            meta: view.meta,
            total: view.total,
            entries: view.entries,
            pending: 0,
            malformed: view.malformed,
            vocab: view.vocab,
            key: view.key,
            members: view.members,
            damaged,
            flawed: view.flawed,
        };
        let mut sealed = Vec::with_capacity(inbox.len());
        for name in inbox {
            match self.open_sealed(keys, name) {
                Ok(entry) => {
                    if out
                        .entries
                        .binary_search_by(|e| e.id.cmp(&entry.id))
                        .is_err()
                    {
                        sealed.push(entry);
                    }
                }
                Err(_) => out.damaged.push(self.inbox_dir().join(name)),
            }
        }
        out.pending = sealed.len();
        out.total += sealed.len();
        if !sealed.is_empty() {
            out.entries.extend(sealed);
            out.entries.sort_by_key(|e| e.id);
        }
        out
    }
    /// Materialises `doc` into the read caches, recorded as built from `covers`.
    pub(crate) fn write_view(
        &self,
        keys: &Keys,
        mut doc: AutoCommit,
        covers: Vec<String>,
    ) -> Result<()> {
        let read = schema::read_entries(&doc)?;
        let parts = ViewParts::of(&mut doc, &read)?;
        // The document is no longer needed: free it before encrypting the caches.
        drop(doc);
        self.write_parts(keys, parts, &read, covers)
    }

    /// [`Self::write_view`] from a borrowed document whose entries were already read.
    pub(crate) fn write_view_of(
        &self,
        keys: &Keys,
        doc: &mut AutoCommit,
        read: &Materialized,
        covers: Vec<String>,
    ) -> Result<()> {
        self.write_parts(keys, ViewParts::of(doc, read)?, read, covers)
    }

    /// The read cache `view.age` as entries, if it was built from exactly `chunks`.
    pub(crate) fn cached_entries(
        &self,
        keys: &Keys,
        chunks: &[String],
    ) -> Result<Option<Materialized>> {
        Ok(self
            .any_view(keys)?
            .filter(|v| v.covers == chunks)
            .map(|v| Materialized {
                entries: v.entries,
                malformed: v.malformed,
            }))
    }

    fn write_parts(
        &self,
        keys: &Keys,
        parts: ViewParts,
        read: &Materialized,
        mut covers: Vec<String>,
    ) -> Result<()> {
        covers.sort();
        let ViewParts {
            meta,
            vocab,
            key,
            members,
            flawed,
            void,
            beneath,
        } = parts;
        let Materialized { entries, malformed } = read;
        let (kept, unread): (Vec<Entry>, Vec<(String, String)>);
        let (entries, malformed) = match void.is_empty() && beneath.is_empty() {
            true => (entries, malformed),
            false => {
                let replaced: BTreeSet<String> = beneath.iter().map(|e| e.id.to_string()).collect();
                let skip = |id: &str| void.contains(id) || replaced.contains(id);
                let mut all: Vec<Entry> = (entries.iter())
                    .filter(|e| !skip(&e.id.to_string()))
                    .cloned()
                    .chain(beneath)
                    .collect();
                all.sort_by_key(|e| e.id);
                kept = all;
                unread = (malformed.iter())
                    .filter(|(key, _)| !replaced.contains(key))
                    .cloned()
                    .collect();
                (&kept, &unread)
            }
        };
        let total = entries.len();
        let recent = &entries[entries.len().saturating_sub(RECENT)..];
        for (name, entries) in [("recent.age", recent), ("view.age", &entries[..])] {
            let view = ViewRef {
                version: VIEW_VERSION,
                covers: &covers,
                meta: meta.as_ref(),
                total,
                entries,
                malformed,
                vocab: &vocab,
                key: key.as_deref(),
                members: &members,
                flawed: &flawed,
            };
            let body =
                postcard::to_stdvec(&view).map_err(|e| StoreError::Encrypt(e.to_string()))?;
            let tag = self.view_tag(keys, name, &body);
            durable::write_atomic_with(&self.dir, name, |file| {
                envelope::seal_to_writer(&self.recipient, file, |w| {
                    w.write_all(tag.as_bytes())?;
                    w.write_all(&body)
                })
            })?;
        }
        Ok(())
    }

    /// The tag of the read cache `name` whose body is `body`: empty without a chunk key,
    /// which no cache is read with.
    fn view_tag(&self, keys: &Keys, name: &str, body: &[u8]) -> String {
        let Some(key) = keys.chunk_key() else {
            return "-".repeat(TAG_LEN);
        };
        key.tag(&self.id.to_string(), &format!("read cache {name}"), body)
    }

    /// The plaintext of the read cache `name` (the body starts at [`TAG_LEN`]), if it opens
    /// and its tag verifies.
    fn open_view(&self, keys: &Keys, name: &str) -> Option<Vec<u8>> {
        let path = self.dir.join(name);
        if !path.exists() {
            return None;
        }
        let plain = envelope::open_file(keys.identity(), &path).ok()?;
        keys.chunk_key()?;
        let (tag, body) = (plain.get(..TAG_LEN)?, plain.get(TAG_LEN..)?);
        let verified = tag == self.view_tag(keys, name, body).as_bytes();
        if !verified {
            tracing::warn!(journal = %self.id, name, "a read cache's tag does not verify; rebuilding it");
            return None;
        }
        Some(plain)
    }

    /// The entries of the read cache, whatever chunks it covers (for recovery).
    pub(crate) fn read_cache_entries(&self, keys: &Keys) -> Result<Vec<Entry>, String> {
        if !self.view_path().exists() {
            return Ok(Vec::new());
        }
        let plain = self
            .open_view(keys, "view.age")
            .ok_or("the read cache does not open with this device's keys, or its tag is wrong")?;
        let view: ViewFile = postcard::from_bytes(&plain[TAG_LEN..])
            .map_err(|e| format!("read cache is malformed ({e})"))?;
        Ok(view.entries)
    }
}
