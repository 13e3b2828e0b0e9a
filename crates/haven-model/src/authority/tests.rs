use super::*;
use crate::members::{self, add_member, revoke_member};
use crate::testkit::{Dev, receive};

fn authority(doc: &mut automerge::AutoCommit) -> Authority {
    Authority::read(doc.document()).unwrap()
}

/// Robin (laptop, admin) with a phone, and Sam (laptop, writer) with a phone.
struct Couple {
    doc: automerge::AutoCommit,
    robin: Dev,
    robin_phone: Dev,
    sam: Dev,
    sam_phone: Dev,
}

fn couple() -> Couple {
    let (robin, robin_phone, sam, sam_phone) = (
        Dev::new(1, "robin-laptop"),
        Dev::new(2, "robin-phone"),
        Dev::new(3, "sam-laptop"),
        Dev::new(4, "sam-phone"),
    );
    let mut doc = robin.create();
    let (r, rp, s) = (
        robin.id.clone(),
        robin_phone.member(&robin.id, None),
        sam.member(&sam.id, None),
    );
    robin.write(&mut doc, |d| {
        add_member(d, &rp)?;
        add_member(d, &s)?;
        Ok(())
    });
    let sp = sam_phone.member(&sam.id, None);
    sam.write(&mut doc, |d| add_member(d, &sp).map(|_| ()));
    let _ = r;
    Couple {
        doc,
        robin,
        robin_phone,
        sam,
        sam_phone,
    }
}

#[test]
fn the_creator_is_an_admin_and_each_person_adds_their_own_devices() {
    let mut c = couple();
    let a = authority(&mut c.doc);
    assert_eq!(a.creator.as_deref(), Some(c.robin.id.as_str()));
    let role = |d: &Dev| a.standing(&d.id).map(|s| (s.person.clone(), s.role));
    assert_eq!(role(&c.robin), Some((c.robin.id.clone(), Role::Admin)));
    assert_eq!(
        role(&c.robin_phone),
        Some((c.robin.id.clone(), Role::Admin))
    );
    assert_eq!(role(&c.sam), Some((c.sam.id.clone(), Role::Writer)));
    assert_eq!(role(&c.sam_phone), Some((c.sam.id.clone(), Role::Writer)));
    assert!(a.void.is_empty(), "{:?}", a.void);
    // The same when read through the member list.
    let listed = members::read_members(c.doc.document()).unwrap();
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|m| m.is_active() && !m.person.is_empty()));
}

#[test]
fn a_writer_cannot_add_people_nor_devices_of_others_nor_itself_become_creator() {
    let mut c = couple();
    let (stranger, stranger2) = (Dev::new(9, "stranger"), Dev::new(10, "other"));
    let as_person = stranger.member(&stranger.id, Some(Role::Admin));
    let as_robins = stranger2.member(&c.robin.id, None);
    c.sam.write(&mut c.doc, |d| {
        add_member(d, &as_person)?;
        add_member(d, &as_robins)?;
        Ok(())
    });
    // A device adding itself, with a nonce of its own choosing (the key itself never
    // changes: validation refuses that).
    let third = Dev::new(11, "self-made");
    let me = third.member(&third.id, Some(Role::Admin));
    third.write(&mut c.doc, |d| {
        add_member(d, &me)?;
        crate::schema::set_meta_value(d, "nonce", &"01".repeat(16))
    });
    let a = authority(&mut c.doc);
    for d in [&stranger, &stranger2, &third] {
        assert!(a.standing(&d.id).is_none(), "{} got a standing", d.name);
        assert!(a.void.contains_key(&d.id));
    }
    assert_eq!(a.creator.as_deref(), Some(c.robin.id.as_str()));
    assert_eq!(members::read_members(c.doc.document()).unwrap().len(), 4);
}

#[test]
fn revocations_count_by_who_writes_them() {
    let mut c = couple();
    // Sam (a writer) cannot revoke Robin's phone; Robin can remove Sam's phone; Sam's
    // laptop retiring itself is leaving.
    let (rp, sp, s) = (
        c.robin_phone.id.clone(),
        c.sam_phone.id.clone(),
        c.sam.id.clone(),
    );
    c.sam
        .write(&mut c.doc, |d| revoke_member(d, &rp, 5).map(|_| ()));
    c.robin
        .write(&mut c.doc, |d| revoke_member(d, &sp, 6).map(|_| ()));
    c.sam
        .write(&mut c.doc, |d| revoke_member(d, &s, 7).map(|_| ()));
    let a = authority(&mut c.doc);
    assert!(a.may_sync(&rp));
    assert_eq!(
        a.standing(&sp).unwrap().ended,
        Some(Ending::Removed {
            by: c.robin.id.clone(),
            at_ms: 6
        })
    );
    assert_eq!(
        a.standing(&s).unwrap().ended,
        Some(Ending::Left {
            by: s.clone(),
            at_ms: 7
        })
    );
}

