//! Admitting changes that did not come from this device's own writes, wherever they were
//! found: each must be signed for the journal by the device its actor names, leave the
//! journal valid, and be one its signer may make.

use automerge::{Automerge, Change};

use super::{Refusal, check_changes};
use crate::authority::Authority;
use crate::signed::{self, JournalKey, SignatureError};
use crate::validate::{self, Baseline, Violation};

/// Why changes were not admitted.
#[derive(Debug, thiserror::Error)]
pub enum NotAdmitted {
    /// A change is unsigned, or its signature does not hold.
    #[error("a change carries no valid signature ({0})")]
    Signature(SignatureError),
    /// The journal would no longer be valid.
    #[error("a change {0}")]
    Structure(Violation),
    /// The member list cannot be read.
    #[error("its member list cannot be read")]
    Members,
    /// A change breaks the journal's rules.
    #[error("{0}")]
    Rule(Refusal),
}

/// Checks `changes`, which `after` holds on top of a document whose baseline is `before`:
/// every one signed for `journal` (unsigned history is not taken from anywhere but a
/// session that vouches for it), the result valid, and each change allowed by the rules.
pub fn admit(
    after: &Automerge,
    before: &Baseline,
    changes: &[Change],
    journal: &JournalKey,
) -> Result<(), NotAdmitted> {
    for change in changes {
        signed::verify_change(change.raw_bytes(), journal).map_err(NotAdmitted::Signature)?;
    }
    validate::check_journal(after, before).map_err(NotAdmitted::Structure)?;
    let authority = Authority::read(after).map_err(|_| NotAdmitted::Members)?;
    check_changes(after, &authority, changes).map_err(NotAdmitted::Rule)
}
