use super::*;
use crate::entry::{Entry, EntryId, Timestamp};
use crate::members::{add_member, revoke_member, set_addrs};
use crate::schema;
use crate::testkit::{Dev, receive};

struct Couple {
    doc: automerge::AutoCommit,
    robin: Dev,
    phone: Dev,
    sam: Dev,
    reader: Dev,
}

fn couple() -> Couple {
    let (robin, phone, sam, reader) = (
        Dev::new(1, "robin"),
        Dev::new(2, "robin-phone"),
        Dev::new(3, "sam"),
        Dev::new(4, "reader"),
    );
    let mut doc = robin.create();
    let members = [
        phone.member(&robin.id, None),
        sam.member(&sam.id, None),
        reader.member(&reader.id, Some(Role::Reader)),
    ];
    robin.write(&mut doc, |d| {
        for m in &members {
            add_member(d, m)?;
        }
        Ok(())
    });
    Couple {
        doc,
        robin,
        phone,
        sam,
        reader,
    }
}

fn entry(n: u64, device: &Dev, text: &str) -> Entry {
    Entry::note(
        EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
        Timestamp {
            unix_ms: 1_700_000_000_000 + n as i64,
            offset_secs: 0,
        },
        device.id.clone(),
        text.into(),
    )
}

/// Robin's entry, as everyone has it.
fn with_robins_entry(c: &mut Couple) -> EntryId {
    let e = entry(1, &c.robin, "mine");
    c.robin.write(&mut c.doc, |d| schema::put_entry(d, &e));
    e.id
}

fn refused(
    c: &mut Couple,
    by: &Dev,
    f: impl FnOnce(&mut automerge::AutoCommit) -> Result<(), crate::SchemaError>,
) -> Option<Rule> {
    let mut theirs = c.doc.fork();
    let changes = by.write(&mut theirs, f);
    receive(&mut c.doc, &changes).err().map(|r| {
        assert_eq!(
            r.signer.as_deref(),
            Some(by.id.as_str()),
            "names the signer"
        );
        r.rule
    })
}

#[test]
fn each_writes_their_own_entries_and_edits_them_from_any_of_their_devices() {
    let mut c = couple();
    let id = with_robins_entry(&mut c);
    let sams = entry(2, &c.sam, "Sam's");
    let (sam, phone) = (Dev::new(3, "sam"), Dev::new(2, "robin-phone"));
    assert_eq!(refused(&mut c, &sam, |d| schema::put_entry(d, &sams)), None);
    let at = Timestamp {
        unix_ms: 5,
        offset_secs: 0,
    };
    let phone_id = phone.id.clone();
    assert_eq!(
        refused(&mut c, &phone, |d| {
            schema::set_text(d, id, "edited on my phone", &phone_id, at)?;
            schema::set_starred(d, id, true)
        }),
        None
    );
    assert_eq!(
        refused(&mut c, &phone, |d| schema::delete_entry(d, id, 6)),
        None
    );
    let entries = schema::read_entries(&c.doc).unwrap().entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].text, "Sam's");
}

#[test]
fn no_one_changes_stars_or_deletes_another_persons_entry() {
    let mut c = couple();
    let id = with_robins_entry(&mut c);
    let sam = Dev::new(3, "sam");
    let at = Timestamp {
        unix_ms: 5,
        offset_secs: 0,
    };
    let sid = sam.id.clone();
    assert_eq!(
        refused(&mut c, &sam, |d| schema::set_text(
            d,
            id,
            "rewritten",
            &sid,
            at
        )),
        Some(Rule::OthersEntry)
    );
    assert_eq!(
        refused(&mut c, &sam, |d| schema::set_starred(d, id, true)),
        Some(Rule::OthersEntry)
    );
    assert_eq!(
        refused(&mut c, &sam, |d| schema::delete_entry(d, id, 6)),
        Some(Rule::OthersEntry)
    );
    // A tombstone alone, or replacing the entry wholesale under its id.
    assert_eq!(
        refused(&mut c, &sam, |d| schema::set_meta_value(d, "x", "y")
            .and_then(|_| {
                let t = match automerge::ReadDoc::get(d, automerge::ROOT, "tombstones")? {
                    Some((_, t)) => t,
                    None => unreachable!(),
                };
                automerge::transaction::Transactable::put(d, &t, id.to_string(), 1)?;
                Ok(())
            })),
        Some(Rule::OthersEntry)
    );
    let forged = entry(1, &c.robin, "forged over it");
    assert_eq!(
        refused(&mut c, &sam, |d| schema::put_entry(d, &forged)),
        Some(Rule::OthersEntry)
    );
    assert_eq!(
        schema::read_entries(&c.doc).unwrap().entries[0].text,
        "mine"
    );
}

