//! Unit tests of import and export.

use serde_json::Value;

use super::*;
use crate::entry::{EntryKind, FieldValue};

/// A jrnl journal file read with its time format detected.
fn read_text(journal: &str) -> Result<Vec<Entry>, ImportError> {
    import_jrnl_text(journal, None, &opts()).map(|t| t.entries)
}

fn opts() -> ImportOptions {
    ImportOptions {
        device: "dev1".into(),
        author: "Robin".into(),
        tz: jiff::tz::TimeZone::get("Europe/Berlin").unwrap(),
    }
}

fn note(ms: i64, offset: i32, text: &str, starred: bool) -> Entry {
    let created = Timestamp {
        unix_ms: ms,
        offset_secs: offset,
    };
    let mut e = imported_note(
        "test",
        created.unix_ms,
        created,
        text.into(),
        &[],
        starred,
        &opts(),
    )
    .unwrap();
    e.device = "dev0".into();
    e
}

fn samples() -> Vec<Entry> {
    let mut checkin = note(
        1_700_000_100_000,
        3600,
        "Tight chest before the call.",
        false,
    );
    checkin.kind = EntryKind::Checkin;
    checkin
        .fields
        .insert("feelings".into(), FieldValue::List(vec!["anxious".into()]));
    checkin
        .fields
        .insert("intensity".into(), FieldValue::Int(6));
    checkin
        .fields
        .insert("received".into(), FieldValue::Bool(true));
    checkin.people = vec!["Sam".into()];
    vec![
        note(
            1_700_000_000_000,
            3600,
            "Über den Tag: ruhig. #ruhe\nZweite Zeile mit @Sam\n\nund 日本語。",
            true,
        ),
        note(1_700_003_600_000, -5 * 3600, "One line only #calm", false),
        note(
            1_700_007_200_000,
            0,
            "First sentence. Second one #calm #work",
            false,
        ),
        checkin,
    ]
}

#[test]
fn a_practice_entry_without_text_exports_no_title() {
    let mut e = note(1_700_000_000_000, 0, "", false);
    e.kind = EntryKind::Checkin;
    let json = export_json(&[e], &jiff::tz::TimeZone::UTC);
    assert_eq!(json["entries"][0]["title"], "");
    assert_eq!(json["entries"][0]["body"], "");
    assert_eq!(split_title(" \n "), (String::new(), String::new()));
}

#[test]
fn split_title_matches_jrnl() {
    assert_eq!(
        split_title("Hello there. More text"),
        ("Hello there.".into(), "More text".into())
    );
    assert_eq!(
        split_title("Line one\nline two. x"),
        ("Line one".into(), "line two. x".into())
    );
    assert_eq!(
        split_title("no terminal"),
        ("no terminal".into(), "".into())
    );
    assert_eq!(
        split_title("Quoted!\" then)"),
        ("Quoted!\"".into(), "then)".into())
    );
    assert_eq!(
        split_title("日本語。続き"),
        ("日本語。".into(), "続き".into())
    );
    assert_eq!(
        split_title("v1.2 is out"),
        ("v1.2 is out".into(), "".into())
    );
}

