use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, ROOT, ReadDoc};
use haven_model::schema;
use haven_model::{Entry, EntryId, Timestamp};

use super::*;
use crate::frame;

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

/// A journal of `n` entries written in `n / per_change` changes on top of `origin`.
fn big_doc(origin: &mut AutoCommit, n: u64, per_change: u64, text_len: usize) -> AutoCommit {
    let before = origin.get_heads();
    let mut doc = origin.fork().with_actor(actor());
    let text = "x".repeat(text_len);
    for i in 0..n {
        schema::put_entry(&mut doc, &entry(i, &text)).unwrap();
        if i % per_change == per_change - 1 {
            doc.commit();
        }
    }
    doc.commit();
    signed_since(&mut doc, &before)
}

#[test]
fn a_large_journal_moves_in_bounded_batches() {
    let k = [1; 16];
    // About 2 MB of changes, sent in batches of 128 KiB.
    let mut origin = doc_with(0, &[]);
    let doc = big_doc(&mut origin, 2000, 20, 1000);
    let batch = 128 * 1024;
    let (a, hello) = SyncSession::initiator(one(k, doc.clone()));
    let mut a2 = a.with_limits(Limits::default(), batch);
    let mut b = SyncSession::responder(one(k, origin.fork())).with_limits(Limits::default(), batch);
    let seen = run(&mut a2, hello, &mut b).unwrap();
    assert!(b.is_finished());
    let mut jb = b.into_journals();
    assert_eq!(
        jb.get_mut(&k).unwrap().doc.get_heads(),
        doc.clone().get_heads()
    );
    assert_eq!(
        schema::read_entries(&jb[&k].doc).unwrap().entries.len(),
        2000
    );
    // One change (20 entries of 1 kB) may overshoot a batch; nothing bigger travels.
    assert!(
        seen.largest_frame < batch + 64 * 1024,
        "largest frame {} bytes",
        seen.largest_frame
    );
    assert!(seen.frames > 20, "{} frames", seen.frames);
}

#[test]
fn a_spent_budget_pauses_the_session_and_the_next_one_goes_on() {
    let k = [1; 16];
    let mut origin = doc_with(0, &[]);
    let doc = big_doc(&mut origin, 600, 10, 500);
    let tight = Limits {
        session_bytes: 100 * 1024,
        ..Limits::default()
    };
    let mut receiver = origin.fork();
    let mut sessions = 0;
    while receiver.get_heads() != doc.clone().get_heads() {
        sessions += 1;
        assert!(sessions < 20, "never converged");
        let (mut a, hello) = SyncSession::initiator(one(k, doc.clone()));
        a = a.with_limits(Limits::default(), 16 * 1024);
        let mut b = SyncSession::responder(one(k, receiver)).with_limits(tight, 16 * 1024);
        run(&mut a, hello, &mut b).unwrap();
        assert!(b.is_finished());
        let mut jb = b.into_journals();
        let mut j = jb.remove(&k).unwrap();
        if j.changed() {
            assert!(j.validated.is_some(), "what a session brought is validated");
        }
        receiver = j.doc;
    }
    assert!(
        sessions >= 3,
        "the budget paused the sync ({sessions} sessions)"
    );
    assert_eq!(schema::read_entries(&receiver).unwrap().entries.len(), 600);
}

