//! Random honest histories are accepted everywhere and converge.
//!
//! For each of [`SEEDS`] seeds, a small PRNG plays out a history of a journal among three
//! people with two devices each, every device holding its own copy. The first person's
//! first device creates it; an admin adds each other person (with a role drawn up front, at
//! least one a writer), and each person adds their own second device, at random points of
//! the history. A device acts only once it holds the journal with its own record in it.
//! Devices write entries, edit, star and delete their own person's, leave or retire their
//! person's other device; admins remove other people's devices. In between, random pairs
//! of devices sync, so changes also travel through third devices. Every delivery goes
//! through what an honest device runs on what a session brings (signatures, validation,
//! [`check_changes`]) and must be accepted. At the end every device still in the journal
//! holds the same heads, entries and members, and they are the ones the history made.
//!
//! Revocations race with entries: a revoked device goes on writing, editing and deleting
//! until it hears of its revocation (which honest devices never tell it directly), and
//! devices that have not heard of it yet relay what it wrote to devices that have. The
//! entries it made outside the past of its revocation are void on every device, and the
//! check compares the entries read with that taken out ([`super::void::void_entries`]).
//!
//! Admins also change people's roles; a writer made a reader goes on writing until it hears.
//! What it wrote before it heard is judged by the role it had then, everywhere alike, and
//! the entries it made concurrently with the demotion are void on every device.
//!
//! In these histories membership changes do not race each other: a device adds, revokes or
//! changes a role only when its copy holds every member record, revocation and role change
//! made so far, and a revoked device does none of these, so that the history's own record
//! of who is in, and with which role, is an oracle the copies are checked against. A second
//! test lets them race (a device acts on whatever its copy holds): there the history is no
//! oracle, and the check is that every delivery is accepted and that the copies of every
//! device with a standing at the end read the same heads, entries, members and standings.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit, Change, ChangeHash};

use super::check_changes;
use crate::authority::{Authority, Ending, Role, Standing};
use crate::entry::{Entry, EntryId, Timestamp};
use crate::members::{self, Member};
use crate::schema::{self, JournalKind, JournalMeta, SchemaError};
use crate::signed::{self, JournalKey};
use crate::testkit::{Dev, journal_key};
use crate::validate::{self, Baseline};

mod steps;

const SEEDS: u64 = 60;
const STEPS: u64 = 64;
/// Revoked devices per history, none in its first third (so that people have joined).
const MAX_REVOKED: usize = 3;
/// Devices still in after any revocation.
const MIN_ACTIVE: usize = 3;
const T0: i64 = 1_700_000_000_000;
const NAMES: [&str; 6] = ["ann", "ann-phone", "bo", "bo-phone", "cy", "cy-phone"];

/// splitmix64.
#[derive(Default)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        let n = items.len() as u64;
        (n > 0).then(|| items[(self.next() % n) as usize].clone())
    }
}

/// Device `i` is person `i / 2`'s, whose id is the id of that person's first device.
struct Device {
    dev: Dev,
    doc: Option<AutoCommit>,
    /// Who is in, as its copy has it (read again whenever the copy changes).
    view: Option<Authority>,
    /// Its record has been written.
    added: bool,
    /// It has been revoked (it may not know yet, and go on writing entries).
    revoked: bool,
}

#[derive(Default)]
struct History {
    seed: u64,
    /// Membership changes race each other: a device adds, revokes and changes roles from
    /// whatever its copy holds. The history's own record of who should be in is then no
    /// oracle; the copies must still accept everything and agree.
    racing: bool,
    step: u64,
    rng: Rng,
    /// The journal's key, as its creation set it.
    key: JournalKey,
    devices: Vec<Device>,
    /// Each person's role, drawn up front.
    roles: Vec<Role>,
    /// Every entry written, with its writer and every text it was given.
    written: BTreeMap<EntryId, (usize, BTreeSet<String>)>,
    /// Every entry deleted, with the changes that deleted it (a revoked device's deletion
    /// may never leave it).
    deleted: BTreeMap<EntryId, Vec<ChangeHash>>,
    /// How each revoked device ended.
    endings: BTreeMap<String, Ending>,
    /// For each revoked device, the entries it made that its revocation had seen.
    seen_by_revocation: BTreeMap<usize, BTreeSet<EntryId>>,
    /// Each demotion to reader: the person, the change that made it, the entries its
    /// writer's copy held.
    demotions: Vec<(usize, ChangeHash, BTreeSet<EntryId>)>,
    /// For each entry, the demotions of its writer's person that its writer's copy did not
    /// hold when writing it.
    unknowing: BTreeMap<EntryId, Vec<usize>>,
    counts: BTreeMap<&'static str, usize>,
}

