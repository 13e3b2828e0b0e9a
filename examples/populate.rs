//! Builds a vault holding a journal of N generated entries, through the store's public API,
//! and writes the same entries as JSON lines so that other journals can be fed the same text.
//!
//! ```text
//! cargo run --release -p haven-store --example populate -- DIR N [ENTRIES.jsonl]
//! ```
//!
//! The passphrase is `bench` and the scrypt work factor the default, so that unlocking
//! costs what it costs for a real user.

use std::io::Write;
use std::path::PathBuf;

use haven_model::fields::key;
use haven_model::{Entry, EntryId, EntryKind, FieldValue, Timestamp, schema};
use haven_store::keys::DEFAULT_WORK_FACTOR;
use haven_store::{InitOptions, Passphrase, Vault};

const WORDS: &[&str] = &[
    "walk", "tea", "call", "rain", "work", "sleep", "friend", "sister", "morning", "evening",
    "listened", "anxious", "calm", "grateful", "tired", "hopeful", "boundary", "repair", "hug",
    "space", "talked", "quiet", "garden", "music",
];
const FEELINGS: &[&str] = &[
    "calm",
    "anxious",
    "tired",
    "hopeful",
    "lonely",
    "grateful",
    "irritated",
    "connected",
];
const NEEDS: &[&str] = &[
    "rest",
    "reassurance",
    "space",
    "connection",
    "comfort",
    "understanding",
];
const PEOPLE: &[&str] = &["Sam", "Alex", "Mum", "Jo", "Priya", "Theo"];
const TAGS: &[&str] = &[
    "#calm",
    "#work",
    "#family",
    "@sam",
    "#sleep",
    "#gratitude",
    "@alex",
    "#repair",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: populate DIR N [ENTRIES.jsonl]")?);
    let n: u64 = args
        .next()
        .ok_or("usage: populate DIR N [ENTRIES.jsonl]")?
        .parse()?;
    let jsonl = args.next().map(PathBuf::from);

    let (vault, keys) = Vault::init(
        &dir,
        InitOptions {
            passphrase: Passphrase::new("bench".into())?,
            device_name: "bench".into(),
            person_name: "Bench".into(),
            work_factor: DEFAULT_WORK_FACTOR,
            created: "2020-01-01T00:00:00Z".into(),
            created_ms: 1_577_836_800_000,
        },
    )?;
    let device = vault.config().device_id.clone();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // One entry a minute, ending an hour ago.
    let end_ms: i64 = 1_767_225_600_000;
    let entries: Vec<Entry> = (0..n)
        .map(|i| {
            let at = end_ms - ((n - i) as i64) * 60_000;
            let words = 16 + (next() % 16) as usize;
            let mut text: Vec<&str> = (0..words)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect();
            text.push(TAGS[(next() % TAGS.len() as u64) as usize]);
            text.push(TAGS[(next() % TAGS.len() as u64) as usize]);
            let mut text = text.join(" ");
            text.replace_range(0..1, &text[0..1].to_uppercase());
            let mut e = Entry::note(
                EntryId::from_parts(at as u64, u128::from(next())),
                Timestamp {
                    unix_ms: at,
                    offset_secs: 3600,
                },
                device.clone(),
                format!("Entry {i}. {text}."),
            );
            e.author = "Bench".into();
            e.starred = i % 20 == 0;
            // A mix of practices, so that insights have something to count.
            let pick = |list: &[&str], n: u64| list[(n % list.len() as u64) as usize].to_string();
            let r = next();
            match i % 13 {
                1 | 6 => {
                    e.kind = EntryKind::Checkin;
                    e.fields.insert(
                        key::FEELINGS.into(),
                        FieldValue::List(vec![pick(FEELINGS, r), pick(FEELINGS, r >> 8)]),
                    );
                    e.fields
                        .insert(key::INTENSITY.into(), FieldValue::Int((r % 11) as i64));
                    e.fields.insert(
                        key::NEEDS.into(),
                        FieldValue::List(vec![pick(NEEDS, r >> 16)]),
                    );
                }
                3 | 9 => {
                    e.kind = EntryKind::Gratitude;
                    e.people = vec![pick(PEOPLE, r)];
                    e.fields.insert(
                        key::WAYS.into(),
                        FieldValue::List(vec![pick(
                            &["listened", "supported", "showed up"],
                            r >> 8,
                        )]),
                    );
                }
                4 => {
                    e.kind = EntryKind::Boundary;
                    e.people = vec![pick(PEOPLE, r)];
                    e.fields.insert(
                        key::EVENT.into(),
                        FieldValue::Text(pick(
                            &["crossed", "kept", "cancelled", "reflection"],
                            r >> 8,
                        )),
                    );
                }
                11 => {
                    e.kind = EntryKind::Repair;
                    e.people = vec![pick(PEOPLE, r)];
                    e.fields.insert(
                        key::STATE.into(),
                        FieldValue::Text(pick(&["open", "repaired"], r >> 8)),
                    );
                }
                _ => {}
            }
            e
        })
        .collect();
    if let Some(path) = jsonl {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for e in &entries {
            let local = e.created.writer_local().ok_or("time out of range")?;
            let line = serde_json::json!({
                "date": local.strftime("%Y-%m-%d").to_string(),
                "time": local.strftime("%H:%M").to_string(),
                "text": e.text,
                "starred": e.starred,
            });
            writeln!(out, "{line}")?;
        }
    }
    // Written as an import writes: a bounded number of entries per change, so that every
    // change stays within what other devices accept.
    vault
        .personal()
        .change(&keys, |doc| Ok(schema::insert_all(doc, &entries)?))?;
    println!("{} entries in {}", entries.len(), dir.display());
    Ok(())
}
