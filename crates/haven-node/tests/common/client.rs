//! A member's device speaking the real sync protocol the way a hostile client would,
//! against Robin's running daemon: crafted and forged changes, rounds sent by hand, and the
//! checks that nothing of a refused session was kept.

use std::time::Duration;

use automerge::{AutoCommit, ROOT, ReadDoc};
use haven_node::node::{self, PeerOutcome};
use haven_sync::frame::{Frame, VERSION};
use haven_sync::message::SyncMessage;
use haven_sync::ticket::Scope;

use super::{Daemon, Device, pair};

pub const STEP: Duration = Duration::from_secs(5);

/// Robin's daemon running with a journal "us" shared with Sam, both holding one entry.
pub async fn shared_pair() -> (Device, Device, haven_sync::JournalKey, Daemon) {
    let robin = Device::new("laptop", "Robin");
    let sam = Device::new("phone", "Sam");
    let us = robin.new_shared("us");
    robin.write(&us, 1, "ours");
    let key = robin.key_of(&us);
    let (paired, joined) = pair(&robin, &sam, Scope::Journal(key)).await;
    paired.unwrap();
    joined.unwrap();
    let daemon = Daemon::start(&robin).await;
    // One honest session first, so that the daemon holds the journal in memory.
    sam.write(&sam.journal("us"), 2, "from sam");
    assert!(matches!(
        sync_sam(&sam).await.as_slice(),
        [PeerOutcome::Synced(..)]
    ));
    (robin, sam, key, daemon)
}

