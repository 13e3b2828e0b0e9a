use std::collections::{BTreeMap, BTreeSet};

use automerge::sync::State;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ROOT, ReadDoc};
use haven_model::schema;
use haven_model::validate::Baseline;
use haven_model::{Entry, EntryId, Timestamp};

use super::*;
use crate::frame::{self, Frame};
use crate::message::SyncMessage;

mod batches;

/// The test device's signing key: every change in these journals is its.
fn signer() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[5; 32])
}

/// The test device's id (hex).
fn device() -> String {
    hex::encode(signer().verifying_key().to_bytes())
}

/// A fresh actor of the test device.
fn actor() -> ActorId {
    haven_model::signed::device_actor(&signer().verifying_key().to_bytes(), rand::random())
}

/// `doc` with the changes it made since `before` signed by the test device for journal
/// `[1; 16]` (the journal every syncing test uses).
fn signed_since(doc: &mut AutoCommit, before: &[ChangeHash]) -> AutoCommit {
    let new: Vec<Vec<u8>> = doc
        .get_changes(before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let signed = haven_model::signed::sign_changes(&new, &[1; 16], &signer()).unwrap();
    let mut out = doc.fork_at(before).unwrap().with_actor(actor());
    for c in &signed {
        out.load_incremental(c).unwrap();
    }
    out
}

fn entry(n: u64, text: &str) -> Entry {
    Entry::note(
        EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
        Timestamp {
            unix_ms: 1_700_000_000_000 + n as i64,
            offset_secs: 0,
        },
        device(),
        text.into(),
    )
}

/// The journal as its creator (the test device) made it: shared, with itself its admin.
fn base() -> AutoCommit {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let bytes = BYTES.get_or_init(|| {
        let mut doc = schema::new_document(actor()).unwrap();
        let before = doc.get_heads();
        let meta = schema::JournalMeta {
            name: "us".into(),
            kind: schema::JournalKind::Shared,
            created_ms: 1,
        };
        schema::set_meta(&mut doc, &meta).unwrap();
        let me = device();
        haven_model::members::set_created_key(&mut doc, &me, [7; 16]).unwrap();
        haven_model::members::add_member(
            &mut doc,
            &haven_model::members::Member {
                device: me.clone(),
                device_name: "laptop".into(),
                person: "Robin".into(),
                person_id: me.clone(),
                role: Some(haven_model::members::Role::Admin),
                added_by: me,
                added_at_ms: 1,
                revoked_at_ms: None,
                ending: None,
                addrs: Vec::new(),
            },
        )
        .unwrap();
        doc.commit();
        signed_since(&mut doc, &before).save()
    });
    AutoCommit::load(bytes).unwrap().with_actor(actor())
}

/// A copy of one journal (its creation plus `texts` as entries numbered from `first`).
fn doc_with(first: u64, texts: &[&str]) -> AutoCommit {
    let mut doc = base();
    let before = doc.get_heads();
    for (i, t) in texts.iter().enumerate() {
        schema::put_entry(&mut doc, &entry(first + i as u64, t)).unwrap();
    }
    doc.commit();
    signed_since(&mut doc, &before)
}

fn texts(doc: &AutoCommit) -> Vec<String> {
    let mut t: Vec<String> = schema::read_entries(doc)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.text)
        .collect();
    t.sort();
    t
}

fn sync(doc: AutoCommit) -> JournalSync {
    let baseline = Baseline::of(&doc, BTreeSet::new());
    JournalSync::new(doc, State::new(), baseline)
}

fn one(key: JournalKey, doc: AutoCommit) -> BTreeMap<JournalKey, JournalSync> {
    BTreeMap::from([(key, sync(doc))])
}

/// A responder for journal `k` (an empty copy) that has agreed on it with the peer.
fn agreed_responder(k: JournalKey) -> SyncSession {
    let mut b = SyncSession::responder(one(k, doc_with(0, &[])));
    b.handle(Frame::Hello {
        version: VERSION,
        journals: vec![k],
    })
    .unwrap();
    b
}

