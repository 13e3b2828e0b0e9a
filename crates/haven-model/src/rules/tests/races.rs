//! What a hostile member can try with statements made elsewhere: writing from a branch that
//! leaves a removal or a demotion out, and numbering a change as if it came first. Each is
//! delivered in both orders and must leave every copy reading the same.

use super::*;
use crate::members::set_role;

fn role(
    by: &str,
    person: &str,
    role: Role,
    nonce: u64,
) -> impl FnOnce(&mut automerge::AutoCommit) -> Result<(), crate::SchemaError> {
    let (by, person) = (by.to_string(), person.to_string());
    move |d| {
        set_role(d, &by, &person, role, nonce).unwrap();
        Ok(())
    }
}

/// The first operation counter of each of `chunks`.
fn counters(chunks: &[Vec<u8>]) -> Vec<u64> {
    (chunks.iter())
        .map(|c| {
            automerge::Change::try_from(c.as_slice())
                .unwrap()
                .start_op()
                .get()
        })
        .collect()
}

#[test]
fn a_removed_admin_cannot_return_by_revoking_its_remover_from_an_old_branch() {
    let mut c = couple();
    let (robin, sam) = (c.robin.id.clone(), c.sam.id.clone());
    c.robin
        .write(&mut c.doc, role(&robin, &sam, Role::Admin, 1));
    // Sam keeps the copy from then; Robin writes on, then removes Sam.
    let mut sams = c.doc.fork();
    let mut phones = c.doc.fork();
    let mut robins = Vec::new();
    for n in 0..20 {
        let e = entry(10 + n, &c.robin, "written on");
        robins.extend(c.robin.write(&mut c.doc, |d| schema::put_entry(d, &e)));
    }
    let removal = c
        .robin
        .write(&mut c.doc, |d| revoke_member(d, &sam, 5).map(|_| ()));
    robins.extend(removal.iter().cloned());
    // Sam, from the copy that leaves the removal out, revokes Robin: a statement numbered
    // below the removal, which weighing by operation id alone would let win.
    let counter = c
        .sam
        .write(&mut sams, |d| revoke_member(d, &robin, 6).map(|_| ()));
    assert!(
        counters(&counter)[0] < counters(&removal)[0],
        "numbered lower"
    );
    receive(&mut c.doc, &counter).expect("kept: it was made concurrently");
    receive(&mut phones, &counter).expect("the phone takes it first");
    receive(&mut phones, &robins).unwrap();
    receive(&mut sams, &robins).unwrap();
    let heads = c.doc.get_heads();
    for copy in [&mut c.doc, &mut phones, &mut sams] {
        assert_eq!(copy.get_heads(), heads);
        let authority = Authority::read(copy.document()).unwrap();
        assert!(authority.may_sync(&robin), "the senior admin stands");
        assert!(!authority.may_sync(&sam), "the removal counts");
    }
}

#[test]
fn a_reader_writing_from_before_its_demotion_writes_nothing_anyone_reads() {
    let mut c = couple();
    let (robin, sam) = (c.robin.id.clone(), c.sam.id.clone());
    let before = entry(1, &c.sam, "written as a writer");
    c.sam.write(&mut c.doc, |d| schema::put_entry(d, &before));
    let mut sams = c.doc.fork();
    let demotion = c
        .robin
        .write(&mut c.doc, role(&robin, &sam, Role::Reader, 1));
    // Sam goes on writing from the branch that leaves the demotion out, and edits the entry
    // he wrote before (his own words, which stay his).
    let late = entry(2, &c.sam, "written from before the demotion");
    let mut changes = c.sam.write(&mut sams, |d| schema::put_entry(d, &late));
    let id = before.id;
    let stamp = Timestamp {
        unix_ms: 1_700_000_000_100,
        offset_secs: 0,
    };
    changes.extend(c.sam.write(&mut sams, |d| {
        schema::set_text(d, id, "edited", &sam, stamp)
    }));
    receive(&mut c.doc, &changes).expect("kept: it was made concurrently");
    receive(&mut sams, &demotion).unwrap();
    assert_eq!(sams.get_heads(), c.doc.get_heads());
    for copy in [&mut c.doc, &mut sams] {
        let authority = Authority::read(copy.document()).unwrap();
        assert_eq!(authority.standing(&sam).unwrap().role, Role::Reader);
        let void = void::void_entries(copy.document(), &authority);
        assert_eq!(
            void,
            [late.id.to_string()].into(),
            "only the entry written unaware"
        );
    }
}

