//! A hostile member, tried against real `haven` processes: a partner (or a partner's lost
//! or compromised device) who is a legitimate member of a shared journal writes arbitrary
//! Automerge operations into its own copy, crafts what no honest client sends, and delivers
//! it over the real protocol. One test per way in; after each, the victim is checked: its
//! private journal never reached the attacker, its personal journal is untouched, nothing
//! from the hostile session was kept, its daemon still serves its honest devices, its memory
//! stayed bounded, and `journal list`, `list`, `sync`, `insights` and `doctor` all work.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use common::hostile::{self, Member, Victim};
use common::{Device, Running, pair};
use haven_model::{Entry, EntryId, Timestamp, schema};
use haven_sync::message::SyncMessage;
use serde_bytes::ByteBuf;
use serde_json::Value;

/// Distinct loopback ports for every device of every test in this run.
fn ports(n: u16) -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 30_000 + (std::process::id() % 600) as u16 * 40;
    base + NEXT.fetch_add(n, Ordering::SeqCst)
}

const PRIVATE: &str = "robin private: the letter I never sent";

/// The victim's world: Robin's laptop (running its daemon) and desktop, and Sam's phone,
/// sharing `us`.
struct Scene {
    robin: Device,
    desktop: Device,
    sam: Device,
    daemon: Running,
    log: PathBuf,
    personal_id: String,
    us_before: std::cell::RefCell<Vec<String>>,
    us_chunks: std::cell::RefCell<BTreeSet<String>>,
    idle_mib: u64,
    /// What the personal journal holds: the private entry, and the desktop's notes.
    personal: std::cell::RefCell<Vec<String>>,
}

fn chunks_of(d: &Device, alias: &str) -> BTreeSet<String> {
    let vault = haven_store::Vault::open(&d.h.home).unwrap();
    let keys = vault
        .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
        .unwrap();
    let store = vault.find_journal(&keys, alias).unwrap();
    store.chunk_names().unwrap().into_iter().collect()
}

fn personal_id(d: &Device) -> String {
    haven_store::Vault::open(&d.h.home)
        .unwrap()
        .config()
        .personal_journal
        .clone()
}

fn scene() -> Scene {
    let base = ports(4);
    let robin = Device::new("laptop", "Robin", base);
    let desktop = Device::new("desktop", "Robin", base + 1);
    let sam = Device::new("phone", "Sam", base + 2);
    robin.ok(&["write", PRIVATE]);
    pair(&robin, &desktop, &["invite", "--expires", "5m"]);
    robin.ok(&["journal", "new", "us"]);
    robin.ok(&["--journal", "us", "write", "robin in us"]);
    pair(&robin, &sam, &["share", "us", "--expires", "5m"]);
    sam.ok(&["--journal", "us", "write", "sam in us"]);
    let log = robin.h.scratch().join("daemon.log");
    let daemon = robin.daemon_logged(&["--for", "300s", "--pull-every", "3600"], &log);
    sam.ok(&["sync"]);
    desktop.ok(&["sync"]);
    let pid = daemon.0.id();
    // Let the daemon settle, then take its idle footprint.
    std::thread::sleep(Duration::from_millis(300));
    let idle_mib = hostile::rss_mib(pid);
    hostile::reset_peak(pid);
    Scene {
        personal_id: personal_id(&robin),
        us_before: std::cell::RefCell::new(robin.texts(Some("us"))),
        us_chunks: std::cell::RefCell::new(chunks_of(&robin, "us")),
        robin,
        desktop,
        sam,
        daemon,
        log,
        idle_mib,
        personal: std::cell::RefCell::new(vec![PRIVATE.to_string()]),
    }
}