/// What a run of two sessions against each other showed.
#[derive(Debug, Default)]
struct Run {
    frames: usize,
    largest_frame: usize,
}

/// Runs two sessions against each other in memory, every frame through the wire encoding.
fn run(a: &mut SyncSession, hello: Frame, b: &mut SyncSession) -> Result<Run, SessionError> {
    let mut to_b = vec![hello];
    let mut to_a: Vec<Frame> = Vec::new();
    let mut seen = Run {
        frames: 1,
        ..Run::default()
    };
    let wire = |f: Frame, seen: &mut Run| -> Frame {
        let bytes = frame::encode(&f);
        seen.largest_frame = seen.largest_frame.max(bytes.len());
        frame::decode::<Frame>(&bytes).unwrap().unwrap().0
    };
    for _ in 0..10_000 {
        if let Some(f) = to_b.pop() {
            let f = wire(f, &mut seen);
            let step = b.handle(f)?;
            seen.frames += step.send.len();
            to_a.extend(step.send);
        } else if let Some(f) = to_a.pop() {
            let f = wire(f, &mut seen);
            let step = a.handle(f)?;
            seen.frames += step.send.len();
            to_b.extend(step.send);
        } else {
            break;
        }
    }
    Ok(seen)
}

#[test]
fn two_devices_converge_and_idle_ends_the_session() {
    let k = [1; 16];
    let mut base = doc_with(0, &[]);
    let before = base.get_heads();
    let mut da = base.fork().with_actor(actor());
    schema::put_entry(&mut da, &entry(1, "a1")).unwrap();
    schema::put_entry(&mut da, &entry(2, "a2")).unwrap();
    da.commit();
    let da = signed_since(&mut da, &before);
    let mut db = base.fork().with_actor(actor());
    schema::put_entry(&mut db, &entry(3, "b1")).unwrap();
    db.commit();
    let db = signed_since(&mut db, &before);
    let (mut a, hello) = SyncSession::initiator(one(k, da));
    let mut b = SyncSession::responder(one(k, db));
    run(&mut a, hello, &mut b).unwrap();
    assert!(a.is_finished() && b.is_finished());
    let mut ja = a.into_journals();
    let mut jb = b.into_journals();
    let ja = ja.get_mut(&k).unwrap();
    let jb = jb.get_mut(&k).unwrap();
    assert_eq!(ja.doc.get_heads(), jb.doc.get_heads());
    assert_eq!(texts(&jb.doc), vec!["a1", "a2", "b1"]);
    assert!(!ja.received().is_empty());
    assert!(
        ja.validated.is_some() && jb.validated.is_some(),
        "what arrived was validated on both sides"
    );
}

#[test]
fn only_journals_both_sides_agree_on_are_synced() {
    let (shared, private) = ([1; 16], [2; 16]);
    let mut offer = one(shared, doc_with(0, &["s"]));
    offer.insert(private, sync(doc_with(10, &["secret"])));
    let (mut a, hello) = SyncSession::initiator(offer);
    let mut b = SyncSession::responder(one(shared, doc_with(20, &[])));
    run(&mut a, hello, &mut b).unwrap();
    assert_eq!(b.agreed(), &[shared]);
    let jb = b.into_journals();
    assert_eq!(jb.len(), 1);
    assert_eq!(texts(&jb[&shared].doc), vec!["s"]);
}

#[test]
fn a_message_for_another_journal_cuts_the_peer_off() {
    let k = [1; 16];
    let mut b = agreed_responder(k);
    let err = b
        .handle(Frame::Round {
            messages: vec![([9; 16], SyncMessage::default())],
        })
        .unwrap_err();
    assert!(matches!(err, SessionError::NotMember));
}

#[test]
fn garbage_and_crafted_changes_are_refused() {
    let k = [1; 16];
    let mut b = agreed_responder(k);
    let msg = SyncMessage {
        changes: vec![serde_bytes::ByteBuf::from(b"garbage".to_vec())],
        ..SyncMessage::default()
    };
    let err = b
        .handle(Frame::Round {
            messages: vec![(k, msg)],
        })
        .unwrap_err();
    assert!(matches!(err, SessionError::Check(_)), "{err}");
}

