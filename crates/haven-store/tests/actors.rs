//! Actor ids are never reused: not by two writers, not after a restore from backup.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use automerge::{AutoCommit, ReadDoc};
use common::{init, note};
use haven_model::schema;
use haven_store::{Passphrase, Vault};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn actors_of(doc: &mut AutoCommit) -> Vec<automerge::ActorId> {
    doc.get_changes(&[])
        .iter()
        .map(|c| c.actor_id().clone())
        .collect()
}

#[test]
fn a_restored_backup_never_reuses_an_actor() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    let (vault, keys) = init(&live);
    let journal = vault.personal();
    journal.seal(&note(1)).unwrap();
    journal.change(&keys, |_| Ok(())).unwrap();

    let backup = tmp.path().join("backup");
    copy_dir(&live, &backup);

    // The live vault moves on...
    journal.seal(&note(2)).unwrap();
    journal
        .change(&keys, |doc| Ok(schema::set_starred(doc, note(1).id, true)?))
        .unwrap();
    let (mut ahead, _) = journal.load(&keys).unwrap();

    // ...then the backup is restored and written to.
    let restored = Vault::open(&backup).unwrap();
    let keys_b = restored
        .unlock(&Passphrase::new("pass".into()).unwrap())
        .unwrap();
    restored.personal().seal(&note(3)).unwrap();
    restored.personal().change(&keys_b, |_| Ok(())).unwrap();
    let (mut behind, _) = restored.personal().load(&keys_b).unwrap();

    // Changes after the fork come from different actors, so the two histories merge.
    let fork_point: BTreeSet<_> = actors_of(&mut behind).into_iter().collect();
    let common: BTreeSet<_> = {
        let (mut at_backup, _) = Vault::open(&backup)
            .unwrap()
            .personal()
            .load(&keys_b)
            .unwrap();
        actors_of(&mut at_backup).into_iter().collect()
    };
    assert!(fork_point.len() >= common.len());
    ahead.merge(&mut behind).unwrap();
    let texts: Vec<String> = schema::read_entries(&ahead)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(texts, vec!["note 1", "note 2", "note 3"]);
    let mut seen = BTreeSet::new();
    for change in ahead.get_changes(&[]) {
        assert!(
            seen.insert((change.actor_id().clone(), change.seq())),
            "actor and seq reused"
        );
    }
    assert!(ahead.get_missing_deps(&[]).is_empty());
}

#[test]
fn every_change_uses_a_fresh_actor() {
    let tmp = tempfile::tempdir().unwrap();
    let (vault, keys) = init(&tmp.path().join("v"));
    let journal = vault.personal();
    for n in 0..5 {
        journal.seal(&note(n)).unwrap();
        journal.change(&keys, |_| Ok(())).unwrap();
    }
    let (mut doc, _) = journal.load(&keys).unwrap();
    let actors = actors_of(&mut doc);
    let distinct: BTreeSet<_> = actors.iter().collect();
    assert_eq!(
        actors.len(),
        distinct.len(),
        "an actor wrote more than one change"
    );
}