impl Scene {
    fn victim(&self) -> Victim {
        Victim::of(&self.robin)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Every check on the victim after an attack named `what`, which sent nothing the
    /// victim may keep. Prints the daemon's peak memory for the benchmark table.
    fn assert_unharmed(&self, what: &str) {
        assert_eq!(
            self.robin.texts(Some("us")),
            *self.us_before.borrow(),
            "{what}: {}",
            self.logged()
        );
        assert_eq!(
            chunks_of(&self.robin, "us"),
            *self.us_chunks.borrow(),
            "{what}"
        );
        self.assert_serving(what);
    }

    /// The checks that hold after any attack, also one whose changes were acceptable.
    fn assert_serving(&self, what: &str) {
        let pid = self.daemon.0.id();
        let peak = hostile::peak_mib(pid);
        eprintln!(
            "memory: {what}: idle {} MiB, peak {peak} MiB",
            self.idle_mib
        );
        assert!(
            peak <= self.idle_mib + 200,
            "{what}: the daemon's memory went from {} to {peak} MiB",
            self.idle_mib
        );
        // The private journal never reached the attacker.
        let rt = Self::runtime();
        let attacker = rt.block_on(Member::open(&self.sam, None));
        assert!(
            !attacker.all_texts().iter().any(|t| t == PRIVATE),
            "{what}: the private journal reached the attacker"
        );
        drop(attacker);
        // The personal journal is untouched.
        assert_eq!(personal_id(&self.robin), self.personal_id, "{what}");
        let mut expected = self.personal.borrow().clone();
        expected.sort();
        assert_eq!(self.robin.texts(None), expected, "{what}");
        // The daemon still serves the victim's own devices.
        let note = format!("desktop after {what}");
        self.desktop.ok(&["write", &note]);
        let synced: Value = serde_json::from_str(&self.desktop.ok(&["sync", "--json"])).unwrap();
        let laptop = synced["peers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str().unwrap_or("").starts_with("laptop"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(laptop["status"], "synced", "{what}: {synced}");
        let wait = Instant::now();
        while !self.robin.texts(None).contains(&note) {
            assert!(
                wait.elapsed() < Duration::from_secs(10),
                "{what}: never arrived"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.personal.borrow_mut().push(note);
        // Everyday commands keep working.
        for args in [
            &["journal", "list"][..],
            &["list"],
            &["--journal", "us", "list"],
            &["insights"],
        ] {
            self.robin.ok(args);
        }
        let doctor = self.robin.ok(&["doctor"]);
        assert!(doctor.contains("healthy"), "{what}: {doctor}");
        // The next attack measures its own peak, and compares with what is there now
        // (the desktop's honest sync may have written to `us`).
        *self.us_before.borrow_mut() = self.robin.texts(Some("us"));
        *self.us_chunks.borrow_mut() = chunks_of(&self.robin, "us");
        hostile::reset_peak(pid);
    }

    /// Attacks with a copy of `us` changed by `f`, delivered by the real session; returns
    /// the victim's answer.
    fn push_changed(&self, f: impl FnOnce(&mut AutoCommit)) -> Result<(), String> {
        let rt = Self::runtime();
        rt.block_on(async {
            let attacker = Member::open(&self.sam, None).await;
            let (key, mut doc) = attacker.copy("us");
            let (base, before) = (doc.clone(), doc.get_heads());
            f(&mut doc);
            doc.commit();
            // Signed by the partner's device, as a member's own changes are: what it may
            // not do is refused for what it does.
            let doc = haven_store::journal::signed_since(base, doc, &before, &attacker.keys)
                .expect("signed");
            attacker.push(self.victim(), key, doc).await
        })
    }

    /// Sends raw rounds for `us`; returns the victim's refusal.
    fn send_rounds(&self, messages: Vec<SyncMessage>) -> Result<String, String> {
        let rt = Self::runtime();
        rt.block_on(async {
            let attacker = Member::open(&self.sam, None).await;
            let (key, _) = attacker.copy("us");
            attacker.rounds(self.victim(), key, messages).await
        })
    }

    fn logged(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn entry(n: u64, text: &str) -> Entry {
    Entry::note(
        EntryId::from_parts(1_800_000_000_000 + n, u128::from(n) + 77),
        Timestamp {
            unix_ms: 1_800_000_000_000 + n as i64,
            offset_secs: 0,
        },
        String::new(),
        text.into(),
    )
}

/// Sam's device id, as the journal lists it: what an entry Sam's device writes names.
fn sams_device(doc: &AutoCommit) -> String {
    let members = doc.get(ROOT, "members").unwrap().unwrap().1;
    doc.map_range(&members, ..)
        .find(|m| {
            doc.get(m.id(), "person")
                .ok()
                .flatten()
                .and_then(|(v, _)| v.into_string().ok())
                .as_deref()
                == Some("Sam")
        })
        .map(|m| m.key.to_string())
        .unwrap()
}

fn meta_of(doc: &AutoCommit) -> automerge::ObjId {
    doc.get(ROOT, "meta").unwrap().unwrap().1
}

/// A change chunk around `body` with Automerge's header and a correct checksum.
fn change_chunk(body: &[u8]) -> Vec<u8> {
    let mut chunk = hostile::chunk(1, body);
    let hash = haven_model::inspect::chunk_hash(&chunk).unwrap();
    chunk[4..8].copy_from_slice(&hash[..4]);
    chunk
}

fn leb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A change whose action column claims 2^40 operations in six bytes.
fn run_length_bomb() -> Vec<u8> {
    let mut body = Vec::new();
    leb(&mut body, 0); // deps
    leb(&mut body, 16);
    body.extend_from_slice(&[7; 16]); // actor
    leb(&mut body, 1); // seq
    leb(&mut body, 1); // start op
    body.push(0); // time
    leb(&mut body, 0); // message
    leb(&mut body, 0); // other actors
    let mut action = Vec::new();
    // A signed run length of 2^40, then the value 1 (put).
    let mut n: i64 = 1 << 40;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        let done = n == 0 && b & 0x40 == 0;
        action.push(if done { b } else { b | 0x80 });
        if done {
            break;
        }
    }
    action.push(1);
    leb(&mut body, 1);
    leb(&mut body, 4 << 4 | 2);
    leb(&mut body, action.len() as u64);
    body.extend_from_slice(&action);
    change_chunk(&body)
}

fn message_with(chunks: Vec<Vec<u8>>) -> SyncMessage {
    SyncMessage {
        changes: chunks.into_iter().map(ByteBuf::from).collect(),
        ..SyncMessage::default()
    }
}

/// Runs `haven join TICKET` on `d` on a port of its own (its daemon holds the usual one),
/// through GNU time; returns (success, stderr, peak MiB).
fn join_timed(d: &Device, ticket: &str) -> (bool, String, u64) {
    let out = d
        .cmd_timed(&["join", ticket])
        .env("HAVEN_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let peak = common::peak_mib_of(&err);
    (out.status.success(), err, peak)
}

#[test]
fn a_partner_never_obtains_the_private_journal() {
    let s = scene();
    let journals_before = s.robin.journals();

    // 1. The partner flips the kind of a journal it shares while `haven share` waits.
    s.sam.ok(&["journal", "new", "evil"]);
    let (mut host, ticket) = s.sam.host(&["share", "evil", "--expires", "5m"]);
    {
        let vault = haven_store::Vault::open(&s.sam.h.home).unwrap();
        let keys = vault
            .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
            .unwrap();
        let evil = vault.find_journal(&keys, "evil").unwrap();
        evil.change(&keys, |doc| {
            let meta = meta_of(doc);
            doc.put(&meta, "kind", "personal")
                .map_err(haven_model::SchemaError::from)?;
            Ok(())
        })
        .unwrap();
    }
    let (joined, err, peak) = join_timed(&s.robin, &ticket);
    let _ = host.wait();
    assert!(!joined && err.contains("not a shared journal"), "{err}");
    eprintln!("memory: join of a relabelled journal: peak {peak} MiB");
    assert_eq!(s.robin.journals(), journals_before, "nothing was joined");

    // 2. A welcome that offers more than the ticket's journal, or names a personal one.
    let rt = Scene::runtime();
    for personal in [false, true] {
        let (ok, err) = rt.block_on(async {
            let attacker = Member::open(&s.sam, None).await;
            let (us, us_doc) = attacker.copy("us");
            let (own, own_doc) = attacker.copy("personal");
            let ticket = attacker.ticket(haven_sync::ticket::Scope::Journal(us));
            let text = ticket.to_string();
            let robin = s.robin.h.home.clone();
            let joiner = {
                let mut c = s.robin.cmd(&["join", &text]);
                c.env("HAVEN_BIND", "127.0.0.1:0").env("HAVEN_HOME", &robin);
                c.stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            };
            let (journals, named) = if personal {
                (vec![us], Some(us))
            } else {
                (vec![us, own], None)
            };
            let _ = attacker
                .serve_pairing(
                    &ticket,
                    journals,
                    named,
                    vec![(us, us_doc), (own, own_doc)],
                    None,
                )
                .await;
            let out = joiner.wait_with_output().unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        });
        assert!(!ok, "a welcome outside the ticket's scope was accepted");
        let expected = if personal {
            "personal journal on a ticket for one shared journal"
        } else {
            "offered other journals than the one the ticket is for"
        };
        assert!(err.contains(expected), "{err}");
    }
    assert_eq!(s.robin.journals(), journals_before);

    // 3. The partner relabels `us` as a personal journal: refused. Robin then pairs a new
    // device of hers, which takes her personal journal, not `us`.
    let refused = s.push_changed(|doc| {
        let meta = meta_of(doc);
        doc.put(&meta, "kind", "personal").unwrap();
    });
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("kind")),
        "{refused:?}"
    );
    s.assert_unharmed("a relabelled journal");
    let tablet = Device::new("tablet", "Robin", ports(1));
    let (mut host, ticket) = s.robin.host_on_any_port(&["invite", "--expires", "5m"]);
    tablet.ok(&["join", &ticket]);
    assert!(host.wait().unwrap().success());
    assert!(tablet.texts(None).contains(&PRIVATE.to_string()));
    assert!(!tablet.texts(None).iter().any(|t| t.contains("in us")));
    s.assert_serving("a new device after the relabelling");
}

#[test]
fn a_small_message_cannot_exhaust_memory() {
    let s = scene();
    // A compressed change that would inflate to 1 GiB, a whole document with deflated
    // columns, and a run-length column claiming 2^40 operations.
    let compressed = hostile::chunk(2, &hostile::zeros_deflated(1 << 30));
    assert!(compressed.len() < 2 << 20);
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "big", "x".repeat(1 << 20)).unwrap();
    let document = doc.save();
    for (what, bomb, expected) in [
        (
            "a compressed change",
            compressed.clone(),
            "compressed change",
        ),
        ("a whole document", document, "document"),
        (
            "a run-length bomb",
            run_length_bomb(),
            "too many operations",
        ),
    ] {
        let refused = s.send_rounds(vec![message_with(vec![bomb])]);
        assert!(
            refused.as_ref().is_ok_and(|r| r.contains(expected)),
            "{what}: {refused:?}"
        );
        s.assert_unharmed(what);
    }

    // The victim initiates: its daemon syncs with a hostile responder that answers with
    // the bomb.
    let rt = Scene::runtime();
    let served = rt.block_on(async {
        let attacker = Member::open(&s.sam, Some(s.sam.bind)).await;
        let (us, us_doc) = attacker.copy("us");
        let mut sync = s.robin.cmd(&["sync", "--json", "phone"]);
        let robin = std::thread::spawn(move || sync.output().unwrap());
        // Every session that reaches the attacker gets the bomb: the victim's `sync`, and
        // any push its daemon started just before (the sync waits for that one's turn).
        let mut served = Vec::new();
        while !robin.is_finished() {
            let bomb = Some(message_with(vec![compressed.clone()]));
            let once = attacker.serve_once(vec![(us, us_doc.clone())], bomb);
            if let Ok(result) = tokio::time::timeout(Duration::from_secs(1), once).await {
                served.push(result);
            }
        }
        (served, robin.join().unwrap())
    });
    let (served, out) = served;
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let to_sam = json["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap_or("").contains("Sam"))
        .cloned()
        .unwrap();
    assert_eq!(to_sam["status"], "failed", "{json} {served:?}");
    assert!(
        to_sam["detail"]
            .as_str()
            .unwrap()
            .contains("compressed change"),
        "{json}"
    );
    s.assert_unharmed("a bomb answering the victim's own sync");

    // At join: a hostile inviter answers the joiner's first round with the bomb.
    let fresh = Device::new("new laptop", "Robin", ports(1));
    let (ok, err, peak) = rt.block_on(async {
        let attacker = Member::open(&s.sam, None).await;
        let (us, us_doc) = attacker.copy("us");
        let ticket = attacker.ticket(haven_sync::ticket::Scope::Journal(us));
        let text = ticket.to_string();
        let joiner = fresh
            .cmd_timed(&["join", &text])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = attacker
            .serve_pairing(
                &ticket,
                vec![us],
                None,
                vec![(us, us_doc)],
                Some(message_with(vec![compressed.clone()])),
            )
            .await;
        let out = joiner.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let peak = common::peak_mib_of(&err);
        (out.status.success(), err, peak)
    });
    assert!(!ok && err.contains("compressed change"), "{err}");
    eprintln!("memory: a bomb at join: peak {peak} MiB");
    assert!(peak < 300, "joining took {peak} MiB");
    assert_eq!(fresh.journals(), vec!["personal"], "nothing was joined");
}

#[test]
fn one_operation_cannot_break_the_vault() {
    let s = scene();
    for (what, f) in [
        (
            "members replaced by a number",
            Box::new(|d: &mut AutoCommit| {
                d.put(ROOT, "members", 42).unwrap();
            }) as Box<dyn Fn(&mut AutoCommit)>,
        ),
        (
            "entries replaced by an empty map",
            Box::new(|d: &mut AutoCommit| {
                d.put_object(ROOT, "entries", ObjType::Map).unwrap();
            }),
        ),
        (
            "tombstones deleted",
            Box::new(|d: &mut AutoCommit| {
                d.delete(ROOT, "tombstones").unwrap();
            }),
        ),
    ] {
        let refused = s.push_changed(f);
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("document root")),
            "{what}: {refused:?}"
        );
        s.assert_unharmed(what);
    }
    assert!(
        s.logged().contains("nothing it sent was kept"),
        "{}",
        s.logged()
    );

    // Robin's words rewritten by Sam's phone, a change well formed but not Sam's to make:
    // refused, and said in `haven status` and the daemon's log, naming Sam's phone.
    let refused = s.push_changed(|doc| {
        let robins = schema::read_entries(doc)
            .unwrap()
            .entries
            .into_iter()
            .find(|e| e.text == "robin in us")
            .unwrap();
        let at = Timestamp {
            unix_ms: 1_800_000_000_500,
            offset_secs: 0,
        };
        schema::set_text(doc, robins.id, "rewritten by sam", &sams_device(doc), at).unwrap();
    });
    let rule = "it changes an entry of someone else's";
    assert!(
        refused.as_ref().is_err_and(|e| e.contains(rule)),
        "{refused:?}"
    );
    let said = format!(
        "sent a change it may not make in `us` ({rule}); nothing from that session was kept"
    );
    let status = s.robin.ok(&["status"]);
    assert!(
        status.contains(&said) && status.contains("Sam's phone ("),
        "{status}"
    );
    assert!(s.logged().contains(&said), "{}", s.logged());
    s.assert_unharmed("Robin's entry rewritten");
    // Once an honest session with the phone completed, status no longer shows it.
    s.sam.ok(&["sync"]);
    assert!(!s.robin.ok(&["status"]).contains(&said));

    // A journal an older version let a member break on disk: reported, skipped, rolled back.
    {
        let vault = haven_store::Vault::open(&s.robin.h.home).unwrap();
        let keys = vault
            .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
            .unwrap();
        let us = vault.find_journal(&keys, "us").unwrap();
        // Kept as a session's result is, without the checks (as an older version did):
        // this version's own writes refuse such a change.
        let (mut doc, chunks) = us.load(&keys).unwrap();
        let before = doc.get_heads();
        doc.put(ROOT, "members", 42).unwrap();
        doc.commit();
        let _ = us.absorb(&keys, &mut doc, &before, &chunks, 0, None);
        let _ = std::fs::remove_file(us.view_path());
        let _ = std::fs::remove_file(us.dir().join("recent.age"));
    }
    let listed = s.robin.ok(&["journal", "list"]);
    assert!(
        listed.contains("unreadable") && listed.contains("haven doctor"),
        "{listed}"
    );
    s.robin.ok(&["list"]);
    let doctor = s.robin.ok(&["doctor"]);
    assert!(doctor.contains("rolled back"), "{doctor}");
    assert_eq!(s.robin.texts(Some("us")), *s.us_before.borrow());
}

#[test]
fn a_journal_identity_is_fixed_and_its_name_is_local() {
    let s = scene();
    for (key, value) in [
        ("kind", automerge::ScalarValue::from("personal")),
        ("key", automerge::ScalarValue::from("ff".repeat(16))),
        ("created", automerge::ScalarValue::Int(1)),
    ] {
        let refused = s.push_changed(|doc| {
            let meta = meta_of(doc);
            doc.put(&meta, key, value.clone()).unwrap();
        });
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains(&format!("`{key}`, which never changes"))),
            "{key}: {refused:?}"
        );
        s.assert_unharmed(key);
    }
    // A new proposed name is kept as a proposal: the journal is still `us` here.
    s.push_changed(|doc| {
        let meta = meta_of(doc);
        doc.put(&meta, "name", "personal").unwrap();
    })
    .unwrap();
    let list: Value = serde_json::from_str(&s.robin.ok(&["journal", "list", "--json"])).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["personal", "us"], "{list}");
    assert_eq!(list[1]["proposed_name"], "personal");
    s.robin.ok(&["--journal", "us", "list"]);
    assert_eq!(s.robin.texts(None), {
        let mut p = s.personal.borrow().clone();
        p.sort();
        p
    });
    s.assert_serving("a proposed name");
}