#[test]
fn export_json_has_jrnl_keys_and_tag_counts() {
    let v = export_json(&samples(), &jiff::tz::TimeZone::UTC);
    assert_eq!(v["tags"]["#calm"], 2);
    assert_eq!(v["tags"]["#ruhe"], 1);
    let first = &v["entries"][0];
    assert_eq!(first["title"], "Über den Tag: ruhig. #ruhe");
    assert_eq!(first["body"], "Zweite Zeile mit @Sam\n\nund 日本語。");
    // 1_700_000_000_000 ms is 2023-11-14 22:13:20 UTC; the writer was at +01:00.
    assert_eq!(first["date"], "2023-11-14");
    assert_eq!(first["time"], "23:13");
    assert_eq!(first["starred"], true);
    assert_eq!(first["created"], "2023-11-14T23:13:20.000+01:00");
    assert_eq!(v["entries"][1]["kind"], "checkin");
    assert_eq!(v["entries"][1]["fields"]["intensity"], 6);
    let third = &v["entries"][3];
    assert_eq!(third["title"], "First sentence. Second one #calm #work");
    assert_eq!(third["body"], "");
    for key in [
        "title", "body", "date", "time", "tags", "starred", "id", "kind", "created", "edited",
        "author", "device", "people", "text", "fields",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn haven_json_round_trips_losslessly_but_for_the_importing_device() {
    let entries = samples();
    let text = serde_json::to_string(&export_json(&entries, &jiff::tz::TimeZone::UTC)).unwrap();
    let mut back = import_jrnl_json(&text, &opts()).unwrap();
    back.sort_by_key(|e| e.id);
    let mut want = entries.clone();
    want.sort_by_key(|e| e.id);
    // The device that imports writes and signs them: they are its entries now.
    for e in &mut want {
        e.device = opts().device;
    }
    assert_eq!(back, want);
}

/// Haven's export with only jrnl's keys left, as jrnl itself would have it.
fn strip_to_jrnl(v: &Value) -> String {
    let mut v = v.clone();
    for e in v["entries"].as_array_mut().unwrap() {
        let obj = e.as_object_mut().unwrap();
        obj.retain(|k, _| {
            ["title", "body", "date", "time", "tags", "starred"].contains(&k.as_str())
        });
    }
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn jrnl_json_import_rebuilds_text_tags_and_stars() {
    let utc = ImportOptions {
        tz: jiff::tz::TimeZone::fixed(jiff::tz::offset(1)),
        ..opts()
    };
    let v = export_json(&samples()[..1], &jiff::tz::TimeZone::UTC);
    let back = import_jrnl_json(&strip_to_jrnl(&v), &utc).unwrap();
    assert_eq!(back.len(), 1);
    let e = &back[0];
    assert_eq!(
        e.text,
        "Über den Tag: ruhig. #ruhe\nZweite Zeile mit @Sam\n\nund 日本語。"
    );
    assert_eq!(e.created.unix_ms, 1_699_999_980_000); // minutes only
    assert_eq!(e.created.offset_secs, 3600);
    assert!(e.starred);
    assert_eq!(e.tags, vec!["#ruhe", "@Sam"]);
    assert_eq!(e.kind, EntryKind::Note);
    assert_eq!(e.author, "Robin");
    assert_eq!(e.device, "dev1");
}

#[test]
fn jrnl_text_import_reads_stars_bodies_and_unicode() {
    let journal = "[2024-01-02 09:15] Morgen mit Kaffee. #ruhe *\nZweite Zeile.\n\nDritte — ok @Sam\n\n[2024-01-03 21:00] Only a title\n\n[2024-01-04 07:05] 日本語のタイトル。本文\n";
    let entries = read_text(journal).unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries[0].starred);
    assert_eq!(
        entries[0].text,
        "Morgen mit Kaffee. #ruhe\nZweite Zeile.\n\nDritte — ok @Sam"
    );
    assert_eq!(entries[0].tags, vec!["#ruhe", "@Sam"]);
    assert_eq!(
        entries[0].created.writer_local().unwrap().to_string(),
        "2024-01-02T09:15:00+01:00[+01:00]"
    );
    assert!(!entries[1].starred);
    assert_eq!(entries[1].text, "Only a title");
    // The trailing newline makes jrnl take the whole line as the title.
    assert_eq!(entries[2].text, "日本語のタイトル。本文");
}

#[test]
fn jrnl_text_and_json_of_one_journal_get_the_same_ids() {
    let journal = "[2024-01-02 09:15] Title here. #a *\nBody line\n\n[2024-01-03 21:00] Second\n";
    let from_text = read_text(journal).unwrap();
    let json = r##"{"tags": {"#a": 1}, "entries": [
      {"title": "Title here. #a", "body": "Body line", "date": "2024-01-02", "time": "09:15", "tags": ["#a"], "starred": true},
      {"title": "Second", "body": "", "date": "2024-01-03", "time": "21:00", "tags": [], "starred": false}]}"##;
    let from_json = import_jrnl_json(json, &opts()).unwrap();
    assert_eq!(from_text, from_json);
}

