//! One sync session between two devices, as a state machine fed with frames (sans-IO).
//!
//! ```text
//! initiator                         responder
//!   Hello{journals it would sync} ->
//!                                 <- HelloAck{the ones the responder agrees to}
//!   Round{sync messages}          ->
//!                                 <- Round{sync messages}      ... until one side
//!   Round{}  (idle)               ->                               receives an idle
//!                                 <- Done                          round and is idle
//! ```
//!
//! A journal is synced only if both sides list the other as a member: the initiator offers
//! only journals whose member list holds the responder, and the responder keeps only those
//! whose member list holds the initiator. Nothing in the hello tells a peer about journals
//! it is not a member of. A frame about any other journal, a malformed or crafted message,
//! too many rounds or messages: each ends the session with an error, and the caller keeps
//! nothing from it.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use haven_model::authority::Authority;
use haven_model::rules::Refusal;
use haven_model::schema::Materialized;
use haven_model::validate::{self, Baseline, Violation};

use crate::JournalKey;
use crate::check::{self, Budget, CheckError, Limits};
use crate::frame::{Frame, VERSION};
use crate::message::SyncMessage;

/// Rounds after which a session is considered a flood.
pub const MAX_ROUNDS: u32 = 256;
/// Bytes of changes this side sends per round (over all journals): what a large journal
/// moves in one round, so that no frame grows with the journal.
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// The most journals one hello may name.
pub const MAX_JOURNALS: usize = 1024;
/// Bytes received for a journal beyond which validation reads every entry instead of the
/// touched ones (see [`JournalSync::with_entries`]), which bounds the patches recorded.
const PATCHED_BYTES: usize = 4 * 1024 * 1024;
/// The most missing changes one message asks for by hash.
const MAX_ASKED: usize = 1024;

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
    prior: Option<Materialized>,
    /// Sync message bytes received for this journal.
    pub bytes_in: usize,
    /// Sync message bytes sent for this journal.
    pub bytes_out: usize,
    /// Changes Automerge handed out that still wait for a round.
    queued: std::collections::VecDeque<serde_bytes::ByteBuf>,
    /// Changes the peer asked for by hash and that were put ahead of the queue (each once
    /// per session, so that repeated asking costs nothing).
    resent: std::collections::HashSet<ChangeHash>,
    /// Fingerprints of the changes Automerge handed out this session. Automerge forgets
    /// what it sent once the peer's heads cover it, so a peer that keeps naming every change
    /// in `need` would get each again per round; each goes out once per session instead.
    handed: Handed,
}

/// Fingerprints of change bytes, keyed afresh per session (a peer cannot aim collisions at
/// a key it never sees; a collision would only hold one change back to the next session).
#[derive(Default)]
struct Handed {
    keys: std::hash::RandomState,
    seen: std::collections::HashSet<u64>,
}

impl Handed {
    /// Whether `change` goes out for the first time this session (and remembers it).
    fn first_time(&mut self, change: &[u8]) -> bool {
        use std::hash::BuildHasher;
        self.seen.insert(self.keys.hash_one(change))
    }
}

