//! The interactive flows, as a person sees them on a real pseudo-terminal 60, 80 and 140
//! columns wide, snapshotted with a fixed clock: every practice's questions, and `show`,
//! `list` and `insights`.

mod common;

use std::io::{Read, Write};
use std::process::Stdio;

use common::Haven;

/// Friday 27 November 2026, 18:30 UTC (the tests run with `TZ=UTC`).
const NOW: &str = "2026-11-27T18:30:00Z";

const WIDTHS: [u16; 3] = [60, 80, 140];

/// Whether `script` (util-linux) is here to give commands a pseudo-terminal.
fn have_script() -> bool {
    let ok = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        println!("skipped: the `script` command (util-linux) is not installed");
    }
    ok
}

/// Runs `haven ARGS` on a pseudo-terminal `columns` wide and answers its questions as a
/// person would: each line of `input` is typed only once a question waits for it (the
/// screen ends in a prompt), so the screen reads as a real session. Returns the screen
/// with `\n` line ends.
fn on_terminal(h: &Haven, args: &str, input: &str, columns: u16) -> String {
    run_on_terminal(h.cmd(&[]), args, input, columns)
}

/// [`on_terminal`] with the vault locked: no passphrase in the environment.
fn on_terminal_locked(h: &Haven, args: &str, input: &str, columns: u16) -> String {
    run_on_terminal(h.locked_cmd(&[]), args, input, columns)
}

fn run_on_terminal(
    mut script: std::process::Command,
    args: &str,
    input: &str,
    columns: u16,
) -> String {
    let exe = env!("CARGO_BIN_EXE_haven");
    let mut child = script
        .arg("-qec")
        .arg(format!("stty cols {columns} rows 60; exec {exe} {args}"))
        .arg("/dev/null")
        .env("HAVEN_NOW", NOW)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen: Vec<u8> = Vec::new();
    let mut lines = input.lines();
    let started = std::time::Instant::now();
    let mut ended = false;
    while !ended {
        match rx.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok(chunk) => screen.extend_from_slice(&chunk),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!(
                    "haven {args} waited with no answer to give:\n{}",
                    String::from_utf8_lossy(&screen)
                );
            }
        }
        // Read on until the program has been quiet a moment: a line is never cut short.
        loop {
            match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(chunk) => screen.extend_from_slice(&chunk),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    ended = true;
                    break;
                }
            }
        }
        // A question leaves the screen on punctuation and a space, waiting for its answer.
        let text = String::from_utf8_lossy(&screen);
        let waiting = [": ", "? ", ") ", "] ", ". "]
            .iter()
            .any(|end| text.ends_with(end));
        if waiting
            && !ended
            && let Some(line) = lines.next()
        {
            stdin
                .write_all(format!("{line}\n").as_bytes())
                .expect("type");
            stdin.flush().expect("flush");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "haven {args} ran too long"
        );
    }
    drop(stdin);
    let _ = child.wait();
    let _ = reader.join();
    let screen = String::from_utf8_lossy(&screen).replace("\r\n", "\n");
    redact(&screen)
}

