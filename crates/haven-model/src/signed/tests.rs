use super::*;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};

const JOURNAL: JournalKey = [3; 16];

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn device(key: &SigningKey) -> [u8; 32] {
    key.verifying_key().to_bytes()
}

/// A document written by `key`'s device, and the raw bytes of each change it made.
fn written(key: &SigningKey, writes: &[&str]) -> (AutoCommit, Vec<Vec<u8>>) {
    let mut doc = AutoCommit::new().with_actor(device_actor(&device(key), [9; 16]));
    for w in writes {
        doc.put(ROOT, *w, *w).unwrap();
        doc.commit();
    }
    let changes = doc
        .get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    (doc, changes)
}

/// A fresh document holding exactly `chunks`, as a receiving device would load them.
fn received(chunks: &[Vec<u8>]) -> AutoCommit {
    let mut doc = AutoCommit::new();
    for c in chunks {
        doc.load_incremental(c).unwrap();
    }
    doc
}

#[test]
fn a_signed_change_verifies_names_its_device_and_reads_the_same() {
    let k = key(1);
    let (doc, changes) = written(&k, &["a"]);
    let signed = sign_change(&changes[0], &JOURNAL, &k).unwrap();
    let proof = verify_change(&signed, &JOURNAL).unwrap();
    assert_eq!(proof.device, device(&k));
    assert_eq!(Some(proof.hash), crate::inspect::chunk_hash(&signed));
    // Still an ordinary change to Automerge.
    let other = received(&[signed]);
    assert_eq!(
        other.get(ROOT, "a").unwrap().map(|(v, _)| v.to_string()),
        doc.get(ROOT, "a").unwrap().map(|(v, _)| v.to_string())
    );
}

#[test]
fn unsigned_and_deviceless_changes_are_refused() {
    let k = key(1);
    let (_, changes) = written(&k, &["a"]);
    assert_eq!(
        verify_change(&changes[0], &JOURNAL),
        Err(SignatureError::Unsigned)
    );
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "a", 1).unwrap();
    doc.commit();
    let random = doc.get_changes(&[])[0].raw_bytes().to_vec();
    assert_eq!(
        verify_change(&random, &JOURNAL),
        Err(SignatureError::NoDevice)
    );
    assert_eq!(
        sign_change(&random, &JOURNAL, &k),
        Err(SignatureError::NoDevice)
    );
}

#[test]
fn a_device_cannot_sign_for_another() {
    let (_, changes) = written(&key(1), &["a"]);
    assert_eq!(
        sign_change(&changes[0], &JOURNAL, &key(2)),
        Err(SignatureError::NotMine)
    );
}

#[test]
fn a_signature_moved_to_another_change_or_journal_does_not_verify() {
    let k = key(1);
    let (_, a) = written(&k, &["a"]);
    let (_, b) = written(&k, &["b"]);
    let signed_a = sign_change(&a[0], &JOURNAL, &k).unwrap();
    assert_eq!(
        verify_change(&signed_a, &[4; 16]),
        Err(SignatureError::BadSignature)
    );
    // A's signature written into B's message.
    let la = layout(&signed_a).unwrap();
    let text = signed_a[la.body..][la.text.clone()].to_vec();
    let lb = layout(&b[0]).unwrap();
    let forged = chunk_of(&with_message(&b[0][lb.body..], &lb.message, &text));
    assert_eq!(
        verify_change(&forged, &JOURNAL),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn every_bit_flip_of_a_signed_change_is_refused_without_panicking() {
    let k = key(1);
    let (_, changes) = written(&k, &["a"]);
    let signed = sign_change(&changes[0], &JOURNAL, &k).unwrap();
    for i in 0..signed.len() {
        for bit in [0x01, 0x80] {
            let mut bad = signed.clone();
            bad[i] ^= bit;
            assert!(
                verify_change(&bad, &JOURNAL).is_err(),
                "byte {i} bit {bit:#x}"
            );
        }
        let _ = verify_change(&signed[..i], &JOURNAL);
    }
}

#[test]
fn a_run_of_changes_is_signed_with_its_dependencies_rewritten() {
    let k = key(1);
    let (doc, changes) = written(&k, &["a", "b", "c"]);
    let signed = sign_changes(&changes, &JOURNAL, &k).unwrap();
    for c in &signed {
        assert_eq!(verify_change(c, &JOURNAL).unwrap().device, device(&k));
    }
    let mut other = received(&signed);
    assert_eq!(other.get_heads().len(), 1);
    assert_eq!(other.get_changes(&[]).len(), 3);
    for w in ["a", "b", "c"] {
        assert_eq!(
            other.get(ROOT, w).unwrap().map(|(v, _)| v.to_string()),
            doc.get(ROOT, w).unwrap().map(|(v, _)| v.to_string())
        );
    }
}

#[test]
fn signatures_survive_a_saved_and_reloaded_document() {
    let k = key(1);
    let (_, changes) = written(&k, &["a", "b"]);
    let signed = sign_changes(&changes, &JOURNAL, &k).unwrap();
    let saved = received(&signed).save();
    let mut reloaded = AutoCommit::load(&saved).unwrap();
    let again: Vec<Vec<u8>> = reloaded
        .get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    assert_eq!(again.len(), 2);
    for c in &again {
        assert_eq!(verify_change(c, &JOURNAL).unwrap().device, device(&k));
    }
}

#[test]
fn actor_ids_name_their_device() {
    let d = device(&key(5));
    let actor = device_actor(&d, [1; 16]);
    assert_eq!(actor_device(actor.to_bytes()), Some(d));
    assert_eq!(actor_device(&[0; 16]), None);
}

#[test]
fn a_signed_journal_change_still_passes_inspection() {
    let k = key(1);
    let mut doc = crate::schema::new_document(device_actor(&device(&k), [2; 16])).unwrap();
    let heads = doc.get_heads();
    let entry = crate::Entry::note(
        crate::EntryId::from_parts(1_700_000_000_000, 1),
        crate::Timestamp {
            unix_ms: 1_700_000_000_000,
            offset_secs: 0,
        },
        hex::encode(device(&k)),
        "signed".into(),
    );
    crate::schema::put_entry(&mut doc, &entry).unwrap();
    doc.commit();
    let change = doc.get_changes(&heads)[0].raw_bytes().to_vec();
    let signed = sign_change(&change, &JOURNAL, &k).unwrap();
    let limits = crate::inspect::ChangeLimits::default();
    let info = crate::inspect::inspect_change(&signed, &limits).unwrap();
    assert_eq!(
        info.ops,
        crate::inspect::inspect_change(&change, &limits)
            .unwrap()
            .ops
    );
    assert_eq!(actor_device(&info.actor), Some(device(&k)));
}