pub async fn sync_sam(sam: &Device) -> Vec<PeerOutcome> {
    let targets = sam.node.sync_targets(None).unwrap();
    node::sync_alone(&sam.node, &targets, &[])
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

/// Sam's copy of "us", changed by `f` the way a hostile client would change it, and the
/// message carrying that change.
pub fn crafted(sam: &Device, f: impl FnOnce(&mut AutoCommit)) -> SyncMessage {
    message_of(signed_changes(sam, None, f))
}

/// Sam's copy of "us", having first taken in `heard` if given, changed by `f`: the new
/// changes as raw bytes, signed by Sam's device.
pub fn signed_changes(
    sam: &Device,
    heard: Option<&mut AutoCommit>,
    f: impl FnOnce(&mut AutoCommit),
) -> Vec<Vec<u8>> {
    let (mut doc, _) = sam.journal("us").load(&sam.node.keys).unwrap();
    if let Some(other) = heard {
        doc.merge(other).unwrap();
    }
    let before = doc.get_heads();
    f(&mut doc);
    doc.commit();
    // Signed by Sam's device, as the member it is: what it may not do is refused for what
    // it does, not for a missing signature.
    let key = haven_model::members::journal_key(&doc).unwrap().unwrap();
    let journal = haven_node::node::key_bytes(&key).unwrap();
    let raw: Vec<Vec<u8>> = doc
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let signing = sam.node.keys.signing_key().unwrap();
    haven_model::signed::sign_changes(&raw, &journal, &signing).unwrap()
}

/// Sam's copy of "us" changed by `f` under `actor`, its changes as raw bytes, unsigned.
pub fn forged(
    sam: &Device,
    actor: automerge::ActorId,
    f: impl FnOnce(&mut AutoCommit),
) -> Vec<Vec<u8>> {
    let (doc, _) = sam.journal("us").load(&sam.node.keys).unwrap();
    let mut doc = doc.with_actor(actor);
    let before = doc.get_heads();
    f(&mut doc);
    doc.commit();
    doc.get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// `device` takes `changes` into its copy of "us" as a session would bring them, checked
/// as one.
pub fn take_in(device: &Device, changes: &[Vec<u8>]) {
    let store = device.journal("us");
    let (mut doc, chunks) = store.load(&device.node.keys).unwrap();
    let start = doc.get_heads();
    for change in changes {
        doc.load_incremental(change).unwrap();
    }
    store
        .absorb(&device.node.keys, &mut doc, &start, &chunks, 0, None)
        .unwrap();
}

/// A sync message carrying `changes`, the last of them its head.
pub fn message_of(changes: Vec<Vec<u8>>) -> SyncMessage {
    let head = haven_model::inspect::chunk_hash(changes.last().unwrap()).unwrap();
    SyncMessage {
        heads: vec![head],
        changes: changes
            .into_iter()
            .map(serde_bytes::ByteBuf::from)
            .collect(),
        ..SyncMessage::default()
    }
}

/// An endpoint with `who`'s key on a loopback port of its own, and Robin's address.
pub async fn endpoint_toward(who: &Device, robin: &Device) -> (iroh::Endpoint, iroh::EndpointAddr) {
    let mut config = who.node.config.clone();
    config.bind = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let endpoint = haven_sync::net::bind(&who.node.secret().unwrap(), &config)
        .await
        .unwrap();
    let addr = haven_sync::net::peer_addr(
        &node::device_bytes(&robin.id()).unwrap(),
        &[robin.addr],
        None,
    )
    .unwrap();
    (endpoint, addr)
}

/// Opens a sync session from Sam's device to Robin's daemon and says hello for `key`.
pub async fn session(
    sam: &Device,
    robin: &Device,
    key: haven_sync::JournalKey,
) -> (
    iroh::Endpoint,
    iroh::endpoint::Connection,
    iroh::endpoint::SendStream,
    iroh::endpoint::RecvStream,
) {
    // Sam's key on a port of its own, so that it never waits for Sam's usual one.
    let (endpoint, addr) = endpoint_toward(sam, robin).await;
    let (conn, mut send, mut recv) =
        haven_sync::net::connect(&endpoint, addr, haven_sync::SYNC_ALPN, STEP)
            .await
            .unwrap();
    let hello = Frame::Hello {
        version: VERSION,
        journals: vec![key],
    };
    haven_sync::net::send(&mut send, &hello, STEP)
        .await
        .unwrap();
    let ack: Frame = haven_sync::net::recv(&mut recv, STEP).await.unwrap();
    assert!(
        matches!(&ack, Frame::HelloAck { journals, .. } if journals == &[key]),
        "{ack:?}"
    );
    (endpoint, conn, send, recv)
}

/// Sends one crafted round for `journal` in a session about `key`; the refusal it met.
pub async fn refused(
    sam: &Device,
    robin: &Device,
    key: haven_sync::JournalKey,
    journal: haven_sync::JournalKey,
    msg: SyncMessage,
) -> String {
    let round = Frame::Round {
        messages: vec![(journal, msg)],
    };
    answer_to(sam, robin, key, round)
        .await
        .expect("the session was not refused")
}

/// Sends `round` and returns how the daemon answered: its refusal, or `None` if it closed
/// the session without one.
pub async fn answer_to(
    sam: &Device,
    robin: &Device,
    key: haven_sync::JournalKey,
    round: Frame,
) -> Option<String> {
    let (endpoint, conn, mut send, mut recv) = session(sam, robin, key).await;
    haven_sync::net::send(&mut send, &round, STEP)
        .await
        .unwrap();
    // Then idle rounds, as an honest peer with nothing more to send, until the daemon ends
    // the session (validation of the whole result runs at its end).
    let mut refusal = None;
    while let Ok(frame) = haven_sync::net::recv::<Frame>(&mut recv, STEP).await {
        match frame {
            Frame::Refused { reason } => {
                refusal = Some(reason);
                break;
            }
            Frame::Round { .. } => {
                let idle = Frame::Round { messages: vec![] };
                if haven_sync::net::send(&mut send, &idle, STEP).await.is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
    conn.close(0u32.into(), b"");
    endpoint.close().await;
    refusal
}

/// Robin's copy of "us" as it is on disk.
pub fn robin_doc(robin: &Device) -> AutoCommit {
    robin.journal("us").load(&robin.node.keys).unwrap().0
}

/// After a refused session: nothing of it on Robin's disk, and an honest session (which
/// Robin's daemon serves from the copy it holds in memory) brings Sam nothing of it either.
pub async fn nothing_was_kept(robin: &Device, sam: &Device, n: u64, mark: &str) {
    let doc = robin_doc(robin);
    assert!(doc.get(ROOT, mark).unwrap().is_none());
    assert!(!robin.texts(&robin.journal("us")).iter().any(|t| t == mark));
    let text = format!("honest {n}");
    sam.write(&sam.journal("us"), 10 + n, &text);
    let outcomes = sync_sam(sam).await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Synced(..)]),
        "{outcomes:?}"
    );
    assert!(robin.texts(&robin.journal("us")).contains(&text));
    let mut sam_doc = sam.journal("us").load(&sam.node.keys).unwrap().0;
    let mut theirs = sam_doc.get_heads();
    let mut ours = robin_doc(robin).get_heads();
    theirs.sort();
    ours.sort();
    assert_eq!(theirs, ours, "the honest devices did not converge");
    assert!(sam_doc.get(ROOT, mark).unwrap().is_none());
    assert!(!sam.texts(&sam.journal("us")).iter().any(|t| t == mark));
}

/// Note number `n` with `text`, in `device`'s name.
pub fn note(device: &Device, n: u64, text: &str) -> haven_model::Entry {
    haven_model::Entry::note(
        haven_model::EntryId::from_parts(super::NOW_MS as u64 + n, u128::from(n)),
        haven_model::Timestamp {
            unix_ms: super::NOW_MS + n as i64,
            offset_secs: 0,
        },
        device.id(),
        text.into(),
    )
}
