//! Kind, honest flows without a terminal: what a locked vault says, what a wrong passphrase
//! does, where a relational entry went and who can read it, the affirmation of the day,
//! and hints that name the command that was run.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Haven;
use serde_json::Value;

#[test]
fn status_works_while_locked_and_says_so_without_reading_content() {
    let h = Haven::init();
    h.ok(&["write", "a private line"]);
    let out = h.locked_cmd(&["status"]).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("locked   no unlock agent running"), "{text}");
    assert!(
        text.contains("1 journal (its name and entries need the key); 1 sealed entry waiting"),
        "{text}"
    );
    assert!(!text.contains("private"), "no content while locked: {text}");
    let out = h.locked_cmd(&["status", "--json"]).output().expect("run");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["locked"], true);
    assert_eq!(json["journals"][0]["pending"], 1);
    assert!(json.get("person").is_none());
    let unlocked: Value = serde_json::from_str(&h.ok(&["status", "--json"])).expect("JSON");
    assert_eq!(unlocked["locked"], false);
    assert_eq!(unlocked["person"], "Robin");
}

#[test]
fn a_wrong_passphrase_given_is_never_passed_over() {
    let h = Haven::init();
    // Writing needs none and keeps the entry, but says the one given was wrong.
    let out = h
        .locked_cmd(&["checkin", "-f", "calm", "-i", "2"])
        .env("HAVEN_PASSPHRASE", "not the passphrase")
        .output()
        .expect("run");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "warning: the passphrase given (HAVEN_PASSPHRASE) was not used: wrong passphrase"
        ),
        "{err}"
    );
    // Reading with it fails, clearly.
    for args in [vec!["status"], vec!["affirm"], vec!["list"]] {
        let out = h
            .locked_cmd(&args)
            .env("HAVEN_PASSPHRASE", "not the passphrase")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"),
            "{args:?}"
        );
    }
    assert_eq!(h.list_json()["total"], 1, "the check-in was kept");
}

#[test]
fn relational_practices_say_which_journal_and_who_can_read_it() {
    let h = Haven::init();
    let out = h.ok(&["gratitude", "--person", "Sam", "--way", "listened"]);
    assert!(
        out.contains("It went to your personal journal; only your devices can read it."),
        "{out}"
    );
    h.ok(&["journal", "new", "us"]);
    let out = h.ok(&[&["--journal", "us"][..], &common::REPAIR_WITH_SAM[..]].concat());
    assert!(
        out.contains("It went to the journal `us`; only you can read it so far."),
        "{out}"
    );
    let out = h.ok(&["--journal", "us", "coreg", "need", "--need", "space"]);
    assert!(out.contains("It went to the journal `us`"), "{out}");
}

#[test]
fn the_affirmation_of_the_day_stays_the_same_after_adding_one() {
    let h = Haven::init().at_clock("2026-11-27T08:00:00Z");
    let before: Value = serde_json::from_str(&h.ok(&["affirm", "--json"])).expect("JSON");
    for n in 0..5 {
        h.ok(&[
            "affirm",
            "add",
            &format!("I am allowed to rest, number {n}"),
        ]);
    }
    let after: Value = serde_json::from_str(&h.ok(&["affirm", "--json"])).expect("JSON");
    assert_eq!(
        before["affirmation"], after["affirmation"],
        "the same all day"
    );
    assert_eq!(after["own_included"], true);
    // Locked, it says why one's own are not among today's.
    let out = h
        .locked_cmd(&["affirm"])
        .env("HAVEN_NOW", "2026-11-27T08:00:00Z")
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("The vault is locked, so your own affirmations")
    );
}

#[test]
fn bare_practices_name_what_they_need_without_a_terminal() {
    let h = Haven::init();
    let err = h.fails(&["coreg"]);
    assert!(
        err.contains("need, break or here") && err.contains("haven coreg break --for 30m"),
        "{err}"
    );
    let err = h.fails(&["coreg", "break"]);
    assert!(
        err.contains("missing how long the break is") && err.contains("--for 30m"),
        "{err}"
    );
    let err = h.fails(&["reframe"]);
    assert!(
        err.contains("give the sentence to reframe; nothing was saved"),
        "{err}"
    );
    let err = h.fails(&["repair", "open", "--with", "Sam"]);
    assert!(
        err.contains("missing all three steps; nothing was saved"),
        "{err}"
    );
    assert_eq!(h.list_json()["total"], 0);
}

#[test]
fn duration_hints_name_the_command_that_was_run() {
    let h = Haven::init();
    for (args, names) in [
        (vec!["unlock", "--for", "soon"], "`haven unlock --for 15m`"),
        (
            vec!["unlock", "--for", "48h"],
            "`haven unlock --for` takes between 1s and 24h",
        ),
        (
            vec!["invite", "--expires", "later"],
            "`haven invite --expires 15m`",
        ),
        (
            vec!["coreg", "break", "--for", "a while"],
            "`haven coreg break --for 30m`",
        ),
        (
            vec!["coreg", "break", "--for", "5m"],
            "`haven coreg break --for 20m`",
        ),
    ] {
        let err = h.fails(&args);
        assert!(err.contains(names), "{args:?}: {err}");
    }
}

