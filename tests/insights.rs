//! End-to-end tests of `haven insights`: structured entries are written into a test vault
//! through the store library, then the real binary draws them in the terminal, as JSON and
//! as an HTML report (which headless Chromium renders when it is installed).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Haven;
use haven_model::{Entry, EntryId, EntryKind, FieldValue, Timestamp};
use jiff::civil::{Date, date};
use serde_json::Value;

/// A name that must come out escaped in HTML and harmless in the terminal.
const HOSTILE: &str = "<script>alert(\"x\")</script>\u{1b}[2JEve";

struct Builder {
    entries: Vec<Entry>,
    n: u128,
}

impl Builder {
    fn new() -> Self {
        Builder {
            entries: Vec::new(),
            n: 1,
        }
    }

    fn add(&mut self, kind: EntryKind, day: Date, hour: i8) -> &mut Entry {
        let ts = day
            .at(hour, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp();
        let created = Timestamp {
            unix_ms: ts.as_millisecond(),
            offset_secs: 0,
        };
        self.n += 1;
        let id = EntryId::from_parts(created.unix_ms as u64, self.n);
        let mut e = Entry::new(kind, id, created, "test-device".into(), String::new());
        e.author = "Robin".into();
        e.text = format!("{kind} entry");
        self.entries.push(e);
        self.entries.last_mut().unwrap()
    }

    fn checkin(&mut self, day: Date, feelings: &[&str], intensity: i64, needs: &[&str]) {
        let e = self.add(EntryKind::Checkin, day, 9);
        e.fields.insert("feelings".into(), list(feelings));
        e.fields
            .insert("intensity".into(), FieldValue::Int(intensity));
        e.fields.insert("needs".into(), list(needs));
    }

    fn gratitude(&mut self, day: Date, people: &[&str], ways: &[&str]) {
        let e = self.add(EntryKind::Gratitude, day, 21);
        e.people = people.iter().map(|s| s.to_string()).collect();
        e.fields.insert("ways".into(), list(ways));
    }

    fn boundary(&mut self, day: Date, person: &str, event: &str) {
        let e = self.add(EntryKind::Boundary, day, 12);
        e.people = vec![person.to_string()];
        e.fields
            .insert("event".into(), FieldValue::Text(event.into()));
    }

    fn repair(&mut self, day: Date, state: &str) -> EntryId {
        let e = self.add(EntryKind::Repair, day, 19);
        e.fields.insert(
            "my_part".into(),
            FieldValue::Text("I raised my voice".into()),
        );
        e.fields
            .insert("state".into(), FieldValue::Text(state.into()));
        e.id
    }

    fn answer(&mut self, day: Date, to: EntryId) {
        let e = self.add(EntryKind::Repair, day, 20);
        e.fields
            .insert("answers".into(), FieldValue::Text(to.to_string()));
        e.fields.insert("received".into(), FieldValue::Bool(true));
    }

    /// Writes every entry into the personal journal of `h`.
    fn seed(&self, h: &Haven) {
        let vault = haven_store::Vault::open(&h.home).unwrap();
        let keys = vault
            .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
            .unwrap();
        // In this device's name, as every entry it signs must be.
        let me = vault.config().device_id.clone();
        vault
            .personal()
            .change(&keys, |doc| {
                for e in &self.entries {
                    let mut e = e.clone();
                    e.device = me.clone();
                    haven_model::schema::insert_if_absent(doc, &e)?;
                }
                Ok(())
            })
            .unwrap();
    }
}

fn list(items: &[&str]) -> FieldValue {
    FieldValue::List(items.iter().map(|s| s.to_string()).collect())
}

/// The day every command of these tests runs on (`HAVEN_NOW`, with TZ=UTC).
const NOW: &str = "2026-11-27T18:30:00Z";

fn today() -> Date {
    date(2026, 11, 27)
}

fn days_ago(n: i64) -> Date {
    today().checked_sub(jiff::Span::new().days(n)).unwrap()
}

/// A vault with one of everything, plus a free note written through the CLI.
fn seeded() -> Haven {
    let h = Haven::init().at_clock(NOW);
    let mut b = Builder::new();
    // Check-ins: W02 of 2026 (Mon 5th, Wed 7th) and W03 (Wed 14th).
    b.checkin(
        date(2026, 1, 5),
        &["anxious", "tired"],
        8,
        &["reassurance", "rest"],
    );
    b.checkin(date(2026, 1, 7), &["Anxious"], 6, &["reassurance"]);
    b.checkin(date(2026, 1, 14), &["calm"], 2, &["connection"]);
    let coreg = b.add(EntryKind::Coreg, date(2026, 1, 8), 22);
    coreg
        .fields
        .insert("mode".into(), FieldValue::Text("checkin".into()));
    coreg.fields.insert("needs".into(), list(&["space"]));
    // Gratitude: the last three days in a row, and once in January.
    b.gratitude(days_ago(2), &["Sam", "Alex"], &["listened", "showed up"]);
    b.gratitude(days_ago(1), &["sam"], &["listened"]);
    b.gratitude(today(), &["Sam"], &["showed care"]);
    b.gratitude(date(2026, 1, 10), &["Sam", HOSTILE], &["listened"]);
    // Boundaries.
    b.boundary(date(2026, 1, 9), "Jordan", "crossed");
    b.boundary(date(2026, 2, 3), "Jordan", "crossed");
    b.boundary(date(2026, 2, 10), "Jordan", "kept");
    b.boundary(date(2026, 1, 20), "Mia", "cancelled");
    // Repairs: one answered, one repaired, one still open.
    let r1 = b.repair(date(2026, 1, 11), "open");
    b.answer(date(2026, 1, 12), r1);
    b.repair(date(2026, 2, 1), "repaired");
    b.repair(date(2026, 2, 5), "open");
    b.seed(&h);
    h.ok(&["write", "a plain note"]);
    h
}

fn insights_json(h: &Haven, extra: &[&str]) -> Value {
    let mut args = vec!["insights", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&h.ok(&args)).expect("insights --json is JSON")
}

fn count_of(list: &Value, name: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map_or(0, |c| c["count"].as_u64().unwrap())
}

#[test]
fn json_counts_every_section() {
    let h = seeded();
    let j = insights_json(&h, &[]);
    // 3 check-ins, 1 coreg, 4 gratitude, 4 boundary, 4 repair entries, 1 note.
    assert_eq!(j["entries"], 17);
    assert_eq!(j["today"], today().to_string());

    let f = &j["feelings"];
    assert_eq!(f["checkins"], 3);
    let avg = f["average_intensity"].as_f64().unwrap();
    assert!((avg - 16.0 / 3.0).abs() < 1e-9, "{avg}");
    assert_eq!(count_of(&f["totals"], "anxious"), 2);
    assert_eq!(count_of(&f["totals"], "calm"), 1);
    let weeks = f["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0]["week"], "2026-W02");
    assert_eq!(weeks[0]["start"], "2026-01-05");
    assert_eq!(weeks[0]["checkins"], 2);
    assert_eq!(weeks[0]["average_intensity"], 7.0);
    assert_eq!(weeks[1]["week"], "2026-W03");
    assert_eq!(weeks[1]["average_intensity"], 2.0);

    let needs = &j["needs"];
    assert_eq!(count_of(&needs["all"], "reassurance"), 2);
    assert_eq!(count_of(&needs["all"], "space"), 1);
    assert_eq!(needs["most_often_unmet"][0]["name"], "reassurance");
    assert_eq!(needs["most_often_unmet"][0]["count"], 2);
    assert_eq!(count_of(&needs["most_often_unmet"], "space"), 0);

    let s = &j["support"];
    assert_eq!(s["gratitude_entries"], 4);
    assert_eq!(s["people"][0]["name"], "Sam");
    assert_eq!(s["people"][0]["count"], 4);
    assert_eq!(count_of(&s["people"][0]["ways"], "listened"), 3);
    assert_eq!(count_of(&s["people"], "Alex"), 1);
    assert_eq!(count_of(&s["ways"], "showed care"), 1);

    let b = j["boundaries"].as_array().unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["person"], "Jordan");
    assert_eq!(b[0]["crossed"], 2);
    assert_eq!(b[0]["kept"], 1);
    assert_eq!(b[0]["months"][0]["month"], "2026-01");
    assert_eq!(b[0]["months"][0]["crossed"], 1);
    assert_eq!(b[0]["months"][1]["month"], "2026-02");
    assert_eq!(b[0]["months"][1]["crossed"], 1);
    assert_eq!(b[0]["months"][1]["kept"], 1);
    assert_eq!(b[1]["person"], "Mia");
    assert_eq!(b[1]["cancelled"], 1);

    let r = &j["repairs"];
    assert_eq!(r["opened"], 3);
    assert_eq!(r["answered"], 1);
    assert_eq!(r["repaired"], 1);
    assert_eq!(r["still_open"], 1);

    let st = &j["streak"];
    assert_eq!(st["current"], 3);
    assert_eq!(st["longest"], 3);
    assert_eq!(st["longest_end"], today().to_string());
    assert_eq!(st["days"].as_array().unwrap().len(), 4);
}

#[test]
fn range_limits_every_section() {
    let h = seeded();
    let j = insights_json(&h, &["--from", "2026-02-01", "--to", "2026-02-28"]);
    assert_eq!(j["from"], "2026-02-01");
    assert_eq!(j["to"], "2026-02-28");
    assert_eq!(j["entries"], 4);
    assert_eq!(j["feelings"]["checkins"], 0);
    assert_eq!(j["boundaries"][0]["crossed"], 1);
    assert_eq!(j["boundaries"][0]["kept"], 1);
    assert_eq!(j["repairs"]["opened"], 2);
    assert_eq!(j["repairs"]["repaired"], 1);
    assert_eq!(j["streak"]["longest"], 0);

    let err = h.fails(&["insights", "--from", "next tuesday-ish"]);
    assert!(err.contains("next tuesday-ish"), "{err}");
    let err = h.fails(&["insights", "--from", "2026-03-01", "--to", "2026-02-01"]);
    assert!(err.contains("after"), "{err}");
    // Natural dates and --on work as in `haven list`.
    let j = insights_json(&h, &["--on", "2026-01-09"]);
    assert_eq!(j["entries"], 1);
    assert_eq!(j["boundaries"][0]["crossed"], 1);
    let j = insights_json(&h, &["--from", "yesterday"]);
    // Two gratitude entries and the note written through the CLI today.
    assert_eq!(j["entries"], 3);
    assert_eq!(j["streak"]["current"], 2);
}

#[test]
fn terminal_draws_charts_and_cleans_names() {
    let h = seeded();
    let out = h.ok(&["insights"]);
    for heading in [
        "Feelings over time",
        "Needs",
        "Most often unmet",
        "Who shows up for you",
        "Boundaries by person",
        "Repairs",
        "Evening gratitude",
    ] {
        assert!(out.contains(heading), "missing {heading}:\n{out}");
    }
    assert!(out.contains('█'), "no bars:\n{out}");
    assert!(
        out.contains("current streak 3 days, longest 3 days"),
        "{out}"
    );
    assert!(out.contains("Jordan"), "{out}");
    assert!(
        out.contains("3 check-ins, average intensity 5.3 of 10"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "escape sequence reached the terminal"
    );
    assert!(out.contains("Eve"), "{out}");
}

#[test]
fn empty_journal_is_friendly() {
    let h = Haven::init().at_clock(NOW);
    let out = h.ok(&["insights"]);
    assert!(out.contains("Nothing to look at yet"), "{out}");
    let j = insights_json(&h, &[]);
    assert_eq!(j["entries"], 0);
    assert_eq!(j["streak"]["current"], 0);
    let file = h.scratch().join("empty.html");
    h.ok(&["insights", "--html", file.to_str().unwrap()]);
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(!page.contains("<svg"), "an empty journal drew charts");
    assert_eq!(page.matches("data-empty=").count(), 6);
    assert!(page.contains("Nothing yet"));
}

#[test]
fn html_report_is_private_self_contained_and_escaped() {
    use std::os::unix::fs::PermissionsExt;

    let h = seeded();
    let file = h.scratch().join("report.html");
    let out = h.ok(&["insights", "--html", file.to_str().unwrap()]);
    assert!(out.contains("Wrote the HTML report to"), "{out}");
    assert!(out.contains("report.html"), "{out}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    for chart in [
        "feelings",
        "needs",
        "people",
        "boundaries",
        "repairs",
        "streak",
    ] {
        let tag = format!("<svg data-chart=\"{chart}\" role=\"img\" aria-label=\"");
        let at = page
            .find(&tag)
            .unwrap_or_else(|| panic!("no {chart} chart"));
        let svg_end = at + page[at..].find("</svg>").unwrap();
        assert!(
            page[at..svg_end].contains("<title>"),
            "{chart} chart has no title"
        );
    }
    // Nothing to fetch, nothing to run.
    for bad in ["<script", "src=", "href=", "url(", "@import", "<link"] {
        assert!(!page.contains(bad), "report contains {bad}");
    }
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;Eve"));
    assert!(!page.contains('\u{1b}'));

    // Writing again replaces the file and keeps it private.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let j = insights_json(&h, &["--html", file.to_str().unwrap()]);
    assert_eq!(j["html"], file.to_str().unwrap());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// Runs `cmd`, killing it after `limit`; returns whether it exited successfully.
fn run_with_limit(mut cmd: Command, limit: Duration) -> bool {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium(profile: &Path) -> Command {
    let mut cmd = Command::new("/usr/bin/chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn html_report_renders_in_headless_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        println!("skipped: chromium not installed (CI installs Debian's chromium package)");
        return;
    }
    let h = seeded();
    let report = h.scratch().join("report.html");
    h.ok(&["insights", "--html", report.to_str().unwrap()]);
    let url = format!("file://{}", report.display());

    let profile = tempfile::tempdir().unwrap();
    let dom_file = h.scratch().join("dom.html");
    let mut cmd = chromium(profile.path());
    cmd.arg("--dump-dom").arg(&url);
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium --dump-dom failed");
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    std::fs::write(&dom_file, &dom).unwrap();
    for chart in [
        "feelings",
        "needs",
        "people",
        "boundaries",
        "repairs",
        "streak",
    ] {
        assert!(
            dom.contains(&format!("data-chart=\"{chart}\"")),
            "the rendered DOM has no {chart} chart"
        );
    }
    for bad in [
        "parsererror",
        "ERR_",
        "This page isn",
        "This site can",
        "<script>",
    ] {
        assert!(!dom.contains(bad), "the rendered DOM contains {bad}");
    }
    assert!(dom.contains("Who shows up for you"));

    let png = h.scratch().join("report.png");
    let mut cmd = chromium(profile.path());
    cmd.arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,2000")
        .arg("--hide-scrollbars")
        .arg(&url);
    assert!(
        run_with_limit(cmd, Duration::from_secs(120)),
        "chromium --screenshot failed"
    );
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 8 * 1024, "screenshot is only {size} bytes");
    // On a phone, 420 pixels wide: the page lays itself out narrow, and the charts keep
    // their size (their sections scroll sideways) instead of shrinking their text.
    let narrow = h.scratch().join("report-420.png");
    let mut cmd = chromium(profile.path());
    cmd.arg(format!("--screenshot={}", narrow.display()))
        .arg("--window-size=420,2400")
        .arg(&url);
    assert!(
        run_with_limit(cmd, Duration::from_secs(120)),
        "chromium --screenshot at 420 px failed"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("@media (max-width:640px)") && html.contains("overflow-x:auto"),
        "the narrow layout"
    );
    if let Some(dir) = std::env::var_os("HAVEN_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&png, Path::new(&dir).join("insights-report.png"));
        let _ = std::fs::copy(&narrow, Path::new(&dir).join("insights-report-420.png"));
        let _ = std::fs::copy(&report, Path::new(&dir).join("insights-report.html"));
    }
    println!("screenshot: {size} bytes");
}