#[test]
fn a_demoted_admin_removes_and_adds_no_one_from_before_its_demotion() {
    let mut c = couple();
    let (robin, sam, phone) = (c.robin.id.clone(), c.sam.id.clone(), c.phone.id.clone());
    c.robin
        .write(&mut c.doc, role(&robin, &sam, Role::Admin, 1));
    let mut sams = c.doc.fork();
    let mut phones = c.doc.fork();
    let demotion = c
        .robin
        .write(&mut c.doc, role(&robin, &sam, Role::Writer, 2));
    // Sam, not knowing (or pretending not to), removes Robin's phone and brings in Kim,
    // who writes.
    let kim = Dev::new(7, "kim");
    let mut changes = c.sam.write(&mut sams, |d| {
        revoke_member(d, &phone, 5)?;
        add_member(d, &kim.member(&kim.id, Some(Role::Admin))).map(|_| ())
    });
    let kims = entry(3, &kim, "kim, added by an admin being demoted");
    changes.extend(kim.write(&mut sams, |d| schema::put_entry(d, &kims)));
    receive(&mut phones, &changes).expect("the phone takes it before the demotion");
    receive(&mut phones, &demotion).unwrap();
    receive(&mut c.doc, &changes).expect("kept where the demotion came first, too");
    assert_eq!(phones.get_heads(), c.doc.get_heads());
    for copy in [&mut c.doc, &mut phones] {
        let authority = Authority::read(copy.document()).unwrap();
        assert!(
            authority.may_sync(&phone),
            "a demoted admin's removal counts"
        );
        assert!(authority.standing(&kim.id).is_none(), "nor its addition");
        assert!(authority.shadow(&kim.id).is_some());
        assert_eq!(authority.standing(&sam).unwrap().role, Role::Writer);
        let void = void::void_entries(copy.document(), &authority);
        assert_eq!(void, [kims.id.to_string()].into());
    }
    // Once Kim's copy holds the demotion, what Kim writes is refused.
    receive(&mut sams, &demotion).unwrap();
    let after = kim.write(&mut sams, |d| {
        schema::put_entry(d, &entry(4, &kim, "after"))
    });
    assert_eq!(
        receive(&mut c.doc, &after).map_err(|r| r.rule),
        Err(Rule::AfterRevocation)
    );
}

#[test]
fn a_change_numbered_below_what_it_depends_on_is_refused() {
    let mut c = couple();
    // Sam stars an entry of his, then renumbers that change to start at 1, below every
    // operation it depends on, and signs it: a change that would pass as older than what
    // it builds on.
    let e = entry(2, &c.sam, "mine");
    c.sam.write(&mut c.doc, |d| schema::put_entry(d, &e));
    let mut work = c.doc.fork().with_actor(c.sam.actor());
    schema::set_starred(&mut work, e.id, true).unwrap();
    work.commit();
    let mut expanded = work.get_last_local_change().unwrap().decode();
    assert!(expanded.start_op.get() > 1);
    expanded.start_op = std::num::NonZeroU64::MIN;
    let forged = automerge::Change::from(expanded);
    let key = crate::testkit::journal_key(&mut c.doc);
    let signed =
        crate::signed::sign_changes(&[forged.raw_bytes().to_vec()], &key, &c.sam.key).unwrap();
    let refusal = receive(&mut c.doc, &signed).unwrap_err();
    assert_eq!(refusal.rule, Rule::Numbering);
    assert_eq!(refusal.signer.as_deref(), Some(c.sam.id.as_str()));
}

/// `by` writes `n` entries of its own in one change on `doc`, to number what it writes next
/// above what others wrote meanwhile.
fn pad(by: &Dev, doc: &mut automerge::AutoCommit, n: u64) -> Vec<Vec<u8>> {
    by.write(doc, |d| {
        for k in 0..n {
            schema::put_entry(d, &entry(1_000 + k, by, "padding"))?;
        }
        Ok(())
    })
}

