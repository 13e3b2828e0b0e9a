//! A session refused for a change its signer may not make: who signed it, named as the
//! journal's member list names them, remembered in the address book for `haven status`,
//! and said once in the log. Also the other way round: a peer that refused, at the end of
//! a session, what this device sent.

use haven_model::rules::Refusal;
use haven_store::{PeerInfo, PeerRefusal, RefusedChange};
use haven_sync::JournalKey;

use super::{Node, fingerprint};

/// The most characters of a name from a member list that a refusal repeats.
const MAX_NAME: usize = 80;

/// The most characters of a peer's reason for refusing that are repeated.
const MAX_REASON: usize = 300;

impl Node {
    /// How `device` is named in `journal`'s member list ("Sam's phone (6b-41-…)"), or by its
    /// fingerprint when the list does not hold it.
    fn named_in(&self, journal: &JournalKey, device: &str) -> String {
        let member = self.journals().ok().and_then(|journals| {
            journals
                .into_iter()
                .find(|(key, ..)| key == journal)
                .and_then(|(_, _, members, _)| members.into_iter().find(|m| m.device == device))
        });
        let clean = |text: &str| haven_model::text::clean_capped(text, false, MAX_NAME);
        match member {
            Some(m) if !m.person.is_empty() => format!(
                "{}'s {} ({})",
                clean(&m.person),
                clean(&m.device_name),
                fingerprint(device)
            ),
            Some(m) => format!("{} ({})", clean(&m.device_name), fingerprint(device)),
            None => format!("device {}", fingerprint(device)),
        }
    }

    /// Records that `peer` sent, in `journal`, a change refused for `refusal`: in the log and
    /// in the address book. Returns what was recorded.
    pub(crate) fn note_refusal(
        &self,
        peer: &str,
        journal: &JournalKey,
        refusal: &Refusal,
    ) -> RefusedChange {
        let signer_name = match &refusal.signer {
            Some(signer) => self.named_in(journal, signer),
            None => self.named_in(journal, peer),
        };
        let refused = RefusedChange {
            at_ms: self.now_ms(),
            journal: self.alias(journal),
            signer: refusal.signer.clone(),
            signer_name,
            rule: refusal.rule.to_string(),
        };
        tracing::warn!(
            peer = %fingerprint(peer),
            signer = %refusal.signer.as_deref().map(fingerprint).unwrap_or_default(),
            change = %hex::encode(refusal.change.0),
            "{refused}; nothing from that session was kept"
        );
        let info = PeerInfo {
            refused: Some(refused.clone()),
            ..PeerInfo::default()
        };
        if let Err(e) = self.vault().remember_peer(&self.keys, peer, info) {
            tracing::warn!(peer = %fingerprint(peer), error = %e, "could not note the refusal");
        }
        refused
    }

    /// Records that `peer` refused what this device sent it, at the end of a session whose
    /// changes from `peer` this device kept, for `reason` (the peer's words, cleaned and
    /// capped): in the log and in the address book. Returns what was said.
    pub(crate) fn note_refused_by_peer(&self, peer: &str, reason: &str) -> String {
        let refusal = PeerRefusal {
            at_ms: self.now_ms(),
            reason: haven_model::text::clean_capped(reason, false, MAX_REASON),
        };
        let said = format!("device {} {refusal}", fingerprint(peer));
        tracing::warn!(peer = %fingerprint(peer), "{said}");
        let info = PeerInfo {
            refused_ours: Some(refusal),
            ..PeerInfo::default()
        };
        if let Err(e) = self.vault().remember_peer(&self.keys, peer, info) {
            tracing::warn!(peer = %fingerprint(peer), error = %e, "could not note the refusal");
        }
        said
    }
}
