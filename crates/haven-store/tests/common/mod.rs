//! What the store's integration tests share: a vault and entries.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;

use haven_model::{Entry, EntryId, JournalKind, JournalMeta, Timestamp};
use haven_store::{InitOptions, Keys, Passphrase, Vault};

/// A new vault at `root`, unlocked (cheap scrypt so that tests stay fast).
pub fn init(root: &Path) -> (Vault, Keys) {
    Vault::init(
        root,
        InitOptions {
            passphrase: Passphrase::new("pass".into()).unwrap(),
            device_name: "laptop".into(),
            person_name: "Robin".into(),
            work_factor: 10,
            created: "2026-01-01T00:00:00Z".into(),
            created_ms: 0,
        },
    )
    .unwrap()
}

/// Note number `n`, written at a fixed time.
pub fn note(n: u64) -> Entry {
    Entry::note(
        EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
        Timestamp {
            unix_ms: 1_700_000_000_000 + n as i64,
            offset_secs: 0,
        },
        "dev".into(),
        format!("note {n}"),
    )
}

/// Note number `n` as this device writes it: in its own name, as the rules require of a
/// change it signs.
pub fn mine(keys: &Keys, n: u64) -> Entry {
    let mut entry = note(n);
    entry.device = hex::encode(keys.signing_key().unwrap().verifying_key().to_bytes());
    entry
}

/// A shared journal's name and kind.
pub fn shared(name: &str) -> JournalMeta {
    JournalMeta {
        name: name.into(),
        kind: JournalKind::Shared,
        created_ms: 1,
    }
}
