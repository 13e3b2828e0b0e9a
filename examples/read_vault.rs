//! Reads a vault's entries through `haven-store` alone: open, unlock with the passphrase,
//! list each journal and its entries, newest last.
//!
//! ```text
//! HAVEN_PASSPHRASE=... cargo run -p haven-store --example read_vault -- DIR
//! cargo run -p haven-store --example read_vault
//! ```
//!
//! Without a directory it first builds a small vault in a temporary one (passphrase
//! `example`), so that it shows something on a fresh machine.

use std::path::PathBuf;

use haven_model::{Entry, EntryId, EntryKind, Timestamp, schema};
use haven_store::{InitOptions, Passphrase, Vault};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let given = std::env::args_os().nth(1).map(PathBuf::from);
    let made;
    let (root, passphrase) = match given {
        Some(dir) => {
            let pass = std::env::var("HAVEN_PASSPHRASE")
                .map_err(|_| "set HAVEN_PASSPHRASE to the vault's passphrase")?;
            (dir, pass)
        }
        None => {
            made = tempfile::tempdir()?;
            build(made.path())?;
            (made.path().to_path_buf(), "example".to_string())
        }
    };
    let vault = Vault::open(&root)?;
    let keys = vault.unlock(&Passphrase::new(passphrase)?)?;
    println!(
        "vault {} (device {})",
        root.display(),
        vault.config().device_id
    );
    for journal in vault.journals(&keys)? {
        let name = journal.alias.unwrap_or_else(|| "(arriving)".into());
        let view = journal.view?;
        println!("\n{name}: {} entries", view.total);
        for entry in &view.entries {
            let text = haven_model::text::clean_capped(&entry.text, false, 120);
            println!("  {}  {:<11} {text}", entry.id, entry.kind.as_str());
        }
    }
    Ok(())
}

/// A vault with three entries in its personal journal.
fn build(root: &std::path::Path) -> Result<(), Error> {
    let (vault, keys) = Vault::init(
        root,
        InitOptions {
            passphrase: Passphrase::new("example".into())?,
            device_name: "laptop".into(),
            person_name: "Robin".into(),
            work_factor: 10,
            created: "2026-01-01T00:00:00Z".into(),
            created_ms: 1_767_225_600_000,
        },
    )?;
    let texts = [
        (EntryKind::Note, "Slept well; the morning walk helped."),
        (EntryKind::Gratitude, "Sam waited with me at the station."),
        (EntryKind::Affirmation, "I can ask for what I need."),
    ];
    vault.personal().change(&keys, |doc| {
        for (i, (kind, text)) in texts.iter().enumerate() {
            let at = 1_767_225_600_000 + (i as i64) * 3_600_000;
            let entry = Entry::new(
                *kind,
                EntryId::from_parts(at as u64, i as u128 + 1),
                Timestamp {
                    unix_ms: at,
                    offset_secs: 0,
                },
                vault.config().device_id.clone(),
                (*text).into(),
            );
            schema::put_entry(doc, &entry)?;
        }
        Ok(())
    })?;
    Ok(())
}