impl History {
    fn new(seed: u64) -> History {
        let mut rng = Rng(seed);
        let devices = (0..NAMES.len())
            .map(|i| Device {
                // Keys (and so the order of devices' ids) differ from seed to seed.
                dev: Dev::new(((seed * 6 + i as u64) % 250 + 1) as u8, NAMES[i]),
                doc: None,
                view: None,
                added: i == 0,
                revoked: false,
            })
            .collect();
        let all = [Role::Admin, Role::Writer, Role::Reader];
        let mut roles: Vec<Role> = (0..3).map(|_| rng.pick(&all).unwrap()).collect();
        roles[0] = Role::Admin;
        roles[1 + (rng.next() % 2) as usize] = Role::Writer;
        let mut h = History {
            seed,
            rng,
            devices,
            roles,
            ..History::default()
        };
        let creator = h.devices[0].dev.member(&h.id(0), Some(Role::Admin));
        h.devices[0].doc = Some(schema::new_document(ActorId::random()).unwrap());
        h.write(0, |d| {
            let meta = JournalMeta {
                name: "us".into(),
                kind: JournalKind::Shared,
                created_ms: T0,
            };
            schema::set_meta(d, &meta)?;
            members::set_created_key(d, &creator.device, [7; 16])?;
            members::add_member(d, &creator).map(|_| ())
        });
        h.reread(0);
        h
    }

    fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    fn id(&self, i: usize) -> String {
        self.devices[i].dev.id.clone()
    }

    fn now(&self) -> i64 {
        T0 + self.step as i64
    }

    /// Runs `f` on device `i`'s copy as that device and signs what it wrote, as `Dev::write`
    /// does but with one actor per device (one process), so that a seed replays exactly.
    /// A write that changes who is in is followed by [`Self::reread`].
    fn write(&mut self, i: usize, f: impl FnOnce(&mut AutoCommit) -> Result<(), SchemaError>) {
        let device = &mut self.devices[i];
        let actor = signed::device_actor(&device.dev.key.verifying_key().to_bytes(), [7; 16]);
        let doc = device.doc.as_mut().unwrap();
        let before = doc.get_heads();
        let mut work = doc.fork().with_actor(actor);
        f(&mut work).unwrap();
        work.commit();
        self.key = journal_key(&mut work);
        let new: Vec<Vec<u8>> = work.get_changes(&before).iter().map(raw).collect();
        for chunk in signed::sign_changes(&new, &self.key, &device.dev.key).unwrap() {
            doc.load_incremental(&chunk).unwrap();
        }
    }

    fn reread(&mut self, i: usize) {
        let doc = self.devices[i].doc.as_mut().unwrap();
        self.devices[i].view = Some(members::authority(doc).unwrap());
    }

    /// Device `i`'s role, if it may act as far as it knows: its copy holds its own record,
    /// and no revocation of it. (The role is the one its copy knows of.)
    fn acting(&self, i: usize) -> Option<Role> {
        let device = &self.devices[i];
        let view = device.view.as_ref()?;
        let standing = view.standing(&device.dev.id).filter(|s| s.is_active())?;
        Some(standing.role)
    }

    fn actors(&self, may: impl Fn(Role) -> bool) -> Vec<usize> {
        (0..NAMES.len())
            .filter(|&i| self.acting(i).is_some_and(&may))
            .collect()
    }

    /// Devices that may change who is in: not revoked, and holding every member record and
    /// every revocation made so far (so that membership changes do not race each other).
    fn membership_actors(&self) -> Vec<usize> {
        self.actors(|_| true)
            .into_iter()
            .filter(|&i| !self.devices[i].revoked && (self.racing || self.knows_all(i)))
            .collect()
    }

    /// Whether device `i`'s copy holds every member record, revocation and role change made
    /// so far.
    fn knows_all(&self, i: usize) -> bool {
        let view = self.devices[i].view.as_ref().unwrap();
        (0..NAMES.len())
            .filter(|&d| self.devices[d].added)
            .all(|d| {
                view.standing(&self.id(d)).is_some_and(|s| {
                    s.is_active() != self.devices[d].revoked && s.role == self.roles[d / 2]
                })
            })
    }