#[test]
fn an_entry_names_its_signer_and_readers_write_nothing() {
    let mut c = couple();
    let sam = Dev::new(3, "sam");
    let as_robin = entry(3, &c.robin, "words in Robin's mouth");
    assert_eq!(
        refused(&mut c, &sam, |d| schema::put_entry(d, &as_robin)),
        Some(Rule::ForgedAuthor)
    );
    let reader = Dev::new(4, "reader");
    let own = entry(4, &reader, "a reader's entry");
    assert_eq!(
        refused(&mut c, &reader, |d| schema::put_entry(d, &own)),
        Some(Rule::ReadOnly)
    );
    // A reader announces where it listens, and may leave.
    let rid = reader.id.clone();
    let addrs = vec!["10.0.0.2:4919".to_string()];
    assert_eq!(
        refused(&mut c, &reader, |d| set_addrs(d, &rid, &addrs).map(|_| ())),
        None
    );
    assert_eq!(
        refused(&mut c, &reader, |d| revoke_member(d, &rid, 9).map(|_| ())),
        None
    );
}

#[test]
fn membership_changes_follow_the_roles() {
    let mut c = couple();
    let (sam, stranger) = (Dev::new(3, "sam"), Dev::new(9, "stranger"));
    let new_person = stranger.member(&stranger.id, None);
    assert!(matches!(
        refused(&mut c, &sam, |d| add_member(d, &new_person).map(|_| ())),
        Some(Rule::Membership(_))
    ));
    let as_robins = stranger.member(&c.robin.id, None);
    assert!(matches!(
        refused(&mut c, &sam, |d| add_member(d, &as_robins).map(|_| ())),
        Some(Rule::Membership(_))
    ));
    let pid = c.phone.id.clone();
    assert!(matches!(
        refused(&mut c, &sam, |d| revoke_member(d, &pid, 3).map(|_| ())),
        Some(Rule::Membership(_))
    ));
    // Sam cannot rename Robin's phone, nor announce addresses for it.
    let addrs = vec!["10.0.0.9:1".to_string()];
    assert!(matches!(
        refused(&mut c, &sam, |d| set_addrs(d, &pid, &addrs).map(|_| ())),
        Some(Rule::Membership(_))
    ));
    // Sam adds a device of his own; Robin removes Sam.
    let sams_phone = Dev::new(5, "sam-phone");
    let own = sams_phone.member(&sam.id, None);
    assert_eq!(
        refused(&mut c, &sam, |d| add_member(d, &own).map(|_| ())),
        None
    );
    let robin = Dev::new(1, "robin");
    let sid = sam.id.clone();
    assert_eq!(
        refused(&mut c, &robin, |d| revoke_member(d, &sid, 4).map(|_| ())),
        None
    );
    // What Sam writes after that is refused, wherever it comes from.
    let late = entry(7, &sam, "after I was removed");
    assert_eq!(
        refused(&mut c, &sam, |d| schema::put_entry(d, &late)),
        Some(Rule::AfterRevocation)
    );
}

#[test]
fn unsigned_changes_and_strangers_are_refused() {
    let mut c = couple();
    let mut theirs = c.doc.fork().with_actor(automerge::ActorId::random());
    schema::put_entry(&mut theirs, &entry(8, &c.sam, "unsigned")).unwrap();
    theirs.commit();
    let heads = c.doc.get_heads();
    let changes: Vec<Vec<u8>> = theirs
        .get_changes(&heads)
        .iter()
        .map(|ch| ch.raw_bytes().to_vec())
        .collect();
    assert_eq!(
        receive(&mut c.doc, &changes).unwrap_err().rule,
        Rule::Unsigned
    );
    let stranger = Dev::new(9, "stranger");
    let e = entry(9, &stranger, "hello");
    assert_eq!(
        refused(&mut c, &stranger, |d| schema::put_entry(d, &e)),
        Some(Rule::NotMember)
    );
    let _ = (&c.robin, &c.reader, &c.sam);
}

/// Changes `f` makes on a fork of `doc` as a version from before signing would: a random
/// actor, no signature.
fn unsigned(
    doc: &mut automerge::AutoCommit,
    f: impl FnOnce(&mut automerge::AutoCommit),
) -> Vec<Vec<u8>> {
    let before = doc.get_heads();
    let mut old = doc.fork().with_actor(automerge::ActorId::random());
    f(&mut old);
    old.commit();
    let raw: Vec<Vec<u8>> = old
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    for c in &raw {
        doc.load_incremental(c).unwrap();
    }
    raw
}

