use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};

use super::*;
use crate::members::{self, Member};
use crate::schema::{self, JournalKind, JournalMeta};
use crate::{Entry, EntryId, Timestamp};

const KEY: &str = "00112233445566778899aabbccddeeff";

fn entry(n: u64, text: &str) -> Entry {
    Entry::note(
        EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
        Timestamp {
            unix_ms: 1_700_000_000_000 + n as i64,
            offset_secs: 0,
        },
        "d".repeat(64),
        text.into(),
    )
}

/// A shared journal as its creator makes it, with one member and one entry.
fn journal() -> AutoCommit {
    let mut doc = schema::new_document(ActorId::random()).unwrap();
    schema::set_meta(
        &mut doc,
        &JournalMeta {
            name: "us".into(),
            kind: JournalKind::Shared,
            created_ms: 5,
        },
    )
    .unwrap();
    members::set_journal_key(&mut doc, KEY).unwrap();
    members::add_member(
        &mut doc,
        &Member {
            device: "a".repeat(64),
            device_name: "laptop".into(),
            person: "Robin".into(),
            added_by: "a".repeat(64),
            added_at_ms: 5,
            revoked_at_ms: None,
            ending: None,
            person_id: String::new(),
            role: None,
            addrs: Vec::new(),
        },
    )
    .unwrap();
    schema::put_entry(&mut doc, &entry(1, "first")).unwrap();
    doc.commit();
    doc
}

fn baseline(doc: &AutoCommit) -> Baseline {
    Baseline::of(doc, BTreeSet::new())
}

/// A member's copy of `doc`, changed by `f` and merged back into a copy of `doc`.
fn after(doc: &AutoCommit, f: impl FnOnce(&mut AutoCommit)) -> AutoCommit {
    let mut doc = doc.clone();
    let mut theirs = doc.fork().with_actor(ActorId::random());
    f(&mut theirs);
    theirs.commit();
    let mut ours = doc.fork();
    ours.merge(&mut theirs).unwrap();
    ours
}

fn meta_of(doc: &AutoCommit) -> ObjId {
    root_obj(doc, "meta").unwrap()
}

#[test]
fn an_honest_journal_and_honest_changes_pass() {
    let doc = journal();
    let base = baseline(&doc);
    assert_eq!(base.key.as_deref(), Some(KEY));
    assert_eq!(base.kind.as_deref(), Some("shared"));
    let m = check_journal(&doc, &Baseline::default()).unwrap();
    assert_eq!(m.entries.len(), 1);
    let changed = after(&doc, |d| {
        schema::put_entry(d, &entry(2, "second")).unwrap();
        schema::set_starred(d, entry(1, "").id, true).unwrap();
        schema::delete_entry(d, entry(1, "").id, 9).unwrap();
        let meta = meta_of(d);
        d.put(&meta, "name", "our log").unwrap();
        d.put(&meta, "key", KEY).unwrap();
    });
    assert_eq!(check_journal(&changed, &base).unwrap().entries.len(), 1);
}

#[test]
fn the_root_cannot_be_replaced_extended_or_contested() {
    let doc = journal();
    let base = baseline(&doc);
    for (what, f) in [
        (
            "members",
            Box::new(|d: &mut AutoCommit| {
                d.put(ROOT, "members", 42).unwrap();
            }) as Box<dyn Fn(&mut AutoCommit)>,
        ),
        (
            "entries",
            Box::new(|d: &mut AutoCommit| {
                d.put_object(ROOT, "entries", automerge::ObjType::Map)
                    .unwrap();
            }),
        ),
        (
            "tombstones",
            Box::new(|d: &mut AutoCommit| {
                d.delete(ROOT, "tombstones").unwrap();
            }),
        ),
        (
            "extra",
            Box::new(|d: &mut AutoCommit| {
                d.put(ROOT, "extra", "x").unwrap();
            }),
        ),
    ] {
        let changed = after(&doc, f);
        assert_eq!(
            check_shape(&changed, &base),
            Err(Violation::Root(what.into())),
            "{what}"
        );
    }
}