#[test]
fn floods_and_protocol_violations_end_the_session() {
    let k = [1; 16];
    let mut b = SyncSession::responder(one(k, doc_with(0, &[])));
    assert!(matches!(
        b.handle(Frame::Round { messages: vec![] }),
        Err(SessionError::Protocol(_))
    ));
    let mut b = SyncSession::responder(one(k, doc_with(0, &[])));
    assert!(matches!(
        b.handle(Frame::Hello {
            version: 1,
            journals: vec![]
        }),
        Err(SessionError::Version(1))
    ));
    let mut b = SyncSession::responder(one(k, doc_with(0, &["x"])));
    b.handle(Frame::Hello {
        version: VERSION,
        journals: vec![k],
    })
    .unwrap();
    let mut flooded = false;
    for _ in 0..=MAX_ROUNDS {
        // A peer that keeps sending the same (harmless) message without listening.
        let msg = SyncMessage {
            heads: vec![[1; 32]],
            ..SyncMessage::default()
        };
        if let Err(e) = b.handle(Frame::Round {
            messages: vec![(k, msg)],
        }) {
            flooded = matches!(e, SessionError::TooManyRounds);
            break;
        }
    }
    assert!(flooded);
}

#[test]
fn up_to_date_peers_exchange_little() {
    let k = [1; 16];
    let doc = doc_with(0, &["same"]);
    let (mut a, hello) = SyncSession::initiator(one(k, doc.clone()));
    let mut b = SyncSession::responder(one(k, doc));
    let seen = run(&mut a, hello, &mut b).unwrap();
    let (a_in, a_out) = a.frames();
    let (b_in, b_out) = b.frames();
    assert_eq!(
        (a_in, a_out),
        (b_out, b_in),
        "each side counts what the other sent"
    );
    assert_eq!(a_in + a_out, seen.frames as u32);
    let ja = a.into_journals();
    let total = ja[&k].bytes_out + ja[&k].bytes_in;
    assert!(total < 2048, "{total} bytes for peers already in sync");
    // Hello, ack, one sync message each way, done.
    assert_eq!(seen.frames, 5, "one round trip of sync messages");
}

/// `victim`'s copy receives what `attacker` did to its own copy; returns the error.
fn attack(f: impl FnOnce(&mut AutoCommit)) -> SessionError {
    let k = [1; 16];
    let mut doc = doc_with(0, &["honest"]);
    let mut theirs = doc.fork().with_actor(ActorId::random());
    f(&mut theirs);
    theirs.commit();
    let (mut a, hello) = SyncSession::initiator(one(k, theirs));
    let mut b = SyncSession::responder(one(k, doc));
    run(&mut a, hello, &mut b).unwrap_err()
}

#[test]
fn a_change_that_breaks_the_journal_refuses_the_session() {
    // An operation on the root is refused before Automerge sees it.
    let err = attack(|d| {
        d.put(ROOT, "members", 42).unwrap();
    });
    assert!(matches!(err, SessionError::Check(_)), "{err}");
    // A change of the journal's identity, once applied to the copy.
    let err = attack(|d| {
        let meta = d.get(ROOT, "meta").unwrap().unwrap().1;
        d.put(&meta, "kind", "personal").unwrap();
    });
    assert!(
        matches!(
            err,
            SessionError::Invalid {
                violation: Violation::Identity("kind"),
                ..
            }
        ),
        "{err}"
    );
    // An entry beyond the limits, found when the session validates what it brought.
    let err = attack(|d| {
        let text = "y".repeat(haven_model::validate::limits::TEXT_BYTES + 10);
        schema::put_entry(d, &entry(99, "short")).unwrap();
        let obj = schema::entry_obj(d, entry(99, "").id).unwrap().unwrap();
        d.put(&obj, "text", text).unwrap();
    });
    assert!(
        matches!(
            err,
            SessionError::Invalid {
                violation: Violation::Entry { .. },
                ..
            }
        ),
        "{err}"
    );
}
