//! Who may write what, tried by a member speaking the real sync protocol against Robin's
//! running daemon: changes in someone else's name, signatures that do not fit, a partner
//! rewriting Robin's words or the member list, a reader writing, a removed device's change
//! relayed by a third device, an old change sent again. Each is refused with the signer and
//! the rule named, nothing of it is kept, and the honest devices still converge. The one
//! exception is a removed device's change made before it knew: kept, so that copies that
//! already hold it converge with the rest, and void on all of them.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use automerge::AutoCommit;
use common::client::{
    answer_to, crafted, forged, message_of, note, nothing_was_kept, refused, robin_doc,
    shared_pair, signed_changes, sync_sam, take_in,
};
use common::{Daemon, Device, pair, pair_as};
use haven_model::members::Role;
use haven_node::node::PeerOutcome;
use haven_sync::frame::Frame;
use haven_sync::ticket::Scope;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_in_robins_name_or_signed_for_another_journal_are_refused() {
    let (robin, sam, key, daemon) = shared_pair().await;
    let device = |d: &Device| haven_node::node::device_bytes(&d.id()).unwrap();
    let put_mark = |doc: &mut AutoCommit| {
        haven_model::schema::put_entry(doc, &note(&robin, 77, "forged")).unwrap();
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

/// A role statement written straight into `person`'s first record, as a hostile client
/// would write it.
fn put_role(doc: &mut AutoCommit, person: &str, role: &str) {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let (_, members) = doc.get(automerge::ROOT, "members").unwrap().unwrap();
    let (_, record) = doc.get(&members, person).unwrap().unwrap();
    doc.put(&record, format!("role/{:016x}", role.len()), role)
        .unwrap();
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
    let (sam_self, robin_self) = (sam.id(), robin.id());
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
        (
            "makes himself an admin",
            Box::new(move |doc| put_role(doc, &sam_self, "admin")),
            "changes someone's role, which only an admin may",
        ),
        (
            "makes Robin a reader",
            Box::new(move |doc| put_role(doc, &robin_self, "reader")),
            "changes someone's role, which only an admin may",
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_syncs_and_reads_but_writes_nothing() {
    let robin = Device::new("laptop", "Robin");
    let sam = Device::new("phone", "Sam");
    let us = robin.new_shared("us");
    robin.write(&us, 1, "ours");
    let key = robin.key_of(&us);
    let (paired, joined) = pair_as(&robin, &sam, Scope::Journal(key), Role::Reader).await;
    paired.unwrap();
    joined.unwrap();
    let daemon = Daemon::start(&robin).await;
    assert_eq!(sam.texts(&sam.journal("us")), ["ours"]);
    // Sam's own device refuses to write there, before anything is kept...
    let chunks = sam.journal("us").chunk_names().unwrap();
    let written = sam.journal("us").change(&sam.node.keys, |doc| {
        Ok(haven_model::schema::put_entry(doc, &note(&sam, 2, "mine"))?)
    });
    assert!(
        matches!(&written, Err(haven_store::StoreError::NotAllowed(why)) if why.contains("may only read")),
        "{written:?}"
    );
    assert_eq!(sam.journal("us").chunk_names().unwrap(), chunks);
    // ...and an entry sealed while locked waits in its inbox instead of going in.
    sam.journal("us").seal(&note(&sam, 3, "sealed")).unwrap();
    // A hostile client signs and sends one anyway: refused, nothing kept.
    let msg = crafted(&sam, |doc| {
        haven_model::schema::put_entry(doc, &note(&sam, 4, "rewritten")).unwrap();
    });
    let refusal = refused(&sam, &robin, key, key, msg).await;
    assert!(refusal.contains("may only read this journal"), "{refusal}");
    assert!(refusal.contains(&sam.id()[..16]), "{refusal}");
    // Sam still reads what Robin writes, and nothing of Sam's reached Robin.
    robin.write(&robin.journal("us"), 5, "robin later");
    let outcomes = sync_sam(&sam).await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Synced(..)]),
        "{outcomes:?}"
    );
    assert!(
        sam.texts(&sam.journal("us"))
            .contains(&"robin later".into())
    );
    assert_eq!(sam.journal("us").inbox_len().unwrap(), 1);
    assert_eq!(robin.texts(&robin.journal("us")), ["ours", "robin later"]);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_devices_change_relayed_by_a_third_device_is_void_or_refused() {
    let (robin, sam, kim) = (
        Device::new("laptop", "Robin"),
        Device::new("phone", "Sam"),
        Device::new("tablet", "Kim"),
    );
    let us = robin.new_shared("us");
    robin.write(&us, 1, "ours");
    let key = robin.key_of(&us);
    for partner in [&sam, &kim] {
        let (paired, joined) = pair(&robin, partner, Scope::Journal(key)).await;
        paired.unwrap();
        joined.unwrap();
    }
    let daemon = Daemon::start(&robin).await;
    // Robin, an admin, removes Sam's phone. Sam's phone, not knowing, writes, and Kim's
    // device takes that in before it hears of the removal (as a session with Sam's phone
    // would have brought it).
    assert_eq!(robin.node.revoke(&sam.id()).unwrap(), 1);
    let concurrent = signed_changes(&sam, None, |doc| {
        haven_model::schema::put_entry(doc, &note(&sam, 30, "while being removed")).unwrap();
    });
    let kims = kim.journal("us");
    take_in(&kim, &concurrent);
    assert!(
        kim.texts(&kims)
            .contains(&"while being removed".to_string())
    );
    // Kim's device relays it to Robin: kept, as a change made concurrently with the
    // removal, but the removal wins, on both sides.
    let to_robin = kim.node.sync_targets(Some(&robin.id()[..12])).unwrap();
    let synced = haven_node::node::sync_alone(&kim.node, &to_robin, &[])
        .await
        .unwrap();
    assert!(
        matches!(synced.rows.as_slice(), [(_, PeerOutcome::Synced(..))]),
        "{:?}",
        synced.rows
    );
    for device in [&robin, &kim] {
        assert_eq!(device.texts(&device.journal("us")), ["ours"]);
    }
    let (mut robins, _) = robin.journal("us").load(&robin.node.keys).unwrap();
    let (mut kims_now, _) = kims.load(&kim.node.keys).unwrap();
    assert_eq!(
        robins.get_heads(),
        kims_now.get_heads(),
        "Robin and Kim converge"
    );
    // Sam's phone, having heard of its removal, writes again; Kim's device relays that:
    // refused, with Sam's phone named as the signer.
    let after = signed_changes(&sam, Some(&mut robins), |doc| {
        haven_model::schema::put_entry(doc, &note(&sam, 31, "after removal")).unwrap();
    });
    let after = message_of(after);
    let refusal = refused(&kim, &robin, key, key, after).await;
    assert!(
        refusal.contains("removed from this journal before making it"),
        "{refusal}"
    );
    assert!(
        refusal.contains(&sam.id()[..16]),
        "names the signer: {refusal}"
    );
    // Robin's address book puts it under Kim, who sent it, and names Sam's phone.
    let noted = robin.node.vault().peers(&robin.node.keys).unwrap()[&kim.id()]
        .refused
        .clone()
        .expect("the refusal was noted");
    assert_eq!(noted.signer.as_deref(), Some(sam.id().as_str()));
    assert!(noted.to_string().starts_with("Sam's phone ("), "{noted}");
    nothing_was_kept(&robin, &kim, 32, "after removal").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_signed_change_sent_again_changes_nothing() {
    let (robin, sam, key, daemon) = shared_pair().await;
    // Sam writes an entry, and later deletes it; Robin has both.
    let before = sam
        .journal("us")
        .load(&sam.node.keys)
        .unwrap()
        .0
        .get_heads();
    sam.write(&sam.journal("us"), 40, "said in anger");
    let mut doc = sam.journal("us").load(&sam.node.keys).unwrap().0;
    let old: Vec<Vec<u8>> = doc
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    assert_eq!(old.len(), 1);
    let id = haven_model::EntryId::from_parts(common::NOW_MS as u64 + 40, 40);
    sam.journal("us")
        .change(&sam.node.keys, |doc| {
            Ok(haven_model::schema::delete_entry(
                doc,
                id,
                common::NOW_MS + 41,
            )?)
        })
        .unwrap();
    assert!(matches!(
        sync_sam(&sam).await.as_slice(),
        [PeerOutcome::Synced(..)]
    ));
    let heads = robin_doc(&robin).get_heads();
    // The old change, validly signed, sent again: Automerge already holds it, so it brings
    // nothing back.
    let round = Frame::Round {
        messages: vec![(key, message_of(old))],
    };
    let answer = answer_to(&sam, &robin, key, round).await;
    assert_eq!(answer, None, "a change already held is no offence");
    assert_eq!(robin_doc(&robin).get_heads(), heads);
    assert!(
        !robin
            .texts(&robin.journal("us"))
            .contains(&"said in anger".into())
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_copied_onto_another_change_is_refused() {
    let (robin, sam, key, daemon) = shared_pair().await;
    // The signed message of a change Robin really made...
    let mut robins = robin_doc(&robin);
    let robin_change = robins
        .get_changes(&[])
        .into_iter()
        .rev()
        .find(|c| {
            haven_model::signed::actor_device(c.actor_id().to_bytes())
                .is_some_and(|d| hex::encode(d) == robin.id())
        })
        .expect("a change of Robin's")
        .clone();
    let message = robin_change.message().expect("signed").to_string();
    // ...put on a change Sam makes in Robin's name, with Robin's actor.
    let (doc, _) = sam.journal("us").load(&sam.node.keys).unwrap();
    let mut doc = doc.with_actor(robin_change.actor_id().clone());
    let before = doc.get_heads();
    haven_model::schema::put_entry(&mut doc, &note(&robin, 50, "robin never said this")).unwrap();
    doc.commit_with(automerge::transaction::CommitOptions::default().with_message(message));
    let forged: Vec<Vec<u8>> = doc
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let refusal = refused(&sam, &robin, key, key, message_of(forged)).await;
    assert!(refusal.contains("signature does not match"), "{refusal}");
    nothing_was_kept(&robin, &sam, 51, "robin never said this").await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_written_under_the_id_of_robins_hides_nothing() {
    let (robin, sam, _key, daemon) = shared_pair().await;
    // Robin writes; Sam's copy has not heard of it. Sam, from that copy, writes a long entry
    // of his own (so that his operations are numbered above Robin's), then an entry of his
    // own under the id of Robin's new one, which Automerge alone would read in its place.
    robin.write(&robin.journal("us"), 3, "robin's words");
    let changes = signed_changes(&sam, None, |doc| {
        haven_model::schema::put_entry(doc, &note(&sam, 4, &"padding ".repeat(60))).unwrap();
        haven_model::schema::put_entry(doc, &note(&sam, 3, "sam's words under robin's id"))
            .unwrap();
    });
    // Sam's device takes the change in, as its own, and the stock sync carries it.
    take_in(&sam, &changes);
    assert!(
        matches!(sync_sam(&sam).await.as_slice(), [PeerOutcome::Synced(..)]),
        "his own entries, as far as the rules can see"
    );
    // Both copies read Robin's words under that id, with Robin as their author.
    for device in [&robin, &sam] {
        let view = device.journal("us").read(&device.node.keys).unwrap();
        let under = view.entries.iter().find(|e| e.text == "robin's words");
        assert_eq!(under.map(|e| e.device.clone()), Some(robin.id()));
        assert!(
            !view
                .entries
                .iter()
                .any(|e| e.text.contains("under robin's id"))
        );
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_at_the_end_of_a_session_is_heard_by_the_side_that_sent_last() {
    let (robin, sam, _key, daemon) = shared_pair().await;
    // Robin's copy holds an edit of Sam's entry, signed by Robin's device, kept as an older
    // version kept what it was given. Robin's daemon offers it and ends the session (it
    // sends `Done`); Sam's device checks what it received only then, and refuses.
    let store = robin.journal("us");
    let (doc, chunks) = store.load(&robin.node.keys).unwrap();
    let signing = robin.node.keys.signing_key().unwrap();
    let actor = haven_model::signed::device_actor(&signing.verifying_key().to_bytes(), [5; 16]);
    let mut doc = doc.with_actor(actor);
    let start = doc.get_heads();
    let sams = haven_model::EntryId::from_parts(common::NOW_MS as u64 + 2, 2);
    let at = haven_model::Timestamp {
        unix_ms: common::NOW_MS + 60,
        offset_secs: 0,
    };
    let robin_id = robin.id();
    haven_model::schema::set_text(&mut doc, sams, "rewritten by robin", &robin_id, at).unwrap();
    doc.commit();
    let key = haven_model::members::journal_key(&doc).unwrap().unwrap();
    let journal = haven_node::node::key_bytes(&key).unwrap();
    let raw: Vec<Vec<u8>> = (doc.get_changes(&start).iter())
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let signed = haven_model::signed::sign_changes(&raw, &journal, &signing).unwrap();
    let (mut doc, _) = store.load(&robin.node.keys).unwrap();
    for change in &signed {
        doc.load_incremental(change).unwrap();
    }
    store
        .absorb(&robin.node.keys, &mut doc, &start, &chunks, 0, None)
        .unwrap();
    let outcomes = sync_sam(&sam).await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Failed(why)] if why.contains("changes an entry of someone else's")),
        "{outcomes:?}"
    );
    assert!(
        !sam.texts(&sam.journal("us"))
            .contains(&"rewritten by robin".to_string())
    );
    // Robin's daemon heard it before the connection closed, and keeps it for `status`.
    let peers = robin.node.vault().peers(&robin.node.keys).unwrap();
    let theirs = peers[&sam.id()].refused_ours_since_sync().cloned();
    let theirs = theirs.expect("the refusal was heard");
    assert!(
        theirs.reason.contains("changes an entry of someone else's"),
        "{theirs:?}"
    );
    daemon.stop().await;
}
