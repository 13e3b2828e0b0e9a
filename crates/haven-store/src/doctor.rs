//! `doctor`: check every file of a vault, move damaged ones aside, keep everything readable.
//!
//! Nothing is ever deleted. A file that cannot be decrypted or decoded is moved to
//! `quarantine/<time>/` under its path in the vault. Entries that only a quarantined chunk
//! held are recovered from the read cache when it still has them, and the cache is rebuilt.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use automerge::AutoCommit;
use haven_model::schema;

use crate::envelope;
use crate::error::{Result, StoreError};
use crate::journal::{self, JournalStore};
use crate::keys::Keys;
use crate::vault::Vault;

/// What `doctor` found and did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files checked.
    pub checked: usize,
    /// Damaged files found, with the reason, and where they were moved.
    pub quarantined: Vec<(PathBuf, String, PathBuf)>,
    /// Files that are not part of a vault, moved aside.
    pub foreign: Vec<(PathBuf, PathBuf)>,
    /// Entries recovered from the read cache after a chunk was quarantined.
    pub recovered: usize,
    /// Leftover temporary files of interrupted writes that were removed.
    pub temp_removed: usize,
    /// Files and directories whose permissions were tightened.
    pub permissions_fixed: Vec<PathBuf>,
    /// Journals checked: (id, entries readable now).
    pub journals: Vec<(String, usize)>,
    /// Changes that cannot be applied because a change they depend on is missing.
    pub unapplied_changes: usize,
    /// Journals whose structure was broken, rolled back to their last valid state:
    /// (journal id, changes left out, the rule they broke).
    pub rolled_back: Vec<(String, usize, String)>,
    /// Chunks this device did not write whose changes did not pass the checks (set aside
    /// in their journal's `refused/` when found, never read), and where they were moved.
    pub refused: Vec<(PathBuf, PathBuf)>,
}

impl Report {
    /// Whether everything was in order.
    pub fn is_clean(&self) -> bool {
        self.quarantined.is_empty()
            && self.foreign.is_empty()
            && self.permissions_fixed.is_empty()
            && self.rolled_back.is_empty()
            && self.refused.is_empty()
    }
}

struct Quarantine {
    root: PathBuf,
    dir: PathBuf,
}

impl Quarantine {
    fn new(vault: &Vault, stamp: &str) -> Self {
        Quarantine {
            root: vault.root().to_path_buf(),
            dir: vault.quarantine_dir().join(stamp),
        }
    }

    fn isolate(&self, path: &Path) -> Result<PathBuf> {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let dest = self.dir.join(rel);
        if let Some(parent) = dest.parent() {
            crate::durable::private_dir(parent)?;
        }
        fs::rename(path, &dest).map_err(StoreError::io("move to quarantine", path))?;
        if let Some(parent) = path.parent() {
            crate::durable::sync_dir(parent)?;
        }
        Ok(dest)
    }
}

fn fix_mode(path: &Path, want: u32, report: &mut Report) -> Result<()> {
    let meta = fs::symlink_metadata(path).map_err(StoreError::io("inspect", path))?;
    if meta.permissions().mode() & 0o777 != want {
        fs::set_permissions(path, fs::Permissions::from_mode(want))
            .map_err(StoreError::io("set permissions of", path))?;
        report.permissions_fixed.push(path.to_path_buf());
    }
    Ok(())
}

/// Checks the whole vault. `stamp` names the quarantine folder (e.g. the current time).
pub fn run(vault: &Vault, keys: &Keys, stamp: &str) -> Result<Report> {
    let _lock = vault.lock_exclusive()?;
    let mut report = Report::default();
    let quarantine = Quarantine::new(vault, stamp);
    let root = vault.root();

    fix_mode(root, 0o700, &mut report)?;
    for name in ["config.toml", "identity.age", "device.age", "lock"] {
        let path = root.join(name);
        if path.exists() {
            report.checked += 1;
            fix_mode(&path, 0o600, &mut report)?;
        }
    }
    report.temp_removed += crate::durable::remove_temp_files(root)?;
    let journals_dir = root.join("journals");
    fix_mode(&journals_dir, 0o700, &mut report)?;
    for entry in fs::read_dir(root)
        .map_err(StoreError::io("list", root))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let known = [
            "config.toml",
            "identity.age",
            "device.age",
            "lock",
            "journals",
            "quarantine",
            "agent.sock",
            "daemon.sock",
            "daemon.lock",
            "peers.age",
            crate::names::FILE,
        ];
        if !known.contains(&name.as_str()) {
            let dest = quarantine.isolate(&entry.path())?;
            report.foreign.push((entry.path(), dest));
        }
    }
    for entry in fs::read_dir(&journals_dir)
        .map_err(StoreError::io("list", &journals_dir))?
        .flatten()
    {
        let is_journal = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<journal::JournalId>().ok());
        match is_journal {
            Some(id) if entry.path().is_dir() => {
                check_journal(&vault.journal(id), keys, &quarantine, &mut report)?
            }
            _ => {
                let dest = quarantine.isolate(&entry.path())?;
                report.foreign.push((entry.path(), dest));
            }
        }
    }
    Ok(report)
}

