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

use crate::JournalKey;
use crate::check::{self, CheckError, Limits};
use crate::frame::{Frame, VERSION};

/// Rounds after which a session is considered a flood.
pub const MAX_ROUNDS: u32 = 256;

/// One journal in a session: the caller's in-memory copy and the sync state with this peer.
pub struct JournalSync {
    /// The document (a copy; the caller persists what was received after the session).
    pub doc: AutoCommit,
    /// Automerge's sync state with this peer (persisted by the caller between sessions).
    pub state: State,
    /// Heads before the session, to tell what was received.
    pub start_heads: Vec<ChangeHash>,
    /// Sync message bytes received for this journal.
    pub bytes_in: usize,
    /// Sync message bytes sent for this journal.
    pub bytes_out: usize,
}

impl JournalSync {
    /// Wraps a document and the sync state kept for this peer.
    pub fn new(mut doc: AutoCommit, state: State) -> Self {
        let start_heads = doc.get_heads();
        JournalSync {
            doc,
            state,
            start_heads,
            bytes_in: 0,
            bytes_out: 0,
        }
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
}

impl SyncSession {
    /// Starts a session as the side that connected; returns it with the hello to send.
    /// `journals` are those whose member list holds the peer.
    pub fn initiator(journals: BTreeMap<JournalKey, JournalSync>) -> (Self, Frame) {
        let offered: Vec<JournalKey> = journals.keys().copied().collect();
        let hello = Frame::Hello {
            version: VERSION,
            journals: offered.clone(),
        };
        let session = SyncSession {
            journals,
            offered,
            agreed: Vec::new(),
            also: Vec::new(),
            phase: Phase::AwaitAck,
            rounds: 0,
            frames_in: 0,
            frames_out: 1,
            limits: Limits::default(),
        };
        (session, hello)
    }

