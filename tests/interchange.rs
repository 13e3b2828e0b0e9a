//! End-to-end tests of `haven export` and `haven import`: the real binary against
//! temporary vaults. The real jrnl's files are imported in `jrnl.rs`.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::Haven;
use serde_json::Value;

/// jrnl's keys in each exported entry, and Haven's own.
const JRNL_KEYS: [&str; 6] = ["title", "body", "date", "time", "tags", "starred"];
const HAVEN_KEYS: [&str; 9] = [
    "id", "kind", "created", "edited", "author", "device", "people", "text", "fields",
];

fn export_json(h: &Haven) -> Value {
    serde_json::from_str(&h.ok(&["export", "--format", "json"])).expect("export is JSON")
}

fn import(h: &Haven, from: &str, file: &Path) -> String {
    h.ok(&["import", "--from", from, file.to_str().expect("utf-8 path")])
}

#[test]
fn export_json_is_a_superset_of_jrnl_and_markdown_groups_by_day() {
    let h = Haven::init();
    h.ok(&["write", "Walked by the river with @Sam. It helped #calm"]);
    h.ok(&["write", "Second note\nwith a body line #calm #work"]);
    let id = h.list_json_n(1)[0]["id"].as_str().expect("id").to_string();
    h.ok(&["star", &id]);

    let v = export_json(&h);
    assert_eq!(v["tags"]["#calm"], 2, "{v:#}");
    assert_eq!(v["tags"]["#work"], 1, "{v:#}");
    let list = v["entries"].as_array().expect("entries");
    assert_eq!(list.len(), 2);
    for e in list {
        for key in JRNL_KEYS.iter().chain(HAVEN_KEYS.iter()) {
            assert!(e.get(*key).is_some(), "missing `{key}` in {e:#}");
        }
        assert_eq!(e["kind"], "note");
        let date = e["date"].as_str().expect("date");
        let time = e["time"].as_str().expect("time");
        assert_eq!((date.len(), time.len()), (10, 5), "{e:#}");
        assert!(
            e["created"]
                .as_str()
                .expect("created")
                .starts_with(&format!("{date}T{time}:")),
            "{e:#}"
        );
    }
    // Oldest first; jrnl's title is the first line, the body the rest.
    assert_eq!(
        list[0]["title"],
        "Walked by the river with @Sam. It helped #calm"
    );
    assert_eq!(list[0]["body"], "");
    assert_eq!(list[0]["starred"], false);
    assert_eq!(list[1]["title"], "Second note");
    assert_eq!(list[1]["body"], "with a body line #calm #work");
    assert_eq!(list[1]["text"], "Second note\nwith a body line #calm #work");
    assert_eq!(list[1]["starred"], true);
    assert_eq!(list[1]["id"], id.as_str());

    let md = h.ok(&["export", "--format", "markdown"]);
    assert!(md.starts_with("# Haven journal\n"), "{md}");
    assert_eq!(md.matches("\n## ").count(), 1, "one day: {md}");
    assert_eq!(md.matches("\n### ").count(), 2, "{md}");
    assert!(md.contains("· note ★"), "{md}");
    assert!(
        md.contains("Second note\nwith a body line #calm #work\n"),
        "{md}"
    );
    assert!(md.contains("- **Tags:** #calm #work"), "{md}");
}

#[test]
fn export_to_a_file_is_private() {
    let h = Haven::init();
    h.ok(&["write", "private words"]);
    let file = h.scratch().join("out.json");
    std::fs::write(&file, "old").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = h.ok(&["export", "--output", file.to_str().expect("path")]);
    assert!(out.contains("Exported 1 entry"), "{out}");
    let mode = std::fs::metadata(&file).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON file");
    assert_eq!(v["entries"][0]["text"], "private words");

    let md = h.scratch().join("new.md");
    h.ok(&[
        "export",
        "--format",
        "markdown",
        "-o",
        md.to_str().expect("path"),
    ]);
    let mode = std::fs::metadata(&md).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&md)
            .expect("read")
            .contains("private words")
    );
}

const DAYONE: &str = r#"{
  "metadata": {"version": "1.0"},
  "entries": [
    {"uuid": "0F1E2D3C", "creationDate": "2024-01-02T08:04:05Z", "modifiedDate": "2024-01-02T08:04:05Z",
     "timeZone": "Europe/Paris", "starred": true, "tags": ["morning", "self care"],
     "text": "Café au lait\\. Calm start\\!\n\nSecond paragraph — ünïcödé #walk"},
    {"uuid": "4B5A6978", "creationDate": "2023-12-31T23:30:00Z", "timeZone": "America/New_York",
     "text": "Year end reflection"}
  ]
}"#;

