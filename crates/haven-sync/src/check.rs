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
    Ok(msg)
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
