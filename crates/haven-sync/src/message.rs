//! One journal's sync message as it travels: Haven's own encoding of what an Automerge sync
//! message says, so that no Automerge decoder ever reads bytes from the network.
//!
//! The fields are those of Automerge's sync protocol (heads, the changes the sender needs,
//! a bloom filter summarising what it has, and changes), but the changes travel as a list
//! of plain change chunks that [`crate::check`] inspects one by one, and a message carries
//! at most a bounded batch of them (the session queues what Automerge hands out at once and
//! sends it across rounds).

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, ChunkList, Have, Message, MessageVersion};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// A change hash on the wire.
pub type Hash = [u8; 32];

/// What the sender has since its last sync with the receiver.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaveSummary {
    /// The heads both sides had at their last sync.
    pub last_sync: Vec<Hash>,
    /// A bloom filter of the changes the sender added since then (Automerge's encoding).
    pub bloom: ByteBuf,
}

/// One journal's sync message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncMessage {
    /// The sender's heads.
    pub heads: Vec<Hash>,
    /// Changes the sender asks for.
    pub need: Vec<Hash>,
    /// What the sender has.
    pub have: Vec<HaveSummary>,
    /// Change chunks for the receiver, in the order to apply them.
    pub changes: Vec<ByteBuf>,
}

fn hashes(list: &[ChangeHash]) -> Vec<Hash> {
    list.iter().map(|h| h.0).collect()
}

/// The hashes of `list`, sorted as Automerge sorts the hashes of a message.
fn change_hashes(list: &[Hash]) -> Vec<ChangeHash> {
    let mut out: Vec<ChangeHash> = list.iter().map(|h| ChangeHash(*h)).collect();
    out.sort();
    out
}

impl SyncMessage {
    /// Encodes what Automerge generated, without its changes; returns them apart, in
    /// Automerge's order, for the session to send in batches.
    pub fn from_automerge(msg: Message) -> (SyncMessage, Vec<ByteBuf>) {
        let Message {
            heads,
            need,
            have,
            changes,
            ..
        } = msg;
        // Automerge puts several chunks in one entry only for a whole document, which it
        // never sends to a peer that has not announced it can read one (and this protocol
        // never announces that).
        let changes = changes.iter().map(|c| ByteBuf::from(c.to_vec())).collect();
        let message = SyncMessage {
            heads: hashes(&heads),
            need: hashes(&need),
            have: have
                .into_iter()
                .map(|h| HaveSummary {
                    last_sync: hashes(&h.last_sync),
                    bloom: ByteBuf::from(h.bloom.to_bytes()),
                })
                .collect(),
            changes: Vec::new(),
        };
        (message, changes)
    }

    /// [`Self::from_automerge`] with the changes in the message (tests, tools).
    pub fn whole(msg: Message) -> SyncMessage {
        let (mut m, changes) = Self::from_automerge(msg);
        m.changes = changes;
        m
    }

    /// The Automerge message this one stands for. Call only after [`crate::check`] passed
    /// it: the bloom filters are then well-formed and the changes plain change chunks.
    pub fn into_automerge(self) -> Result<Message, String> {
        let mut have = Vec::with_capacity(self.have.len());
        for h in self.have {
            let bloom = BloomFilter::try_from(h.bloom.as_slice()).map_err(|e| e.to_string())?;
            have.push(Have {
                last_sync: change_hashes(&h.last_sync),
                bloom,
            });
        }
        Ok(Message {
            heads: change_hashes(&self.heads),
            need: change_hashes(&self.need),
            have,
            changes: ChunkList::from(
                self.changes
                    .into_iter()
                    .map(ByteBuf::into_vec)
                    .collect::<Vec<_>>(),
            ),
            // No capabilities: the sender never sends a whole (compressed) document.
            flags: None,
            version: MessageVersion::V1,
        })
    }

    /// Bytes of changes it carries.
    pub fn change_bytes(&self) -> usize {
        self.changes.iter().map(|c| c.len()).sum()
    }
}