/// The entry under `id` as the entries of `doc` are read, map by map.
fn read_as_voided(doc: &mut automerge::AutoCommit, id: EntryId) -> Option<Entry> {
    let authority = Authority::read(doc.document()).unwrap();
    let voided = void::read_entries_by_map(doc.document(), &authority);
    let key = id.to_string();
    if voided.hidden.contains(&key) {
        return None;
    }
    let obj = match voided.beneath.get(&key) {
        Some(obj) => obj.clone(),
        None => schema::entry_obj(doc.document(), id).unwrap()?,
    };
    Some(schema::read_entry(doc.document(), &key, &obj).unwrap())
}

#[test]
fn writing_under_an_earlier_persons_entry_id_hides_nothing() {
    let mut c = couple();
    let mut sams = c.doc.fork();
    let robins = entry(1, &c.robin, "robin's own words");
    let written = c.robin.write(&mut c.doc, |d| schema::put_entry(d, &robins));
    // Sam, from a branch that leaves Robin's entry out, makes an entry of his own under its
    // id, numbered above it, so that Automerge reads his map under that id.
    let mut changes = pad(&c.sam, &mut sams, 30);
    let mut imposter = entry(1, &c.sam, "sam's words under robin's id");
    imposter.id = robins.id;
    changes.extend(c.sam.write(&mut sams, |d| schema::put_entry(d, &imposter)));
    receive(&mut c.doc, &changes).expect("his own entry, as far as the rules can see");
    receive(&mut sams, &written).unwrap();
    for copy in [&mut c.doc, &mut sams] {
        let naive = schema::entry_obj(copy.document(), robins.id)
            .unwrap()
            .unwrap();
        let naive = schema::read_entry(copy.document(), &robins.id.to_string(), &naive).unwrap();
        assert_eq!(
            naive.device, c.sam.id,
            "Automerge reads Sam's map under the id"
        );
        let read = read_as_voided(copy, robins.id).unwrap();
        assert_eq!(
            (read.device, read.text),
            (c.robin.id.clone(), robins.text.clone())
        );
    }
}

#[test]
fn a_void_map_under_an_entry_id_is_never_read() {
    let mut c = couple();
    let (robin, sam, phone) = (c.robin.id.clone(), c.sam.id.clone(), c.phone.id.clone());
    // Sam is an admin; Robin retires his phone, which, not knowing, writes under the id of
    // an entry of Sam's from a branch that leaves that entry out. Robin's person joined
    // first, so only the phone's revocation keeps its map from being read.
    c.robin
        .write(&mut c.doc, role(&robin, &sam, Role::Admin, 1));
    let mut phones = c.doc.fork();
    let sams = entry(2, &c.sam, "sam's words");
    let mut changes = c.sam.write(&mut c.doc, |d| schema::put_entry(d, &sams));
    changes.extend(
        c.robin
            .write(&mut c.doc, |d| revoke_member(d, &phone, 5).map(|_| ())),
    );
    let mut theirs = pad(&c.phone, &mut phones, 30);
    let mut imposter = entry(2, &c.phone, "written under sam's id");
    imposter.id = sams.id;
    theirs.extend(
        c.phone
            .write(&mut phones, |d| schema::put_entry(d, &imposter)),
    );
    receive(&mut c.doc, &theirs).expect("kept: made concurrently with the revocation");
    let read = read_as_voided(&mut c.doc, sams.id).unwrap();
    assert_eq!((read.device, read.text), (sam.clone(), sams.text.clone()));
    // And an id only the void change used is read by no one.
    let authority = Authority::read(c.doc.document()).unwrap();
    let voided = void::read_entries_by_map(c.doc.document(), &authority);
    assert_eq!(voided.hidden.len(), 30, "the padding, made void");
    let _ = changes;
}

