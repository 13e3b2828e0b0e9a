//! Editing safely: `edit --set` is checked against the kind's field schema, an emptied
//! editor buffer aborts, and `show` and the Markdown export list fields in the practice's
//! own order with its labels.

mod common;

use common::Haven;
use serde_json::Value;

fn saved(h: &Haven, args: &[&str]) -> Value {
    let mut full = args.to_vec();
    full.push("--json");
    serde_json::from_str(&h.ok(&full)).expect("JSON")
}

#[test]
fn set_is_checked_against_the_schema_and_a_refusal_changes_nothing() {
    let h = Haven::init();
    let c = saved(&h, &["checkin", "-f", "sad", "-i", "7", "first words"]);
    let id = c["id"].as_str().expect("id").to_string();
    let before = h.snapshot();
    for (set, says) in [
        (
            "mood=3",
            "checkin entries have no field `mood`; their fields are: feelings, intensity, pleasantness, energy, needs, response",
        ),
        (
            "intensity=11",
            "`intensity` takes a whole number from 0 to 10, not `11`",
        ),
        (
            "intensity=high",
            "`intensity` takes a whole number from 0 to 10, not `high`",
        ),
        ("pleasantness=-6", "from -5 to 5"),
        ("feelings= , ", "`feelings` needs a value"),
    ] {
        let err = h.fails(&["edit", &id[..16], "--set", set]);
        assert!(
            err.contains(says) && err.contains("nothing was changed"),
            "{set}: {err}"
        );
        assert!(err.contains("haven show"), "{set}: {err}");
    }
    let err = h.fails(&["edit", &id[..16], "--unset", "mood"]);
    assert!(err.contains("no field `mood`"), "{err}");
    assert_eq!(h.snapshot(), before, "nothing was written");

    let b = saved(
        &h,
        &[
            "boundary",
            "--person",
            "Alex",
            "--respected",
            "yes",
            "--honouring",
            "yes",
        ],
    );
    let bid = b["id"].as_str().expect("id").to_string();
    let err = h.fails(&["edit", &bid[..16], "--set", "needs_respected=sometimes"]);
    assert!(
        err.contains("`needs_respected` is one of yes, partly, no, not `sometimes`"),
        "{err}"
    );
    let edited = saved(&h, &["edit", &bid[..16], "--set", "needs_respected=Partly"]);
    assert_eq!(
        edited["fields"]["needs_respected"], "partly",
        "the schema's spelling"
    );

    let r = saved(&h, &[&common::REPAIR_WITH_SAM[..]].concat());
    let ans = saved(
        &h,
        &[
            "repair",
            "answer",
            &r["id"].as_str().expect("id")[..16],
            "--received",
        ],
    );
    let err = h.fails(&[
        "edit",
        &ans["id"].as_str().expect("id")[..20],
        "--set",
        "answers=01ABC",
    ]);
    assert!(err.contains("`answers` is set by Haven itself"), "{err}");
    let edited = saved(
        &h,
        &[
            "edit",
            &id[..16],
            "--set",
            "intensity=3",
            "--set",
            "feelings=calm, tired",
        ],
    );
    assert_eq!(edited["fields"]["intensity"], 3);
    assert_eq!(
        edited["fields"]["feelings"],
        serde_json::json!(["calm", "tired"])
    );
}

#[test]
fn an_emptied_editor_buffer_aborts_and_the_file_ends_with_a_newline() {
    if !common::shm_is_tmpfs() {
        println!(
            "skipped: /dev/shm is not a tmpfs here, and the editor's file must stay in memory"
        );
        return;
    }
    let h = Haven::init();
    let c = saved(&h, &["write", "first words"]);
    let id = c["id"].as_str().expect("id").to_string();
    let before = h.snapshot();
    let out = h
        .cmd(&["edit", &id[..16]])
        .env("EDITOR", "truncate -s 0")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty: nothing changed") && err.contains("haven delete"),
        "{err}"
    );
    assert_eq!(h.snapshot(), before);
    // An editor that appends a line: the words stay apart.
    let out = h
        .cmd(&["edit", &id[..16]])
        .env("EDITOR", "sh -c 'printf \"more words\" >> \"$1\"' editor")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(h.texts(), vec!["first words\nmore words"]);
}

/// The entry's id and this device's id, which differ on every run, replaced.
fn redact(text: &str, id: &str) -> String {
    text.lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("Device") {
                let pad = rest.len() - rest.trim_start().len();
                format!("Device{}<device>", " ".repeat(pad))
            } else {
                l.replace(id, "<id>")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn show_and_markdown_list_fields_in_the_practices_order_with_aligned_labels() {
    let h = Haven::init().at_clock("2026-11-27T18:30:00Z");
    let c = saved(
        &h,
        &[
            "checkin",
            "--need",
            "rest",
            "-r",
            "It makes sense",
            "--energy",
            "-2",
            "-i",
            "6",
            "-f",
            "anxious",
            "--pleasantness",
            "1",
            "long day",
        ],
    );
    let id = c["id"].as_str().expect("id").to_string();
    insta::assert_snapshot!("show_checkin", redact(&h.ok(&["show", &id]), &id));
    let b = saved(
        &h,
        &[
            "boundary",
            "--person",
            "Alex",
            "--respected",
            "partly",
            "--honouring",
            "yes",
            "--action",
            "say it kindly",
        ],
    );
    let bid = b["id"].as_str().expect("id").to_string();
    insta::assert_snapshot!("show_boundary", redact(&h.ok(&["show", &bid]), &bid));
    let md = h.ok(&["export", "--format", "markdown"]);
    let checkin = md.split("· checkin").nth(1).expect("the check-in");
    let labels: Vec<&str> = checkin
        .lines()
        .filter_map(|l| l.strip_prefix("- **"))
        .map(|l| l.split(':').next().unwrap_or(""))
        .take(6)
        .collect();
    assert_eq!(
        labels,
        [
            "Feelings",
            "Intensity",
            "Pleasantness",
            "Energy",
            "Needs",
            "Response"
        ]
    );
}
