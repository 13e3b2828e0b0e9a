//! The session's state machine: the hello and its answer, then rounds of sync messages
//! (each checked and applied, then answered with this side's own) until both sides are
//! idle, and the validation of what arrived before the session ends well.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::SyncDoc;
use haven_model::validate;

use super::journal::{JournalSync, take_batch};
use super::{BATCH_BYTES, MAX_JOURNALS, MAX_ROUNDS, PATCHED_BYTES, SessionError};
use crate::JournalKey;
use crate::check::{self, Budget, CheckError, Limits};
use crate::frame::{Frame, VERSION};
use crate::message::SyncMessage;

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
