//! The vault's journals: true counts at any size, local aliases, reads that survive one
//! broken journal, keeping what a sync session brought, and rolling a broken journal back.

#![allow(clippy::unwrap_used)]

mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, ROOT};
use common::{init, mine, note, shared};
use haven_model::schema;
use haven_store::doctor;

#[test]
fn totals_count_every_entry_beyond_the_small_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let store = vault.personal();
    store
        .change(&keys, |doc| {
            for n in 0..1300 {
                schema::put_entry(doc, &mine(&keys, n))?;
            }
            Ok(())
        })
        .unwrap();
    let recent = store.read_recent(&keys, 10).unwrap();
    assert_eq!(recent.total, 1300);
    assert_eq!(recent.entries.len(), haven_store::journal::RECENT);
    assert_eq!(store.read_recent(&keys, 0).unwrap().total, 1300);
    let all = store.read(&keys).unwrap();
    assert_eq!((all.total, all.entries.len()), (1300, 1300));
    // A sealed entry counts too.
    store.seal(&note(5000)).unwrap();
    assert_eq!(store.read_recent(&keys, 10).unwrap().total, 1301);
}

#[test]
fn aliases_are_local_unique_and_survive_a_proposed_rename() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    assert!(vault.create_journal(&keys, &shared("us")).is_err());
    assert!(vault.create_journal(&keys, &shared(" bad")).is_err());
    // A member proposes another name (and the name of the other journal): nothing local
    // changes.
    us.change(&keys, |doc| {
        let meta = schema::JournalMeta {
            name: "personal".into(),
            ..shared("")
        };
        schema::set_meta(doc, &meta)?;
        Ok(())
    })
    .unwrap();
    let list = vault.journals(&keys).unwrap();
    let aliases: Vec<_> = list.iter().map(|j| j.alias.clone().unwrap()).collect();
    assert_eq!(aliases, vec!["personal", "us"]);
    assert!(list[0].personal && !list[1].personal);
    assert_eq!(vault.find_journal(&keys, "us").unwrap().id(), us.id());
    vault.rename_journal(&keys, "us", "our log").unwrap();
    assert!(vault.find_journal(&keys, "us").is_err());
    assert_eq!(vault.find_journal(&keys, "our log").unwrap().id(), us.id());
    assert!(vault.rename_journal(&keys, "our log", "personal").is_err());
}

#[test]
fn one_broken_journal_is_listed_with_its_error_and_the_others_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    let other = vault.create_journal(&keys, &shared("other")).unwrap();
    other
        .change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, 1))?))
        .unwrap();
    // What an older version kept from a hostile member: `members` replaced.
    // (This version's own writes refuse such a change: it is kept as a session's was.)
    let (mut doc, chunks) = us.load(&keys).unwrap();
    let before = doc.get_heads();
    doc.put(ROOT, "members", 42).unwrap();
    doc.commit();
    // (Its read cache cannot be written from it: that error is the point.)
    let _ = us.absorb(&keys, &mut doc, &before, &chunks, 0, None);
    std::fs::remove_file(us.view_path()).ok();
    std::fs::remove_file(us.dir().join("recent.age")).ok();
    let list = vault.journals(&keys).unwrap();
    assert_eq!(list.len(), 3);
    let broken = list.iter().find(|j| j.store.id() == us.id()).unwrap();
    assert!(broken.view.is_err(), "the broken journal reports an error");
    let fine = list.iter().find(|j| j.store.id() == other.id()).unwrap();
    assert_eq!(fine.view.as_ref().unwrap().total, 1);

    // Doctor rolls it back to its last valid state and keeps the chunks in quarantine.
    let report = doctor::run(&vault, &keys, "t1").unwrap();
    assert_eq!(report.rolled_back.len(), 1, "{report:?}");
    assert!(!report.quarantined.is_empty());
    let list = vault.journals(&keys).unwrap();
    let healed = list.iter().find(|j| j.store.id() == us.id()).unwrap();
    assert!(healed.view.is_ok());
    assert!(doctor::run(&vault, &keys, "t2").unwrap().is_clean());
}

#[test]
fn what_a_session_brought_is_kept_without_reloading() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let store = vault.personal();
    store
        .change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, 1))?))
        .unwrap();
    let mut copy = store.load_for_sync(&keys, None).unwrap();
    assert_eq!(copy.total(), 1);
    let start = copy.doc.get_heads();
    // What a peer's changes did to the in-memory copy.
    let mut peer = copy.doc.fork().with_actor(ActorId::random());
    schema::put_entry(&mut peer, &note(2)).unwrap();
    peer.commit();
    copy.doc.merge(&mut peer).unwrap();
    store
        .absorb(&keys, &mut copy.doc, &start, &copy.chunks, 100, None)
        .unwrap();
    let view = store.read_recent(&keys, 0).unwrap();
    assert_eq!(view.total, 2);
    // Concurrent local writes meanwhile: both are kept, the cache is rebuilt on read.
    let mut copy = store.load_for_sync(&keys, None).unwrap();
    let start = copy.doc.get_heads();
    store
        .change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, 3))?))
        .unwrap();
    let mut peer = copy.doc.fork().with_actor(ActorId::random());
    schema::put_entry(&mut peer, &note(4)).unwrap();
    peer.commit();
    copy.doc.merge(&mut peer).unwrap();
    store
        .absorb(&keys, &mut copy.doc, &start, &copy.chunks, 100, None)
        .unwrap();
    assert_eq!(store.read(&keys).unwrap().total, 4);
}

