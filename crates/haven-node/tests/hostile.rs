//! A member that speaks the real sync protocol against a running daemon and sends what no
//! honest device would: a change that breaks the journal's structure, an entry beyond the
//! limits, data for a journal it was not agreed on, a frame longer than any allowed. Each
//! session is refused and nothing from it is kept, on disk or in the copy the daemon keeps
//! in memory between sessions, and the same member syncing honestly afterwards still
//! converges. A stranger's flood of silent connections holds a bounded number of tasks
//! while members go on syncing.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use common::{Daemon, Device, pair};
use haven_node::node::{self, PeerOutcome};
use haven_sync::frame::{Frame, VERSION};
use haven_sync::message::SyncMessage;
use haven_sync::ticket::Scope;

const STEP: Duration = Duration::from_secs(5);

/// Robin's daemon running with a journal "us" shared with Sam, both holding one entry.
async fn shared_pair() -> (Device, Device, haven_sync::JournalKey, Daemon) {
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

async fn sync_sam(sam: &Device) -> Vec<PeerOutcome> {
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
fn crafted(sam: &Device, f: impl FnOnce(&mut AutoCommit)) -> SyncMessage {
    let (mut doc, _) = sam.journal("us").load(&sam.node.keys).unwrap();
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
    message_of(haven_model::signed::sign_changes(&raw, &journal, &signing).unwrap())
}

/// Sam's copy of "us" changed by `f` under `actor`, its changes as raw bytes, unsigned.
fn forged(
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

/// A sync message carrying `changes`, the last of them its head.
fn message_of(changes: Vec<Vec<u8>>) -> SyncMessage {
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
async fn endpoint_toward(who: &Device, robin: &Device) -> (iroh::Endpoint, iroh::EndpointAddr) {
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
async fn session(
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
async fn refused(
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
async fn answer_to(
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
fn robin_doc(robin: &Device) -> AutoCommit {
    robin.journal("us").load(&robin.node.keys).unwrap().0
}

/// After a refused session: nothing of it on Robin's disk, and an honest session (which
/// Robin's daemon serves from the copy it holds in memory) brings Sam nothing of it either.
async fn nothing_was_kept(robin: &Device, sam: &Device, n: u64, mark: &str) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_breaks_the_structure_is_refused_and_nothing_is_kept() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let msg = crafted(&sam, |doc| {
        doc.put(ROOT, "evil", 1).unwrap();
    });
    let refusal = refused(&sam, &robin, key, key, msg).await;
    assert!(
        refusal.contains("operation on the document root"),
        "{refusal}"
    );
    nothing_was_kept(&robin, &sam, 1, "evil").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_beyond_the_limits_is_refused_and_nothing_is_kept() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let huge = "x".repeat(haven_model::validate::limits::TEXT_BYTES + 1);
    let msg = crafted(&sam, |doc| {
        let entry = haven_model::Entry::note(
            haven_model::EntryId::from_parts(common::NOW_MS as u64 + 99, 99),
            haven_model::Timestamp {
                unix_ms: common::NOW_MS + 99,
                offset_secs: 0,
            },
            sam.id(),
            "short at first".into(),
        );
        haven_model::schema::put_entry(doc, &entry).unwrap();
        // What no honest device writes: the text replaced, past the limit, by a raw put.
        let obj = haven_model::schema::entry_obj(doc, entry.id)
            .unwrap()
            .unwrap();
        doc.put(&obj, "text", huge.as_str()).unwrap();
    });
    let refusal = refused(&sam, &robin, key, key, msg).await;
    assert!(refusal.contains("over the limit"), "{refusal}");
    assert!(
        !robin
            .texts(&robin.journal("us"))
            .iter()
            .any(|t| t.len() > 1000)
    );
    nothing_was_kept(&robin, &sam, 2, "evil").await;
    assert!(!sam.texts(&sam.journal("us")).iter().any(|t| t.len() > 1000));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_for_an_unagreed_journal_and_an_oversized_frame_end_the_session() {
    let (robin, sam, key, daemon) = shared_pair().await;
    // Robin's personal journal, which Sam is no member of.
    let personal = robin.key_of(&robin.node.vault().personal());
    let msg = crafted(&sam, |doc| {
        doc.put(ROOT, "elsewhere", 1).unwrap();
    });
    let refusal = refused(&sam, &robin, key, personal, msg).await;
    assert!(refusal.contains("not a member"), "{refusal}");
    // A length prefix announcing 4 GiB: refused from the prefix, nothing allocated.
    let (endpoint, conn, mut send, mut recv) = session(&sam, &robin, key).await;
    send.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    send.write_all(&[0; 64]).await.unwrap();
    let mut ended = false;
    for _ in 0..4 {
        match haven_sync::net::recv::<Frame>(&mut recv, STEP).await {
            Ok(Frame::Refused { .. }) | Err(_) => {
                ended = true;
                break;
            }
            Ok(_) => {}
        }
    }
    assert!(ended, "the session went on after an oversized frame");
    conn.close(0u32.into(), b"");
    drop((send, recv, conn));
    endpoint.close().await;
    nothing_was_kept(&robin, &sam, 3, "elsewhere").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_silent_connections_holds_few_tasks_and_members_still_sync() {
    use haven_node::courtesy::POLITE_AT_ONCE;
    let (robin, sam, _key, daemon) = shared_pair().await;
    // A stranger opens many connections on both protocols and never opens a stream: each
    // would be held until its refusal could be said.
    let eve = Device::new("unknown", "Eve");
    let (endpoint, addr) = endpoint_toward(&eve, &robin).await;
    const EACH: usize = 40;
    let mut flood = Vec::new();
    for alpn in [haven_sync::SYNC_ALPN, haven_sync::PAIR_ALPN] {
        for _ in 0..EACH {
            flood.push(endpoint.connect(addr.clone(), alpn).await.unwrap());
        }
    }
    // While the polite refusals wait on their peers, a member syncs as usual.
    sam.write(&sam.journal("us"), 50, "during the flood");
    let outcomes = sync_sam(&sam).await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Synced(..)]),
        "{outcomes:?}"
    );
    assert!(
        robin
            .texts(&robin.journal("us"))
            .contains(&"during the flood".to_string())
    );
    // Beyond the polite few per protocol, the daemon closed the connections at once (the
    // polite ones wait up to 5 s for a stream; one deadline for all tells them apart).
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    let mut closed = Vec::new();
    for conn in &flood {
        closed.push(
            tokio::time::timeout_at(deadline, conn.closed())
                .await
                .is_ok(),
        );
    }
    let closed_at_once = closed.iter().filter(|c| **c).count();
    assert!(
        closed_at_once >= 2 * (EACH - POLITE_AT_ONCE),
        "{closed_at_once} of {} closed at once",
        flood.len()
    );
    for conn in &flood {
        conn.close(0u32.into(), b"");
    }
    drop(flood);
    endpoint.close().await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_in_robins_name_or_signed_for_another_journal_are_refused() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let device = |d: &Device| haven_node::node::device_bytes(&d.id()).unwrap();
    let put_mark = |doc: &mut AutoCommit| {
        let entry = haven_model::Entry::note(
            haven_model::EntryId::from_parts(common::NOW_MS as u64 + 77, 77),
            haven_model::Timestamp {
                unix_ms: common::NOW_MS + 77,
                offset_secs: 0,
            },
            robin.id(),
            "forged".into(),
        );
        haven_model::schema::put_entry(doc, &entry).unwrap();
    };
    // Unsigned, with Robin's device as the actor: Sam cannot sign it, and sends it as is.
    let as_robin = haven_model::signed::device_actor(&device(&robin), [0; 16]);
    let unsigned = forged(&sam, as_robin, put_mark);
    let refusal = refused(&sam, &robin, key, key, message_of(unsigned)).await;
    assert!(
        refusal.contains("not signed by the device it names"),
        "{refusal}"
    );
    // Sam's own change, signed by Sam, but for Robin's personal journal's key: a
    // signature made for one journal does not count in another.
    let personal = robin.key_of(&robin.node.vault().personal());
    let as_sam = haven_model::signed::device_actor(&device(&sam), [0; 16]);
    let elsewhere = haven_model::signed::sign_changes(
        &forged(&sam, as_sam, put_mark),
        &personal,
        &sam.node.keys.signing_key().unwrap(),
    )
    .unwrap();
    let refusal = refused(&sam, &robin, key, key, message_of(elsewhere)).await;
    assert!(refusal.contains("signature does not match"), "{refusal}");
    nothing_was_kept(&robin, &sam, 3, "forged").await;
    assert!(
        !robin
            .texts(&robin.journal("us"))
            .iter()
            .any(|t| t == "forged")
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_cannot_rewrite_robins_words_nor_change_who_is_in_the_journal() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let robins = haven_model::EntryId::from_parts(common::NOW_MS as u64 + 1, 1);
    let at = haven_model::Timestamp {
        unix_ms: common::NOW_MS + 50,
        offset_secs: 0,
    };
    let sam_id = sam.id();
    let stranger = "ab".repeat(32);
    let robin_id = robin.id();
    type Attack<'a> = (&'a str, Box<dyn FnOnce(&mut AutoCommit)>, &'a str);
    let attacks: Vec<Attack> = vec![
        (
            "edits Robin's entry",
            Box::new(move |doc| {
                haven_model::schema::set_text(doc, robins, "rewritten", &sam_id, at).unwrap()
            }),
            "changes an entry of someone else's",
        ),
        (
            "deletes Robin's entry",
            Box::new(move |doc| haven_model::schema::delete_entry(doc, robins, 51).unwrap()),
            "changes an entry of someone else's",
        ),
        (
            "adds a stranger",
            Box::new(move |doc| {
                let member = haven_model::members::Member {
                    device: stranger.clone(),
                    device_name: "Robin's tablet".into(),
                    person: "Robin".into(),
                    person_id: stranger,
                    role: Some(haven_model::members::Role::Admin),
                    added_by: String::new(),
                    added_at_ms: 1,
                    revoked_at_ms: None,
                    ending: None,
                    addrs: Vec::new(),
                };
                haven_model::members::add_member(doc, &member).unwrap();
            }),
            "not an admin",
        ),
        (
            "revokes Robin's laptop",
            Box::new(move |doc| {
                haven_model::members::revoke_member(doc, &robin_id, 52).unwrap();
            }),
            "revokes a device it may not",
        ),
    ];
    for (n, (what, attack, rule)) in attacks.into_iter().enumerate() {
        let refusal = refused(&sam, &robin, key, key, crafted(&sam, attack)).await;
        assert!(refusal.contains(rule), "{what}: {refusal}");
        assert!(
            refusal.contains(&sam.id()[..16]),
            "names the signer: {refusal}"
        );
        // On record in Robin's address book before Sam heard of it, for `haven status`.
        let peers = robin.node.vault().peers(&robin.node.keys).unwrap();
        let noted = peers[&sam.id()]
            .refused
            .clone()
            .expect("the refusal was noted");
        assert_eq!(noted.signer.as_deref(), Some(sam.id().as_str()), "{what}");
        assert_eq!(noted.journal, "us");
        assert!(noted.rule.contains(rule), "{what}: {noted:?}");
        assert!(
            noted.to_string().starts_with("Sam's phone ("),
            "{what}: {noted}"
        );
        nothing_was_kept(&robin, &sam, 20 + n as u64, "rewritten").await;
        assert!(
            robin
                .texts(&robin.journal("us"))
                .contains(&"ours".to_string()),
            "{what}"
        );
        let members = robin
            .journal("us")
            .read_recent(&robin.node.keys, 0)
            .unwrap()
            .members;
        assert_eq!(members.len(), 2, "{what}: {members:?}");
        assert!(members.iter().all(|m| m.is_active()), "{what}");
    }
    daemon.stop().await;
}
