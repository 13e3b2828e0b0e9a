//! A journal far larger than one frame reaches a freshly joined device: 100,000 entries,
//! more than 40 MiB of changes, moved in bounded batches across rounds and sessions.

#![allow(clippy::unwrap_used)]

mod common;

use common::Device;
use haven_model::{Entry, EntryId, Timestamp, schema};

const ENTRIES: u64 = 100_000;

fn base_port() -> u16 {
    24_000 + (std::process::id() % 1000) as u16 * 4
}

#[test]
fn a_journal_of_100k_entries_reaches_a_new_device() {
    let base = base_port();
    let robin = Device::new("laptop", "Robin", base);
    let sam = Device::new("phone", "Sam", base + 1);
    robin.ok(&["journal", "new", "us"]);
    // Written through the library, a thousand entries per change (as an import does).
    let changes_bytes = {
        let vault = haven_store::Vault::open(&robin.h.home).unwrap();
        let keys = vault
            .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
            .unwrap();
        let store = vault.find_journal(&keys, "us").unwrap();
        let me = vault.config().device_id.clone();
        let text = "a long evening walk, and what I noticed about feeling calm ".repeat(6);
        store
            .change(&keys, |doc| {
                for n in 0..ENTRIES {
                    let e = Entry::note(
                        EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
                        Timestamp {
                            unix_ms: 1_700_000_000_000 + n as i64,
                            offset_secs: 0,
                        },
                        me.clone(),
                        format!("{n} {text}"),
                    );
                    schema::put_entry(doc, &e)?;
                    if n % 1000 == 999 {
                        doc.commit();
                    }
                }
                Ok(())
            })
            .unwrap();
        let (mut doc, _) = store.load(&keys).unwrap();
        doc.get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().len())
            .sum::<usize>()
    };
    assert!(
        changes_bytes > 40 << 20,
        "only {} MiB of changes",
        changes_bytes >> 20
    );
    let (mut host, ticket) = robin.host(&["share", "us", "--expires", "10m"]);
    let out = sam.cmd_timed(&["join", &ticket]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(host.wait().unwrap().success());
    eprintln!(
        "joined {ENTRIES} entries ({} MiB of changes): peak {} MiB on the joiner",
        changes_bytes >> 20,
        common::peak_mib_of(&err)
    );
    let listed: serde_json::Value =
        serde_json::from_str(&sam.ok(&["--journal", "us", "list", "-n", "3", "--json"])).unwrap();
    assert_eq!(listed["total"], ENTRIES, "{listed}");
    let doctor = sam.ok(&["doctor"]);
    assert!(doctor.contains("healthy"), "{doctor}");
}
