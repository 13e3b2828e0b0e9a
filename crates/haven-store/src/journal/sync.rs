//! A journal's side of sync: the copy a session works on, keeping what a validated session
//! brought, and the Automerge sync state kept per peer.

use std::collections::BTreeSet;
use std::path::PathBuf;

use automerge::{AutoCommit, ChangeHash};
use haven_model::schema::{self, Materialized};
use haven_model::validate::Baseline;

use super::{COMPACT_AFTER, COMPACT_BYTES, ChunkKind, JournalStore, guarded};
use crate::durable::{self, private_dir, write_atomic};
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;
use crate::lock::VaultLock;

/// A journal loaded for a sync session, and kept between sessions by a daemon.
pub struct SyncCopy {
    /// The whole document, in memory.
    pub doc: AutoCommit,
    /// The chunks it was loaded from (sorted).
    pub chunks: Vec<String>,
    /// What the copy is now, for validating what a peer sends.
    pub baseline: Baseline,
    /// Every entry of the document, as a read cache holds them.
    pub entries: Materialized,
}

impl SyncCopy {
    /// How many entries it holds.
    pub fn total(&self) -> usize {
        self.entries.entries.len()
    }
}

impl JournalStore {
    /// Loads the document for a sync session, folding sealed entries in first so that they
    /// travel too.
    ///
    /// `held` is this journal as an earlier session left it in memory (see
    /// [`Self::absorb`]). When its chunks are all still on disk, only chunks written since
    /// are read (and only the entries they touch materialised), and sealed entries are
    /// folded into it, so that a large journal is not loaded again per session. Otherwise
    /// the journal is loaded from disk as if nothing were held.
    pub fn load_for_sync(&self, keys: &Keys, held: Option<SyncCopy>) -> Result<SyncCopy> {
        self.load_for_sync_once(keys, held, false)
    }

    /// [`Self::load_for_sync`]; `settled` once chunks this device did not write have been
    /// tagged or set aside (so that chunks dropped meanwhile cannot make it loop).
    fn load_for_sync_once(
        &self,
        keys: &Keys,
        held: Option<SyncCopy>,
        settled: bool,
    ) -> Result<SyncCopy> {
        let folding = self.inbox_len()? > 0;
        let _lock = match folding {
            true => VaultLock::exclusive(&self.lock_path)?,
            false => VaultLock::shared(&self.lock_path)?,
        };
        if folding {
            self.remove_temp_files()?;
        }
        let names = self.chunk_names()?;
        let held = match held {
            Some(copy) => self.catch_up(keys, copy, &names)?,
            None => None,
        };
        let mut copy = match held {
            Some(copy) => copy,
            None => {
                let loaded = self.load_checked(keys)?;
                if !settled && (!loaded.admitted.is_empty() || !loaded.refused.is_empty()) {
                    // Chunks this device did not write: tag or move them aside first.
                    drop(_lock);
                    self.change(keys, |_| Ok(()))?;
                    return self.load_for_sync_once(keys, None, true);
                }
                let chunks = loaded.names;
                let mut doc = loaded.doc.with_actor(super::actor_of(keys));
                if !folding && super::unvouched(&mut doc, keys) {
                    // History from before signing, with nothing of this device's signed
                    // on top: sign a baseline first (once), so that peers take it.
                    drop(_lock);
                    self.change(keys, |doc| {
                        doc.empty_change(automerge::transaction::CommitOptions::default());
                        Ok(())
                    })?;
                    return self.load_for_sync_once(keys, None, settled);
                }
                let entries = match self.cached_entries(keys, &chunks)? {
                    Some(entries) => entries,
                    None => schema::read_entries(&doc)?,
                };
                SyncCopy {
                    doc,
                    chunks,
                    baseline: Baseline::default(),
                    entries,
                }
            }
        };
        if folding {
            self.fold_into(keys, &mut copy)?;
        }
        copy.baseline = Baseline::of(&copy.doc, Baseline::flawed_in(&copy.entries));
        // A journal whose structure is already broken (an older version kept what a peer
        // sent) is not synced until `haven doctor` has rolled it back.
        if let Err(violation) = haven_model::validate::check_structure(&copy.doc, &copy.baseline) {
            return Err(StoreError::Damaged {
                path: self.dir.clone(),
                reason: format!(
                    "its structure is broken (a change {violation}); run `haven doctor` to roll it back"
                ),
            });
        }
        Ok(copy)
    }

    /// Brings a held copy up to the chunks on disk (`names`) by reading only the new
    /// ones; `None` when a chunk it was loaded from is gone (compacted by another process).
    fn catch_up(
        &self,
        keys: &Keys,
        mut copy: SyncCopy,
        names: &[String],
    ) -> Result<Option<SyncCopy>> {
        if copy.chunks == names {
            return Ok(Some(copy));
        }
        if !copy.chunks.iter().all(|c| names.binary_search(c).is_ok()) {
            return Ok(None);
        }
        let new: Vec<&String> = names
            .iter()
            .filter(|n| copy.chunks.binary_search(n).is_err())
            .collect();
        let mut plains = Vec::new();
        for name in new {
            let path = self.chunks_dir().join(name);
            let sealed = super::chunks::read_sealed(&path)?;
            // A chunk written by another hand is checked by a whole load.
            if !self.is_own(keys, name, &sealed) {
                return Ok(None);
            }
            plains.push((
                path.clone(),
                envelope::open(keys.identity(), &sealed, &path)?,
            ));
        }
        copy.doc.update_diff_cursor();
        let before = copy.doc.diff_cursor();
        for (path, plain) in plains {
            guarded(&path, || copy.doc.load_incremental(&plain))?;
        }
        let after = copy.doc.get_heads();
        let touched = schema::touched_entries(&copy.doc.diff(&before, &after));
        copy.doc.reset_diff_cursor();
        copy.entries = schema::reread_entries(&copy.doc, Some(copy.entries), touched.as_ref())?;
        copy.chunks = names.to_vec();
        Ok(Some(copy))
    }