#[test]
fn a_held_copy_reads_only_what_changed_on_disk_and_matches_a_fresh_load() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let store = vault.personal();
    store
        .change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, 1))?))
        .unwrap();
    // A session brings an entry; the copy is kept with the chunks that now hold it.
    let mut copy = store.load_for_sync(&keys, None).unwrap();
    let start = copy.doc.get_heads();
    let mut peer = copy.doc.fork().with_actor(ActorId::random());
    schema::put_entry(&mut peer, &note(2)).unwrap();
    peer.commit();
    copy.doc.merge(&mut peer).unwrap();
    let entries = schema::read_entries(&copy.doc).unwrap();
    copy.chunks = store
        .absorb(
            &keys,
            &mut copy.doc,
            &start,
            &copy.chunks,
            100,
            Some(&entries),
        )
        .unwrap();
    copy.entries = entries;
    assert_eq!(copy.chunks, store.chunk_names().unwrap());
    // Meanwhile other processes edit one entry, add one, and seal one while locked.
    let first = copy.entries.entries[0].id;
    store
        .change(&keys, |doc| {
            schema::set_starred(doc, first, true)?;
            Ok(schema::put_entry(doc, &mine(&keys, 3))?)
        })
        .unwrap();
    store.seal(&note(4)).unwrap();
    let held = store.load_for_sync(&keys, Some(copy)).unwrap();
    let fresh = store.load_for_sync(&keys, None).unwrap();
    assert_eq!(held.total(), 4);
    // Authors are named from the signer when a cache is read, not in the copy sync holds.
    let unnamed = |entries: &[haven_model::Entry]| -> Vec<haven_model::Entry> {
        let mut entries = entries.to_vec();
        entries.iter_mut().for_each(|e| e.author.clear());
        entries
    };
    assert_eq!(
        unnamed(&held.entries.entries),
        unnamed(&fresh.entries.entries)
    );
    assert!(held.entries.entries[0].starred);
    assert_eq!(held.chunks, store.chunk_names().unwrap());
    assert_eq!(
        store.inbox_len().unwrap(),
        0,
        "the sealed entry was folded in"
    );
    assert_eq!(store.read(&keys).unwrap().total, 4);
    // After a compaction elsewhere (a chunk the copy came from is gone), it loads afresh.
    for n in 5..(5 + haven_store::journal::COMPACT_AFTER as u64) {
        store
            .change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, n))?))
            .unwrap();
    }
    let held = store.load_for_sync(&keys, Some(held)).unwrap();
    assert_eq!(held.total(), 4 + haven_store::journal::COMPACT_AFTER);
    assert_eq!(held.chunks, store.chunk_names().unwrap());
}

#[test]
fn every_change_this_device_writes_is_signed_by_it_through_writes_seals_and_compaction() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    // Enough writes to compact, and a sealed entry folded in by a later write.
    for n in 0..40 {
        us.change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, n))?))
            .unwrap();
        if n == 20 {
            us.seal(&note(9000)).unwrap();
        }
    }
    let (mut doc, _) = us.load(&keys).unwrap();
    let key_hex = haven_model::members::journal_key(&doc).unwrap().unwrap();
    let mut journal = [0u8; 16];
    hex::decode_to_slice(key_hex, &mut journal).unwrap();
    let me = keys.signing_key().unwrap().verifying_key().to_bytes();
    let changes = doc.get_changes(&[]);
    assert!(changes.len() > 40, "{} changes", changes.len());
    for change in &changes {
        let hash = change.hash().0;
        if schema::is_genesis_hash(&hash) {
            continue;
        }
        let proof = haven_model::signed::verify_change(change.raw_bytes(), &journal)
            .unwrap_or_else(|e| panic!("change {}: {e}", hex::encode(hash)));
        assert_eq!(proof.device, me);
        assert_eq!(proof.hash, hash);
    }
    assert_eq!(us.read(&keys).unwrap().total, 41);
}

#[test]
fn a_change_this_device_may_not_make_is_refused_before_it_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    let chunks = us.chunk_names().unwrap();
    // An entry in another device's name: every other device would refuse it, so this one
    // does first, and keeps nothing.
    let refused = us.change(&keys, |doc| Ok(schema::put_entry(doc, &note(1))?));
    assert!(
        matches!(&refused, Err(haven_store::StoreError::NotAllowed(why)) if why.contains("another device's name")),
        "{refused:?}"
    );
    assert_eq!(us.chunk_names().unwrap(), chunks);
    // A sealed entry claims no author: whoever sealed it, the device that folds it in
    // signs it, and it is that device's entry.
    us.seal(&note(2)).unwrap();
    us.change(&keys, |_| Ok(())).unwrap();
    let me = mine(&keys, 2).device;
    let view = us.read(&keys).unwrap();
    assert_eq!(view.entries.len(), 1);
    assert_eq!(view.entries[0].device, me);
    assert_eq!(us.inbox_len().unwrap(), 0);
}