#[test]
fn dayone_json_import_and_reimport_adds_nothing() {
    let h = Haven::init();
    let file = h.scratch().join("Journal.json");
    std::fs::write(&file, DAYONE).expect("write");
    assert_eq!(
        import(&h, "dayone", &file).trim(),
        "Imported 2 entries (0 already present)"
    );
    let list = h.entries_oldest_first();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["text"], "Year end reflection");
    assert_eq!(list[0]["created"], "2023-12-31T18:30:00.000-05:00");
    assert_eq!(list[0]["starred"], false);
    assert_eq!(
        list[1]["text"],
        "Café au lait. Calm start!\n\nSecond paragraph — ünïcödé #walk"
    );
    assert_eq!(list[1]["created"], "2024-01-02T09:04:05.000+01:00");
    assert_eq!(list[1]["starred"], true);
    assert_eq!(
        list[1]["tags"],
        serde_json::json!(["#walk", "#morning", "#self-care"])
    );
    assert_eq!(list[1]["kind"], "note");
    assert_eq!(list[1]["author"], "Robin");

    let before = h.snapshot();
    assert_eq!(
        import(&h, "dayone", &file).trim(),
        "Imported 0 entries (2 already present)"
    );
    assert_eq!(h.entries_oldest_first(), list);
    // Only a no-op commit may have been written, never a new entry.
    assert!(h.snapshot().len() >= before.len());

    let json: Value = serde_json::from_str(&h.ok(&[
        "--json",
        "import",
        "--from",
        "dayone",
        file.to_str().expect("path"),
    ]))
    .expect("JSON");
    assert_eq!(json["imported"], 0);
    assert_eq!(json["already_present"], 2);
}

fn write_zip(path: &Path, files: &[(&str, &str)]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        zip.start_file(*name, options).expect("start file");
        zip.write_all(text.as_bytes()).expect("write file");
    }
    zip.finish().expect("finish zip");
}

#[test]
fn dayone_zip_import_reads_every_journal_inside() {
    let h = Haven::init();
    let zip_path = h.scratch().join("export.zip");
    let other = r#"{"entries": [{"uuid": "X", "creationDate": "2024-02-03T10:00:00Z",
        "timeZone": "UTC", "text": "From the second journal #travel", "tags": ["travel"]}]}"#;
    write_zip(
        &zip_path,
        &[
            ("Journal.json", DAYONE),
            ("photos/readme.txt", "not a journal"),
            ("Travel.json", other),
        ],
    );
    assert_eq!(
        import(&h, "dayone", &zip_path).trim(),
        "Imported 3 entries (0 already present)"
    );
    let texts = h.texts();
    assert_eq!(texts[0], "From the second journal #travel");
    assert_eq!(
        h.entries_oldest_first()[2]["tags"],
        serde_json::json!(["#travel"])
    );
    // The same entries from the bare JSON file are already there.
    let file = h.scratch().join("Journal.json");
    std::fs::write(&file, DAYONE).expect("write");
    assert_eq!(
        import(&h, "dayone", &file).trim(),
        "Imported 0 entries (2 already present)"
    );
    assert_eq!(h.texts().len(), 3);

    let bad_zip = h.scratch().join("bad.zip");
    write_zip(
        &bad_zip,
        &[(
            "Journal.json",
            r#"{"entries": [{"creationDate": "2024-02-03T10:00:00Z", "text": "fine"},
                            {"creationDate": "yesterday", "text": "broken"}]}"#,
        )],
    );
    let before = h.snapshot();
    let err = h.fails(&[
        "import",
        "--from",
        "dayone",
        bad_zip.to_str().expect("path"),
    ]);
    assert!(
        err.contains("bad.zip:Journal.json")
            && err.contains("entry 2 (entries[1])")
            && err.contains("creationDate")
            && err.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(h.snapshot(), before);
}

