//! Crash safety: `haven` processes killed with SIGKILL at random moments, many times over.
//! Every entry whose command reported success must survive, and the vault must always open.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{Haven, XorShift};

#[test]
fn sigkill_at_random_moments_never_loses_a_reported_entry() {
    let seed = 0x5eed_1234_abcd_0001;
    let mut rng = XorShift(seed);
    let h = Haven::init();
    h.ok(&["write", "the first entry"]);
    let first = h.list_json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut reported: Vec<String> = vec!["the first entry".into()];
    let (mut killed, mut finished) = (0, 0);
    const ROUNDS: usize = 150;
    for round in 0..ROUNDS {
        // Three writes (append path) for every star (load, fold, write chunk, compact).
        let is_change = round % 4 == 3;
        let text = format!("crash round {round}");
        let args: Vec<&str> = if is_change {
            vec!["star", &first]
        } else {
            vec!["write", &text]
        };
        let mut child = h
            .cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let delay = if is_change {
            rng.below(40_000)
        } else {
            rng.below(12_000)
        };
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            finished += 1;
            if !is_change {
                assert!(String::from_utf8_lossy(&out.stdout).starts_with("Saved "));
                reported.push(text);
            }
        } else {
            killed += 1;
        }
        if round % 15 == 14 {
            let texts = h.texts();
            for t in &reported {
                assert!(
                    texts.contains(t),
                    "seed {seed:#x} round {round}: `{t}` was reported saved but is gone"
                );
            }
        }
    }
    eprintln!("{ROUNDS} rounds: {killed} killed mid-way, {finished} finished");
    assert!(
        killed >= ROUNDS / 10,
        "only {killed} processes were killed mid-way; the test is not exercising crashes"
    );
    // Merge everything, then check again: nothing lost, nothing duplicated.
    h.ok(&["star", &first]);
    let texts = h.texts();
    for t in &reported {
        assert!(
            texts.contains(t),
            "seed {seed:#x}: `{t}` lost after the final merge"
        );
    }
    let unique: std::collections::BTreeSet<_> = texts.iter().collect();
    assert_eq!(unique.len(), texts.len(), "duplicated entries");
    let doctor: serde_json::Value = serde_json::from_str(&h.ok(&["doctor", "--json"])).unwrap();
    assert_eq!(
        doctor["quarantined"].as_array().unwrap().len(),
        0,
        "{doctor}"
    );
}