#[test]
fn statements_go_into_the_record_that_gives_the_standing() {
    let mut c = couple();
    let (robin, phone) = (c.robin.id.clone(), c.phone.id.clone());
    // Robin adds Kim and retires his phone, which, not knowing either, writes a record of
    // its own under Kim's id from its branch, numbered above Kim's record, so that
    // Automerge reads that one there.
    let mut phones = c.doc.fork();
    let kim = Dev::new(7, "kim");
    let kims = kim.member(&kim.id, None);
    c.robin.write(&mut c.doc, |d| {
        add_member(d, &kims)?;
        revoke_member(d, &phone, 5).map(|_| ())
    });
    let mut theirs = pad(&c.phone, &mut phones, 30);
    let fake = kim.member(&kim.id, Some(Role::Admin));
    theirs.extend(
        c.phone
            .write(&mut phones, |d| add_member(d, &fake).map(|_| ())),
    );
    receive(&mut c.doc, &theirs).expect("kept: made concurrently with the revocation");
    let members = crate::members::map_at(&c.doc, "members").unwrap();
    let (_, read) = c.doc.get(&members, kim.id.as_str()).unwrap().unwrap();
    assert_eq!(
        OpRef::of(&read).unwrap().device(),
        Some(phone.clone()),
        "Automerge reads the phone's"
    );
    // Robin then removes Kim: the revocation lands in Kim's own record, and counts.
    let removal = c.robin.write(&mut c.doc, |d| {
        crate::members::remove_person(d, &robin, &kim.id, 9)
            .map(|_| ())
            .map_err(|e| match e {
                crate::members::RemovalError::Schema(s) => s,
                other => panic!("{other}"),
            })
    });
    assert!(!removal.is_empty());
    let authority = Authority::read(c.doc.document()).unwrap();
    assert!(!authority.may_sync(&kim.id), "the removal counts");
    assert_eq!(authority.standing(&kim.id).unwrap().role, Role::Writer);
}

#[test]
fn of_two_admins_giving_one_person_roles_concurrently_the_senior_stands() {
    let mut c = couple();
    let (robin, sam, reader) = (c.robin.id.clone(), c.sam.id.clone(), c.reader.id.clone());
    c.robin
        .write(&mut c.doc, role(&robin, &sam, Role::Admin, 1));
    let mut sams = c.doc.fork();
    let robins = c
        .robin
        .write(&mut c.doc, role(&robin, &reader, Role::Writer, 2));
    let theirs = c.sam.write(&mut sams, role(&sam, &reader, Role::Admin, 3));
    receive(&mut c.doc, &theirs).unwrap();
    receive(&mut sams, &robins).unwrap();
    for copy in [&mut c.doc, &mut sams] {
        let authority = Authority::read(copy.document()).unwrap();
        assert_eq!(authority.standing(&reader).unwrap().role, Role::Writer);
    }
}

#[test]
fn a_device_added_by_a_device_without_standing_is_void_all_the_way_down() {
    let mut c = couple();
    let (robin, sam) = (c.robin.id.clone(), c.sam.id.clone());
    c.robin
        .write(&mut c.doc, role(&robin, &sam, Role::Admin, 1));
    let mut sams = c.doc.fork();
    let mut phones = c.doc.fork();
    let removal = c
        .robin
        .write(&mut c.doc, |d| revoke_member(d, &sam, 4).map(|_| ()));
    // Sam, not knowing, adds Kim; Kim adds her phone, which writes.
    let (kim, kims_phone) = (Dev::new(7, "kim"), Dev::new(8, "kim-phone"));
    let mut changes = c.sam.write(&mut sams, |d| {
        add_member(d, &kim.member(&kim.id, None)).map(|_| ())
    });
    let phone_record = kims_phone.member(&kim.id, None);
    changes.extend(kim.write(&mut sams, |d| add_member(d, &phone_record).map(|_| ())));
    let written = entry(9, &kims_phone, "two levels down");
    changes.extend(kims_phone.write(&mut sams, |d| schema::put_entry(d, &written)));
    receive(&mut phones, &changes).expect("Robin's phone does not know yet");
    receive(&mut phones, &removal).expect("then it hears");
    receive(&mut c.doc, &changes).expect("kept where the removal came first, too");
    assert_eq!(phones.get_heads(), c.doc.get_heads());
    for copy in [&mut c.doc, &mut phones] {
        let authority = Authority::read(copy.document()).unwrap();
        for d in [&kim, &kims_phone] {
            assert!(authority.standing(&d.id).is_none(), "{}", d.name);
            assert!(authority.shadow(&d.id).is_some(), "{}", d.name);
        }
        let void = void::void_entries(copy.document(), &authority);
        assert_eq!(void, [written.id.to_string()].into());
    }
    // Once Kim's phone's copy holds the removal, what it writes is refused.
    receive(&mut sams, &removal).unwrap();
    let after = kims_phone.write(&mut sams, |d| {
        schema::put_entry(d, &entry(10, &kims_phone, "after"))
    });
    assert_eq!(
        receive(&mut c.doc, &after).map_err(|r| r.rule),
        Err(Rule::AfterRevocation)
    );
}
