//! Back-dating with `--at` on every writing command, against a clock fixed with
//! `HAVEN_NOW`, so that these dates are the same whatever day the tests run.

mod common;

use common::Haven;
use serde_json::Value;

/// Friday 27 November 2026, 18:30 (the tests run with `TZ=UTC`).
const NOW: &str = "2026-11-27T18:30:00Z";

/// `haven ARGS --json` at [`NOW`], asserting success: the saved entry.
fn saved_at_now(h: &Haven, args: &[&str]) -> Value {
    let out = h
        .cmd(args)
        .arg("--json")
        .env("HAVEN_NOW", NOW)
        .output()
        .expect("run haven");
    assert!(
        out.status.success(),
        "haven {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // `reframe --json` wraps the entry with its analysis.
    v.get("saved").cloned().unwrap_or(v)
}

#[test]
fn every_writing_command_takes_at_in_natural_or_iso_form() {
    let h = Haven::init();
    let repair = saved_at_now(
        &h,
        &[
            &common::REPAIR_WITH_SAM[..],
            &["--at", "yesterday 21:00"][..],
        ]
        .concat(),
    );
    let repair_id = repair["id"].as_str().expect("id").to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["write", "--at", "yesterday 21:00", "a late walk"],
            "2026-11-26T21:00:00.000+00:00",
        ),
        (
            vec!["checkin", "-f", "calm", "-i", "2", "--at", "monday 9:30pm"],
            "2026-11-23T21:30:00.000+00:00",
        ),
        (
            vec![
                "gratitude",
                "--person",
                "Sam",
                "--way",
                "listened",
                "--at",
                "2026-11-20 20:15",
            ],
            "2026-11-20T20:15:00.000+00:00",
        ),
        (
            vec![
                "boundary",
                "--person",
                "Alex",
                "--respected",
                "yes",
                "--honouring",
                "yes",
                "--at",
                "3 hours ago",
            ],
            "2026-11-27T15:30:00.000+00:00",
        ),
        (
            vec!["affirm", "add", "--at", "noon", "I", "am", "enough"],
            "2026-11-27T12:00:00.000+00:00",
        ),
        (
            vec![
                "reframe",
                "You never listen",
                "--feel",
                "alone",
                "--need",
                "attention",
                "--request",
                "hear me out",
                "--at",
                "last friday 8pm",
            ],
            "2026-11-20T20:00:00.000+00:00",
        ),
        (
            vec![
                "coreg",
                "need",
                "--need",
                "a hug",
                "--at",
                "2026-11-27T07:05:00+01:00",
            ],
            "2026-11-27T06:05:00.000+00:00",
        ),
        // The flag may come before the subcommand, too.
        (
            vec!["coreg", "--at", "an hour ago", "break", "--for", "30m"],
            "2026-11-27T17:30:00.000+00:00",
        ),
        (
            vec![
                "repair",
                "answer",
                &repair_id[..16],
                "--received",
                "--at",
                "today 08:00",
            ],
            "2026-11-27T08:00:00.000+00:00",
        ),
    ];
    for (args, created) in &cases {
        let e = saved_at_now(&h, args);
        // Relative moments ("3 hours ago") carry the clock's milliseconds.
        let got = e["created"].as_str().expect("created");
        assert_eq!(got[..19], created[..19], "{args:?}: {e:#}");
        // The id's time part is the entry's time, so lists sort it where it happened.
        assert_eq!(
            &e["id"].as_str().expect("id")[..10],
            &ulid_prefix(got),
            "{args:?}"
        );
        if args.contains(&"break") {
            let back = e["fields"]["return_at"].as_i64().expect("return_at");
            let at: jiff::Timestamp = got.parse().expect("time");
            assert_eq!(
                back,
                at.as_millisecond() + 30 * 60_000,
                "back after the break"
            );
        }
    }
    assert_eq!(repair["created"], "2026-11-26T21:00:00.000+00:00");
    // Without --at, now is the fixed clock's.
    let now = saved_at_now(&h, &["write", "written now"]);
    assert!(
        now["created"]
            .as_str()
            .expect("created")
            .starts_with("2026-11-27T18:30:0"),
        "{now:#}"
    );
}

/// The first ten characters of the ULID of an entry made at `created`.
fn ulid_prefix(created: &str) -> String {
    let at: jiff::Timestamp = created.parse().expect("time");
    let ms = u64::try_from(at.as_millisecond()).expect("after 1970");
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    (0..10)
        .rev()
        .map(|i| char::from(ALPHABET[((ms >> (5 * i)) & 31) as usize]))
        .collect()
}

#[test]
fn a_moment_that_cannot_be_or_lies_ahead_saves_nothing() {
    let h = Haven::init();
    let out = h
        .cmd(&["write", "--at", "whenever", "text"])
        .env("HAVEN_NOW", NOW)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read `whenever` as a moment") && err.contains("yesterday 21:00"),
        "{err}"
    );
    let out = h
        .cmd(&["checkin", "-f", "calm", "-i", "2", "--at", "tomorrow 9am"])
        .env("HAVEN_NOW", NOW)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is in the future (2026-11-28 09:00)") && err.contains("nothing was saved"),
        "{err}"
    );
    let out = h
        .cmd(&["write", "x"])
        .env("HAVEN_NOW", "last tuesday")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HAVEN_NOW is not an RFC 3339 time"));
    assert_eq!(h.list_json()["total"], 0);
}
