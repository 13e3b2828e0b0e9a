//! Checks an Automerge sync message from the network before Automerge applies it.
//!
//! Automerge's decoders are not hardened against hostile input: a crafted message can make
//! them panic or spend a lot of CPU and memory. So a message is decoded under
//! `catch_unwind`, and its counts and sizes are bounded, before it goes near a document.
//! Applying it (in [`crate::session`]) happens on an in-memory copy, also under
//! `catch_unwind`, and is only persisted when the whole session ends cleanly.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::Message;

/// Bounds on one sync message.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most heads a message may announce.
    pub max_heads: usize,
    /// Most change hashes it may ask for.
    pub max_need: usize,
    /// Most "have" summaries.
    pub max_have: usize,
    /// Most change chunks.
    pub max_chunks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_heads: 1024,
            max_need: 100_000,
            max_have: 64,
            max_chunks: 200_000,
        }
    }
}

/// Why a message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    /// It does not decode.
    #[error("not an Automerge sync message: {0}")]
    Malformed(String),
    /// Decoding it made Automerge panic: a crafted message.
    #[error("a crafted sync message (the decoder failed)")]
    Crafted,
    /// It exceeds a bound.
    #[error("sync message exceeds a limit: {0}")]
    TooBig(&'static str),
}

/// Decodes and bounds-checks a sync message.
pub fn check_message(bytes: &[u8], limits: &Limits) -> Result<Message, CheckError> {
    let msg = match catch_unwind(AssertUnwindSafe(|| Message::decode(bytes))) {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(CheckError::Malformed(e.to_string())),
        Err(_) => return Err(CheckError::Crafted),
    };
    if msg.heads.len() > limits.max_heads {
        return Err(CheckError::TooBig("heads"));
    }
    if msg.need.len() > limits.max_need {
        return Err(CheckError::TooBig("need"));
    }
    if msg.have.len() > limits.max_have {
        return Err(CheckError::TooBig("have"));
    }
    if msg.changes.len() > limits.max_chunks {
        return Err(CheckError::TooBig("changes"));
    }
    for have in &msg.have {
        check_bloom(&have.bloom.to_bytes())?;
    }
    Ok(msg)
}

/// The most hash probes a bloom filter may ask for (Automerge's own filters use 7). Each
/// probe is computed for every change this device holds, and their number sizes an
/// allocation, so a crafted count could exhaust memory.
const MAX_PROBES: u64 = 64;

/// Checks a bloom filter from a peer's "have": Automerge divides by its size in bits and
/// allocates a vector of its probe count when it generates the reply, so an empty filter
/// that claims entries, or a huge probe count, would crash or exhaust the process.
fn check_bloom(bytes: &[u8]) -> Result<(), CheckError> {
    if bytes.is_empty() {
        // The empty filter: no entries.
        return Ok(());
    }
    let mut rest = bytes;
    let mut fields = [0u64; 3];
    for field in &mut fields {
        let (value, used) = leb128(rest).ok_or(CheckError::Crafted)?;
        *field = value;
        rest = &rest[used..];
    }
    let [entries, bits_per_entry, probes] = fields;
    if probes > MAX_PROBES || bits_per_entry > 64 {
        return Err(CheckError::TooBig("bloom filter"));
    }
    if entries > 0 && (rest.is_empty() || probes == 0) {
        return Err(CheckError::Crafted);
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

    #[test]
    fn garbage_is_refused_without_panicking() {
        let limits = Limits::default();
        assert!(check_message(b"", &limits).is_err());
        assert!(check_message(b"\x42garbage", &limits).is_err());
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = check_message(&bytes, &limits);
        }
    }

    #[test]
    fn crafted_bloom_filters_are_refused() {
        // Found by the `message` fuzz target: a "have" whose bloom filter claims entries but
        // has no bits made Automerge divide by zero while generating the reply.
        let empty_bloom: &[u8] = &[66, 0, 0, 2, 0, 5, 46, 0, 0, 2, 0, 0, 0, 0];
        assert!(check_message(empty_bloom, &Limits::default()).is_err());
        // A filter asking for billions of probes.
        assert_eq!(
            check_bloom(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff]),
            Err(CheckError::TooBig("bloom filter"))
        );
        assert_eq!(check_bloom(&[3, 10, 7, 0xaa, 0xbb, 0xcc, 0xdd]), Ok(()));
        assert_eq!(check_bloom(&[]), Ok(()));
    }

    #[test]
    fn a_real_message_passes_and_limits_bite() {
        use automerge::sync::SyncDoc;
        use automerge::transaction::Transactable;
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "k", "v").unwrap();
        let mut state = automerge::sync::State::new();
        let msg = doc.sync().generate_sync_message(&mut state).unwrap();
        let bytes = msg.encode();
        assert!(check_message(&bytes, &Limits::default()).is_ok());
        let tight = Limits {
            max_heads: 0,
            ..Limits::default()
        };
        assert_eq!(
            check_message(&bytes, &tight),
            Err(CheckError::TooBig("heads"))
        );
    }
}
