//! Journals a long-running node keeps in memory between sessions, so that a session reads
//! only what changed on disk since the last one.

use std::collections::BTreeMap;

use haven_store::{JournalId, SyncCopy};

/// The largest journal (in entries) a node keeps in memory between sessions.
pub const HELD_MAX_ENTRIES: usize = 50_000;
/// The most journals a node keeps in memory between sessions.
pub const HELD_MAX_JOURNALS: usize = 16;

/// The copies held, behind a lock shared by the sessions.
#[derive(Default)]
pub(super) struct Held(std::sync::Mutex<Copies>);

#[derive(Default)]
struct Copies {
    /// Whether this node keeps them at all (a daemon does; a one-shot command does not).
    enabled: bool,
    by_journal: BTreeMap<JournalId, SyncCopy>,
}

impl Held {
    fn copies(&self) -> std::sync::MutexGuard<'_, Copies> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts keeping copies.
    pub(super) fn enable(&self) {
        self.copies().enabled = true;
    }

    /// Takes the copy of `id`, if any (a session then works on it alone).
    pub(super) fn take(&self, id: &JournalId) -> Option<SyncCopy> {
        self.copies().by_journal.remove(id)
    }

    /// Keeps `copy` for the next session, when copies are kept and it fits.
    pub(super) fn keep(&self, id: JournalId, copy: SyncCopy) {
        let mut copies = self.copies();
        let fits = copy.total() <= HELD_MAX_ENTRIES
            && (copies.by_journal.len() < HELD_MAX_JOURNALS || copies.by_journal.contains_key(&id));
        if copies.enabled && fits {
            copies.by_journal.insert(id, copy);
        }
    }

    /// Whether the copy of `id` lacks any of the chunks `on_disk` (or there is none).
    pub(super) fn lacks(&self, id: &JournalId, on_disk: &[String]) -> bool {
        self.copies()
            .by_journal
            .get(id)
            .is_none_or(|copy| copy.chunks != on_disk)
    }
}
