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
//!
//! The parts: `journal` holds what a session keeps per journal (its copy, sync state and
//! queue of changes to send), `machine` the session itself (phases, rounds, validation).
//! Both are used through this module.

use haven_model::rules::Refusal;
use haven_model::validate::Violation;

use crate::JournalKey;
use crate::check::CheckError;
use crate::frame::VERSION;

mod journal;
mod machine;

pub use journal::JournalSync;
pub use machine::{Step, SyncSession};

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

#[cfg(test)]
mod tests;
