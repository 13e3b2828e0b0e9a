//! End-to-end tests of the practices: every entry kind from flags alone, the reading
//! filters, editing, deleting, journals, completions and the man page.

#![allow(clippy::unwrap_used)]

mod common;

use common::Haven;
use serde_json::Value;

fn saved(h: &Haven, args: &[&str]) -> Value {
    let mut full = args.to_vec();
    full.push("--json");
    serde_json::from_str(&h.ok(&full)).expect("JSON")
}

fn ids(list: &Value) -> Vec<String> {
    list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn list(h: &Haven, args: &[&str]) -> Value {
    let mut full = vec!["list", "--json"];
    full.extend_from_slice(args);
    serde_json::from_str(&h.ok(&full)).expect("JSON")
}

#[test]
fn every_practice_saves_its_structured_fields() {
    let h = Haven::init();
    let c = saved(
        &h,
        &[
            "checkin",
            "--feeling",
            "anxious,tired",
            "-f",
            "hopeful",
            "--intensity",
            "6",
            "--pleasantness",
            "-2",
            "--need",
            "rest",
            "--response",
            "It makes sense to feel this",
            "long",
            "day",
        ],
    );
    assert_eq!(c["kind"], "checkin");
    assert_eq!(
        c["fields"]["feelings"],
        serde_json::json!(["anxious", "tired", "hopeful"])
    );
    assert_eq!(c["fields"]["intensity"], 6);
    assert_eq!(c["fields"]["pleasantness"], -2);
    assert_eq!(c["fields"]["needs"], serde_json::json!(["rest"]));
    assert_eq!(c["text"], "long day");

    let g = saved(
        &h,
        &[
            "gratitude",
            "--person",
            "Sam",
            "--way",
            "listened",
            "stayed on the phone",
        ],
    );
    assert_eq!(g["people"], serde_json::json!(["Sam"]));
    assert_eq!(g["fields"]["ways"], serde_json::json!(["listened"]));

    let b = saved(
        &h,
        &[
            "boundary",
            "--person",
            "Alex",
            "--crossed",
            "--context",
            "work",
            "--action",
            "say no next time",
        ],
    );
    assert_eq!(b["fields"]["event"], "crossed");
    assert_eq!(b["fields"]["context"], "work");
    let r = saved(
        &h,
        &[
            "boundary",
            "--person",
            "Alex",
            "--respected",
            "partly",
            "--honouring",
            "yes",
        ],
    );
    assert_eq!(r["fields"]["event"], "reflection");
    assert_eq!(r["fields"]["needs_respected"], "partly");

    let a = saved(
        &h,
        &[
            "affirm", "add", "I", "can", "rest", "and", "still", "be", "loved",
        ],
    );
    assert_eq!(a["kind"], "affirmation");
    assert_eq!(a["fields"]["source"], "own");
    let today: Value = serde_json::from_str(&h.ok(&["affirm", "--json"])).unwrap();
    assert!(!today["affirmation"].as_str().unwrap().is_empty());
    assert_eq!(
        h.ok(&["affirm"]),
        h.ok(&["affirm"]),
        "the affirmation of the day is stable"
    );

    let n = saved(
        &h,
        &["coreg", "need", "--need", "presence", "--overwhelm", "8"],
    );
    assert_eq!(n["fields"]["mode"], "checkin");
    assert_eq!(n["fields"]["needs"], serde_json::json!(["presence"]));
    let br = saved(&h, &["coreg", "break", "--for", "45m", "going for a walk"]);
    assert_eq!(br["fields"]["break_minutes"], 45);
    let created = br["created"].as_str().unwrap().to_string();
    assert!(br["fields"]["return_at"].as_i64().unwrap() > 0, "{created}");
    let here = saved(&h, &["coreg", "here", &n["id"].as_str().unwrap()[..20]]);
    assert_eq!(here["fields"]["replies_to"], n["id"]);

    let all = list(&h, &[]);
    assert_eq!(all["total"], 8);
}

#[test]
fn breaks_outside_twenty_minutes_to_a_day_are_refused_with_the_reason() {
    let h = Haven::init();
    let err = h.fails(&["coreg", "break", "--for", "10m"]);
    assert!(err.contains("too short") && err.contains("20"), "{err}");
    let err = h.fails(&["coreg", "break", "--for", "25h"]);
    assert!(err.contains("too long") && err.contains("24h"), "{err}");
    let err = h.fails(&["coreg", "break", "--for", "soon"]);
    assert!(err.contains("not a duration"), "{err}");
    assert_eq!(list(&h, &[])["total"], 0);
}

#[test]
fn practices_without_required_flags_name_them_when_not_on_a_terminal() {
    let h = Haven::init();
    for (args, flag) in [
        (vec!["checkin"], "--feeling"),
        (vec!["gratitude"], "--person"),
        (vec!["boundary"], "--person"),
        (vec!["repair", "open"], "--with"),
        (vec!["repair", "open", "--with", "Sam"], "--my-part"),
        (vec!["coreg", "need"], "--need"),
    ] {
        let err = h.fails(&args);
        assert!(
            err.contains(flag) && err.contains("nothing was saved"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(list(&h, &[])["total"], 0);
}

#[test]
fn repairs_go_open_answered_repaired() {
    let h = Haven::init();
    let r = saved(
        &h,
        &[
            "repair",
            "open",
            "--with",
            "Sam",
            "--my-part",
            "I snapped",
            "--their-experience",
            "You felt dismissed",
            "--path-forward",
            "pause before answering",
        ],
    );
    let id = r["id"].as_str().unwrap().to_string();
    let open: Value = serde_json::from_str(&h.ok(&["repair", "list", "--json"])).unwrap();
    assert_eq!(open[0]["state"], "open");
    let ans = saved(&h, &["repair", "answer", &id[..16], "--received"]);
    assert_eq!(ans["fields"]["answers"], id.as_str());
    assert_eq!(ans["fields"]["received"], true);
    let answered: Value = serde_json::from_str(&h.ok(&["repair", "list", "--json"])).unwrap();
    assert_eq!(answered[0]["state"], "answered");
    h.ok(&["repair", "close", &id[..16]]);
    let none: Value = serde_json::from_str(&h.ok(&["repair", "list", "--json"])).unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0);
    let all: Value = serde_json::from_str(&h.ok(&["repair", "list", "--all", "--json"])).unwrap();
    assert_eq!(all[0]["state"], "repaired");
    let err = h.fails(&[
        "repair",
        "answer",
        &ans["id"].as_str().unwrap()[..20],
        "--received",
    ]);
    assert!(err.contains("is not a repair"), "{err}");
}

#[test]
fn list_filters_combine() {
    // A fixed clock: `today` and `yesterday` are the same days on every run.
    let h = Haven::init().at_clock("2026-11-27T18:30:00Z");
    let walk = saved(&h, &["write", "Walked with @Sam #calm"]);
    saved(&h, &["write", "Work was loud #work"]);
    saved(&h, &["checkin", "-f", "calm", "-i", "3"]);
    let g = saved(&h, &["gratitude", "--person", "Sam", "listened to me"]);
    h.ok(&["star", &walk["id"].as_str().unwrap()[..20]]);

    assert_eq!(ids(&list(&h, &["--kind", "note"])).len(), 2);
    assert_eq!(
        ids(&list(&h, &["--kind", "note", "--kind", "checkin"])).len(),
        3
    );
    assert_eq!(
        ids(&list(&h, &["--tag", "calm"])),
        vec![walk["id"].as_str().unwrap()]
    );
    assert_eq!(ids(&list(&h, &["--tag", "#CALM"])).len(), 1);
    assert_eq!(ids(&list(&h, &["--person", "sam"])).len(), 2);
    assert_eq!(
        ids(&list(&h, &["--contains", "LISTENED"])),
        vec![g["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&list(&h, &["--starred"])),
        vec![walk["id"].as_str().unwrap()]
    );
    assert_eq!(ids(&list(&h, &["--on", "today"])).len(), 4);
    assert_eq!(ids(&list(&h, &["--from", "yesterday"])).len(), 4);
    assert_eq!(ids(&list(&h, &["--to", "yesterday"])).len(), 0);
    assert_eq!(
        ids(&list(
            &h,
            &[
                "--from",
                "3 days ago",
                "--to",
                "today",
                "--kind",
                "note",
                "-n",
                "1"
            ]
        ))
        .len(),
        1
    );
    assert_eq!(ids(&list(&h, &["--on", "last monday"])).len(), 0);
    let err = h.fails(&["list", "--on", "someday soon"]);
    assert!(
        err.to_lowercase().contains("yesterday") || err.contains("YYYY"),
        "{err}"
    );
    let err = h.fails(&["list", "--kind", "diary"]);
    assert!(err.contains("unknown entry kind"), "{err}");
    let text = h.ok(&["list", "--kind", "gratitude"]);
    assert!(
        text.contains("thanks to Sam") && text.contains("gratitude"),
        "{text}"
    );
    assert!(
        h.ok(&["list", "--tag", "nothing"])
            .contains("No entries match.")
    );
}

#[test]
fn edit_changes_text_and_fields_and_delete_removes() {
    let h = Haven::init();
    let c = saved(&h, &["checkin", "-f", "sad", "-i", "7", "first words #old"]);
    let id = c["id"].as_str().unwrap().to_string();
    let edited = saved(&h, &["edit", &id[..16], "--text", "better words #new"]);
    assert_eq!(edited["text"], "better words #new");
    assert_eq!(edited["tags"], serde_json::json!(["#new"]));
    assert!(edited["edited"].is_string());
    let edited = saved(
        &h,
        &[
            "edit",
            &id[..16],
            "--set",
            "intensity=3",
            "--set",
            "feelings=sad,relieved",
            "--unset",
            "needs",
        ],
    );
    assert_eq!(edited["fields"]["intensity"], 3);
    assert_eq!(
        edited["fields"]["feelings"],
        serde_json::json!(["sad", "relieved"])
    );
    let err = h.fails(&["edit", &id[..16], "--set", "novalue"]);
    assert!(err.contains("KEY=VALUE"), "{err}");

    // In $EDITOR, through a file in memory.
    let shm_is_tmpfs = common::shm_is_tmpfs();
    let out = h
        .cmd(&["edit", &id[..16]])
        .env("EDITOR", "sed -i s/better/edited/")
        .output()
        .unwrap();
    if shm_is_tmpfs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(list(&h, &[])["entries"][0]["text"], "edited words #new");
        let leftovers = std::fs::read_dir("/dev/shm")
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("haven-edit-"))
            .count();
        assert_eq!(leftovers, 0, "the editor's file must be removed");
    } else {
        eprintln!("note: /dev/shm is not a tmpfs here, so the editor path must refuse");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--text"));
    }
    let err = h.cmd(&["edit", &id[..16]]).output().unwrap();
    assert!(String::from_utf8_lossy(&err.stderr).contains("EDITOR"));

    let err = h.fails(&["delete", &id[..16]]);
    assert!(
        err.contains("--yes") && err.contains("nothing was deleted"),
        "{err}"
    );
    h.ok(&["delete", &id[..16], "--yes"]);
    assert_eq!(list(&h, &[])["total"], 0);
    assert!(h.fails(&["show", &id]).contains("no entry"));
}

#[test]
fn journals_keep_entries_apart() {
    let h = Haven::init();
    h.ok(&["journal", "new", "us"]);
    assert!(
        h.fails(&["journal", "new", "us"])
            .contains("already exists")
    );
    saved(&h, &["--journal", "us", "coreg", "need", "--need", "a hug"]);
    saved(&h, &["write", "private thought"]);
    let us = list(&h, &["--journal", "us"]);
    assert_eq!(us["total"], 1);
    assert_eq!(us["journal"], "us");
    assert_eq!(list(&h, &[])["total"], 1);
    let journals: Value = serde_json::from_str(&h.ok(&["journal", "list", "--json"])).unwrap();
    assert_eq!(journals[0]["name"], "personal");
    assert_eq!(journals[1]["name"], "us");
    assert_eq!(journals[1]["kind"], "shared");
    let err = h.fails(&["--journal", "nope", "list"]);
    assert!(err.contains("no journal named `nope`"), "{err}");
    // Writing to a named journal while locked is refused with the reason.
    let out = h
        .locked_cmd(&["--journal", "us", "write", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only the personal journal"));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let h = Haven::empty();
    let bash = String::from_utf8(
        h.locked_cmd(&["completions", "bash"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(bash.contains("checkin") && bash.contains("--passphrase-file"));
    let man = String::from_utf8(h.locked_cmd(&["man"]).output().unwrap().stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH haven"),
        "{}",
        &man[..200.min(man.len())]
    );
}

#[test]
fn entries_keep_the_writers_offset_and_sort_by_instant() {
    let h = Haven::init();
    // Written "later" by wall clock in Tokyo, but earlier in time than the New York entry.
    let tokyo = h
        .cmd(&["write", "--json", "from Tokyo"])
        .env("TZ", "Asia/Tokyo")
        .output()
        .unwrap();
    assert!(tokyo.status.success());
    std::thread::sleep(std::time::Duration::from_millis(5));
    let ny = h
        .cmd(&["write", "--json", "from New York"])
        .env("TZ", "America/New_York")
        .output()
        .unwrap();
    let tokyo: Value = serde_json::from_slice(&tokyo.stdout).unwrap();
    let ny: Value = serde_json::from_slice(&ny.stdout).unwrap();
    assert!(
        tokyo["created"].as_str().unwrap().ends_with("+09:00"),
        "{tokyo}"
    );
    let ny_offset = ny["created"].as_str().unwrap();
    assert!(
        ny_offset.ends_with("-05:00") || ny_offset.ends_with("-04:00"),
        "{ny}"
    );
    let all = list(&h, &[]);
    assert_eq!(
        all["entries"][0]["text"], "from New York",
        "newest first, by instant"
    );
    assert_eq!(all["entries"][1]["text"], "from Tokyo");
    // Listing shows the reader's local time.
    let utc = h.ok(&["list"]);
    let tokyo_hour = tokyo["created"].as_str().unwrap()[11..13]
        .parse::<i32>()
        .unwrap();
    let shown_hour = (tokyo_hour - 9).rem_euclid(24);
    assert!(utc.contains(&format!("{shown_hour:02}:")), "{utc}");
}

#[test]
fn help_text_is_stable() {
    let h = Haven::empty();
    for args in [
        vec!["--help"],
        vec!["checkin", "--help"],
        vec!["list", "--help"],
        vec!["repair", "--help"],
        vec!["coreg", "break", "--help"],
    ] {
        let out = h.locked_cmd(&args).env("COLUMNS", "100").output().unwrap();
        assert!(out.status.success());
        let words: Vec<&str> = args
            .iter()
            .filter(|a| !a.starts_with('-'))
            .cloned()
            .collect();
        let name = if words.is_empty() {
            "help_haven".to_string()
        } else {
            format!("help_{}", words.join("_"))
        };
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn own_words_join_the_vocabularies_and_live_in_the_journal() {
    let h = Haven::init();
    h.ok(&["words", "add", "feelings", "Jittery", "--group", "anxious"]);
    h.ok(&["words", "add", "needs", "a slow morning"]);
    let feelings: Value =
        serde_json::from_str(&h.ok(&["words", "list", "feelings", "--json"])).unwrap();
    let anxious = feelings
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "anxious")
        .unwrap();
    assert!(
        anxious["words"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "jittery"),
        "{anxious}"
    );
    let needs = h.ok(&["words", "list", "needs"]);
    assert!(needs.contains("a slow morning"), "{needs}");
    // They are in the journal document, so they travel with it.
    assert!(
        h.fails(&["words", "add", "feelings", "a/b"])
            .contains("no `/`")
    );
}

#[test]
fn checkin_asks_its_questions_on_a_terminal() {
    // `script` (util-linux) gives the command a real pseudo-terminal.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: the `script` command (util-linux) is not installed");
        return;
    }
    let h = Haven::init();
    let exe = env!("CARGO_BIN_EXE_haven");
    let mut child = h
        .cmd(&[])
        .arg("-qec")
        .arg(format!("{exe} checkin"))
        .arg("/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"anxious, my own word\n7\nrest\nbe gentle with yourself\n",
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("What are you feeling?") && screen.contains("How strong is it?"),
        "{screen}"
    );
    assert!(
        screen.contains("anxious") && screen.contains("Saved "),
        "{screen}"
    );
    let e = &list(&h, &[])["entries"][0];
    assert_eq!(
        e["fields"]["feelings"],
        serde_json::json!(["anxious", "my own word"])
    );
    assert_eq!(e["fields"]["intensity"], 7);
    assert_eq!(e["fields"]["needs"], serde_json::json!(["rest"]));
    assert_eq!(e["fields"]["response"], "be gentle with yourself");
}

#[test]
fn reframe_explains_and_saves_both_versions() {
    let h = Haven::init();
    let analysis: Value =
        serde_json::from_str(&h.ok(&["reframe", "--json", "You never pay attention to me!"]))
            .unwrap();
    assert_eq!(analysis["findings"][0]["pattern"], "never");
    assert!(analysis["saved"].is_null());
    let text = h.ok(&["reframe", "You", "never", "listen"]);
    assert!(
        text.contains("What I noticed") && text.contains("--feel"),
        "{text}"
    );
    let saved: Value = serde_json::from_str(&h.ok(&[
        "reframe",
        "--json",
        "You always make me feel stupid",
        "--feel",
        "small",
        "--need",
        "respect",
        "--request",
        "talk it through calmly",
    ]))
    .unwrap();
    let entry = &saved["saved"];
    assert_eq!(entry["kind"], "reframe");
    assert_eq!(
        entry["text"],
        "I feel small. I need respect. Could we talk it through calmly?"
    );
    assert_eq!(
        entry["fields"]["original"],
        "You always make me feel stupid"
    );
    let patterns = entry["fields"]["patterns"].as_array().unwrap();
    assert!(
        patterns.iter().any(|p| p == "always") && patterns.iter().any(|p| p == "you-make-me"),
        "{patterns:?}"
    );
    let fine: Value = serde_json::from_str(&h.ok(&[
        "reframe",
        "--json",
        "I feel lonely; could we have dinner together tonight?",
    ]))
    .unwrap();
    assert_eq!(fine["findings"].as_array().unwrap().len(), 0);
    assert_eq!(fine["is_need_statement"], true);
    assert_eq!(list(&h, &[])["total"], 1);
}