#[test]
fn a_change_the_peer_lacks_despite_its_bloom_filter_is_sent_first() {
    // The receiver's filter wrongly claims the first change it lacks (a false positive, made
    // certain here): Automerge leaves that change out, so everything queued behind it waits
    // at the receiver. Once it asks for the change by hash, the change must jump the queue,
    // or a session paused on its budget would bring nothing and every next one would stall.
    let k = [1; 16];
    let mut origin = doc_with(0, &[]);
    let mut doc = big_doc(&mut origin, 600, 10, 500);
    let genesis = origin.get_heads();
    let first = doc
        .get_changes(&genesis)
        .into_iter()
        .find(|c| c.deps() == genesis.as_slice())
        .unwrap()
        .hash();
    let tight = Limits {
        session_bytes: 100 * 1024,
        ..Limits::default()
    };
    let (mut a, hello) = SyncSession::initiator(one(k, doc.clone()));
    a = a.with_limits(Limits::default(), 16 * 1024);
    let mut b = SyncSession::responder(one(k, origin.fork())).with_limits(tight, 16 * 1024);
    let mut to_b = vec![hello];
    let mut to_a: Vec<Frame> = Vec::new();
    let mut lied = false;
    for _ in 0..1000 {
        if let Some(f) = to_b.pop() {
            to_a.extend(b.handle(f).unwrap().send);
        } else if let Some(mut f) = to_a.pop() {
            if let (false, Frame::Round { messages }) = (lied, &mut f)
                && let Some((_, m)) = messages.first_mut()
            {
                let claimed: Vec<ChangeHash> = origin
                    .get_changes(&[])
                    .iter()
                    .map(|c| c.hash())
                    .chain([first])
                    .collect();
                let bloom = automerge::sync::BloomFilter::from_hashes(claimed.iter());
                m.have = vec![crate::message::HaveSummary {
                    last_sync: Vec::new(),
                    bloom: serde_bytes::ByteBuf::from(bloom.to_bytes()),
                }];
                lied = true;
            }
            to_b.extend(a.handle(f).unwrap().send);
        } else {
            break;
        }
    }
    assert!(lied, "the receiver's summary was replaced");
    assert!(b.is_finished());
    assert!(b.paused().is_some(), "the budget paused the session");
    let mut jb = b.into_journals();
    let j = jb.get_mut(&k).unwrap();
    assert!(
        j.changed(),
        "the session paused with nothing applied: the needed change waited behind the queue"
    );
    assert!(j.doc.get_change_by_hash(&first).is_some());
    // And later sessions finish the job.
    let mut receiver = j.doc.fork();
    for _ in 0..20 {
        if receiver.get_heads() == doc.get_heads() {
            break;
        }
        let (mut a, hello) = SyncSession::initiator(one(k, doc.clone()));
        a = a.with_limits(Limits::default(), 16 * 1024);
        let mut b = SyncSession::responder(one(k, receiver)).with_limits(tight, 16 * 1024);
        run(&mut a, hello, &mut b).unwrap();
        receiver = b.into_journals().remove(&k).unwrap().doc;
    }
    assert_eq!(receiver.get_heads(), doc.get_heads());
}

#[test]
fn a_peer_asking_for_everything_every_round_gets_each_change_at_most_twice() {
    // A hostile receiver names every change of the journal in `need`, every round: the
    // sender puts each ahead of its queue once per session, so what it sends stays bounded
    // by twice the journal (once as Automerge handed it out, once as asked).
    let k = [1; 16];
    let mut origin = doc_with(0, &[]);
    let mut doc = big_doc(&mut origin, 300, 10, 500);
    let all: Vec<crate::message::Hash> = doc.get_changes(&[]).iter().map(|c| c.hash().0).collect();
    let journal_bytes: usize = doc
        .get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().len())
        .sum();
    let (mut a, hello) = SyncSession::initiator(one(k, doc.clone()));
    a = a.with_limits(Limits::default(), 16 * 1024);
    let mut b =
        SyncSession::responder(one(k, origin.fork())).with_limits(Limits::default(), 16 * 1024);
    let mut to_b = vec![hello];
    let mut to_a: Vec<Frame> = Vec::new();
    let mut sent = 0;
    for _ in 0..2000 {
        if let Some(f) = to_b.pop() {
            if let Frame::Round { messages } = &f {
                sent += messages
                    .iter()
                    .map(|(_, m)| m.change_bytes())
                    .sum::<usize>();
            }
            match b.handle(f) {
                Ok(step) => to_a.extend(step.send),
                Err(_) => break,
            }
        } else if let Some(mut f) = to_a.pop() {
            if let Frame::Round { messages } = &mut f {
                for (_, m) in messages.iter_mut() {
                    m.need = all.clone();
                }
            }
            match a.handle(f) {
                Ok(step) => to_b.extend(step.send),
                Err(_) => break,
            }
        } else {
            break;
        }
    }
    assert!(
        sent >= journal_bytes,
        "the journal was sent ({sent} of {journal_bytes} bytes)"
    );
    assert!(
        sent <= 2 * journal_bytes,
        "{sent} bytes sent for a journal of {journal_bytes}"
    );
    assert_eq!(
        b.into_journals()[&k].doc.clone().get_heads(),
        doc.get_heads()
    );
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
