//! One journal in a session: the caller's copy, the sync state with the peer, the queue of
//! changes still to send, and the checks of what the session brought.

use automerge::sync::State;
use automerge::{AutoCommit, ChangeHash};
use haven_model::authority::Authority;
use haven_model::rules::Refusal;
use haven_model::schema::Materialized;
use haven_model::validate::{self, Baseline, Violation};

use super::MAX_ASKED;

/// One journal in a session: the caller's in-memory copy and the sync state with this peer.
pub struct JournalSync {
    /// The document (a copy; the caller persists what was received after the session).
    pub doc: AutoCommit,
    /// Automerge's sync state with this peer (persisted by the caller between sessions).
    pub state: State,
    /// Heads before the session, to tell what was received.
    pub start_heads: Vec<ChangeHash>,
    /// What the copy was before the session, for validation.
    pub baseline: Baseline,
    /// Every entry, read while validating what the session brought (`None` if it brought
    /// nothing).
    pub validated: Option<Materialized>,
    /// The entries before the session, when the caller knows them (see
    /// [`Self::with_entries`]).
    pub(super) prior: Option<Materialized>,
    /// Sync message bytes received for this journal.
    pub bytes_in: usize,
    /// Sync message bytes sent for this journal.
    pub bytes_out: usize,
    /// Changes Automerge handed out that still wait for a round.
    pub(super) queued: std::collections::VecDeque<serde_bytes::ByteBuf>,
    /// Changes the peer asked for by hash and that were put ahead of the queue (each once
    /// per session, so that repeated asking costs nothing).
    resent: std::collections::HashSet<ChangeHash>,
    /// Fingerprints of the changes Automerge handed out this session. Automerge forgets
    /// what it sent once the peer's heads cover it, so a peer that keeps naming every change
    /// in `need` would get each again per round; each goes out once per session instead.
    pub(super) handed: Handed,
}

/// Fingerprints of change bytes, keyed afresh per session (a peer cannot aim collisions at
/// a key it never sees; a collision would only hold one change back to the next session).
#[derive(Default)]
pub(super) struct Handed {
    keys: std::hash::RandomState,
    seen: std::collections::HashSet<u64>,
}

impl Handed {
    /// Whether `change` goes out for the first time this session (and remembers it).
    pub(super) fn first_time(&mut self, change: &[u8]) -> bool {
        use std::hash::BuildHasher;
        self.seen.insert(self.keys.hash_one(change))
    }
}

/// Takes changes off the front of `queue` while they fit in `room` (and at least one).
pub(super) fn take_batch(
    queue: &mut std::collections::VecDeque<serde_bytes::ByteBuf>,
    room: &mut usize,
) -> Vec<serde_bytes::ByteBuf> {
    let mut batch = Vec::new();
    while let Some(next) = queue.front() {
        if !batch.is_empty() && next.len() > *room {
            break;
        }
        *room = room.saturating_sub(next.len());
        batch.extend(queue.pop_front());
    }
    batch
}

impl JournalSync {
    /// Wraps a document, the sync state kept for this peer and what the copy was before.
    pub fn new(mut doc: AutoCommit, state: State, baseline: Baseline) -> Self {
        let start_heads = doc.get_heads();
        JournalSync {
            doc,
            state,
            start_heads,
            baseline,
            validated: None,
            prior: None,
            bytes_in: 0,
            bytes_out: 0,
            queued: Default::default(),
            resent: Default::default(),
            handed: Default::default(),
        }
    }

    /// Hands the session the document's entries as they are now, so that validating what
    /// arrives re-reads only the entries it touched (found from Automerge's patches, which
    /// the document now records) instead of the whole journal.
    pub fn with_entries(mut self, entries: Materialized) -> Self {
        self.doc.update_diff_cursor();
        self.prior = Some(entries);
        self
    }

    /// The entries after the session: those validation read, else those handed in with
    /// [`Self::with_entries`] (`None` if neither).
    pub fn entries(&mut self) -> Option<Materialized> {
        self.doc.reset_diff_cursor();
        self.validated.take().or_else(|| self.prior.take())
    }

    /// Validates what the session brought: only the touched entries when the entries
    /// before are known, else the whole document.
    pub(super) fn check(&mut self) -> Result<Materialized, Violation> {
        let touched = match self.prior.is_some() {
            true => {
                let before = self.doc.diff_cursor();
                let after = self.doc.get_heads();
                let patches = self.doc.diff(&before, &after);
                haven_model::schema::touched_entries(&patches)
            }
            false => None,
        };
        self.doc.reset_diff_cursor();
        validate::check_changed(
            &self.doc,
            &self.baseline,
            self.prior.take(),
            touched.as_ref(),
        )
    }

    /// Checks every change the session brought against the journal's rules: who signed
    /// it, and whether that device may make it (see [`haven_model::rules`]).
    pub(super) fn check_rules(&mut self) -> Result<(), Refusal> {
        let changes = self.doc.get_changes(&self.start_heads);
        let doc = self.doc.document();
        let refused = |rule| Refusal {
            change: changes
                .first()
                .map_or(automerge::ChangeHash([0; 32]), automerge::Change::hash),
            signer: None,
            rule,
        };
        let authority = Authority::read(doc)
            .map_err(|_| refused(haven_model::rules::Rule::Shape("an unreadable member list")))?;
        haven_model::rules::check_changes(doc, &authority, &changes)
    }

    /// Adds to `need` the changes that changes received this session wait on.
    ///
    /// When this side's bloom filter wrongly claims a change (a false positive), the peer's
    /// Automerge leaves it out, and everything that depends on it waits here unapplied.
    /// Automerge itself asks only for the peer's heads, which the peer has already sent, so
    /// the missing change would come only once the peer's queue drains: a session that
    /// pauses on its budget first would bring nothing, and each next one (with the same
    /// filter) would stall the same way. Asking for it by hash lets the peer send it first.
    pub(super) fn ask_for_missing(&mut self, need: &mut Vec<crate::message::Hash>) {
        for hash in self.doc.get_missing_deps(&[]).into_iter().take(MAX_ASKED) {
            if !need.contains(&hash.0) {
                need.push(hash.0);
            }
        }
    }

    /// Puts the changes the peer asked for by hash ahead of the queue (see
    /// [`Self::ask_for_missing`]).
    pub(super) fn queue_needed_first(&mut self) {
        let Some(need) = self.state.their_need.as_ref() else {
            return;
        };
        let mut front = Vec::new();
        for hash in need {
            // What Automerge handed out is queued or sent already.
            if self.resent.contains(hash) || self.state.sent_hashes.contains(hash) {
                continue;
            }
            if let Some(change) = self.doc.get_change_by_hash(hash) {
                front.push(serde_bytes::ByteBuf::from(change.raw_bytes().to_vec()));
                self.resent.insert(*hash);
            }
        }
        for change in front.into_iter().rev() {
            self.queued.push_front(change);
        }
    }

    /// Whether the session brought anything.
    pub fn changed(&mut self) -> bool {
        self.doc.get_heads() != self.start_heads
    }

    /// The changes received during the session, as Automerge binary (empty if none).
    pub fn received(&mut self) -> Vec<u8> {
        self.doc.save_after(&self.start_heads)
    }
}