/// Takes changes off the front of `queue` while they fit in `room` (and at least one).
fn take_batch(
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
    fn check(&mut self) -> Result<Materialized, Violation> {
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
    fn check_rules(&mut self) -> Result<(), Refusal> {
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
    fn ask_for_missing(&mut self, need: &mut Vec<crate::message::Hash>) {
        for hash in self.doc.get_missing_deps(&[]).into_iter().take(MAX_ASKED) {
            if !need.contains(&hash.0) {
                need.push(hash.0);
            }
        }
    }

    /// Puts the changes the peer asked for by hash ahead of the queue (see
    /// [`Self::ask_for_missing`]).
    fn queue_needed_first(&mut self) {
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

/// Why a session ended badly.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The peer speaks another protocol version.
    #[error("the peer speaks protocol version {0}, this device {VERSION}")]
    Version(u16),
    /// A frame arrived that does not fit the session's state.
    #[error("protocol violation: {0}")]
    Protocol(&'static str),
    /// The peer sent data for a journal that was not agreed (it is not a member).
    #[error("the peer sent data for a journal it is not a member of")]
    NotMember,
    /// A sync message was refused by the check.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// Automerge refused (or panicked on) a message.
    #[error("the peer's changes could not be applied: {0}")]
    Apply(String),
    /// What the peer sent breaks a rule of the journal.
    #[error("the peer sent a change that {violation}")]
    Invalid {
        /// The journal.
        journal: JournalKey,
        /// The rule.
        violation: Violation,
    },
    /// The peer sent a change its signer may not make.
    #[error("the peer sent {refusal}")]
    Forbidden {
        /// The journal.
        journal: JournalKey,
        /// Which change, whose, and the rule.
        refusal: Refusal,
    },
    /// The peer kept the session going for too long.
    #[error("the peer sent more than {MAX_ROUNDS} rounds")]
    TooManyRounds,
    /// The peer refused.
    #[error("the peer refused: {0}")]
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitHello,
    AwaitAck,
    Syncing,
    Finished,
}

/// What to do after handling a frame.
#[derive(Debug, Default)]
pub struct Step {
    /// Frames to send, in order.
    pub send: Vec<Frame>,
    /// The session is over (after sending `send`).
    pub finished: bool,
}

/// A sync session with one peer.
pub struct SyncSession {
    journals: BTreeMap<JournalKey, JournalSync>,
    offered: Vec<JournalKey>,
    agreed: Vec<JournalKey>,
    also: Vec<JournalKey>,
    phase: Phase,
    rounds: u32,
    frames_in: u32,
    frames_out: u32,
    limits: Limits,
    budget: Budget,
    batch_bytes: usize,
    paused: Option<CheckError>,
}

impl SyncSession {
    fn new(journals: BTreeMap<JournalKey, JournalSync>, phase: Phase) -> Self {
        SyncSession {
            journals,
            offered: Vec::new(),
            agreed: Vec::new(),
            also: Vec::new(),
            phase,
            rounds: 0,
            frames_in: 0,
            frames_out: 0,
            limits: Limits::default(),
            budget: Budget::default(),
            batch_bytes: BATCH_BYTES,
            paused: None,
        }
    }

    /// Starts a session as the side that connected; returns it with the hello to send.
    /// `journals` are those whose member list holds the peer.
    pub fn initiator(journals: BTreeMap<JournalKey, JournalSync>) -> (Self, Frame) {
        let mut session = Self::new(journals, Phase::AwaitAck);
        session.offered = session.journals.keys().copied().collect();
        session.frames_out = 1;
        let hello = Frame::Hello {
            version: VERSION,
            journals: session.offered.clone(),
        };
        (session, hello)
    }

    /// Starts a session as the side that accepted. `journals` are those whose member list
    /// holds the peer.
    pub fn responder(journals: BTreeMap<JournalKey, JournalSync>) -> Self {
        Self::new(journals, Phase::AwaitHello)
    }

    /// The same session with other limits and batch size (tests and benchmarks).
    pub fn with_limits(mut self, limits: Limits, batch_bytes: usize) -> Self {
        self.limits = limits;
        self.batch_bytes = batch_bytes.max(1);
        self
    }

    /// The journals both sides agreed on.
    pub fn agreed(&self) -> &[JournalKey] {
        &self.agreed
    }

    /// Journals the responder says this device is a member of but did not offer (the
    /// initiator may create local copies and sync again).
    pub fn also(&self) -> &[JournalKey] {
        &self.also
    }

    /// Whether the session ended cleanly.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// Why the session paused before the peer had sent everything (its budget was spent:
    /// what arrived is kept, the rest comes in the next session).
    pub fn paused(&self) -> Option<&CheckError> {
        self.paused.as_ref()
    }

    /// What the peer's messages have used of the session's budget.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The journals, with what was received, once the session is over.
    pub fn into_journals(self) -> BTreeMap<JournalKey, JournalSync> {
        self.journals
    }

    /// This side's next messages, at most `batch_bytes` of changes in all (and at least one
    /// change per journal that has any, so that a large one still moves).
    ///
    /// Automerge hands out every change the peer lacks at once. Those are queued and sent
    /// a batch per round, in Automerge's order (requested changes first, then causal
    /// order); Automerge is asked again only once the queue is empty, so a large journal is
    /// gathered once per session, not once per round, and a change it hands out again in
    /// the same session is dropped (see `handed`). Generating a message reads what the
    /// peer said about itself (its bloom filters), so it runs under `catch_unwind` too.
    fn round(&mut self) -> Result<Vec<(JournalKey, SyncMessage)>, SessionError> {
        let mut out = Vec::new();
        let mut room = self.batch_bytes;
        for key in &self.agreed {
            let Some(j) = self.journals.get_mut(key) else {
                continue;
            };
            let mut wire = None;
            if j.queued.is_empty() {
                let generated = catch_unwind(AssertUnwindSafe(|| {
                    j.doc.sync().generate_sync_message(&mut j.state)
                }))
                .map_err(|_| {
                    SessionError::Apply("Automerge failed on what the peer said it has".into())
                })?;
                if let Some(msg) = generated {
                    let (mut m, changes) = SyncMessage::from_automerge(msg);
                    j.ask_for_missing(&mut m.need);
                    let handed = &mut j.handed;
                    j.queued
                        .extend(changes.into_iter().filter(|c| handed.first_time(c)));
                    m.changes = take_batch(&mut j.queued, &mut room);
                    wire = Some(m);
                }
            } else {
                // Still sending what Automerge handed out: the rest of it, with this side's
                // heads (the peer's own summary stays what it last said), after anything
                // the peer asked for by hash.
                j.queue_needed_first();
                let heads = j.doc.get_heads().iter().map(|h| h.0).collect();
                wire = Some(SyncMessage {
                    heads,
                    changes: take_batch(&mut j.queued, &mut room),
                    ..SyncMessage::default()
                });
            }
            if let Some(wire) = wire {
                j.bytes_out += postcard::experimental::serialized_size(&wire).unwrap_or(0);
                out.push((*key, wire));
            }
        }
        Ok(out)
    }

    /// Whether, in every agreed journal, the peer's last announced heads are ours (after a
    /// session: whether the two sides ended with the same journals).
    pub fn in_sync(&mut self) -> bool {
        self.all_in_sync()
    }

    /// Whether, in every agreed journal, the peer's last announced heads are ours.
    fn all_in_sync(&mut self) -> bool {
        self.agreed.iter().all(|key| {
            self.journals.get_mut(key).is_some_and(|j| {
                let mut ours = j.doc.get_heads();
                ours.sort();
                j.state.their_heads.as_ref().is_some_and(|theirs| {
                    let mut theirs = theirs.clone();
                    theirs.sort();
                    theirs == ours
                })
            })
        })
    }

    /// Checks and applies one round. Returns `false` when the session's budget is spent
    /// (the message that would exceed it is not applied).
    fn apply(&mut self, messages: Vec<(JournalKey, SyncMessage)>) -> Result<bool, SessionError> {
        if messages.len() > self.agreed.len() {
            return Err(SessionError::Protocol(
                "more messages than journals in one round",
            ));
        }
        let mut seen = Vec::with_capacity(messages.len());
        for (key, msg) in messages {
            if !self.agreed.contains(&key) {
                return Err(SessionError::NotMember);
            }
            if seen.contains(&key) {
                return Err(SessionError::Protocol(
                    "two messages for one journal in one round",
                ));
            }
            seen.push(key);
            let size = postcard::experimental::serialized_size(&msg).unwrap_or(0);
            match check::check_message(&msg, &key, &self.limits, &mut self.budget) {
                Ok(()) => {}
                Err(e @ CheckError::Quota(_)) => {
                    self.paused = Some(e);
                    return Ok(false);
                }
                Err(e) => return Err(e.into()),
            }
            let j = self.journals.get_mut(&key).ok_or(SessionError::NotMember)?;
            j.bytes_in += size;
            if j.prior.is_some() && j.bytes_in > PATCHED_BYTES {
                // Much arrives: the patches would cost more memory than reading every entry
                // once costs time, so stop recording them.
                j.doc.reset_diff_cursor();
                j.prior = None;
            }
            let carries_changes = !msg.changes.is_empty();
            let msg = msg.into_automerge().map_err(SessionError::Apply)?;
            let applied = catch_unwind(AssertUnwindSafe(|| {
                j.doc.sync().receive_sync_message(&mut j.state, msg)
            }));
            match applied {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(SessionError::Apply(e.to_string())),
                Err(_) => {
                    return Err(SessionError::Apply(
                        "Automerge failed on the peer's changes".into(),
                    ));
                }
            }
            if carries_changes {
                validate::check_shape(&j.doc, &j.baseline).map_err(|violation| {
                    SessionError::Invalid {
                        journal: key,
                        violation,
                    }
                })?;
            }
        }
        Ok(true)
    }

    /// Validates every journal that received something, before the session reports that
    /// it ended well.
    fn validate(&mut self) -> Result<(), SessionError> {
        for (key, j) in self.journals.iter_mut() {
            if !j.changed() {
                continue;
            }
            let checked = catch_unwind(AssertUnwindSafe(|| j.check()))
                .map_err(|_| SessionError::Apply("the received journal does not read".into()))?;
            match checked {
                Ok(m) => j.validated = Some(m),
                Err(violation) => {
                    return Err(SessionError::Invalid {
                        journal: *key,
                        violation,
                    });
                }
            }
            j.check_rules().map_err(|refusal| SessionError::Forbidden {
                journal: *key,
                refusal,
            })?;
        }
        Ok(())
    }

    /// Ends the session after validating what it brought.
    fn finish(&mut self, send: Vec<Frame>) -> Result<Step, SessionError> {
        self.phase = Phase::Finished;
        self.validate()?;
        Ok(Step {
            send,
            finished: true,
        })
    }

    /// Frames received and sent so far (the initiator's hello counts as sent).
    pub fn frames(&self) -> (u32, u32) {
        (self.frames_in, self.frames_out)
    }

    /// Handles one frame from the peer.
    pub fn handle(&mut self, frame: Frame) -> Result<Step, SessionError> {
        self.frames_in += 1;
        let step = self.step(frame)?;
        self.frames_out += step.send.len() as u32;
        Ok(step)
    }

    fn step(&mut self, frame: Frame) -> Result<Step, SessionError> {
        if let Frame::Refused { reason } = frame {
            self.phase = Phase::Finished;
            return Err(SessionError::Refused(reason.chars().take(200).collect()));
        }
        match (self.phase, frame) {
            (Phase::AwaitHello, Frame::Hello { version, journals }) => {
                if version != VERSION {
                    return Err(SessionError::Version(version));
                }
                if journals.len() > MAX_JOURNALS {
                    return Err(SessionError::Protocol("too many journals in the hello"));
                }
                let mut agreed: Vec<JournalKey> = journals
                    .into_iter()
                    .filter(|k| self.journals.contains_key(k))
                    .collect();
                agreed.sort();
                agreed.dedup();
                let also: Vec<JournalKey> = self
                    .journals
                    .keys()
                    .filter(|k| !agreed.contains(k))
                    .copied()
                    .collect();
                self.agreed = agreed.clone();
                self.phase = Phase::Syncing;
                Ok(Step {
                    send: vec![Frame::HelloAck {
                        journals: agreed,
                        also,
                    }],
                    finished: false,
                })
            }
            (Phase::AwaitAck, Frame::HelloAck { journals, also }) => {
                if journals.iter().any(|k| !self.offered.contains(k)) {
                    return Err(SessionError::NotMember);
                }
                self.also = also
                    .into_iter()
                    .filter(|k| !self.offered.contains(k))
                    .take(MAX_JOURNALS)
                    .collect();
                self.agreed = journals;
                self.phase = Phase::Syncing;
                if self.agreed.is_empty() {
                    return self.finish(vec![Frame::Done]);
                }
                let messages = self.round()?;
                Ok(Step {
                    send: vec![Frame::Round { messages }],
                    finished: false,
                })
            }
            (Phase::Syncing, Frame::Round { messages }) => {
                self.rounds += 1;
                if self.rounds > MAX_ROUNDS {
                    return Err(SessionError::TooManyRounds);
                }
                let peer_idle = messages.is_empty();
                if !self.apply(messages)? {
                    // The budget is spent: keep what came, and let the next session
                    // bring the rest.
                    return self.finish(vec![Frame::Done]);
                }
                let own = self.round()?;
                // Done when neither side has anything left to say: the peer was idle, or
                // its message showed heads equal to ours in every journal (so it needs
                // nothing from us and we need nothing from it). Up-to-date peers thus
                // finish after one round trip of sync messages.
                if own.is_empty() && (peer_idle || self.all_in_sync()) {
                    return self.finish(vec![Frame::Done]);
                }
                Ok(Step {
                    send: vec![Frame::Round { messages: own }],
                    finished: false,
                })
            }
            (Phase::Syncing, Frame::Done) | (Phase::AwaitHello, Frame::Done) => {
                self.finish(Vec::new())
            }
            (Phase::Finished, _) => {
                Err(SessionError::Protocol("frame after the end of the session"))
            }
            _ => Err(SessionError::Protocol("unexpected frame")),
        }
    }
}

#[cfg(test)]
mod tests;