#[test]
fn the_journal_identity_is_fixed() {
    let doc = journal();
    let base = baseline(&doc);
    for (key, value) in [
        ("kind", ScalarValue::from("personal")),
        ("key", ScalarValue::from("ff".repeat(16))),
        ("created", ScalarValue::Int(6)),
    ] {
        let changed = after(&doc, |d| {
            let meta = meta_of(d);
            d.put(&meta, key, value.clone()).unwrap();
        });
        assert!(
            matches!(check_shape(&changed, &base), Err(Violation::Identity(k)) if k == key),
            "{key}"
        );
    }
    // A proposed name that is not a short name.
    let changed = after(&doc, |d| {
        let meta = meta_of(d);
        d.put(&meta, "name", "x".repeat(500)).unwrap();
    });
    assert!(check_shape(&changed, &base).is_err());
}

#[test]
fn an_adopted_copy_accepts_the_creation_but_not_two_identities() {
    // A copy made from a ticket knows only the key.
    let mut copy = schema::new_document(ActorId::random()).unwrap();
    members::set_journal_key(&mut copy, KEY).unwrap();
    copy.commit();
    let base = baseline(&copy);
    assert_eq!(base.kind, None);
    let mut creator = journal();
    copy.merge(&mut creator).unwrap();
    check_journal(&copy, &base).unwrap();
    // A creator whose journal has another key is refused.
    let mut other = schema::new_document(ActorId::random()).unwrap();
    members::set_journal_key(&mut other, &"ab".repeat(16)).unwrap();
    let mut copy = schema::new_document(ActorId::random()).unwrap();
    members::set_journal_key(&mut copy, KEY).unwrap();
    copy.commit();
    let base = baseline(&copy);
    copy.merge(&mut other).unwrap();
    assert_eq!(check_shape(&copy, &base), Err(Violation::Identity("key")));
}

#[test]
fn entries_must_read_and_stay_within_limits_unless_they_already_did_not() {
    let doc = journal();
    let base = baseline(&doc);
    let huge = after(&doc, |d| {
        // Written the way a modified client would, past `put_entry`'s own check.
        schema::put_entry(d, &entry(3, "short")).unwrap();
        let obj = schema::entry_obj(d, entry(3, "").id).unwrap().unwrap();
        d.put(&obj, "text", "x".repeat(limits::TEXT_BYTES + 1))
            .unwrap();
    });
    assert!(matches!(
        check_journal(&huge, &base),
        Err(Violation::Entry { .. })
    ));
    let broken = after(&doc, |d| {
        let obj = schema::entry_obj(d, entry(1, "").id).unwrap().unwrap();
        d.put(&obj, "text", 7).unwrap();
    });
    assert!(matches!(
        check_journal(&broken, &base),
        Err(Violation::Entry { .. })
    ));
    // What was already flawed before stays acceptable.
    let m = schema::read_entries(&huge).unwrap();
    let flawed = Baseline::flawed_in(&m);
    assert_eq!(flawed.len(), 1);
    let later = after(&huge, |d| {
        schema::put_entry(d, &entry(4, "fine")).unwrap();
    });
    check_journal(&later, &Baseline::of(&huge, flawed)).unwrap();
}

#[test]
fn members_and_tombstones_are_checked() {
    let doc = journal();
    let base = baseline(&doc);
    let fake = after(&doc, |d| {
        let members = root_obj(d, "members").unwrap();
        d.put_object(&members, "not-a-device", automerge::ObjType::Map)
            .unwrap();
    });
    assert!(matches!(
        check_journal(&fake, &base),
        Err(Violation::Member { .. })
    ));
    let long = after(&doc, |d| {
        let members = root_obj(d, "members").unwrap();
        let (_, m) = d.get(&members, "a".repeat(64)).unwrap().unwrap();
        d.put(&m, "person", "R".repeat(10_000)).unwrap();
    });
    assert!(matches!(
        check_journal(&long, &base),
        Err(Violation::Member { .. })
    ));
    let tomb = after(&doc, |d| {
        let t = root_obj(d, "tombstones").unwrap();
        d.put(&t, "nope", 1).unwrap();
    });
    assert!(matches!(
        check_journal(&tomb, &base),
        Err(Violation::Tombstone(_))
    ));
}