#[test]
fn concurrent_removals_of_two_admins_resolve_alike_in_either_order() {
    let mut c = couple();
    // Robin makes Sam's record an admin's by adding Sam's partner as an admin person.
    let alex = Dev::new(20, "alex");
    let alex_admin = alex.member(&alex.id, Some(Role::Admin));
    c.robin
        .write(&mut c.doc, |d| add_member(d, &alex_admin).map(|_| ()));
    // Concurrently: Robin removes Alex, and Alex removes Robin.
    let mut alex_copy = c.doc.fork();
    let (rid, aid) = (c.robin.id.clone(), alex.id.clone());
    let from_robin = c
        .robin
        .write(&mut c.doc, |d| revoke_member(d, &aid, 10).map(|_| ()));
    let from_alex = alex.write(&mut alex_copy, |d| revoke_member(d, &rid, 10).map(|_| ()));
    // Both orders of delivery give the same standing.
    let mut one = c.doc.fork();
    for ch in &from_alex {
        one.load_incremental(ch).unwrap();
    }
    let mut two = alex_copy.fork();
    for ch in &from_robin {
        two.load_incremental(ch).unwrap();
    }
    let (a1, a2) = (authority(&mut one), authority(&mut two));
    assert!(
        a1.may_sync(&rid) && !a1.may_sync(&aid),
        "the senior admin's removal stands"
    );
    assert_eq!(a1.may_sync(&rid), a2.may_sync(&rid));
    assert_eq!(a1.may_sync(&aid), a2.may_sync(&aid));
}

#[test]
fn a_removed_admin_adds_no_one_afterwards() {
    let mut c = couple();
    let alex = Dev::new(20, "alex");
    let alex_admin = alex.member(&alex.id, Some(Role::Admin));
    c.robin
        .write(&mut c.doc, |d| add_member(d, &alex_admin).map(|_| ()));
    let aid = alex.id.clone();
    c.robin
        .write(&mut c.doc, |d| revoke_member(d, &aid, 10).map(|_| ()));
    // Alex, its removal known to it, adds a stranger.
    let stranger = Dev::new(21, "stranger");
    let s = stranger.member(&stranger.id, None);
    let mut honest = c.doc.fork();
    let late = alex.write(&mut c.doc, |d| add_member(d, &s).map(|_| ()));
    let a = authority(&mut c.doc);
    assert!(
        a.standing(&stranger.id).is_none(),
        "a removed admin's add counts"
    );
    assert!(!a.may_sync(&aid));
    // And the rules refuse the change when it arrives.
    let refused = receive(&mut honest, &late).unwrap_err();
    assert_eq!(refused.rule, crate::rules::Rule::AfterRevocation);
}

#[test]
fn an_admin_removes_a_person_with_all_their_devices_and_nobody_else_may() {
    use members::{RemovalError, find_person, read_members, remove_person};
    let mut c = couple();
    let listed = read_members(c.doc.document()).unwrap();
    // A person is found by name or by the start of any of their devices' ids.
    assert_eq!(find_person(&listed, "SAM-LAPTOP").unwrap(), c.sam.id);
    assert_eq!(
        find_person(&listed, &c.sam_phone.id[..8]).unwrap(),
        c.sam.id
    );
    assert!(matches!(
        find_person(&listed, "kim"),
        Err(RemovalError::NoSuchPerson(_))
    ));
    // A writer may not remove anyone; nobody removes themselves this way.
    let (sam, robin_id) = (c.sam.id.clone(), c.robin.id.clone());
    let mut copy = c.doc.fork();
    assert!(matches!(
        remove_person(&mut copy, &sam, &robin_id, 9),
        Err(RemovalError::NotAdmin)
    ));
    assert!(matches!(
        remove_person(&mut copy, &robin_id, &robin_id, 9),
        Err(RemovalError::Yourself)
    ));
    // Robin, an admin, removes Sam: both of Sam's devices, attributed to Robin's laptop.
    let mut elsewhere = c.doc.fork();
    let mut removed = Vec::new();
    let changes = c.robin.write(&mut c.doc, |d| {
        removed = remove_person(d, &robin_id, &sam, 9).map_err(|e| match e {
            RemovalError::Schema(s) => s,
            other => panic!("{other}"),
        })?;
        Ok(())
    });
    removed.sort();
    let mut sams = vec![c.sam.id.clone(), c.sam_phone.id.clone()];
    sams.sort();
    assert_eq!(removed, sams);
    let a = authority(&mut c.doc);
    for d in [&c.sam, &c.sam_phone] {
        let ended = a.standing(&d.id).and_then(|s| s.ended.clone());
        assert!(
            matches!(&ended, Some(Ending::Removed { by, .. }) if by == &robin_id),
            "{ended:?}"
        );
    }
    assert!(a.may_sync(&c.robin_phone.id));
    // The removal passes the rules on another device, and a second one has nothing to do.
    receive(&mut elsewhere, &changes).unwrap();
    assert!(!authority(&mut elsewhere).may_sync(&c.sam.id));
    assert!(matches!(
        remove_person(&mut c.doc, &robin_id, &sam, 10),
        Err(RemovalError::AlreadyGone(_))
    ));
}
