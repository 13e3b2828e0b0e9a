//! Chunks dropped into a vault by someone who knows its public recipient: read only when
//! their changes pass the checks a sync session's would, and set aside otherwise. A vault
//! from before chunks were tagged trusts its chunks once, when it is first unlocked. Read
//! caches written that way are never read.

#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use automerge::{ActorId, AutoCommit};
use common::{init, mine, shared};
use haven_model::{schema, signed};
use haven_store::{JournalStore, Keys, Passphrase, Vault};

/// What `f` adds to the journal's document, as chunk bytes: unsigned under a random actor,
/// or signed by `signer` for the journal.
fn planted(
    us: &JournalStore,
    keys: &Keys,
    signer: Option<&ed25519_dalek::SigningKey>,
    f: impl FnOnce(&mut AutoCommit),
) -> Vec<u8> {
    let (doc, _) = us.load(keys).unwrap();
    let key = haven_model::members::journal_key(&doc).unwrap().unwrap();
    let mut journal = [0u8; 16];
    hex::decode_to_slice(key, &mut journal).unwrap();
    let actor = match signer {
        Some(k) => signed::device_actor(&k.verifying_key().to_bytes(), [3; 16]),
        None => ActorId::random(),
    };
    let mut doc = doc.with_actor(actor);
    let before = doc.get_heads();
    f(&mut doc);
    doc.commit();
    let raw: Vec<Vec<u8>> = doc
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    match signer {
        Some(k) => signed::sign_changes(&raw, &journal, k).unwrap().concat(),
        None => raw.concat(),
    }
}

/// Drops `plain`, encrypted to the vault's public recipient, into the journal's chunks.
fn drop_chunk(us: &JournalStore, keys: &Keys, name: &str, plain: &[u8]) {
    let sealed = age::encrypt(&keys.identity().to_public(), plain).unwrap();
    fs::write(us.chunks_dir().join(name), sealed).unwrap();
}

fn texts(us: &JournalStore, keys: &Keys) -> Vec<String> {
    us.read(keys)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.text)
        .collect()
}

const ULID: &str = "01KBN0000000000000000000AA";

#[test]
fn a_chunk_this_device_did_not_write_is_read_only_if_its_changes_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    us.change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, 1))?))
        .unwrap();
    let written = us.chunk_names().unwrap();
    assert!(
        written.iter().all(|n| n.split('.').count() == 4),
        "every chunk this device writes is tagged: {written:?}"
    );

    // Unsigned, in this device's own name: its words, put in its mouth.
    let mut forged = mine(&keys, 2);
    forged.text = "planted, unsigned".into();
    let unsigned = planted(&us, &keys, None, |d| schema::put_entry(d, &forged).unwrap());
    drop_chunk(&us, &keys, &format!("{ULID}.changes.age"), &unsigned);
    // The same bytes under a tag made up, and a stranger's signed change.
    drop_chunk(
        &us,
        &keys,
        &format!("01KBN0000000000000000000AB.{}.changes.age", "ab".repeat(16)),
        &unsigned,
    );
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let mut theirs = mine(&keys, 3);
    theirs.device = hex::encode(stranger.verifying_key().to_bytes());
    theirs.text = "planted by a stranger".into();
    let strangers = planted(&us, &keys, Some(&stranger), |d| {
        schema::put_entry(d, &theirs).unwrap()
    });
    drop_chunk(
        &us,
        &keys,
        "01KBN0000000000000000000AC.changes.age",
        &strangers,
    );
    // What Automerge alone would decode without bounds: a whole document (compressed), and
    // this device's own signed change with bytes after it. Neither reaches Automerge.
    let me = keys.signing_key().unwrap();
    let (mut whole, _) = us.load(&keys).unwrap();
    drop_chunk(
        &us,
        &keys,
        "01KBN0000000000000000000AE.snapshot.age",
        &whole.save(),
    );
    let mut trailing = planted(&us, &keys, Some(&me), |d| {
        schema::put_entry(d, &mine(&keys, 5)).unwrap()
    });
    trailing.extend_from_slice(&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 1, 0xff]);
    drop_chunk(
        &us,
        &keys,
        "01KBN0000000000000000000AF.changes.age",
        &trailing,
    );

    assert_eq!(texts(&us, &keys), ["note 1"]);
    let (doc, names) = us.load(&keys).unwrap();
    assert_eq!(schema::read_entries(&doc).unwrap().entries.len(), 1);
    assert_eq!(names, written, "only this device's chunks are used");
    // The read rebuilt the caches, which set the five aside where nothing reads them.
    assert_eq!(us.chunk_names().unwrap(), written);
    let mut aside: Vec<String> = fs::read_dir(us.refused_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    aside.sort();
    assert_eq!(aside.len(), 5, "{aside:?}");
    assert_eq!(texts(&us, &keys), ["note 1"]);

    // A change this device did sign, and may make, found untagged (restored by hand, say):
    // checked, read, and tagged at the next write.
    let own = planted(&us, &keys, Some(&me), |d| {
        schema::put_entry(d, &mine(&keys, 4)).unwrap()
    });
    drop_chunk(&us, &keys, "01KBN0000000000000000000AD.changes.age", &own);
    assert_eq!(texts(&us, &keys), ["note 1", "note 4"]);
    let names = us.chunk_names().unwrap();
    assert!(
        names.iter().all(|n| n.split('.').count() == 4),
        "admitted and tagged: {names:?}"
    );
}