#[test]
fn history_from_before_signing_counts_when_an_upgraded_device_vouches_for_it() {
    let mut c = couple();
    let robins = with_robins_entry(&mut c);
    // Sam's copy holds a note Sam's phone wrote offline with the old version...
    let mut sams = c.doc.fork();
    let note = entry(5, &c.sam, "written before the upgrade");
    let mut old = unsigned(&mut sams, |d| schema::put_entry(d, &note).unwrap());
    // ...alone, it is refused: nothing answers for it.
    assert_eq!(
        receive(&mut c.doc.fork(), &old).err().map(|r| r.rule),
        Some(Rule::Unsigned)
    );
    // After the upgrade Sam's phone signs a baseline on top (an empty change): with it,
    // the old note arrives, as Sam's.
    let baseline = c.sam.write(&mut sams, |d| {
        d.empty_change(automerge::transaction::CommitOptions::default());
        Ok(())
    });
    assert_eq!(baseline.len(), 1);
    old.extend(baseline);
    let mut robins_copy = c.doc.fork();
    receive(&mut robins_copy, &old).unwrap();
    let texts: Vec<String> = schema::read_entries(&robins_copy)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert!(texts.contains(&"written before the upgrade".to_string()));
    // A vouched change may do only what its voucher may: an "old" rewrite of Robin's
    // entry, vouched for by Sam, is refused as Sam's.
    let mut forged = unsigned(&mut c.doc.fork(), |d| {
        let at = Timestamp {
            unix_ms: 1_700_000_000_009,
            offset_secs: 0,
        };
        schema::set_text(d, robins, "rewritten", &c.sam.id, at).unwrap();
    });
    let mut base = c.doc.fork();
    for raw in &forged {
        base.load_incremental(raw).unwrap();
    }
    forged.extend(c.sam.write(&mut base, |d| {
        d.empty_change(automerge::transaction::CommitOptions::default());
        Ok(())
    }));
    let refusal = receive(&mut c.doc.fork(), &forged).unwrap_err();
    assert_eq!(refusal.rule, Rule::OthersEntry);
    assert_eq!(refusal.signer.as_deref(), Some(c.sam.id.as_str()));
}

#[test]
fn what_a_removed_device_wrote_concurrently_is_kept_but_void_on_every_copy() {
    let mut c = couple();
    let ours = with_robins_entry(&mut c);
    // Sam's copy and Robin's phone's copy, before Robin removes Sam.
    let mut sams = c.doc.fork();
    let mut phones = c.doc.fork();
    let sid = c.sam.id.clone();
    let removal = c
        .robin
        .write(&mut c.doc, |d| revoke_member(d, &sid, 4).map(|_| ()));
    // Sam, not knowing, writes. Robin's phone takes that before it hears of the removal,
    // Robin's laptop after.
    let unaware = entry(8, &c.sam, "written while being removed");
    let concurrent = c.sam.write(&mut sams, |d| schema::put_entry(d, &unaware));
    receive(&mut phones, &concurrent).expect("the phone does not know yet");
    receive(&mut phones, &removal).expect("then it hears");
    receive(&mut c.doc, &concurrent).expect("kept where the removal came first, too");
    assert_eq!(phones.get_heads(), c.doc.get_heads());
    for copy in [&mut c.doc, &mut phones] {
        let authority = Authority::read(copy.document()).unwrap();
        let void = void::void_entries(copy.document(), &authority);
        assert_eq!(void, [unaware.id.to_string()].into(), "the removal wins");
        assert!(!void.contains(&ours.to_string()));
    }
    // Once Sam's copy holds the removal, what it writes is refused.
    receive(&mut sams, &removal).unwrap();
    let knowing = entry(9, &c.sam, "written after hearing");
    let after = c.sam.write(&mut sams, |d| schema::put_entry(d, &knowing));
    assert_eq!(
        receive(&mut c.doc, &after).map_err(|r| r.rule),
        Err(Rule::AfterRevocation)
    );
}

