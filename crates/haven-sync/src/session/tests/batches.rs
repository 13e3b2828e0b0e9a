//! Tests of how much a session moves: large journals in bounded batches, a spent budget
//! that pauses a session, and changes asked for by hash.

use super::*;
use crate::check::Limits;

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
