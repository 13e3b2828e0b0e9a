//! Tests of the schema: genesis, entries and their fields round-tripping, sealed entries,
//! conflicts and tombstones.

use automerge::ActorId;

use super::genesis::genesis_doc;
use super::*;
use crate::entry::{Entry, EntryId, EntryKind, Timestamp};

fn sample(n: u64, text: &str) -> Entry {
    Entry::note(
        EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
        Timestamp {
            unix_ms: 1_700_000_000_000 + n as i64,
            offset_secs: 3600,
        },
        "dev1".into(),
        text.into(),
    )
}

#[test]
fn genesis_is_deterministic() {
    assert_eq!(genesis_doc().save(), genesis_doc().save());
    assert_eq!(genesis_hash(), genesis_doc().get_heads()[0]);
}

#[test]
fn entry_round_trips() {
    let mut doc = new_document(ActorId::random()).unwrap();
    let mut e = sample(1, "Walked with @Sam #calm");
    e.people = vec!["Sam".into()];
    e.starred = true;
    put_entry(&mut doc, &e).unwrap();
    let all = read_entries(&doc).unwrap();
    assert_eq!(all.entries, vec![e]);
    assert!(all.malformed.is_empty());
}

#[test]
fn structured_fields_round_trip_and_change() {
    use crate::entry::FieldValue;
    let mut doc = new_document(ActorId::random()).unwrap();
    let mut e = sample(7, "check-in");
    e.kind = EntryKind::Checkin;
    e.fields.insert(
        "feelings".into(),
        FieldValue::List(vec!["calm".into(), "tired".into()]),
    );
    e.fields.insert("intensity".into(), FieldValue::Int(4));
    e.fields
        .insert("need".into(), FieldValue::Text("rest".into()));
    e.fields.insert("shared".into(), FieldValue::Bool(true));
    put_entry(&mut doc, &e).unwrap();
    assert_eq!(read_entries(&doc).unwrap().entries, vec![e.clone()]);
    set_field(&mut doc, e.id, "intensity", Some(&FieldValue::Int(2))).unwrap();
    set_field(&mut doc, e.id, "shared", None).unwrap();
    let got = read_entries(&doc).unwrap().entries.remove(0);
    assert_eq!(got.int_field("intensity"), Some(2));
    assert!(!got.fields.contains_key("shared"));
    assert_eq!(got.list_field("feelings"), vec!["calm", "tired"]);
}

#[test]
fn sealed_entry_merges_into_any_copy() {
    let e = sample(2, "sealed while locked");
    let sealed = seal_entry(&e, ActorId::random()).unwrap();
    assert_eq!(unseal_entry(&sealed).unwrap(), e);
    let mut journal = new_document(ActorId::random()).unwrap();
    put_entry(&mut journal, &sample(1, "older")).unwrap();
    journal.commit();
    journal.load_incremental(&sealed).unwrap();
    let texts: Vec<_> = read_entries(&journal)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(texts, vec!["older", "sealed while locked"]);
}

#[test]
fn unseal_rejects_two_entries_and_garbage() {
    let mut doc = new_document(ActorId::random()).unwrap();
    let base = doc.get_heads();
    put_entry(&mut doc, &sample(1, "a")).unwrap();
    put_entry(&mut doc, &sample(2, "b")).unwrap();
    let two = doc.save_after(&base);
    assert!(matches!(
        unseal_entry(&two),
        Err(SchemaError::BadSealedEntry(_))
    ));
    assert!(unseal_entry(b"not automerge at all").is_err());
    assert!(unseal_entry(&[]).is_err());
}

#[test]
fn concurrent_text_edits_are_reported_as_conflicts() {
    let mut a = new_document(ActorId::random()).unwrap();
    let e = sample(3, "first");
    put_entry(&mut a, &e).unwrap();
    let mut b = a.fork().with_actor(ActorId::random());
    let at = Timestamp {
        unix_ms: 1_800_000_000_000,
        offset_secs: 0,
    };
    set_text(&mut a, e.id, "from laptop", "laptop", at).unwrap();
    set_text(&mut b, e.id, "from desktop", "desktop", at).unwrap();
    a.merge(&mut b).unwrap();
    let got = read_entries(&a).unwrap().entries.remove(0);
    assert_eq!(got.conflicts.len(), 1);
    let mut all = vec![(got.conflicts[0].0.clone(), got.conflicts[0].1.clone())];
    let winner_by = if got.text == "from laptop" {
        "laptop"
    } else {
        "desktop"
    };
    all.push((winner_by.to_string(), got.text.clone()));
    all.sort();
    assert_eq!(
        all,
        vec![
            ("desktop".into(), "from desktop".into()),
            ("laptop".into(), "from laptop".into())
        ]
    );
}

#[test]
fn deleted_entries_are_not_reinserted() {
    let mut doc = new_document(ActorId::random()).unwrap();
    let e = sample(4, "gone");
    assert!(insert_if_absent(&mut doc, &e).unwrap());
    assert!(!insert_if_absent(&mut doc, &e).unwrap());
    delete_entry(&mut doc, e.id, 5).unwrap();
    assert!(!insert_if_absent(&mut doc, &e).unwrap());
    assert!(read_entries(&doc).unwrap().entries.is_empty());
}
