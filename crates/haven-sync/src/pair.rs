//! The pairing exchange a ticket opens, on its own ALPN (sans-IO messages).
//!
//! ```text
//! joiner                              inviter
//!   Join{secret, device and person} ->
//!                                   <- Welcome{inviter's names, journals, personal}
//!                                      | Refused{reason}
//! ```
//!
//! The joiner's device id is the one its connection authenticated with, and the inviter's
//! the one the ticket names. After a welcome both sides open a sync session on the same
//! connection for the journals of the scope. The joiner holds the welcome to the ticket's
//! scope ([`check_welcome`]): a journal ticket yields exactly that journal, and only a
//! devices ticket may name the inviter's personal journal. [`Invitation`] and [`Joining`]
//! are the two sides as state machines.

mod flow;

pub use flow::{Invitation, JoinRefusal, Joining, KindError, Knock, Refusal, Welcomed};

use serde::{Deserialize, Serialize};

use crate::JournalKey;

/// A pairing message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairMsg {
    /// The joiner presents the ticket's secret and says who it is.
    Join {
        /// The ticket's one-time secret.
        secret: [u8; 16],
        /// The joining device's name.
        device_name: String,
        /// The joining person's name.
        person: String,
        /// Where the joiner can be reached later (direct addresses).
        addrs: Vec<std::net::SocketAddr>,
        /// The joiner's home relay, if any.
        relay: Option<String>,
    },
    /// The inviter accepts.
    Welcome {
        /// The inviter device's name.
        device_name: String,
        /// The inviter's person name.
        person: String,
        /// The journals the joiner now belongs to.
        journals: Vec<JournalKey>,
        /// For a devices ticket: which of them is the inviter's personal journal (a local
        /// fact of the inviter, which the joiner takes as its own personal journal).
        personal: Option<JournalKey>,
    },
    /// The inviter refuses (used or expired ticket, wrong secret).
    Refused {
        /// Why.
        reason: String,
    },
}

/// Compares two secrets in constant time.
pub fn secrets_match(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Caps a name received from a peer: at most 64 characters, no control or invisible
/// characters.
pub fn clean_name(name: &str) -> String {
    haven_model::text::clean(name, false)
        .chars()
        .take(haven_model::text::NAME_CHARS)
        .collect()
}

/// The most journals a welcome may name.
pub const MAX_WELCOME_JOURNALS: usize = 256;

/// Why a welcome was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WelcomeError {
    /// A journal ticket's welcome named other journals, or none.
    #[error("the inviting device offered other journals than the one the ticket is for")]
    OutOfScope,
    /// A journal ticket's welcome claimed a personal journal.
    #[error("the inviting device offered its personal journal on a ticket for one shared journal")]
    PersonalOnJournalTicket,
    /// A devices ticket's welcome named no personal journal, or one it does not offer.
    #[error("the inviting device did not say which journal is its personal one")]
    NoPersonal,
    /// Too many journals.
    #[error("the inviting device offered more than {MAX_WELCOME_JOURNALS} journals")]
    TooMany,
}

/// Holds a welcome to the ticket's scope; returns the journals to adopt and, for a devices
/// ticket, the inviter's personal journal.
pub fn check_welcome(
    scope: &crate::ticket::Scope,
    journals: &[JournalKey],
    personal: Option<JournalKey>,
) -> Result<(Vec<JournalKey>, Option<JournalKey>), WelcomeError> {
    use crate::ticket::Scope;
    if journals.len() > MAX_WELCOME_JOURNALS {
        return Err(WelcomeError::TooMany);
    }
    let mut keys = journals.to_vec();
    keys.sort();
    keys.dedup();
    match scope {
        Scope::Journal(key) => {
            if personal.is_some() {
                return Err(WelcomeError::PersonalOnJournalTicket);
            }
            if keys != [*key] {
                return Err(WelcomeError::OutOfScope);
            }
            Ok((keys, None))
        }
        Scope::Devices => match personal {
            Some(p) if keys.contains(&p) => Ok((keys, Some(p))),
            _ => Err(WelcomeError::NoPersonal),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcomes_are_held_to_the_ticket_scope() {
        use crate::ticket::Scope;
        let (us, other, mine) = ([1; 16], [2; 16], [3; 16]);
        let journal = Scope::Journal(us);
        assert_eq!(check_welcome(&journal, &[us], None), Ok((vec![us], None)));
        assert_eq!(
            check_welcome(&journal, &[us, other], None),
            Err(WelcomeError::OutOfScope)
        );
        assert_eq!(
            check_welcome(&journal, &[], None),
            Err(WelcomeError::OutOfScope)
        );
        assert_eq!(
            check_welcome(&journal, &[us], Some(us)),
            Err(WelcomeError::PersonalOnJournalTicket)
        );
        assert_eq!(
            check_welcome(&Scope::Devices, &[mine, us], Some(mine)),
            Ok((vec![us, mine], Some(mine)))
        );
        assert_eq!(
            check_welcome(&Scope::Devices, &[us], Some(mine)),
            Err(WelcomeError::NoPersonal)
        );
        assert_eq!(
            check_welcome(&Scope::Devices, &[us], None),
            Err(WelcomeError::NoPersonal)
        );
    }

    #[test]
    fn secrets_compare_and_names_are_capped() {
        assert!(secrets_match(&[1; 16], &[1; 16]));
        assert!(!secrets_match(&[1; 16], &[2; 16]));
        assert_eq!(clean_name("Sam\u{1b}[2J\u{200f}"), "Sam");
        assert_eq!(clean_name(&"x".repeat(100)).len(), 64);
    }
}