    /// Counts a membership change by device `i` that races another.
    fn count_race(&mut self, i: usize) {
        if !self.knows_all(i) {
            self.count("a membership change made not knowing an earlier one");
        }
    }

    fn in_journal(&self) -> Vec<usize> {
        (0..NAMES.len())
            .filter(|&i| self.devices[i].added && !self.devices[i].revoked)
            .collect()
    }

    /// The devices that end with a standing: as the history recorded them or, when
    /// membership changes raced, as everything any copy holds reads them.
    fn standing_at_end(&self) -> Vec<usize> {
        if !self.racing {
            return self.in_journal();
        }
        let mut all: Option<AutoCommit> = None;
        for d in &self.devices {
            let Some(doc) = d.doc.as_ref() else { continue };
            match all.as_mut() {
                None => all = Some(doc.clone()),
                Some(a) => {
                    a.merge(&mut doc.clone()).unwrap();
                }
            }
        }
        let Some(mut all) = all else {
            return Vec::new();
        };
        let view = members::authority(&mut all).unwrap();
        (0..NAMES.len())
            .filter(|&i| self.devices[i].doc.is_some() && view.may_sync(&self.id(i)))
            .collect()
    }

    /// Whether `from` syncs with `to`, as honest devices decide: `from`'s copy has both in,
    /// and `to`'s copy (if it has one yet) does not have `from` out.
    fn syncs(&self, from: usize, to: usize) -> bool {
        let (from_id, to_id) = (self.id(from), self.id(to));
        let view = |i: usize| self.devices[i].view.as_ref();
        let out = |s: &Standing| !s.is_active();
        from != to
            && view(from).is_some_and(|v| v.may_sync(&from_id) && v.may_sync(&to_id))
            && !view(to).is_some_and(|v| v.standing(&from_id).is_some_and(out))
    }

    /// Delivers to `to` everything `from` has that it lacks; whether anything moved.
    fn deliver(&mut self, from: usize, to: usize) -> bool {
        let from_id = self.id(from);
        let signer = |c: &Change| signed::actor_device(c.actor_id().to_bytes()).map(hex::encode);
        let out = |s: &Standing| !s.is_active();
        let fresh = || schema::new_document(ActorId::random()).unwrap();
        let mut doc = self.devices[to].doc.take().unwrap_or_else(fresh);
        let view = self.devices[to].view.clone();
        let known_out = |c: &Change| {
            let standing = |d: String| view.as_ref().and_then(|v| v.standing(&d).cloned());
            signer(c).and_then(standing).is_some_and(|s| out(&s))
        };
        let source = self.devices[from].doc.as_mut().unwrap();
        let heads = doc.get_heads();
        if heads == source.get_heads() {
            self.devices[to].doc = Some(doc);
            return false;
        }
        let changes = doc.get_changes_added(source);

        let void = changes.iter().any(known_out);
        let concurrent = heads.iter().any(|h| source.get_change_by_hash(h).is_none());
        let relayed = changes.iter().any(|c| signer(c) != Some(from_id.clone()));
        if !changes.is_empty() {
            let view = accept(&mut doc, &changes, &self.key).unwrap_or_else(|why| {
                let (seed, step, from, to) = (self.seed, self.step, NAMES[from], NAMES[to]);
                panic!("seed {seed}, step {step}: {to} refused what {from} sent: {why}")
            });
            self.devices[to].view = Some(view);
            self.count("delivery");
            if concurrent {
                self.count("delivery merging concurrent changes");
            }
            if relayed {
                self.count("delivery relaying a third device's changes");
            }
            if void {
                self.count("delivery of a revoked device's change to a device that knows");
            }
        }
        self.devices[to].doc = Some(doc);
        !changes.is_empty()
    }

    /// Syncs every pair that syncs until nothing moves; then everyone in has everything.
    fn mesh(&mut self) {
        let n = NAMES.len();
        let mut moved = true;
        while moved {
            moved = false;
            for k in 0..n * n {
                moved |= self.syncs(k / n, k % n) && self.deliver(k / n, k % n);
            }
        }
        let mut heads: BTreeSet<Vec<ChangeHash>> = BTreeSet::new();
        for i in self.standing_at_end() {
            heads.insert(self.devices[i].doc.as_mut().unwrap().get_heads());
        }
        let (seed, step) = (self.seed, self.step);
        assert_eq!(heads.len(), 1, "seed {seed}, step {step}: copies differ");
    }

