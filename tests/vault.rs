//! End-to-end tests of the vault: the real `haven` binary in temporary homes.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use common::{Haven, PASSPHRASE, Tmpfs, can_mount};

#[test]
fn init_creates_a_private_vault_and_refuses_to_run_twice() {
    let h = Haven::init();
    for path in h.files() {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
    }
    for dir in [
        h.home.clone(),
        h.home.join("journals"),
        h.journal_dir(),
        h.journal_dir().join("chunks"),
    ] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} has mode {mode:o}", dir.display());
    }
    let before: Vec<_> = h
        .files()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let err = h.fails(&["init"]);
    assert!(
        err.contains("a vault already exists") && err.contains("nothing was changed"),
        "{err}"
    );
    let after: Vec<_> = h
        .files()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn init_refuses_an_empty_or_missing_passphrase() {
    let h = Haven::empty();
    let out = h
        .locked_cmd(&["init"])
        .env("HAVEN_PASSPHRASE", "   ")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("passphrase is empty"));
    let out = h.locked_cmd(&["init"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HAVEN_PASSPHRASE"));
    assert!(!h.home.join("config.toml").exists());
}

#[test]
fn init_reads_the_passphrase_file() {
    let h = Haven::empty();
    let file = h.scratch().join("pass.txt");
    std::fs::write(&file, "from a file\n").unwrap();
    let init = || {
        h.locked_cmd(&[
            "init",
            "--scrypt-work-factor",
            "10",
            "--passphrase-file",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap()
    };
    // Readable by others, it is refused, with the fix.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = init();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("may be read by others (mode 644)") && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = init();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = h
        .locked_cmd(&["list"])
        .env("HAVEN_PASSPHRASE", "from a file")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn write_list_and_show_round_trip() {
    let h = Haven::init();
    let saved = h.ok(&["write", "Walked", "with", "@Sam", "today.", "#calm"]);
    assert!(saved.starts_with("Saved "), "{saved}");
    h.ok_with_stdin(&["write"], "From stdin,\nover two lines #multi\n");
    let json = h.list_json();
    assert_eq!(json["total"], 2);
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries[0]["text"], "From stdin,\nover two lines #multi");
    assert_eq!(entries[1]["text"], "Walked with @Sam today. #calm");
    assert_eq!(entries[1]["tags"], serde_json::json!(["@Sam", "#calm"]));
    assert_eq!(entries[1]["author"], "Robin");
    assert_eq!(entries[1]["kind"], "note");

    let listed = h.ok(&["list"]);
    let newer = listed.find("From stdin,").expect("newest entry listed");
    let older = listed.find("Walked with @Sam").expect("older entry listed");
    assert!(newer < older, "{listed}");

    let limited = h.list_json_n(1);
    assert_eq!(limited.len(), 1);

    let id = entries[1]["id"].as_str().unwrap();
    let shown = h.ok(&["show", &id[..14].to_lowercase()]);
    assert!(
        shown.contains("Walked with @Sam today. #calm") && shown.contains("by Robin"),
        "{shown}"
    );
    let err = h.fails(&["show", "ZZZZ"]);
    assert!(
        err.contains("no entry matches") && err.contains("haven list"),
        "{err}"
    );
}

#[test]
fn ambiguous_prefix_is_refused() {
    let h = Haven::init();
    h.ok(&["write", "one"]);
    h.ok(&["write", "two"]);
    let err = h.fails(&["show", "0"]);
    assert!(
        err.contains("matches 2 entries") && err.contains("more characters"),
        "{err}"
    );
}

#[test]
fn empty_entry_is_refused() {
    let h = Haven::init();
    let err = h.fails(&["write", "   "]);
    assert!(err.contains("the entry is empty"), "{err}");
    assert_eq!(h.list_json()["total"], 0);
}

#[test]
fn locked_writes_are_sealed_and_merged_at_unlock() {
    let h = Haven::init();
    for text in ["sealed one", "sealed two"] {
        let out = h.locked_cmd(&["write", text]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read_dir(h.journal_dir().join("inbox"))
            .unwrap()
            .count(),
        2
    );
    let out = h.locked_cmd(&["list"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 sealed entries are waiting") && err.contains("haven unlock"),
        "{err}"
    );

    let unlocked = h.ok(&["unlock", "--for", "1m"]);
    assert!(unlocked.contains("Merged 2 sealed entries"), "{unlocked}");
    assert_eq!(
        std::fs::read_dir(h.journal_dir().join("inbox"))
            .unwrap()
            .count(),
        0
    );

    // The agent now serves the key: no passphrase needed.
    let out = h.locked_cmd(&["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"], 2);
    assert_eq!(json["pending"], 0);
    let status = h.locked_cmd(&["status"]).output().unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("unlocked for"));

    assert!(h.ok(&["lock"]).contains("Locked."));
    assert!(!h.home.join("agent.sock").exists());
    assert!(!h.locked_cmd(&["list"]).output().unwrap().status.success());
    assert!(h.ok(&["lock"]).contains("Already locked."));
}

#[test]
fn reads_that_hold_the_key_merge_sealed_entries_and_say_nothing_untrue() {
    let h = Haven::init();
    h.ok(&["write", "first"]);
    h.ok(&[
        "star",
        &h.list_json()["entries"][0]["id"].as_str().unwrap()[..20],
    ]);
    h.ok(&["write", "second"]);
    assert_eq!(
        std::fs::read_dir(h.journal_dir().join("inbox"))
            .unwrap()
            .count(),
        1,
        "writing seals, key or not"
    );
    let json = h.list_json();
    assert_eq!(json["total"], 2);
    assert_eq!(json["pending"], 0, "a read that holds the key merges it");
    assert_eq!(json["entries"][1]["starred"], true);
    assert_eq!(
        std::fs::read_dir(h.journal_dir().join("inbox"))
            .unwrap()
            .count(),
        0
    );
    h.ok(&["write", "third"]);
    assert!(
        !h.ok(&["list"]).contains("sealed"),
        "nothing waits, so nothing is said"
    );
}

#[test]
fn unlock_rejects_bad_durations() {
    let h = Haven::init();
    assert!(
        h.fails(&["unlock", "--for", "forever"])
            .contains("not a duration")
    );
    assert!(
        h.fails(&["unlock", "--for", "48h"])
            .contains("out of range")
    );
}

#[test]
fn wrong_passphrase_is_clear_and_changes_nothing() {
    let h = Haven::init();
    h.ok(&["write", "keep me"]);
    let snapshot = |h: &Haven| -> BTreeMap<_, _> {
        h.files()
            .into_iter()
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect()
    };
    let before = snapshot(&h);
    for args in [
        vec!["list"],
        vec!["star", "0"],
        vec!["unlock"],
        vec!["doctor"],
    ] {
        let out = h
            .locked_cmd(&args)
            .env("HAVEN_PASSPHRASE", "wrong")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("wrong passphrase") && err.contains("try again"),
            "{args:?}: {err}"
        );
    }
    let after = snapshot(&h);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &before {
        if !path.ends_with("lock") {
            assert_eq!(bytes, &after[path], "{} changed", path.display());
        }
    }
}

#[test]
fn passphrase_change_takes_effect() {
    let h = Haven::init();
    h.ok(&["write", "before the change"]);
    let out = h
        .cmd(&["passphrase", "change", "--scrypt-work-factor", "10"])
        .env("HAVEN_NEW_PASSPHRASE", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(h.fails(&["list"]).contains("wrong passphrase"));
    let out = h
        .locked_cmd(&["list", "--json"])
        .env("HAVEN_PASSPHRASE", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("before the change"));
    // A wrong old passphrase changes nothing.
    let out = h
        .locked_cmd(&["passphrase", "change"])
        .env("HAVEN_PASSPHRASE", PASSPHRASE)
        .env("HAVEN_NEW_PASSPHRASE", "x")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn changes_are_compacted_and_nothing_is_lost() {
    let h = Haven::init();
    for i in 0..5 {
        h.ok(&["write", &format!("entry {i}")]);
    }
    let id = h.list_json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..40 {
        h.ok(&["star", &id, if i % 2 == 0 { "--off" } else { "--json" }]);
    }
    let chunks = std::fs::read_dir(h.journal_dir().join("chunks"))
        .unwrap()
        .count();
    assert!(chunks <= 17, "{chunks} chunks after 40 changes");
    let json = h.list_json();
    assert_eq!(json["total"], 5);
    assert_eq!(json["entries"][0]["starred"], true);
}

#[test]
fn identity_file_is_a_standard_age_file_and_data_files_are_plain_age() {
    let h = Haven::init();
    h.ok(&["write", "check the format"]);
    let identity = std::fs::read(h.home.join("identity.age")).unwrap();
    assert!(identity.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    for path in h.files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".age") {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                bytes.starts_with(b"age-encryption.org/v1\n"),
                "{name} is not a plain age file"
            );
        }
    }
}

#[test]
fn no_plaintext_reaches_the_disk() {
    let h = Haven::empty();
    let person = "Zephyrine Quillfeather";
    let device = "Marigoldbox";
    let out = h
        .cmd(&[
            "init",
            "--scrypt-work-factor",
            "10",
            "--name",
            person,
            "--device-name",
            device,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let secrets = [
        "Xylophonic grief about Ottoline",
        "#unfindabletag",
        "@Bartholomewzz",
        "Émilie-Ünïcödé 心の平安",
        "quartzfjord",
    ];
    h.ok(&["write", "Xylophonic grief about Ottoline #unfindabletag"]);
    h.ok(&["write", "@Bartholomewzz listened; Émilie-Ünïcödé 心の平安"]);
    h.ok(&["unlock", "--for", "1m"]);
    h.ok(&["lock"]);
    h.ok_with_stdin(&["write"], "quartzfjord, sealed while locked");
    h.ok(&[
        "star",
        &h.list_json()["entries"][0]["id"].as_str().unwrap()[..20],
    ]);
    let mut needles: Vec<&str> = secrets.to_vec();
    needles.extend([
        person,
        device,
        "Zephyrine",
        "Ottoline",
        "unfindabletag",
        "Bartholomewzz",
        PASSPHRASE,
    ]);
    let mut scanned = 0;
    for path in h.files() {
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for needle in &needles {
            for form in [
                needle.as_bytes().to_vec(),
                needle.to_lowercase().into_bytes(),
                utf16(needle),
            ] {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                    "`{needle}` found in plaintext in {}",
                    path.display()
                );
            }
        }
    }
    assert!(scanned > 1000, "scanned only {scanned} bytes");
    // ...and the content is really there, behind the passphrase.
    let texts = h.texts().join("\n");
    for needle in secrets {
        assert!(texts.contains(needle), "{needle} missing from the journal");
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

#[test]
fn bit_flipped_chunk_is_quarantined_and_entries_are_recovered() {
    let h = Haven::init();
    for i in 0..3 {
        h.ok(&["write", &format!("precious {i}")]);
    }
    h.ok(&["unlock", "--for", "1m"]);
    h.ok(&["lock"]);
    let chunks = h.journal_dir().join("chunks");
    let newest = std::fs::read_dir(&chunks)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .max()
        .unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let at = bytes.len() - 40;
    bytes[at] ^= 0x20;
    std::fs::write(&newest, &bytes).unwrap();

    // The read cache still answers; a command that loads the document reports the damage.
    let id = h.list_json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let err = h.fails(&["star", &id]);
    assert!(
        err.contains("damaged") && err.contains("haven doctor"),
        "{err}"
    );
    let report = h.ok(&["doctor"]);
    assert!(
        report.contains("damaged")
            && report.contains("moved to")
            && report.contains("Recovered 3 entries"),
        "{report}"
    );
    assert!(!newest.exists());
    let quarantined = h.home.join("quarantine");
    assert_eq!(
        walk_count(&quarantined),
        1,
        "the damaged chunk is kept in quarantine"
    );
    let mut texts = h.texts();
    texts.sort();
    assert_eq!(texts, vec!["precious 0", "precious 1", "precious 2"]);
    h.ok(&[
        "star",
        &h.list_json()["entries"][0]["id"].as_str().unwrap()[..20],
    ]);
    assert!(h.ok(&["doctor"]).contains("healthy"));
}

fn walk_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk_count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn truncated_files_are_reported_and_quarantined() {
    let h = Haven::init();
    h.ok(&["write", "intact one"]);
    h.ok(&["unlock", "--for", "1m"]);
    h.ok(&["lock"]);
    h.ok(&["write", "sealed and then truncated"]);
    h.ok(&["write", "sealed and intact"]);
    let inbox = h.journal_dir().join("inbox");
    let first = std::fs::read_dir(&inbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .min()
        .unwrap();
    let bytes = std::fs::read(&first).unwrap();
    std::fs::write(&first, &bytes[..bytes.len() / 2]).unwrap();
    // Also truncate the read cache: it is rebuilt, not trusted.
    let view = h.journal_dir().join("view.age");
    let v = std::fs::read(&view).unwrap();
    std::fs::write(&view, &v[..v.len() / 3]).unwrap();

    // The cache is rebuilt; the damaged sealed entry is skipped with a warning.
    let out = h.run(&["list"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 file could not be read") && err.contains("haven doctor"),
        "{err}"
    );
    let report = h.ok(&["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        report["quarantined"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    let mut texts = h.texts();
    texts.sort();
    assert_eq!(texts, vec!["intact one", "sealed and intact"]);
}

#[test]
fn foreign_files_are_moved_aside_not_deleted() {
    let h = Haven::init();
    h.ok(&["write", "still here"]);
    let id = h.list_json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(h.home.join("notes.txt"), "dropped by someone").unwrap();
    std::fs::write(
        h.journal_dir()
            .join("chunks")
            .join("01ARZ3NDEKTSV4RRFFQ69G5FAV.changes.age"),
        "garbage",
    )
    .unwrap();
    // Reading still works from the last good cache, with a warning naming the fix.
    let out = h.run(&["list", "--json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("still here"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("haven doctor"));
    let err = h.fails(&["star", &id]);
    assert!(err.contains("damaged"), "{err}");
    let report: serde_json::Value = serde_json::from_str(&h.ok(&["doctor", "--json"])).unwrap();
    assert_eq!(report["foreign"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(
        report["quarantined"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert_eq!(walk_count(&h.home.join("quarantine")), 2);
    assert_eq!(h.texts(), vec!["still here"]);
}

#[test]
fn a_missing_identity_file_is_explained() {
    let h = Haven::init();
    h.ok(&["write", "safe"]);
    std::fs::rename(
        h.home.join("identity.age"),
        h.scratch().join("identity.bak"),
    )
    .unwrap();
    let err = h.fails(&["list"]);
    assert!(
        err.contains("identity file") && err.contains("missing") && err.contains("backup"),
        "{err}"
    );
    // Writing still works: it needs only the public key.
    h.ok(&["write", "written without the identity"]);
    std::fs::rename(
        h.scratch().join("identity.bak"),
        h.home.join("identity.age"),
    )
    .unwrap();
    assert_eq!(h.texts().len(), 2);
}

#[test]
fn a_damaged_config_is_explained() {
    let h = Haven::init();
    std::fs::write(h.home.join("config.toml"), "format = \"nonsense").unwrap();
    let err = h.fails(&["list"]);
    assert!(
        err.contains("config") && err.contains("config.toml"),
        "{err}"
    );
}

#[test]
fn read_only_vault_refuses_writes_clearly_and_still_reads() {
    let scratch = tempfile::tempdir().unwrap();
    let mount = scratch.path().join("mnt");
    let is_root = can_mount();
    let fs = if is_root {
        Tmpfs::mount(&mount, "4m")
    } else {
        None
    };
    if is_root && fs.is_none() {
        eprintln!("note: could not mount a tmpfs; using permissions instead");
    }
    let h = Haven::init_at(&mount.join("vault"));
    h.ok(&["write", "written before"]);
    h.ok(&["unlock", "--for", "1m"]);
    h.ok(&["lock"]);
    let make_read_only = |ro: bool| match &fs {
        Some(t) => assert!(t.remount(ro)),
        None => {
            let mode = if ro { 0o500 } else { 0o700 };
            for dir in [
                h.home.clone(),
                h.journal_dir(),
                h.journal_dir().join("inbox"),
                h.journal_dir().join("chunks"),
            ] {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
    };
    if fs.is_none() && is_root_user() {
        eprintln!("skipped: root ignores directory permissions and no tmpfs could be mounted");
        return;
    }
    make_read_only(true);
    let err = h.fails(&["write", "cannot land"]);
    assert!(
        err.contains("nothing was saved")
            && (err.contains("not writable") || err.contains("Read-only")),
        "{err}"
    );
    assert_eq!(h.texts(), vec!["written before"]);
    make_read_only(false);
    h.ok(&["write", "after"]);
    assert_eq!(h.texts().len(), 2);
}

fn is_root_user() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn a_full_disk_gives_a_clear_error_and_loses_nothing() {
    if !can_mount() {
        eprintln!("skipped: simulating a full disk needs root to mount a small tmpfs");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let mount = scratch.path().join("mnt");
    let Some(_fs) = Tmpfs::mount(&mount, "1m") else {
        eprintln!("skipped: could not mount a tmpfs");
        return;
    };
    let h = Haven::init_at(&mount.join("vault"));
    for i in 0..5 {
        h.ok(&["write", &format!("kept {i}")]);
    }
    // Fill the disk.
    let filler = mount.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 64 * 1024];
    while std::io::Write::write_all(&mut f, &block).is_ok() {}
    let _ = std::io::Write::write_all(&mut f, &[0u8; 1]);
    drop(f);
    let err = h.fails(&["write", "x".repeat(20_000).as_str()]);
    assert!(
        err.contains("disk is full") && err.contains("nothing was saved"),
        "{err}"
    );
    let out = h.run(&["unlock", "--for", "1m"]);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("disk is full"), "{err}");
    }
    let _ = h.run(&["lock"]);
    std::fs::remove_file(&filler).unwrap();
    let mut texts = h.texts();
    texts.sort();
    assert_eq!(
        texts,
        (0..5).map(|i| format!("kept {i}")).collect::<Vec<_>>()
    );
    assert!(h.ok(&["doctor"]).contains("healthy"));
}

#[test]
fn concurrent_writers_lose_nothing() {
    let h = Haven::init();
    const WRITERS: usize = 8;
    const EACH: usize = 40;
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let home = h.home.clone();
            std::thread::spawn(move || {
                for i in 0..EACH {
                    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_haven"));
                    let out = cmd
                        .args(["write", &format!("writer {w} entry {i}")])
                        .env_clear()
                        .env("HAVEN_HOME", &home)
                        .stdin(Stdio::null())
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    // Changes (which load, fold and compact) race with the writers.
    for _ in 0..10 {
        let _ = h.run(&["star", "0"]);
        let _ = h.run(&["unlock", "--for", "1m"]);
        let _ = h.run(&["lock"]);
    }
    for t in threads {
        t.join().unwrap();
    }
    let texts = h.texts();
    assert_eq!(texts.len(), WRITERS * EACH);
    let unique: std::collections::BTreeSet<_> = texts.iter().collect();
    assert_eq!(unique.len(), WRITERS * EACH);
    h.ok(&["unlock", "--for", "1m"]);
    h.ok(&["lock"]);
    assert_eq!(h.texts().len(), WRITERS * EACH);
}

#[test]
fn status_reports_the_vault_honestly() {
    let h = Haven::init();
    h.ok(&["write", "one"]);
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["status", "--json"])).unwrap();
    assert_eq!(json["device_name"], "laptop");
    assert_eq!(json["person"], "Robin");
    assert_eq!(json["device_id"].as_str().unwrap().len(), 64);
    assert_eq!(json["journals"][0]["name"], "personal");
    assert_eq!(json["journals"][0]["entries"], 1);
    assert_eq!(json["journals"][0]["pending"], 1);
    assert!(json["unlocked_for_secs"].is_null());
    assert_eq!(json["peers"], serde_json::json!([]));
    let text = h.ok(&["status"]);
    assert!(
        text.contains("locked (no unlock agent running)") && text.contains("peers    none yet"),
        "{text}"
    );
}

#[test]
fn demo_runs_a_real_tour_and_cleans_up() {
    let h = Haven::empty();
    let tmp = h.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = h
        .locked_cmd(&["demo"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "$ haven init",
        "Created a vault",
        "Merged 6 sealed entries",
        "I feel unheard. I need to be listened to. Could we put our phones away at dinner?",
        "Your insights",
        "thanks to Sam: listened",
        "anxious, hopeful (6/10)",
        "\"journal\": \"personal\"",
        "The vault is healthy.",
        "Locked.",
        "Joined Robin's laptop",
        "Paired with Sam's phone",
        "Journals: us.",
        "needs a hug",
        "Grateful the repair went well.",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks `{expected}`:\n{stdout}"
        );
    }
    // The throwaway vault is gone and no agent is left behind.
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert!(!h.home.exists(), "the demo must not touch HAVEN_HOME");
}

#[test]
fn hostile_text_is_stripped_before_printing() {
    let h = Haven::init();
    h.ok(&[
        "write",
        "title\u{1b}]0;pwned\u{7} \u{1b}[31mred\u{1b}[0m\u{202e}",
    ]);
    let listed = h.ok(&["list"]);
    let id = h.list_json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = h.ok(&["show", &id]);
    for out in [&listed, &shown] {
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        assert!(out.contains("title red"), "{out:?}");
    }
    // The stored text is untouched; only printing is cleaned.
    assert!(
        h.list_json()["entries"][0]["text"]
            .as_str()
            .unwrap()
            .contains('\u{1b}')
    );
}

#[test]
fn a_chunk_dropped_into_the_vault_is_never_read_and_doctor_says_so() {
    let h = Haven::init();
    h.ok(&["write", "my", "own", "words"]);
    h.ok(&["list"]);
    // Someone who knows the vault's public recipient (it is in config.toml) drops a chunk
    // into the personal journal: an entry in this device's name, unsigned.
    let vault = haven_store::Vault::open(&h.home).unwrap();
    let keys = vault
        .unlock(&haven_store::Passphrase::new(PASSPHRASE.into()).unwrap())
        .unwrap();
    let personal = vault.personal();
    personal.change(&keys, |_| Ok(())).unwrap();
    let (doc, _) = personal.load(&keys).unwrap();
    let mut doc = doc.with_actor(automerge::ActorId::random());
    let before = doc.get_heads();
    let mut words = haven_model::schema::read_entries(&doc).unwrap().entries[0].clone();
    words.id = haven_model::EntryId::from_parts(1_700_000_000_000, 7);
    words.text = "words planted in my mouth".into();
    haven_model::schema::put_entry(&mut doc, &words).unwrap();
    doc.commit();
    let sealed =
        haven_store::envelope::seal(&keys.identity().to_public(), &doc.save_after(&before))
            .unwrap();
    let dropped = personal
        .chunks_dir()
        .join("01KBN0000000000000000000AA.changes.age");
    std::fs::write(&dropped, sealed).unwrap();

    for args in [
        &["list"][..],
        &["export", "--format", "json"],
        &["show", "1"],
    ] {
        let out = h.run(args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("planted"), "{args:?}: {text}");
    }
    assert!(
        !dropped.exists(),
        "set aside by the first read that rebuilt the caches"
    );
    let report = h.ok(&["doctor"]);
    assert!(
        report.contains("refused") && report.contains("01KBN0000000000000000000AA"),
        "{report}"
    );
    assert!(h.ok(&["doctor"]).contains("healthy"));
    h.ok(&["write", "still", "mine"]);
    let mut texts = h.texts();
    texts.sort();
    assert_eq!(texts, ["my own words", "still mine"]);
}