#[test]
fn a_vault_from_before_tags_trusts_its_chunks_once_when_first_unlocked() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("v");
    let (vault, keys) = init(&root);
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    us.change(&keys, |doc| Ok(schema::put_entry(doc, &mine(&keys, 1))?))
        .unwrap();
    // As an older version left it: untagged chunks, and secrets that say so.
    for name in us.chunk_names().unwrap() {
        let parts: Vec<&str> = name.split('.').collect();
        let untagged = format!("{}.{}.age", parts[0], parts[2]);
        fs::rename(us.chunks_dir().join(&name), us.chunks_dir().join(untagged)).unwrap();
    }
    let mut secrets = keys.secrets.clone();
    secrets.chunks_tagged = false;
    let sealed = age::encrypt(
        &keys.identity().to_public(),
        &haven_store::keys::encode_secrets(&secrets),
    )
    .unwrap();
    fs::write(root.join("device.age"), sealed).unwrap();

    let vault = Vault::open(&root).unwrap();
    let keys = vault
        .unlock(&Passphrase::new("pass".into()).unwrap())
        .unwrap();
    assert!(keys.secrets.chunks_tagged);
    let us = vault.find_journal(&keys, "us").unwrap();
    let names = us.chunk_names().unwrap();
    assert!(names.iter().all(|n| n.split('.').count() == 4), "{names:?}");
    assert_eq!(texts(&us, &keys), ["note 1"]);
    // From then on an untagged chunk is checked like any other.
    let mut forged = mine(&keys, 2);
    forged.text = "planted after the upgrade".into();
    let unsigned = planted(&us, &keys, None, |d| schema::put_entry(d, &forged).unwrap());
    drop_chunk(&us, &keys, &format!("{ULID}.changes.age"), &unsigned);
    let keys = vault
        .unlock(&Passphrase::new("pass".into()).unwrap())
        .unwrap();
    assert_eq!(texts(&us, &keys), ["note 1"]);
}

#[test]
fn a_read_cache_written_with_only_the_recipient_is_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let us = vault.create_journal(&keys, &shared("us")).unwrap();
    let mut first = mine(&keys, 1);
    first.text = "the words as written".into();
    us.change(&keys, |doc| Ok(schema::put_entry(doc, &first)?))
        .unwrap();
    assert_eq!(texts(&us, &keys), ["the words as written"]);
    // Someone who knows the format (but not this device's keys) rewrites the cache: the
    // same bytes with the words changed, then the same without the tag in front.
    let plain = age::decrypt(keys.identity(), &fs::read(us.view_path()).unwrap()).unwrap();
    let at = plain
        .windows(first.text.len())
        .position(|w| w == first.text.as_bytes())
        .unwrap();
    let mut changed = plain.clone();
    changed[at..at + first.text.len()].copy_from_slice(b"words put in a mouth");
    let untagged = changed[32..].to_vec();
    for forged in [changed, untagged] {
        for name in ["view.age", "recent.age"] {
            let sealed = age::encrypt(&keys.identity().to_public(), &forged).unwrap();
            fs::write(us.view_path().with_file_name(name), sealed).unwrap();
        }
        assert_eq!(texts(&us, &keys), ["the words as written"]);
        let recent = us.read_recent(&keys, 10).unwrap();
        let recent: Vec<String> = recent.entries.into_iter().map(|e| e.text).collect();
        assert_eq!(recent, ["the words as written"]);
    }
}
