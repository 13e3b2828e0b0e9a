//! The pairing exchange a ticket opens, on its own ALPN (sans-IO messages).
//!
//! ```text
//! joiner                              inviter
//!   Join{secret, device and person} ->
//!                                   <- Welcome{inviter's names, journals} | Refused{reason}
//! ```
//!
//! The joiner's device id is the one its connection authenticated with. After a welcome
//! both sides open a sync session on the same connection for the journals of the scope.

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

/// Caps a name received from a peer: at most 64 characters, no control characters.
pub fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_and_names_are_capped() {
        assert!(secrets_match(&[1; 16], &[1; 16]));
        assert!(!secrets_match(&[1; 16], &[2; 16]));
        assert_eq!(clean_name("Sam\u{1b}[2J"), "Sam[2J");
        assert_eq!(clean_name(&"x".repeat(100)).len(), 64);
    }
}