#[test]
fn ids_are_deterministic() {
    let a = import_id("jrnl", 1_700_000_000_000, "same text").unwrap();
    assert_eq!(
        a,
        import_id("jrnl", 1_700_000_000_000, "same text").unwrap()
    );
    assert_eq!(a.unix_ms(), 1_700_000_000_000);
    assert_ne!(
        a,
        import_id("jrnl", 1_700_000_000_000, "same text!").unwrap()
    );
    assert_ne!(
        a,
        import_id("dayone", 1_700_000_000_000, "same text").unwrap()
    );
    assert_ne!(
        a,
        import_id("jrnl", 1_700_000_000_001, "same text").unwrap()
    );
    assert!(import_id("jrnl", -1, "before 1970").is_none());
    let journal = "[2024-01-02 09:15] A\n\n[2024-01-02 09:15] B\n";
    let once = read_text(journal).unwrap();
    let twice = read_text(journal).unwrap();
    assert_eq!(once, twice);
    assert_ne!(once[0].id, once[1].id);
}

#[test]
fn malformed_jrnl_text_names_the_line() {
    let err = read_text("preamble\n[2024-01-02 09:15] A\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: text before the first `[date] title` line"
    );
    let err = read_text("[2024-01-02 09:15] A\nbody\n\n[2024-13-40 09:15] B\n").unwrap_err();
    assert!(matches!(err, ImportError::Line { line: 4, .. }), "{err}");
    let err = read_text("\n\njust prose").unwrap_err();
    assert!(matches!(err, ImportError::Line { line: 3, .. }), "{err}");
    assert!(read_text("").unwrap().is_empty());
    // A bracketed word that is not a date is body text, as in jrnl.
    let ok = read_text("[2024-01-02 09:15] A\n[link] here\n").unwrap();
    assert_eq!(ok[0].text, "A\n[link] here");
}

#[test]
fn malformed_json_names_the_entry() {
    let err = import_jrnl_json("{\"entries\": [", &opts()).unwrap_err();
    assert!(matches!(err, ImportError::Json { line: 1, .. }), "{err}");
    let err = import_jrnl_json("{\"tags\": {}}", &opts()).unwrap_err();
    assert!(matches!(err, ImportError::Shape(_)), "{err}");
    let json = r#"{"entries": [{"title": "ok", "date": "2024-01-02", "time": "10:00"},
                   {"title": "bad", "date": "2024-02-30", "time": "10:00"}]}"#;
    let err = import_jrnl_json(json, &opts()).unwrap_err();
    assert!(
        err.to_string().starts_with("entry 2 (entries[1]): `date`"),
        "{err}"
    );
    let json = r#"{"entries": [{"creationDate": "2024-01-02T03:04:05Z", "text": "x"}, 7]}"#;
    let err = import_dayone_json(json, &opts()).unwrap_err();
    assert_eq!(err.to_string(), "entry 2 (entries[1]): not an object");
    let json = r#"{"entries": [{"text": "no date"}]}"#;
    let err = import_dayone_json(json, &opts()).unwrap_err();
    assert!(err.to_string().contains("creationDate"), "{err}");
    let json = r#"{"entries": [{"id": "nope", "created": "2024-01-02T03:04:05Z"}]}"#;
    assert!(matches!(
        import_jrnl_json(json, &opts()).unwrap_err(),
        ImportError::Entry { index: 0, .. }
    ));
}

#[test]
fn dayone_import_reads_zone_escapes_tags_and_stars() {
    let json = r#"{"metadata": {"version": "1.0"}, "entries": [
      {"uuid": "A1", "creationDate": "2024-01-02T03:04:05Z", "timeZone": "Europe/Paris",
       "text": "Ein Tag\\. Gut\\! \\#nope\n\nzweite Zeile", "starred": true, "tags": ["calm", "long tag"]},
      {"uuid": "B2", "creationDate": "2023-06-01T12:00:00Z", "timeZone": "Mars/Olympus",
       "text": "Unknown zone"}]}"#;
    let entries = import_dayone_json(json, &opts()).unwrap();
    assert_eq!(entries.len(), 2);
    let (old, new) = (&entries[0], &entries[1]);
    assert_eq!(old.created.offset_secs, 0);
    assert_eq!(new.created.offset_secs, 3600);
    assert_eq!(new.created.unix_ms, 1_704_164_645_000);
    assert_eq!(new.text, "Ein Tag. Gut! #nope\n\nzweite Zeile");
    assert_eq!(new.tags, vec!["#nope", "#calm", "#long-tag"]);
    assert!(new.starred && !old.starred);
    let again = import_dayone_json(json, &opts()).unwrap();
    assert_eq!(entries, again);
}

