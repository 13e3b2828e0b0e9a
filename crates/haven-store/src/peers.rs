//! The address book: what this device knows about each peer device (how to reach it, its
//! names, when it last synced, and the last change from it that was refused), kept in
//! `peers.age`, encrypted to this device.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::durable::write_atomic;
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;
use crate::vault::Vault;

/// What this device knows about a peer device.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PeerInfo {
    /// Direct addresses it was last reached at.
    pub addrs: Vec<String>,
    /// Its home relay, if any.
    pub relay: Option<String>,
    /// Its name, as it told us.
    pub device_name: String,
    /// Its person's name.
    pub person: String,
    /// When the last sync with it completed (ms).
    pub last_sync_ms: Option<i64>,
    /// The last session with it that was refused for a change its signer may not make.
    #[serde(default)]
    pub refused: Option<RefusedChange>,
    /// The last session in which it refused what this device sent (at the end, after this
    /// device had kept what it received).
    #[serde(default)]
    pub refused_ours: Option<PeerRefusal>,
}

impl PeerInfo {
    /// The refusal, if no session with this peer has completed since (one at the same
    /// millisecond does not hide it).
    pub fn refused_since_sync(&self) -> Option<&RefusedChange> {
        self.refused
            .as_ref()
            .filter(|r| self.last_sync_ms.is_none_or(|synced| synced <= r.at_ms))
    }

    /// Its refusal of what this device sent, if no session has completed since (the one it
    /// was refused in completed on this side just before: it does not hide it).
    pub fn refused_ours_since_sync(&self) -> Option<&PeerRefusal> {
        self.refused_ours
            .as_ref()
            .filter(|r| self.last_sync_ms.is_none_or(|synced| synced <= r.at_ms))
    }
}

/// A peer's refusal, at the end of a session, of what this device sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRefusal {
    /// When (ms).
    pub at_ms: i64,
    /// Its reason, in its words (cleaned of control characters and capped).
    pub reason: String,
}

impl std::fmt::Display for PeerRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused what this device sent it: {}", self.reason)
    }
}

/// A session refused because the peer sent a change its signer may not make. Names come
/// from the journal's member list (text another device wrote): clean them before printing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChange {
    /// When (ms).
    pub at_ms: i64,
    /// The journal, by the name this device knows it by.
    pub journal: String,
    /// The device that signed the change, if it was signed.
    pub signer: Option<String>,
    /// Who that is, as the member list names it ("Sam's phone"), or its fingerprint (for
    /// an unsigned change: the peer that sent it).
    pub signer_name: String,
    /// The rule the change broke, in words ("it changes an entry of someone else's").
    pub rule: String,
}

impl std::fmt::Display for RefusedChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sent a change it may not make in `{}` ({})",
            self.signer_name, self.journal, self.rule
        )
    }
}

impl Vault {
    fn peers_path(&self) -> std::path::PathBuf {
        self.root().join("peers.age")
    }

    /// The address book of peers (device id -> what we know of how to reach it).
    pub fn peers(&self, keys: &Keys) -> Result<BTreeMap<String, PeerInfo>> {
        let path = self.peers_path();
        if !path.exists() {
            return Ok(BTreeMap::new());
        }
        let plain = envelope::open_file(keys.identity(), &path)?;
        serde_json::from_slice(&plain).map_err(|e| StoreError::Damaged {
            path,
            reason: e.to_string(),
        })
    }

    /// Records what we learnt about a peer (merged into the address book).
    pub fn remember_peer(&self, keys: &Keys, device: &str, info: PeerInfo) -> Result<()> {
        let _lock = self.lock_exclusive()?;
        let mut all = self.peers(keys).unwrap_or_default();
        let entry = all.entry(device.to_string()).or_default();
        if !info.addrs.is_empty() {
            entry.addrs = info.addrs;
        }
        if info.relay.is_some() {
            entry.relay = info.relay;
        }
        if info.last_sync_ms.is_some() {
            entry.last_sync_ms = info.last_sync_ms;
        }
        if info.refused.is_some() {
            entry.refused = info.refused;
        }
        if info.refused_ours.is_some() {
            entry.refused_ours = info.refused_ours;
        }
        if !info.device_name.is_empty() {
            entry.device_name = info.device_name;
            entry.person = info.person;
        }
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&all).map_err(|e| StoreError::Encrypt(e.to_string()))?,
        );
        write_atomic(
            self.root(),
            "peers.age",
            &envelope::seal(self.recipient(), &plain)?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(at_ms: i64, signer: Option<&str>) -> RefusedChange {
        RefusedChange {
            at_ms,
            journal: "us".into(),
            signer: signer.map(str::to_string),
            signer_name: "Sam's phone".into(),
            rule: "it changes an entry of someone else's".into(),
        }
    }

    #[test]
    fn a_refusal_says_who_and_what() {
        assert_eq!(
            refusal(5, Some("ab")).to_string(),
            "Sam's phone sent a change it may not make in `us` (it changes an entry of \
             someone else's)"
        );
    }

    #[test]
    fn a_later_completed_sync_puts_a_refusal_behind() {
        let mut info = PeerInfo {
            refused: Some(refusal(5, Some("ab"))),
            ..PeerInfo::default()
        };
        assert!(info.refused_since_sync().is_some());
        info.last_sync_ms = Some(5);
        assert!(
            info.refused_since_sync().is_some(),
            "the same moment: still shown"
        );
        info.last_sync_ms = Some(6);
        assert!(info.refused_since_sync().is_none());
    }
}