    fn random_delivery(&mut self) {
        let n = NAMES.len();
        let pairs: Vec<usize> = (0..n * n).filter(|k| self.syncs(k / n, k % n)).collect();
        if let Some(k) = self.rng.pick(&pairs)
            && !self.deliver(k / n, k % n)
        {
            self.count("delivery with nothing to bring");
        }
    }

    fn run(&mut self) {
        for step in 1..=STEPS {
            self.step = step;
            let done = match self.rng.next() % 100 {
                0..25 => self.write_entry(),
                25..45 => self.change_own_entry(),
                45..57 => self.add(),
                57..63 => self.revoke(),
                63..67 => self.change_role(),
                _ => false,
            };
            if !done {
                self.random_delivery();
            }
        }
        self.step = STEPS + 1;
        self.mesh();
    }

    /// What device `i`'s copy reads: heads, entries, members, standings. Honest histories
    /// leave no malformed entry and no member record without a standing.
    fn reading(&mut self, i: usize) -> Reading {
        let seed = self.seed;
        let doc = self.devices[i].doc.as_mut().unwrap();
        let authority = members::authority(doc).unwrap();
        let mut entries = schema::read_entries(doc).unwrap();
        let void = super::void::void_entries(doc.document(), &authority);
        entries
            .entries
            .retain(|e| !void.contains(&e.id.to_string()));
        let clean = (self.racing || authority.void.is_empty()) && entries.malformed.is_empty();
        assert!(clean, "seed {seed}: {:?} {entries:?}", authority.void);
        let row = |s: &Standing| (s.device.clone(), s.person.clone(), s.role, s.ended.clone());
        let standings = authority.devices().map(row).collect();
        let members = members::read_members(doc.document()).unwrap();
        (doc.get_heads(), entries.entries, members, standings)
    }