/// Entry ids (random beyond their time) and device ids, replaced.
fn redact(screen: &str) -> String {
    let mut out = String::with_capacity(screen.len());
    for line in screen.lines() {
        let mut words: Vec<String> = Vec::new();
        for word in line.split(' ') {
            let bare = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            let ulid = bare.len() == 26
                && bare
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
            let hex = bare.len() >= 10
                && bare.len() <= 64
                && bare
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                && bare.chars().any(|c| c.is_ascii_alphabetic());
            words.push(match (ulid, hex) {
                (true, _) => word.replace(bare, "<id>"),
                (_, true) => word.replace(bare, "<device>"),
                _ => word.to_string(),
            });
        }
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

/// A vault at the fixed clock.
fn vault() -> Haven {
    Haven::init().at_clock(NOW)
}

#[test]
fn every_practice_asks_its_questions_at_every_width() {
    if !have_script() {
        return;
    }
    let flows: [(&str, &str, &str); 6] = [
        (
            "checkin",
            "checkin",
            "1, my own word\n7\n2\nbe gentle with yourself\n",
        ),
        ("gratitude", "gratitude", "Sam\n1\nStayed on the phone\n"),
        ("coreg", "coreg", "1\n2\n6\n"),
        (
            "reframe",
            "reframe",
            "You never listen to me\nunheard\nto be heard\nput the phones away at dinner\n",
        ),
        ("boundary", "boundary", "Alex\n2\n1\nsay it kindly\n"),
        (
            "repair",
            "repair open",
            "Sam\nI snapped\nYou felt dismissed\npause before answering\n",
        ),
    ];
    for (name, args, input) in flows {
        for columns in WIDTHS {
            let h = vault();
            let screen = on_terminal(&h, args, input, columns);
            assert!(
                screen.contains("Saved <id>"),
                "{name} at {columns}:\n{screen}"
            );
            // What the program wrote fits; what the person typed after a question may not.
            for line in screen.lines() {
                let shown = input
                    .lines()
                    .filter(|typed| !typed.is_empty())
                    .find_map(|typed| line.strip_suffix(typed))
                    .unwrap_or(line);
                assert!(
                    haven_model::text::display_width(shown.trim_end()) <= usize::from(columns),
                    "{name} at {columns}: a line wider than the terminal:\n{line}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{columns}"), screen);
        }
    }
}

/// A few entries of every kind, written through the CLI at the fixed clock.
fn seeded() -> Haven {
    let h = vault();
    for args in [
        vec![
            "write",
            "--at",
            "2026-11-20 21:00",
            "Walked with @Sam by the river, and the evening felt lighter than it has in weeks #walk",
        ],
        vec![
            "checkin",
            "--at",
            "2026-11-23 09:00",
            "-f",
            "anxious,hopeful",
            "-i",
            "6",
            "--need",
            "reassurance",
        ],
        vec![
            "gratitude",
            "--at",
            "2026-11-24 21:00",
            "--person",
            "Sam",
            "--way",
            "listened",
            "Stayed on the phone until I felt calmer",
        ],
        vec![
            "gratitude",
            "--at",
            "2026-11-25 21:00",
            "--person",
            "山田",
            "--way",
            "showed up",
        ],
        vec![
            "boundary",
            "--at",
            "2026-11-26 12:00",
            "--person",
            "Alex",
            "--crossed",
            "--respected",
            "no",
            "--honouring",
            "yes",
        ],
        vec![
            "checkin",
            "--at",
            "2026-11-27 08:00",
            "-f",
            "calm",
            "-i",
            "3",
        ],
    ] {
        h.ok(&args);
    }
    h
}

#[test]
fn show_list_and_insights_fit_every_width() {
    if !have_script() {
        return;
    }
    let h = seeded();
    let first = h.entries_oldest_first()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    for columns in WIDTHS {
        for (name, args) in [
            ("list", "list".to_string()),
            ("show", format!("show {first}")),
            ("insights", "insights".to_string()),
        ] {
            let screen = on_terminal(&h, &args, "", columns);
            assert!(!screen.trim().is_empty(), "{name} at {columns}");
            for line in screen.lines() {
                assert!(
                    haven_model::text::display_width(line) <= usize::from(columns),
                    "{name} at {columns}: a line wider than the terminal:\n{line}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{columns}"), screen);
        }
    }
}

#[test]
fn a_locked_vault_says_why_before_it_asks_for_the_passphrase() {
    if !have_script() {
        return;
    }
    let h = vault();
    h.ok(&["journal", "new", "us"]);
    let passphrase = common::PASSPHRASE;
    let screen = on_terminal_locked(
        &h,
        "--journal us checkin -f calm -i 2",
        &format!("{passphrase}\n"),
        80,
    );
    let why = screen
        .find("The vault is locked, and writing to the journal `us` needs the key")
        .unwrap_or_else(|| panic!("no reason given:\n{screen}"));
    let asked = screen.find("Passphrase:").expect("the prompt");
    assert!(why < asked, "the reason comes first:\n{screen}");
    assert!(screen.contains("Saved <id> (checkin)"), "{screen}");
    assert!(!screen.contains(passphrase), "the passphrase is not shown");
    // Writing to the personal journal while locked asks nothing.
    let screen = on_terminal_locked(&h, "checkin -f calm -i 2", "", 80);
    assert!(!screen.contains("Passphrase"), "{screen}");
    assert!(screen.contains("Saved <id> (checkin)"), "{screen}");
}

/// A jrnl 4.6 journal in its v3 format, password "correct horse": one entry,
/// "[2024-01-02 09:15:00 PM] Tief durchatmen. Über #Ruhe" (written by jrnl's own v3 code).
const JRNL_V3: &str = "SlJOTHYzADBleUp6WVd4MElqb2lZVk51Ukhwc1dHaFBhMGc1WTJoSlpHMHdNekJzZHowOUluMD1nQUFBQUFCckZnQ01IR3JSWGpoekNDVjcxTDl1Smt2Sm4zU3ZCdXBnTVU0NnZyS3I1SVFCSW8xcGFaOXdSYXVxVkVhdUt1MURrRkFrNTJIS08ybzctQlVEQzllZkw3ZWJCdFQ2aDNGRGtoWmVaZDJtUV9HTVpkTE1PRG1IWjUzRDVkOUtBX0pIQ2lzNWRyWXl5OGxjSkhtelNTUkJ0bHY5eFE9PQ==";

/// Standard base64, for the sample above.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn an_encrypted_jrnl_journal_asks_for_its_password_and_allows_another_try() {
    if !have_script() {
        return;
    }
    let h = vault();
    let file = h.scratch().join("journal.txt");
    std::fs::write(&file, base64_decode(JRNL_V3)).expect("write");
    let screen = on_terminal(
        &h,
        &format!("import --from jrnl {}", file.display()),
        "correct horse battery\ncorrect horse\n",
        80,
    );
    let tmp = h.scratch().display().to_string();
    let screen = screen.replace(&tmp, "<tmp>");
    assert!(
        screen.contains("That password does not open it; try again.")
            && screen.contains("Imported 1 entry (0 already present)"),
        "{screen}"
    );
    assert!(
        !screen.contains("correct horse"),
        "the password is not shown"
    );
    insta::assert_snapshot!("import_encrypted_jrnl", screen);
    assert_eq!(h.texts(), vec!["Tief durchatmen. Über #Ruhe"]);
}