#[test]
fn roles_change_by_admins_only_and_each_change_is_judged_by_the_role_at_it() {
    let mut c = couple();
    let set = |by: &str, person: &str, role: Role, nonce: u64| {
        let (by, person) = (by.to_string(), person.to_string());
        move |d: &mut automerge::AutoCommit| {
            crate::members::set_role(d, &by, &person, role, nonce).unwrap();
            Ok(())
        }
    };
    let (robin, sam, reader) = (c.robin.id.clone(), c.sam.id.clone(), c.reader.id.clone());
    // Sam's copy from before Robin makes him a reader.
    let mut sams = c.doc.fork();
    let demoted = c
        .robin
        .write(&mut c.doc, set(&robin, &sam, Role::Reader, 1));
    let now = Authority::read(c.doc.document()).unwrap();
    assert_eq!(now.standing(&sam).unwrap().role, Role::Reader);
    // Knowing it, Sam writes nothing; what he wrote before he knew is his to keep.
    let sam_dev = Dev::new(3, "sam");
    let late = entry(5, &sam_dev, "after I became a reader");
    assert_eq!(
        refused(&mut c, &sam_dev, |d| schema::put_entry(d, &late)),
        Some(Rule::ReadOnly)
    );
    let unaware = entry(6, &sam_dev, "before I heard");
    let concurrent = sam_dev.write(&mut sams, |d| schema::put_entry(d, &unaware));
    receive(&mut c.doc, &concurrent).expect("judged by the role Sam had at it");
    receive(&mut sams, &demoted).unwrap();
    assert_eq!(sams.get_heads(), c.doc.get_heads());
    // Only admins change roles: not the reader, not Sam for himself.
    let raw = |d: &mut automerge::AutoCommit, person: &str| {
        let members = crate::members::map_at(d, "members")?;
        let Some((_, record)) = d.get(&members, person)? else {
            unreachable!()
        };
        automerge::transaction::Transactable::put(d, &record, "role/00000000000000ff", "admin")?;
        Ok(())
    };
    let r = Dev::new(4, "reader");
    assert!(matches!(
        refused(&mut c, &r, |d| raw(d, &reader)),
        Some(Rule::Membership(_))
    ));
    assert!(matches!(
        refused(&mut c, &sam_dev, |d| raw(d, &sam)),
        Some(Rule::Membership(_))
    ));
    // Robin makes Sam an admin; then Sam may add a person, who gets a standing.
    c.robin.write(&mut c.doc, set(&robin, &sam, Role::Admin, 2));
    let kim = Dev::new(7, "kim");
    let new_person = kim.member(&kim.id, None);
    assert_eq!(
        refused(&mut c, &sam_dev, |d| add_member(d, &new_person).map(|_| ())),
        None
    );
    let mut with_kim = c.doc.fork();
    sam_dev.write(&mut with_kim, |d| add_member(d, &new_person).map(|_| ()));
    let after = Authority::read(with_kim.document()).unwrap();
    assert_eq!(after.standing(&kim.id).unwrap().role, Role::Writer);
    assert_eq!(after.standing(&sam).unwrap().role, Role::Admin);
}

#[test]
fn a_person_added_by_an_admin_being_removed_is_void_on_every_copy() {
    let mut c = couple();
    let (robin, sam) = (c.robin.id.clone(), c.sam.id.clone());
    c.robin.write(&mut c.doc, |d| {
        crate::members::set_role(d, &robin, &sam, Role::Admin, 1).unwrap();
        Ok(())
    });
    // Sam's copy and Robin's phone's copy, before Robin removes Sam.
    let mut sams = c.doc.fork();
    let mut phones = c.doc.fork();
    let removal = c
        .robin
        .write(&mut c.doc, |d| revoke_member(d, &sam, 4).map(|_| ()));
    // Sam, not knowing, adds Kim, who writes; Robin's phone takes both before it hears of
    // the removal, Robin's laptop after.
    let kim = Dev::new(7, "kim");
    let mut changes = c.sam.write(&mut sams, |d| {
        add_member(d, &kim.member(&kim.id, None)).map(|_| ())
    });
    let kims_entry = entry(8, &kim, "kim, added while Sam was being removed");
    changes.extend(kim.write(&mut sams, |d| schema::put_entry(d, &kims_entry)));
    receive(&mut phones, &changes).expect("the phone does not know yet");
    receive(&mut phones, &removal).expect("then it hears");
    receive(&mut c.doc, &changes).expect("kept where the removal came first, too");
    assert_eq!(phones.get_heads(), c.doc.get_heads());
    for copy in [&mut c.doc, &mut phones] {
        let authority = Authority::read(copy.document()).unwrap();
        assert!(authority.standing(&kim.id).is_none(), "the removal wins");
        assert!(authority.shadow(&kim.id).is_some());
        let void = void::void_entries(copy.document(), &authority);
        assert_eq!(void, [kims_entry.id.to_string()].into());
    }
    // Once Kim's copy holds the removal, what Kim writes is refused.
    receive(&mut sams, &removal).unwrap();
    let after = kim.write(&mut sams, |d| {
        schema::put_entry(d, &entry(9, &kim, "after"))
    });
    assert_eq!(
        receive(&mut c.doc, &after).map_err(|r| r.rule),
        Err(Rule::AfterRevocation)
    );
}

mod races;
