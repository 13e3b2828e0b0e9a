//! A journal's side of sync: the copy a session works on, keeping what a validated session
//! brought, and the Automerge sync state kept per peer.

use std::path::PathBuf;

use automerge::{AutoCommit, ChangeHash};
use haven_model::schema::Materialized;
use haven_model::validate::Baseline;

use super::{COMPACT_AFTER, COMPACT_BYTES, JournalStore, new_file_stem};
use crate::durable::{self, private_dir, write_atomic};
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;
use crate::lock::VaultLock;

/// A journal loaded for a sync session.
pub struct SyncCopy {
    /// The whole document, in memory.
    pub doc: AutoCommit,
    /// The chunks it was loaded from.
    pub chunks: Vec<String>,
    /// What the copy is now, for validating what a peer sends.
    pub baseline: Baseline,
    /// How many entries it holds.
    pub total: usize,
}

impl JournalStore {
    /// Loads the document for a sync session, folding sealed entries in first so that they
    /// travel too.
    pub fn load_for_sync(&self, keys: &Keys) -> Result<SyncCopy> {
        if self.inbox_len()? > 0 {
            self.change(keys, |_| Ok(()))?;
        }
        let view = self.read_recent(keys, 0)?;
        let _lock = VaultLock::shared(&self.lock_path)?;
        let (doc, chunks) = self.load(keys)?;
        let baseline = Baseline::of(&doc, view.flawed.into_iter().collect());
        // A journal whose structure is already broken (an older version kept what a peer
        // sent) is not synced until `haven doctor` has rolled it back.
        if let Err(violation) = haven_model::validate::check_structure(&doc, &baseline) {
            return Err(StoreError::Damaged {
                path: self.dir.clone(),
                reason: format!(
                    "its structure is broken (a change {violation}); run `haven doctor` to roll it back"
                ),
            });
        }
        Ok(SyncCopy {
            doc,
            chunks,
            baseline,
            total: view.total,
        })
    }

    /// Keeps what a validated session brought to `doc` since `start_heads` (about
    /// `received_bytes` of changes): durable when this returns. When no other process wrote
    /// to the journal since `chunks` were loaded, the read caches are refreshed from `doc`
    /// (with `validated`, its entries as validation read them); otherwise they are left
    /// stale, and the next read rebuilds them.
    pub fn absorb(
        &self,
        doc: &mut AutoCommit,
        start_heads: &[ChangeHash],
        chunks: &[String],
        received_bytes: usize,
        validated: Option<Materialized>,
    ) -> Result<()> {
        if doc.get_heads() == start_heads {
            return Ok(());
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
        let covers = if compact {
            self.compact(doc, &now)?
        } else {
            let received = doc.save_after(start_heads);
            let name = format!("{}.changes.age", new_file_stem());
            write_atomic(
                &self.chunks_dir(),
                &name,
                &envelope::seal(&self.recipient, &received)?,
            )?;
            let mut covers = now;
            covers.push(name);
            covers
        };
        if !alone {
            return Ok(());
        }
        self.write_view_of(doc, validated, covers)
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