    /// Folds the inbox into `copy` as `change` would, without loading the document again
    /// (call under the writer lock, with `copy` up to date with the chunks on disk).
    fn fold_into(&self, keys: &Keys, copy: &mut SyncCopy) -> Result<()> {
        if !super::writes_entries(&mut copy.doc, keys) {
            return Ok(());
        }
        let (sealed, folded) = self.open_inbox(keys)?;
        let before = copy.doc.get_heads();
        if !sealed.is_empty() {
            let base = copy.doc.clone();
            schema::insert_all(&mut copy.doc, &sealed)?;
            copy.doc.commit();
            let doc = std::mem::replace(&mut copy.doc, AutoCommit::new());
            // No rules check here: the change only adds entries in this device's name
            // (`open_sealed` sees to it) and this device writes entries, which is all the
            // rules ask of such a change.
            copy.doc = super::signed_since(base, doc, &before, keys)?;
        }
        let touched: BTreeSet<String> = sealed.iter().map(|e| e.id.to_string()).collect();
        copy.entries = schema::reread_entries(
            &copy.doc,
            Some(std::mem::take(&mut copy.entries)),
            Some(&touched),
        )?;
        let held = std::mem::take(&mut copy.chunks);
        copy.chunks = self.keep_new(keys, &mut copy.doc, &before, held)?;
        self.write_view_of(keys, &mut copy.doc, &copy.entries, copy.chunks.clone())?;
        copy.chunks.sort();
        self.remove_folded(&folded)
    }

    /// Keeps what a validated session brought to `doc` since `start_heads` (about
    /// `received_bytes` of changes): durable when this returns. When no other process wrote
    /// to the journal since `chunks` were loaded, the read caches are refreshed from `doc`
    /// (with `entries`, its entries as validation read them); otherwise they are left
    /// stale, and the next read rebuilds them. Returns the chunks that hold `doc` now, for
    /// [`Self::load_for_sync`] to start from next time.
    pub fn absorb(
        &self,
        keys: &Keys,
        doc: &mut AutoCommit,
        start_heads: &[ChangeHash],
        chunks: &[String],
        received_bytes: usize,
        entries: Option<&Materialized>,
    ) -> Result<Vec<String>> {
        if doc.get_heads() == start_heads {
            return Ok(chunks.to_vec());
        }
        let _lock = VaultLock::exclusive(&self.lock_path)?;
        durable::remove_temp_files(&self.chunks_dir())?;
        let now = self.chunk_names()?;
        let mut loaded = chunks.to_vec();
        loaded.sort();
        let alone = now == loaded;
        // When no other process wrote meanwhile, the copy in memory is the whole journal:
        // many chunks, or much received (a snapshot loads far faster than the same changes
        // applied one by one), become one snapshot written from it, with nothing to write
        // twice. Otherwise the received changes become one more chunk.
        let compact = alone
            && (now.len() + 1 > COMPACT_AFTER || received_bytes > COMPACT_BYTES)
            && doc.get_missing_deps(&[]).is_empty();
        let mut covers = if compact {
            self.compact(keys, doc, &now)?
        } else {
            let received = doc.save_after(start_heads);
            loaded.push(self.write_chunk(keys, ChunkKind::Changes, &received)?);
            loaded
        };
        covers.sort();
        if alone {
            match entries {
                Some(read) => self.write_view_of(keys, doc, read, covers.clone())?,
                None => {
                    let read = schema::read_entries(doc)?;
                    self.write_view_of(keys, doc, &read, covers.clone())?
                }
            }
        }
        Ok(covers)
    }

    fn peer_path(&self, device: &str) -> Option<PathBuf> {
        (device.len() == 64 && device.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join("peers").join(format!("{device}.age")))
    }

    /// The Automerge sync state kept for `device`, if any (a damaged one is ignored: the
    /// next session simply starts from scratch).
    pub fn peer_state(&self, keys: &Keys, device: &str) -> Option<Vec<u8>> {
        let path = self.peer_path(device)?;
        path.exists()
            .then(|| envelope::open_file(keys.identity(), &path).ok())
            .flatten()
    }

    /// Stores the sync state for `device`, encrypted like everything else.
    pub fn save_peer_state(&self, device: &str, state: &[u8]) -> Result<()> {
        let Some(path) = self.peer_path(device) else {
            return Ok(());
        };
        let dir = self.dir.join("peers");
        if !dir.exists() {
            private_dir(&dir)?;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        write_atomic(&dir, &name, &envelope::seal(&self.recipient, state)?)
    }
}