#[test]
fn malformed_files_change_nothing_and_name_the_place() {
    let h = Haven::init();
    h.ok(&["write", "already here"]);
    let before = h.snapshot();
    let dir = h.scratch();

    let text = dir.join("journal.txt");
    std::fs::write(
        &text,
        "[2024-01-02 09:15] Fine entry\nbody\n\n[2024-02-31 10:00] Not a real day\n",
    )
    .expect("write");
    let err = h.fails(&["import", "--from", "jrnl", text.to_str().expect("path")]);
    assert!(
        err.contains("line 4:") && err.contains("2024-02-31 10:00") && err.contains("hint:"),
        "{err}"
    );

    let prose = dir.join("prose.txt");
    std::fs::write(&prose, "Dear diary,\nno dates here.\n").expect("write");
    let err = h.fails(&["import", "--from", "jrnl", prose.to_str().expect("path")]);
    assert!(err.contains("line 1:"), "{err}");

    let json = dir.join("export.json");
    std::fs::write(
        &json,
        r#"{"tags": {}, "entries": [
            {"title": "ok", "body": "", "date": "2024-01-02", "time": "09:15", "tags": [], "starred": false},
            {"title": "ok", "body": "", "date": "2024-01-03", "time": "9 pm", "tags": [], "starred": false},
            {"title": "ok", "body": "", "date": "2024-01-04", "time": "09:15", "tags": [], "starred": false}]}"#,
    )
    .expect("write");
    let err = h.fails(&["import", "--from", "jrnl", json.to_str().expect("path")]);
    assert!(err.contains("entry 2 (entries[1])"), "{err}");

    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, "{\"entries\": [\n  {\"title\": \"x\",\n").expect("write");
    let err = h.fails(&[
        "import",
        "--from",
        "dayone",
        truncated.to_str().expect("path"),
    ]);
    assert!(err.contains("not valid JSON (line 3"), "{err}");

    let binary = dir.join("binary.txt");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    let err = h.fails(&["import", "--from", "jrnl", binary.to_str().expect("path")]);
    assert!(err.contains("not UTF-8"), "{err}");

    let err = h.fails(&["import", "--from", "jrnl", "/nonexistent/file.txt"]);
    assert!(err.contains("cannot read"), "{err}");

    assert_eq!(h.snapshot(), before);
    assert_eq!(h.texts(), vec!["already here"]);
}

#[test]
fn haven_export_round_trips_into_a_fresh_vault() {
    let h = Haven::init();
    h.ok(&["write", "Erster Eintrag: Grüße aus Köln #ruhe"]);
    h.ok(&["write", "Two lines\nsecond one with @Sam *not a star*"]);
    let id = h.list_json_n(1)[0]["id"].as_str().expect("id").to_string();
    h.ok(&["star", &id]);
    let file = h.scratch().join("haven.json");
    h.ok(&["export", "-o", file.to_str().expect("path")]);

    let fresh = Haven::init();
    assert_eq!(
        import(&fresh, "jrnl", &file).trim(),
        "Imported 2 entries (0 already present)"
    );
    // Everything comes back but the device: the importing one signs the entries, so they
    // are its own now.
    let fresh_id = haven_store::Vault::open(&fresh.home)
        .expect("vault")
        .config()
        .device_id
        .clone();
    let without_device = |entries: Vec<Value>| -> Vec<Value> {
        entries
            .into_iter()
            .map(|mut e| {
                e.as_object_mut().expect("entry").remove("device");
                e
            })
            .collect()
    };
    assert!(
        fresh
            .entries_oldest_first()
            .iter()
            .all(|e| e["device"] == fresh_id.as_str())
    );
    assert_eq!(
        without_device(fresh.entries_oldest_first()),
        without_device(h.entries_oldest_first())
    );
    assert_eq!(
        import(&fresh, "jrnl", &file).trim(),
        "Imported 0 entries (2 already present)"
    );
    let exported = |h: &Haven| {
        let mut v = export_json(h);
        let entries = v["entries"].as_array().expect("entries").clone();
        v["entries"] = Value::Array(without_device(entries));
        v
    };
    assert_eq!(exported(&fresh), exported(&h));
}

#[test]
fn entries_beyond_the_limits_are_refused_before_anything_is_saved() {
    let h = Haven::init();
    h.ok(&["write", "small and kept"]);
    // Writing one: a clear error, and the journal as it was.
    let huge = "word ".repeat(60_000);
    let out = h
        .cmd(&["write"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = out.expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), huge.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("over the limit") && err.contains("split it into several entries"),
        "{err}"
    );
    assert_eq!(h.texts(), vec!["small and kept"]);
    // Importing a journal with one: named, and nothing imported.
    let json = serde_json::json!({
        "entries": [
            {"date": "2024-01-01", "time": "09:00", "title": "fine", "body": "", "tags": [], "starred": false},
            {"date": "2024-01-02", "time": "09:00", "title": "long", "body": huge, "tags": [], "starred": false}
        ]
    });
    let file = h.scratch().join("big.json");
    std::fs::write(&file, json.to_string()).expect("write");
    let err = h.fails(&["import", "--from", "jrnl", file.to_str().expect("path")]);
    assert!(
        err.contains("cannot be imported") && err.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(h.texts(), vec!["small and kept"]);
}
