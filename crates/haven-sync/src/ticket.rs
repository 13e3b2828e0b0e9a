//! Pairing tickets: what one device shows and the other types (or scans).
//!
//! A ticket carries the inviter's device id and addresses, a one-time secret, the scope
//! (my own devices, or one journal) and an expiry. Text form: `haven1` followed by hex of
//! the postcard encoding and a 4-byte checksum, so that a truncated or mistyped ticket is
//! told apart from a wrong one.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::JournalKey;

/// What a ticket invites into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// One more of the inviter's own devices: every journal the inviter is in.
    Devices,
    /// One journal, for a partner.
    Journal(JournalKey),
}

/// A pairing ticket.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The inviter's device id (ed25519 public key).
    pub inviter: [u8; 32],
    /// Direct addresses the inviter listens on.
    pub addrs: Vec<SocketAddr>,
    /// The inviter's home relay, if it uses one.
    pub relay: Option<String>,
    /// The one-time secret.
    pub secret: [u8; 16],
    /// What the ticket invites into.
    pub scope: Scope,
    /// Expiry, ms since the epoch.
    pub expires_at_ms: i64,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("inviter", &hex::encode(&self.inviter[..5]))
            .field("scope", &self.scope)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

const PREFIX: &str = "haven1";

/// Why text is not a usable ticket.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    /// It does not start like a ticket.
    #[error("this is not a Haven ticket (it should start with `haven1`)")]
    NotATicket,
    /// It is cut short or has a typo.
    #[error("the ticket is truncated or mistyped (its checksum does not match)")]
    Damaged,
    /// The checksum matches but the content does not decode (another version).
    #[error("the ticket was made by an incompatible version of Haven")]
    Incompatible,
}

fn checksum(bytes: &[u8]) -> [u8; 4] {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_be_bytes()
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut body = postcard::to_allocvec(self).map_err(|_| fmt::Error)?;
        let sum = checksum(&body);
        body.extend_from_slice(&sum);
        write!(f, "{PREFIX}{}", hex::encode(body))
    }
}

impl FromStr for Ticket {
    type Err = TicketError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Whitespace and case do not matter: a ticket may be retyped, wrapped, or read
        // from a QR code (which carries it in capitals).
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let hexpart = s.strip_prefix(PREFIX).ok_or(TicketError::NotATicket)?;
        let bytes = hex::decode(hexpart).map_err(|_| TicketError::Damaged)?;
        if bytes.len() < 5 {
            return Err(TicketError::Damaged);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 4);
        if checksum(body) != sum {
            return Err(TicketError::Damaged);
        }
        postcard::from_bytes(body).map_err(|_| TicketError::Incompatible)
    }
}

impl Ticket {
    /// Whether the ticket has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ticket {
        Ticket {
            inviter: [3; 32],
            addrs: vec!["127.0.0.1:4433".parse().unwrap()],
            relay: None,
            secret: [9; 16],
            scope: Scope::Journal([5; 16]),
            expires_at_ms: 1_800_000_000_000,
        }
    }

    #[test]
    fn round_trips_and_tolerates_line_breaks() {
        let t = sample();
        let text = t.to_string();
        assert!(text.starts_with("haven1"));
        assert_eq!(text.parse::<Ticket>().unwrap(), t);
        let wrapped = format!("{}\n  {}", &text[..30], &text[30..]);
        assert_eq!(wrapped.parse::<Ticket>().unwrap(), t);
        assert!(
            !format!("{t:?}").contains("0909"),
            "the secret is not in Debug output"
        );
    }

    #[test]
    fn truncated_mistyped_and_foreign_text_is_refused() {
        let text = sample().to_string();
        assert_eq!(
            text[..text.len() - 6].parse::<Ticket>(),
            Err(TicketError::Damaged)
        );
        let mut typo = text.clone().into_bytes();
        let i = typo.len() / 2;
        typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
        assert_eq!(
            String::from_utf8(typo).unwrap().parse::<Ticket>(),
            Err(TicketError::Damaged)
        );
        assert_eq!("hello".parse::<Ticket>(), Err(TicketError::NotATicket));
        assert_eq!("haven1zz".parse::<Ticket>(), Err(TicketError::Damaged));
        assert!(sample().is_expired(1_800_000_000_000));
        assert!(!sample().is_expired(1_799_999_999_999));
    }
}
