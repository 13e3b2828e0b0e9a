//! Checks a sync message from the network before Automerge sees any of it.
//!
//! Automerge's decoders are not hardened against hostile input: crafted bytes can make
//! them panic, or spend CPU and memory far beyond their size (compressed chunks inflate
//! without bound; a run-length column claims billions of operations). So a message is
//! checked here first, in time and memory linear in its size:
//!
//! * its counts of heads, needs and summaries are bounded, and every bloom filter is
//!   well-formed (Automerge divides by its size and allocates by its probe count);
//! * every change is a plain change chunk within [`ChangeLimits`], inspected by
//!   [`haven_model::inspect`]: no documents, no compressed chunks, no operations a journal
//!   never makes, none on the document root;
//! * the message and the whole session stay within a budget of bytes and operations: a
//!   message beyond the session's budget is not applied, and the session pauses (what
//!   arrived so far is kept once validated; the rest comes in the next session).
//!
//! Applying what passes (in [`crate::session`]) happens on an in-memory copy, under
//! `catch_unwind`, and is validated before the caller keeps anything.

use haven_model::inspect::{ChangeLimits, InspectError, inspect_change};
use haven_model::signed::{self, SignatureError};

use crate::JournalKey;
use crate::message::SyncMessage;

/// Bounds on messages and sessions.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most heads a message may announce.
    pub max_heads: usize,
    /// Most change hashes it may ask for.
    pub max_need: usize,
    /// Most "have" summaries.
    pub max_have: usize,
    /// Most hashes in one summary's `last_sync`.
    pub max_last_sync: usize,
    /// Most changes in one message.
    pub max_changes: usize,
    /// Most bytes of changes in one message.
    pub max_message_bytes: usize,
    /// Most operations in one message.
    pub max_message_ops: u64,
    /// Bounds on each change.
    pub change: ChangeLimits,
    /// Bytes of changes one session may bring before it pauses.
    pub session_bytes: usize,
    /// Operations one session may bring before it pauses.
    pub session_ops: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_heads: 1024,
            max_need: 100_000,
            max_have: 8,
            max_last_sync: 1024,
            max_changes: 100_000,
            max_message_bytes: 12 * 1024 * 1024,
            max_message_ops: 1_000_000,
            change: ChangeLimits::default(),
            session_bytes: 64 * 1024 * 1024,
            session_ops: haven_model::inspect::SESSION_OPS,
        }
    }
}

/// What a session has accepted so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// Bytes of changes.
    pub bytes: usize,
    /// Operations.
    pub ops: u64,
    /// Changes.
    pub changes: usize,
}