#[test]
fn a_weak_passphrase_is_warned_about_and_a_home_that_is_a_file_named() {
    let h = Haven::empty();
    let out = h
        .locked_cmd(&["init", "--scrypt-work-factor", "10"])
        .env("HAVEN_PASSPHRASE", "password")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "a weak passphrase is the person's choice"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: this passphrase is weak: it is one of the most common passphrases"),
        "{err}"
    );
    let file = h.scratch().join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    for args in [vec!["list"], vec!["init"]] {
        let out = h
            .locked_cmd(&args)
            .env("HAVEN_HOME", &file)
            .env("HAVEN_PASSPHRASE", "correct horse battery staple")
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("is a file, not a vault directory") && err.contains("--home"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn answering_a_repair_shows_it_and_closing_thanks_both_only_when_both_took_part() {
    let h = Haven::init();
    let r: Value =
        serde_json::from_str(&h.ok(&[&common::REPAIR_WITH_SAM[..], &["--json"][..]].concat()))
            .expect("JSON");
    let id = r["id"].as_str().expect("id").to_string();
    let out = h
        .cmd(&["repair", "answer", &id[..16], "--received"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stderr);
    assert!(
        shown.contains("Answering the repair") && shown.contains("Their part: I snapped"),
        "{shown}"
    );
    // Only this person answered: closing is theirs, and nobody else is thanked.
    let closed = h.ok(&["repair", "close", &id[..16]]);
    assert!(
        closed.contains("Closing it is yours") && !closed.contains("both of you"),
        "{closed}"
    );
    let list: Value =
        serde_json::from_str(&h.ok(&["repair", "list", "--all", "--json"])).expect("JSON");
    assert_eq!(list[0]["state"], "repaired");
}

/// A command line, and the environment it adds.
type Case = (Vec<String>, Vec<(&'static str, String)>);

#[test]
fn the_error_messages_say_what_happened_and_name_the_fix() {
    let h = Haven::init().at_clock("2026-11-27T18:30:00Z");
    let c: Value =
        serde_json::from_str(&h.ok(&["checkin", "-f", "calm", "-i", "2", "--json"])).expect("JSON");
    let id = c["id"].as_str().expect("id").to_string();
    let dir = h.scratch().to_path_buf();
    std::fs::write(dir.join("odd.txt"), "[1 Oct 26 at 23:59] Odd\n").expect("write");
    std::fs::write(
        dir.join("jrnl.txt"),
        "[2026-10-01 11:59:07 PM] Late walk.\n",
    )
    .expect("write");
    std::fs::write(dir.join("not-a-dir"), "x").expect("write");
    let shared_pass = dir.join("pass.txt");
    std::fs::write(&shared_pass, "correct horse battery staple\n").expect("write");
    std::fs::set_permissions(&shared_pass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let p = |name: &str| dir.join(name).display().to_string();
    let cases: Vec<Case> = vec![
        (
            vec!["write".into(), "--at".into(), "whenever".into(), "x".into()],
            vec![],
        ),
        (
            vec![
                "checkin".into(),
                "-f".into(),
                "calm".into(),
                "-i".into(),
                "2".into(),
                "--at".into(),
                "tomorrow 9am".into(),
            ],
            vec![],
        ),
        (
            vec![
                "edit".into(),
                id[..16].into(),
                "--set".into(),
                "mood=3".into(),
            ],
            vec![],
        ),
        (
            vec![
                "edit".into(),
                id[..16].into(),
                "--set".into(),
                "intensity=11".into(),
            ],
            vec![],
        ),
        (
            vec![
                "import".into(),
                "--from".into(),
                "jrnl".into(),
                p("odd.txt"),
            ],
            vec![],
        ),
        (
            vec![
                "import".into(),
                "--from".into(),
                "jrnl".into(),
                p("jrnl.txt"),
                "--time-format".into(),
                "%Y-%m-%d %H:%M".into(),
            ],
            vec![],
        ),
        (vec!["unlock".into(), "--for".into(), "soon".into()], vec![]),
        (
            vec!["coreg".into(), "break".into(), "--for".into(), "5m".into()],
            vec![],
        ),
        (vec!["coreg".into()], vec![]),
        (vec!["list".into()], vec![("HAVEN_HOME", p("not-a-dir"))]),
        (
            vec!["--passphrase-file".into(), p("pass.txt"), "list".into()],
            vec![],
        ),
        (
            vec!["list".into()],
            vec![("HAVEN_NOW", "last tuesday".into())],
        ),
    ];
    let mut all = String::new();
    for (args, env) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = h.cmd(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run");
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr)
            .replace(&dir.display().to_string(), "<tmp>")
            .replace(&id[..16], "<id>");
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace(&dir.display().to_string(), "<tmp>")
                    .replace(&id[..16], "<id>")
            })
            .collect();
        all.push_str(&format!(
            "$ haven {}\n[exit {}]\n{}\n",
            shown.join(" "),
            out.status.code().unwrap_or(-1),
            err.trim_end()
        ));
    }
    insta::assert_snapshot!("error_messages", all);
}