#[test]
fn markdown_groups_by_day_with_labelled_fields() {
    let md = export_markdown(&samples(), &jiff::tz::TimeZone::UTC);
    assert!(md.starts_with("# Haven journal\n"), "{md}");
    assert!(md.contains("\n## Tuesday 14 November 2023\n"), "{md}");
    assert!(md.contains("### 23:13 (+01:00) · note ★"), "{md}");
    assert!(md.contains("- **Feelings:** anxious"), "{md}");
    assert!(md.contains("- **Intensity:** 6"), "{md}");
    assert!(md.contains("- **Received:** yes"), "{md}");
    assert!(md.contains("- **People:** Sam"), "{md}");
    assert!(md.contains("- **Tags:** #calm #work"), "{md}");
    assert_eq!(md.matches("\n## ").count(), 2, "{md}");
}

#[test]
fn streamed_json_equals_the_value_form() {
    let tz = jiff::tz::TimeZone::UTC;
    let mut entries = Vec::new();
    for n in 0..3u64 {
        let mut e = Entry::note(
            EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
            Timestamp {
                unix_ms: 1_700_000_000_000 + n as i64,
                offset_secs: 0,
            },
            "dev".into(),
            format!("entry {n} #tag{}", n % 2),
        );
        e.starred = n == 1;
        entries.push(e);
    }
    let mut buf = Vec::new();
    write_json(&entries, &tz, &mut buf).unwrap();
    let streamed: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(streamed, export_json(&entries, &tz));
    let mut empty = Vec::new();
    write_json(&[], &tz, &mut empty).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&empty).unwrap(),
        export_json(&[], &tz)
    );
}

#[test]
fn jrnl_default_format_with_seconds_and_its_export_give_one_id_per_entry() {
    // jrnl 4's default `timeformat` is `%F %r`; its JSON export has minutes only.
    let journal =
        "[2026-10-01 11:59:07 PM] Late walk. #calm *\nBody\n\n[2026-10-02 08:00:00 AM] Morning\n";
    let read = import_jrnl_text(journal, None, &opts()).unwrap();
    assert_eq!(read.time_format.as_str(), "%F %r");
    assert_eq!(read.entries.len(), 2);
    assert!(read.entries[0].starred);
    let json = r##"{"tags": {"#calm": 1}, "entries": [
      {"title": "Late walk. #calm", "body": "Body", "date": "2026-10-01", "time": "23:59", "tags": ["#calm"], "starred": true},
      {"title": "Morning", "body": "", "date": "2026-10-02", "time": "08:00", "tags": [], "starred": false}]}"##;
    let from_json = import_jrnl_json(json, &opts()).unwrap();
    let ids = |v: &[Entry]| v.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&read.entries), ids(&from_json));
    // The file's seconds are kept in the entry's time.
    assert_eq!(
        read.entries[0].created.unix_ms - from_json[0].created.unix_ms,
        7_000
    );
}

#[test]
fn an_unknown_date_format_names_the_line_and_a_given_one_is_used() {
    let journal = "[1 Oct 26 at 23:59] Odd\n";
    assert_eq!(
        import_jrnl_text(journal, None, &opts()).unwrap_err(),
        ImportError::UnknownTimeFormat {
            line: 1,
            blob: "1 Oct 26 at 23:59".into()
        }
    );
    let given = TimeFormat::new("%-d %b %y at %H:%M").unwrap();
    let read = import_jrnl_text(journal, Some(&given), &opts()).unwrap();
    assert_eq!(
        read.entries[0].created.writer_local().unwrap().to_string(),
        "2026-10-01T23:59:00+02:00[+02:00]"
    );
    // A given format is not second-guessed: a line it cannot read is an error.
    let other = TimeFormat::new("%F %T").unwrap();
    let err = import_jrnl_text("[2026-10-01 23:59] A\n", Some(&other), &opts()).unwrap_err();
    assert!(matches!(err, ImportError::Line { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("`%F %T`"), "{err}");
}