/// Why a message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    /// Something in it is crafted to crash or exhaust the receiver.
    #[error("a crafted sync message ({0})")]
    Crafted(&'static str),
    /// It exceeds a bound on one message.
    #[error("sync message exceeds a limit: {0}")]
    TooBig(&'static str),
    /// One of its changes was refused.
    #[error("change {index} of the message was refused: {error}")]
    Change {
        /// Its position in the message.
        index: usize,
        /// Why.
        error: InspectError,
    },
    /// One of its changes names a device as its writer that did not sign it.
    #[error("change {index} of the message is not signed by the device it names: {error}")]
    Signature {
        /// Its position in the message.
        index: usize,
        /// Why.
        error: SignatureError,
    },
    /// Applying it would take the session beyond its budget (not hostile in itself: the
    /// session pauses and the rest comes next time).
    #[error("the session reached its budget of {0}")]
    Quota(&'static str),
}

/// Checks a message against `limits` and, if it fits, adds it to `budget`.
pub fn check_message(
    msg: &SyncMessage,
    journal: &JournalKey,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<(), CheckError> {
    if msg.heads.len() > limits.max_heads {
        return Err(CheckError::TooBig("heads"));
    }
    if msg.need.len() > limits.max_need {
        return Err(CheckError::TooBig("need"));
    }
    if msg.have.len() > limits.max_have {
        return Err(CheckError::TooBig("have"));
    }
    for have in &msg.have {
        if have.last_sync.len() > limits.max_last_sync {
            return Err(CheckError::TooBig("have"));
        }
        check_bloom(&have.bloom)?;
    }
    if msg.changes.len() > limits.max_changes {
        return Err(CheckError::TooBig("changes"));
    }
    let bytes = msg.change_bytes();
    if bytes > limits.max_message_bytes {
        return Err(CheckError::TooBig("bytes"));
    }
    let mut ops = 0u64;
    for (index, change) in msg.changes.iter().enumerate() {
        let info = inspect_change(change, &limits.change)
            .map_err(|error| CheckError::Change { index, error })?;
        // A change whose actor names a device must be signed by that device, for this
        // journal (older changes by random actors carry no claim to check).
        if signed::actor_device(&info.actor).is_some() {
            signed::verify_change(change, journal)
                .map_err(|error| CheckError::Signature { index, error })?;
        }
        ops += info.ops;
        if ops > limits.max_message_ops {
            return Err(CheckError::TooBig("operations"));
        }
    }
    if budget.bytes + bytes > limits.session_bytes {
        return Err(CheckError::Quota("bytes"));
    }
    if budget.ops + ops > limits.session_ops {
        return Err(CheckError::Quota("operations"));
    }
    budget.bytes += bytes;
    budget.ops += ops;
    budget.changes += msg.changes.len();
    Ok(())
}

/// The most hash probes a bloom filter may ask for (Automerge's own filters use 7). Each
/// probe is computed for every change this device holds, and their number sizes an
/// allocation.
const MAX_PROBES: u64 = 64;
/// The most entries a bloom filter may claim.
const MAX_BLOOM_ENTRIES: u64 = 10_000_000;

/// Checks a bloom filter from a peer's "have": Automerge divides by its size in bits and
/// allocates a vector of its probe count when it generates the reply, so a filter whose
/// bits do not match what it claims, or a huge probe count, would crash or exhaust it.
fn check_bloom(bytes: &[u8]) -> Result<(), CheckError> {
    if bytes.is_empty() {
        // The empty filter: no entries.
        return Ok(());
    }
    let mut rest = bytes;
    let mut fields = [0u64; 3];
    for field in &mut fields {
        let (value, used) = leb128(rest).ok_or(CheckError::Crafted("bloom filter"))?;
        *field = value;
        rest = &rest[used..];
    }
    let [entries, bits_per_entry, probes] = fields;
    if probes > MAX_PROBES || bits_per_entry > 64 || entries > MAX_BLOOM_ENTRIES {
        return Err(CheckError::TooBig("bloom filter"));
    }
    let bits = (entries * bits_per_entry).div_ceil(8);
    if entries == 0 || probes == 0 || bits == 0 || rest.len() as u64 != bits {
        return Err(CheckError::Crafted("bloom filter"));
    }
    Ok(())
}

/// An unsigned LEB128 number at the start of `bytes`, and how many bytes it took.
fn leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use serde_bytes::ByteBuf;

    const KEY: JournalKey = [7; 16];

    fn real_message() -> SyncMessage {
        message_by(automerge::ActorId::random(), None)
    }

    /// A message carrying one change by `actor`, signed by `key` for [`KEY`] when given.
    fn message_by(
        actor: automerge::ActorId,
        key: Option<&ed25519_dalek::SigningKey>,
    ) -> SyncMessage {
        let mut doc = automerge::AutoCommit::load(haven_model::schema::genesis_bytes())
            .unwrap()
            .with_actor(actor);
        let meta = automerge::ReadDoc::get(&doc, automerge::ROOT, "meta")
            .unwrap()
            .unwrap()
            .1;
        doc.put(&meta, "k", "v").unwrap();
        doc.commit();
        let mut state = automerge::sync::State::new();
        let first = doc.sync().generate_sync_message(&mut state).unwrap();
        // Pretend the peer has nothing, so that the next message carries the change.
        let mut peer = automerge::AutoCommit::load(haven_model::schema::genesis_bytes()).unwrap();
        let mut peer_state = automerge::sync::State::new();
        peer.sync()
            .receive_sync_message(&mut peer_state, first)
            .unwrap();
        let mut reply = peer.sync().generate_sync_message(&mut peer_state).unwrap();
        // As `SyncMessage::into_automerge` does: no capabilities, so no whole documents.
        reply.flags = None;
        doc.sync().receive_sync_message(&mut state, reply).unwrap();
        let msg = doc.sync().generate_sync_message(&mut state).unwrap();
        let mut msg = SyncMessage::whole(msg);
        if let Some(key) = key {
            for change in &mut msg.changes {
                *change = ByteBuf::from(signed::sign_change(change, &KEY, key).unwrap());
            }
        }
        msg
    }

    #[test]
    fn a_change_naming_a_device_must_be_signed_by_it_for_this_journal() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let actor = signed::device_actor(&key.verifying_key().to_bytes(), [1; 16]);
        let signed_msg = message_by(actor.clone(), Some(&key));
        check_message(
            &signed_msg,
            &KEY,
            &Limits::default(),
            &mut Budget::default(),
        )
        .unwrap();
        assert!(matches!(
            check_message(
                &signed_msg,
                &[8; 16],
                &Limits::default(),
                &mut Budget::default()
            ),
            Err(CheckError::Signature {
                error: SignatureError::BadSignature,
                ..
            })
        ));
        let unsigned = message_by(actor, None);
        assert!(matches!(
            check_message(&unsigned, &KEY, &Limits::default(), &mut Budget::default()),
            Err(CheckError::Signature {
                error: SignatureError::Unsigned,
                ..
            })
        ));
    }

    #[test]
    fn a_real_message_passes_and_counts_against_the_budget() {
        let msg = real_message();
        assert_eq!(msg.changes.len(), 1);
        let mut budget = Budget::default();
        check_message(&msg, &KEY, &Limits::default(), &mut budget).unwrap();
        assert_eq!(budget.changes, 1);
        assert!(budget.ops >= 1 && budget.bytes > 0);
        let tight = Limits {
            session_ops: budget.ops,
            ..Limits::default()
        };
        assert_eq!(
            check_message(&msg, &KEY, &tight, &mut budget),
            Err(CheckError::Quota("operations"))
        );
        assert!(msg.into_automerge().is_ok());
    }

    #[test]
    fn compressed_and_garbage_changes_are_refused() {
        let mut msg = real_message();
        msg.changes.push(ByteBuf::from(b"garbage".to_vec()));
        assert!(matches!(
            check_message(&msg, &KEY, &Limits::default(), &mut Budget::default()),
            Err(CheckError::Change { index: 1, .. })
        ));
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "k", "v".repeat(1000)).unwrap();
        let mut msg = real_message();
        msg.changes = vec![ByteBuf::from(doc.save())];
        assert!(matches!(
            check_message(&msg, &KEY, &Limits::default(), &mut Budget::default()),
            Err(CheckError::Change {
                error: InspectError::NotAChange("document"),
                ..
            })
        ));
    }

    #[test]
    fn crafted_bloom_filters_are_refused() {
        // Found by fuzzing: a filter that claims entries but has no bits made Automerge
        // divide by zero while generating the reply.
        assert_eq!(
            check_bloom(&[5, 0, 7, 1]),
            Err(CheckError::Crafted("bloom filter"))
        );
        assert_eq!(
            check_bloom(&[2, 10, 0]),
            Err(CheckError::Crafted("bloom filter"))
        );
        // A filter asking for billions of probes.
        assert_eq!(
            check_bloom(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff]),
            Err(CheckError::TooBig("bloom filter"))
        );
        // Bits that do not match the claimed entries.
        assert_eq!(
            check_bloom(&[3, 10, 7, 0xaa]),
            Err(CheckError::Crafted("bloom filter"))
        );
        assert_eq!(check_bloom(&[1, 10, 7, 0xaa, 0xbb]), Ok(()));
        assert_eq!(check_bloom(&[]), Ok(()));
    }
}