fn check_journal(
    store: &JournalStore,
    keys: &Keys,
    quarantine: &Quarantine,
    report: &mut Report,
) -> Result<()> {
    let dir = store.dir().to_path_buf();
    fix_mode(&dir, 0o700, report)?;
    for sub in [store.chunks_dir(), store.inbox_dir()] {
        crate::durable::private_dir(&sub)?;
        fix_mode(&sub, 0o700, report)?;
        report.temp_removed += crate::durable::remove_temp_files(&sub)?;
    }
    report.temp_removed += crate::durable::remove_temp_files(&dir)?;

    // Foreign files anywhere in the journal directory.
    for (sub, ok) in [
        (
            dir.clone(),
            (|n: &str| {
                [
                    "chunks",
                    "inbox",
                    "peers",
                    "refused",
                    "view.age",
                    "recent.age",
                ]
                .contains(&n)
            }) as fn(&str) -> bool,
        ),
        (store.chunks_dir(), |n: &str| {
            journal::chunk_kind(n).is_some()
        }),
        (store.inbox_dir(), journal::is_inbox_name),
    ] {
        for entry in fs::read_dir(&sub)
            .map_err(StoreError::io("list", &sub))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !ok(&name) {
                let dest = quarantine.isolate(&entry.path())?;
                report.foreign.push((entry.path(), dest));
            }
        }
    }

    // The old read cache, kept in memory as a source of recovery.
    let cached: Vec<haven_model::Entry> = match store.read_cache_entries(keys) {
        Ok(entries) => entries,
        Err(reason) => {
            let path = store.view_path();
            if path.exists() {
                let dest = quarantine.isolate(&path)?;
                report.quarantined.push((path, reason, dest));
            }
            Vec::new()
        }
    };

    // Every chunk must decrypt and decode on its own terms.
    let mut lost_chunk = false;
    for name in store.chunk_names()? {
        let path = store.chunks_dir().join(&name);
        report.checked += 1;
        fix_mode(&path, 0o600, report)?;
        if let Err(reason) = check_chunk(keys, &path) {
            let dest = quarantine.isolate(&path)?;
            report.quarantined.push((path, reason, dest));
            lost_chunk = true;
        }
    }
    for name in store.inbox_names()? {
        let path = store.inbox_dir().join(&name);
        report.checked += 1;
        fix_mode(&path, 0o600, report)?;
        let sealed = envelope::open_file(keys.identity(), &path)
            .map_err(|e| e.to_string())
            .and_then(|plain| {
                std::panic::catch_unwind(|| schema::unseal_entry(&plain))
                    .map_err(|_| "Automerge could not decode it".to_string())?
                    .map_err(|e| e.to_string())
            });
        if let Err(reason) = sealed {
            let dest = quarantine.isolate(&path)?;
            report.quarantined.push((path, reason, dest));
        }
    }

    // A journal whose structure broke (older versions kept whatever a peer sent) goes back
    // to its last valid state: the new snapshot first, then the old chunks to quarantine.
    let (mut doc, names) = store.load(keys)?;
    if let Some(rolled) = haven_model::validate::last_valid(&mut doc)? {
        let mut good = rolled.doc;
        store.write_snapshot(keys, &mut good)?;
        let reason = format!("rolled back: {}", rolled.reason);
        for name in names {
            let path = store.chunks_dir().join(&name);
            let dest = quarantine.isolate(&path)?;
            report.quarantined.push((path, reason.clone(), dest));
        }
        report.rolled_back.push((
            store.id().to_string(),
            rolled.dropped.len(),
            rolled.reason.to_string(),
        ));
    }
    drop(doc);

    // Rebuild: load what is left, put back entries only the lost chunks held, refresh cache.
    // Only this device's own entries are written again (by it, so signed as its own); the
    // others' come back from their devices at the next sync.
    let me = journal::own_device(keys);
    let own: Vec<haven_model::Entry> = cached
        .into_iter()
        .filter(|e| me.as_ref().is_none_or(|me| &e.device == me))
        .collect();
    let recovered = store.change_unlocked(keys, |doc: &mut AutoCommit| {
        if !lost_chunk {
            return Ok(0);
        }
        Ok(schema::insert_all(doc, &own)?)
    })?;
    report.recovered += recovered;
    if let Ok(aside) = fs::read_dir(store.refused_dir()) {
        let mut aside: Vec<PathBuf> = aside.flatten().map(|e| e.path()).collect();
        aside.sort();
        for path in aside {
            let dest = quarantine.isolate(&path)?;
            report.refused.push((path, dest));
        }
    }
    let (doc, _) = store.load(keys)?;
    report.unapplied_changes += automerge::ReadDoc::get_missing_deps(&doc, &[]).len();
    report.journals.push((
        store.id().to_string(),
        schema::read_entries(&doc)?.entries.len(),
    ));
    fix_mode(&store.view_path(), 0o600, report)?;
    Ok(())
}

fn check_chunk(keys: &Keys, path: &Path) -> Result<(), String> {
    let plain = envelope::open_file(keys.identity(), path).map_err(|e| e.to_string())?;
    let loaded = std::panic::catch_unwind(|| {
        let mut doc = AutoCommit::load(schema::genesis_bytes())?;
        doc.load_incremental(&plain)
    });
    match loaded {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("not a valid Automerge chunk ({e})")),
        Err(_) => Err("Automerge could not decode it".into()),
    }
}