    /// Starts a session as the side that accepted. `journals` are those whose member list
    /// holds the peer.
    pub fn responder(journals: BTreeMap<JournalKey, JournalSync>) -> Self {
        SyncSession {
            journals,
            offered: Vec::new(),
            agreed: Vec::new(),
            also: Vec::new(),
            phase: Phase::AwaitHello,
            rounds: 0,
            frames_in: 0,
            frames_out: 0,
            limits: Limits::default(),
        }
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

    /// The journals, with what was received, once the session is over.
    pub fn into_journals(self) -> BTreeMap<JournalKey, JournalSync> {
        self.journals
    }

    /// This side's next messages. Generating one reads what the peer said about itself (its
    /// bloom filters), so it runs under `catch_unwind` too.
    fn round(&mut self) -> Result<Vec<(JournalKey, Vec<u8>)>, SessionError> {
        let mut out = Vec::new();
        for key in &self.agreed {
            let Some(j) = self.journals.get_mut(key) else {
                continue;
            };
            let generated = catch_unwind(AssertUnwindSafe(|| {
                j.doc.sync().generate_sync_message(&mut j.state)
            }))
            .map_err(|_| {
                SessionError::Apply("Automerge failed on what the peer said it has".into())
            })?;
            if let Some(msg) = generated {
                let bytes = msg.encode();
                j.bytes_out += bytes.len();
                out.push((*key, bytes));
            }
        }
        Ok(out)
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

    fn apply(&mut self, messages: Vec<(JournalKey, Vec<u8>)>) -> Result<(), SessionError> {
        if messages.len() > self.agreed.len() {
            return Err(SessionError::Protocol(
                "more messages than journals in one round",
            ));
        }
        let mut seen = Vec::with_capacity(messages.len());
        for (key, bytes) in messages {
            if !self.agreed.contains(&key) {
                return Err(SessionError::NotMember);
            }
            if seen.contains(&key) {
                return Err(SessionError::Protocol(
                    "two messages for one journal in one round",
                ));
            }
            seen.push(key);
            let msg = check::check_message(&bytes, &self.limits)?;
            let j = self.journals.get_mut(&key).ok_or(SessionError::NotMember)?;
            j.bytes_in += bytes.len();
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
        }
        Ok(())
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
                    .take(1024)
                    .collect();
                self.agreed = journals;
                self.phase = Phase::Syncing;
                if self.agreed.is_empty() {
                    self.phase = Phase::Finished;
                    return Ok(Step {
                        send: vec![Frame::Done],
                        finished: true,
                    });
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
                self.apply(messages)?;
                let own = self.round()?;
                // Done when neither side has anything left to say: the peer was idle, or
                // its message showed heads equal to ours in every journal (so it needs
                // nothing from us and we need nothing from it). Up-to-date peers thus
                // finish after one round trip of sync messages.
                if own.is_empty() && (peer_idle || self.all_in_sync()) {
                    self.phase = Phase::Finished;
                    return Ok(Step {
                        send: vec![Frame::Done],
                        finished: true,
                    });
                }
                Ok(Step {
                    send: vec![Frame::Round { messages: own }],
                    finished: false,
                })
            }
            (Phase::Syncing, Frame::Done) | (Phase::AwaitHello, Frame::Done) => {
                self.phase = Phase::Finished;
                Ok(Step {
                    send: Vec::new(),
                    finished: true,
                })
            }
            (Phase::Finished, _) => {
                Err(SessionError::Protocol("frame after the end of the session"))
            }
            _ => Err(SessionError::Protocol("unexpected frame")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ReadDoc};

    fn doc_with(keys: &[&str]) -> AutoCommit {
        let mut doc = AutoCommit::load(haven_model::schema::genesis_bytes())
            .unwrap()
            .with_actor(ActorId::random());
        for k in keys {
            doc.put(automerge::ROOT, *k, "x").unwrap();
        }
        doc.commit();
        doc
    }

    /// Runs two sessions against each other in memory; returns frames exchanged.
    fn run(a: &mut SyncSession, hello: Frame, b: &mut SyncSession) -> Result<usize, SessionError> {
        let mut to_b = vec![hello];
        let mut to_a: Vec<Frame> = Vec::new();
        let mut frames = 1;
        for _ in 0..1000 {
            if let Some(f) = to_b.pop() {
                let step = b.handle(f)?;
                frames += step.send.len();
                to_a.extend(step.send);
            } else if let Some(f) = to_a.pop() {
                let step = a.handle(f)?;
                frames += step.send.len();
                to_b.extend(step.send);
            } else {
                break;
            }
        }
        Ok(frames)
    }

    fn one(key: JournalKey, doc: AutoCommit) -> BTreeMap<JournalKey, JournalSync> {
        BTreeMap::from([(key, JournalSync::new(doc, State::new()))])
    }

    #[test]
    fn two_devices_converge_and_idle_ends_the_session() {
        let k = [1; 16];
        let (mut a, hello) = SyncSession::initiator(one(k, doc_with(&["a1", "a2"])));
        let mut b = SyncSession::responder(one(k, doc_with(&["b1"])));
        run(&mut a, hello, &mut b).unwrap();
        assert!(a.is_finished() && b.is_finished());
        let mut ja = a.into_journals();
        let mut jb = b.into_journals();
        let da = &mut ja.get_mut(&k).unwrap().doc;
        let db = &mut jb.get_mut(&k).unwrap().doc;
        assert_eq!(da.get_heads(), db.get_heads());
        for key in ["a1", "a2", "b1"] {
            assert!(db.get(automerge::ROOT, key).unwrap().is_some());
        }
        assert!(!ja.get_mut(&k).unwrap().received().is_empty());
    }

    #[test]
    fn only_journals_both_sides_agree_on_are_synced() {
        let (shared, private) = ([1; 16], [2; 16]);
        let mut offer = one(shared, doc_with(&["s"]));
        offer.insert(
            private,
            JournalSync::new(doc_with(&["secret"]), State::new()),
        );
        let (mut a, hello) = SyncSession::initiator(offer);
        let mut b = SyncSession::responder(one(shared, doc_with(&[])));
        run(&mut a, hello, &mut b).unwrap();
        assert_eq!(b.agreed(), &[shared]);
        let jb = b.into_journals();
        assert_eq!(jb.len(), 1);
        assert!(jb[&shared].doc.get(automerge::ROOT, "s").unwrap().is_some());
    }

    #[test]
    fn a_message_for_another_journal_cuts_the_peer_off() {
        let k = [1; 16];
        let mut b = SyncSession::responder(one(k, doc_with(&[])));
        b.handle(Frame::Hello {
            version: VERSION,
            journals: vec![k],
        })
        .unwrap();
        let err = b
            .handle(Frame::Round {
                messages: vec![([9; 16], vec![0x42])],
            })
            .unwrap_err();
        assert!(matches!(err, SessionError::NotMember));
    }

    #[test]
    fn garbage_and_crafted_messages_are_refused() {
        let k = [1; 16];
        let mut b = SyncSession::responder(one(k, doc_with(&[])));
        b.handle(Frame::Hello {
            version: VERSION,
            journals: vec![k],
        })
        .unwrap();
        let err = b
            .handle(Frame::Round {
                messages: vec![(k, b"garbage".to_vec())],
            })
            .unwrap_err();
        assert!(matches!(err, SessionError::Check(_)), "{err}");
    }

    #[test]
    fn floods_and_protocol_violations_end_the_session() {
        let k = [1; 16];
        let mut b = SyncSession::responder(one(k, doc_with(&[])));
        assert!(matches!(
            b.handle(Frame::Round { messages: vec![] }),
            Err(SessionError::Protocol(_))
        ));
        let mut b = SyncSession::responder(one(k, doc_with(&[])));
        assert!(matches!(
            b.handle(Frame::Hello {
                version: 99,
                journals: vec![]
            }),
            Err(SessionError::Version(99))
        ));
        let mut b = SyncSession::responder(one(k, doc_with(&["x"])));
        b.handle(Frame::Hello {
            version: VERSION,
            journals: vec![k],
        })
        .unwrap();
        let mut flooded = false;
        for _ in 0..=MAX_ROUNDS {
            // A peer that keeps sending non-empty rounds of a message it already sent.
            let mut peer = doc_with(&["y"]);
            let mut st = State::new();
            let msg = peer.sync().generate_sync_message(&mut st).unwrap().encode();
            if let Err(e) = b.handle(Frame::Round {
                messages: vec![(k, msg)],
            }) {
                flooded = matches!(e, SessionError::TooManyRounds);
                break;
            }
        }
        assert!(flooded);
    }

    #[test]
    fn up_to_date_peers_exchange_little() {
        let k = [1; 16];
        let doc = doc_with(&["same"]);
        let (mut a, hello) = SyncSession::initiator(one(k, doc.clone()));
        let mut b = SyncSession::responder(one(k, doc));
        let frames = run(&mut a, hello, &mut b).unwrap();
        let (a_in, a_out) = a.frames();
        let (b_in, b_out) = b.frames();
        assert_eq!(
            (a_in, a_out),
            (b_out, b_in),
            "each side counts what the other sent"
        );
        assert_eq!(a_in + a_out, frames as u32);
        let ja = a.into_journals();
        let total = ja[&k].bytes_out + ja[&k].bytes_in;
        assert!(total < 2048, "{total} bytes for peers already in sync");
        // Hello, ack, one sync message each way, done.
        assert_eq!(frames, 5, "one round trip of sync messages");
    }
}