#[test]
fn sizes_and_sessions_are_bounded() {
    let s = scene();
    // 100,000 entries in one change (each with a kind, a time and a text).
    let refused = s.push_changed(|doc| {
        let entries = doc.get(ROOT, "entries").unwrap().unwrap().1;
        for n in 0..100_000 {
            let id = entry(n, "").id.to_string();
            let e = doc.put_object(&entries, id, ObjType::Map).unwrap();
            doc.put(&e, "kind", "note").unwrap();
            doc.put(&e, "created", 1_800_000_000_000i64).unwrap();
            doc.put(&e, "text", "flood").unwrap();
        }
    });
    eprintln!("100,000 entries: {refused:?}");
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("too many operations")),
        "{refused:?}"
    );
    s.assert_unharmed("100,000 entries in one change");
    // A 20 MB text in one change, and one entry just over the limit.
    for (what, len) in [
        ("a 20 MB text", 20 << 20),
        (
            "an entry over 256 KiB",
            haven_model::validate::limits::TEXT_BYTES + 1,
        ),
    ] {
        let refused = s.push_changed(|doc| {
            // Past `put_entry`'s own check, as a modified client would write it.
            schema::put_entry(doc, &entry(1, "short")).unwrap();
            let obj = schema::entry_obj(doc, entry(1, "").id).unwrap().unwrap();
            doc.put(&obj, "text", "x".repeat(len)).unwrap();
        });
        eprintln!("{what}: {refused:?}");
        assert!(refused.is_err(), "{what}: {refused:?}");
        s.assert_unharmed(what);
    }
    // Ten sessions at once from one member: each new one replaces the one before, so the
    // daemon never holds more than one of them.
    let rt = Scene::runtime();
    let outcomes = rt.block_on(async {
        let mut members = Vec::new();
        for _ in 0..10 {
            members.push(Member::open(&s.sam, None).await);
        }
        let (key, _) = members[0].copy("us");
        let victim = s.victim();
        let tasks: Vec<_> = members
            .into_iter()
            .map(|m| {
                tokio::spawn(async move {
                    let quiet = SyncMessage {
                        heads: vec![[1; 32]],
                        ..SyncMessage::default()
                    };
                    m.rounds(victim, key, vec![quiet]).await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    // The replaced ones see their connection closed at once (mid-session, or while they
    // were still opening it); at most the last stays until the daemon's step timeout.
    let replaced = outcomes
        .iter()
        .map(|r| format!("{r:?}"))
        .filter(|r| r.contains("connection lost") || r.contains("replaced by a newer session"))
        .count();
    assert!(replaced >= 8, "{outcomes:?}");
    assert!(
        s.logged().matches("refused a session").count() <= 1,
        "{}",
        s.logged()
    );
    s.assert_unharmed("ten sessions at once");
}

#[test]
fn pairing_serves_everyone_at_once_and_says_why_it_refuses() {
    let base = ports(3);
    let robin = Device::new("laptop", "Robin", base);
    let sam = Device::new("phone", "Sam", base + 1);
    let stranger = Device::new("stranger", "Eve", base + 2);
    robin.ok(&["journal", "new", "us"]);
    let (mut host, text) = robin.host(&["share", "us", "--expires", "5m"]);
    let ticket: haven_sync::ticket::Ticket = text.parse().unwrap();
    let rt = Scene::runtime();
    // Three connections that open a stream and say nothing, and one with a wrong ticket,
    // all before the real joiner.
    let (silent, wrong) = rt.block_on(async {
        let eve = Member::open(&stranger, None).await;
        let addr = haven_sync::net::ticket_addr(&ticket).unwrap();
        let mut silent = Vec::new();
        for _ in 0..3 {
            let opened = haven_sync::net::connect(
                &eve.endpoint,
                addr.clone(),
                haven_sync::PAIR_ALPN,
                Duration::from_secs(5),
            )
            .await
            .unwrap();
            silent.push(opened);
        }
        let (_c, mut send, mut recv) = haven_sync::net::connect(
            &eve.endpoint,
            addr,
            haven_sync::PAIR_ALPN,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let join = haven_sync::pair::PairMsg::Join {
            secret: [0; 16],
            device_name: "stranger".into(),
            person: "Eve".into(),
            addrs: Vec::new(),
            relay: None,
        };
        haven_sync::net::send(&mut send, &join, Duration::from_secs(5))
            .await
            .unwrap();
        let answer: haven_sync::pair::PairMsg =
            haven_sync::net::recv(&mut recv, Duration::from_secs(10))
                .await
                .unwrap();
        (silent, answer)
    });
    assert!(
        matches!(&wrong, haven_sync::pair::PairMsg::Refused { reason } if reason.contains("not the ticket")),
        "{wrong:?}"
    );
    // The real joiner gets through while the silent connections are still open.
    let joined = sam.ok(&["join", &text]);
    assert!(joined.contains("Journals: us"), "{joined}");
    assert!(host.wait().unwrap().success());
    drop(silent);
}

#[test]
fn text_from_a_member_is_made_safe_to_show() {
    let s = scene();
    let text = "look\u{1b}]0;owned\u{7} \u{200e}\u{200f}\u{61c}zero\u{200b}width \u{2028}\u{2029}\u{feff}end\u{1b}[2J";
    s.push_changed(|doc| {
        let mut e = entry(1, text);
        e.device = sams_device(doc);
        e.tags = vec!["#t\u{202e}ag".into()];
        e.people = vec!["Sa\u{2066}m".into()];
        schema::put_entry(doc, &e).unwrap();
        let members = doc.get(ROOT, "members").unwrap().unwrap().1;
        let sam_id = doc
            .map_range(&members, ..)
            .find(|m| {
                let obj = m.id();
                doc.get(&obj, "person")
                    .ok()
                    .flatten()
                    .and_then(|(v, _)| v.into_string().ok())
                    .as_deref()
                    == Some("Sam")
            })
            .map(|m| m.id())
            .unwrap();
        doc.put(&sam_id, "device_name", "ph\u{202e}one\u{200d}")
            .unwrap();
    })
    .unwrap();
    let bad = |out: &str| {
        out.chars().any(|c| {
            c == '\u{1b}'
                || c == '\u{7}'
                || haven_model::text::is_invisible(c)
                || (c.is_control() && c != '\n' && c != '\t')
        })
    };
    let id = s.robin.texts(Some("us")).len();
    assert!(id >= 3);
    for args in [
        &["--journal", "us", "list"][..],
        &["--journal", "us", "members"],
        &["journal", "list"],
        &["status"],
    ] {
        let out = s.robin.ok(args);
        assert!(!bad(&out), "{args:?} printed hostile characters:\n{out:?}");
    }
    // Shown on a terminal, the Markdown export is cleaned too; to a file it stays as
    // written.
    let file = s.robin.h.scratch().join("export.md");
    s.robin.ok(&[
        "--journal",
        "us",
        "export",
        "--format",
        "markdown",
        "--output",
        file.to_str().unwrap(),
    ]);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains(text), "the file keeps the text as written");
    let shown = std::process::Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{} --journal us export --format markdown",
            env!("CARGO_BIN_EXE_haven")
        ))
        .arg("/dev/null")
        .env_clear()
        .env("HAVEN_HOME", &s.robin.h.home)
        .env("HAVEN_PASSPHRASE", common::PASSPHRASE)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("zerowidth"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{200b}'),
        "{shown:?}"
    );
    s.assert_serving("hostile text");
}

#[test]
fn counts_are_true_beyond_the_small_cache() {
    let s = scene();
    s.push_changed(|doc| {
        let me = sams_device(doc);
        for n in 0..600 {
            let mut e = entry(n, &format!("sam {n}"));
            e.device = me.clone();
            schema::put_entry(doc, &e).unwrap();
        }
    })
    .unwrap();
    let list: Value = serde_json::from_str(&s.robin.ok(&["journal", "list", "--json"])).unwrap();
    let us = list
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "us")
        .unwrap()
        .clone();
    assert_eq!(us["entries"], 602, "{list}");
    let entries: Value =
        serde_json::from_str(
            &s.robin
                .ok(&["--journal", "us", "list", "-n", "5", "--json"]),
        )
        .unwrap();
    assert_eq!(entries["total"], 602);
    let wait = Instant::now();
    while !s.logged().contains("arrived=600") {
        assert!(wait.elapsed() < Duration::from_secs(10), "{}", s.logged());
        std::thread::sleep(Duration::from_millis(50));
    }
    s.assert_serving("600 entries");
}