    /// Checks that every device in holds the same, and that it is what the history made.
    fn check(&mut self) {
        let seed = self.seed;
        let inside = self.standing_at_end();
        let first = self.reading(inside[0]);
        for &i in &inside[1..] {
            assert_eq!(self.reading(i), first, "seed {seed}: {} differs", NAMES[i]);
        }
        if self.racing {
            return;
        }
        let (_, entries, _, standings) = &first;
        let mut expected: Vec<Row> = (0..NAMES.len())
            .filter(|&i| self.devices[i].added)
            .map(|i| {
                let (device, person) = (self.id(i), self.id(i / 2 * 2));
                let ended = self.endings.get(&device).cloned();
                (device, person, self.roles[i / 2], ended)
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(standings, &expected, "seed {seed}: standings");
        // An entry a revoked device made that its revocation had not seen is void.
        let void = |id: &EntryId| {
            let (writer, _) = &self.written[id];
            let seen = self.seen_by_revocation.get(writer);
            seen.is_some_and(|seen| !seen.contains(id))
        };
        let doc = self.devices[inside[0]].doc.as_mut().unwrap().document();
        let held: BTreeSet<ChangeHash> = doc.get_changes_meta(&[]).iter().map(|m| m.hash).collect();
        let deleted = |id: &EntryId| {
            let by = self.deleted.get(id).map(Vec::as_slice).unwrap_or_default();
            by.iter().any(|h| held.contains(h))
        };
        let voided = self.written.keys().filter(|id| void(id)).count();
        *self
            .counts
            .entry("entry void: made concurrently with its maker's revocation")
            .or_default() += voided;
        // So is one a person made concurrently with being made a reader.
        let demoted = |id: &EntryId| {
            let unknowing = self
                .unknowing
                .get(id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            unknowing.iter().any(|&k| !self.demotions[k].2.contains(id))
        };
        let voided = self.written.keys().filter(|id| demoted(id)).count();
        *self
            .counts
            .entry("entry void: made concurrently with its person's demotion")
            .or_default() += voided;
        let void = |id: &EntryId| void(id) || demoted(id);
        let live = (self.written.keys())
            .filter(|id| !deleted(id) && !void(id))
            .copied()
            .collect::<Vec<_>>();
        let live = live.iter();
        let read = entries.iter().map(|e| &e.id);
        let (live, read): (Vec<_>, Vec<_>) = (live.collect(), read.collect());
        assert_eq!(live, read, "seed {seed}: live entries");
        for e in entries {
            let (writer, texts) = &self.written[&e.id];
            let ok = e.device == self.id(*writer) && texts.contains(&e.text);
            assert!(ok, "seed {seed}: entry {} as written", e.id);
            if !e.conflicts.is_empty() {
                self.count("entry left with concurrent texts");
            }
        }
    }
}

/// A device's standing: its id, its person, their role, how it ended.
type Row = (String, String, Role, Option<Ending>);

type Reading = (Vec<ChangeHash>, Vec<Entry>, Vec<Member>, Vec<Row>);

fn stamp(unix_ms: i64) -> Timestamp {
    Timestamp {
        unix_ms,
        offset_secs: 0,
    }
}

fn raw(change: &Change) -> Vec<u8> {
    change.raw_bytes().to_vec()
}

/// What an honest device does with changes a session brought: checks their signatures,
/// applies them to a scratch copy, validates it and checks each change against the rules;
/// keeps the copy only if all pass. Returns who is in, as the new copy has it.
fn accept(doc: &mut AutoCommit, changes: &[Change], key: &JournalKey) -> Result<Authority, String> {
    for c in changes {
        signed::verify_change(c.raw_bytes(), key).map_err(|e| format!("signature: {e}"))?;
    }
    let baseline = Baseline::of(doc.document(), BTreeSet::new());
    let mut copy = doc.fork();
    let start = copy.get_heads();
    copy.apply_changes(changes.iter().cloned())
        .map_err(|e| format!("automerge: {e}"))?;
    validate::check_journal(copy.document(), &baseline).map_err(|v| format!("validation: {v}"))?;
    let received = copy.get_changes(&start);
    let authority = members::authority(&mut copy).map_err(|e| e.to_string())?;
    check_changes(copy.document(), &authority, &received).map_err(|r| {
        let why = r.signer.as_ref().and_then(|s| authority.void.get(s));
        format!("{r} ({:?}; its record: {why:?})", r.rule)
    })?;
    *doc = copy;
    Ok(authority)
}

#[test]
fn random_histories_with_racing_membership_changes_are_accepted_and_converge() {
    let mut races = 0;
    for seed in 0..SEEDS {
        let mut history = History::new(seed);
        history.racing = true;
        history.run();
        history.check();
        let raced = history
            .counts
            .get("a membership change made not knowing an earlier one");
        races += raced.copied().unwrap_or(0);
    }
    assert!(
        races >= 80,
        "{races} racing membership changes in {SEEDS} seeds"
    );
}

#[test]
fn random_honest_histories_are_accepted_and_converge() {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for seed in 0..SEEDS {
        let mut history = History::new(seed);
        history.run();
        history.check();
        for (what, n) in history.counts {
            *counts.entry(what).or_default() += n;
        }
    }
    // Not vacuous: every kind of step happened, changes were concurrent and relayed.
    let at_least = [
        ("write an entry", 500),
        ("edit an own entry", 200),
        ("star or unstar an own entry", 100),
        ("delete an own entry", 70),
        ("an admin adds a reader", 4),
        ("an admin adds a writer or admin", 40),
        ("a person adds their own device", 80),
        ("a device leaves", 15),
        ("a device retires its person's other device", 12),
        ("an admin removes a device", 4),
        ("an admin removes a person", 4),
        ("an admin changes a person's role", 40),
        ("a device made a reader writes an entry, not knowing", 10),
        ("delivery merging concurrent changes", 300),
        ("delivery relaying a third device's changes", 250),
        ("a revoked device writes an entry, not knowing", 20),
        (
            "delivery of a revoked device's change to a device that knows",
            15,
        ),
        (
            "entry void: made concurrently with its maker's revocation",
            35,
        ),
        (
            "entry void: made concurrently with its person's demotion",
            5,
        ),
        ("entry left with concurrent texts", 1),
    ];
    for (what, least) in at_least {
        let n = counts.get(what).copied().unwrap_or(0);
        assert!(n >= least, "{n} times `{what}` in {SEEDS} seeds");
    }
}
