//! Atomic, durable file writes and private permissions.
//!
//! A file is written to a temporary name in its final directory, flushed to disk, renamed
//! into place and the directory is flushed, so that after a crash the file is either the
//! old version or the complete new one, and a write that returned is on disk.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{Result, StoreError};

/// Prefix of temporary files; anything with it is an interrupted write.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Creates `dir` (and parents) with mode 0700 if missing, and makes sure it is 0700.
pub fn private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(StoreError::io("create directory", dir))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(StoreError::io("set permissions of", dir))
}

/// Flushes a directory's entries to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("flush directory", dir))
}

/// Writes `bytes` to `dir/name` atomically and durably, mode 0600.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    write_atomic_with(dir, name, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with the content streamed by `fill` (buffered).
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = dir.join(format!("{TEMP_PREFIX}{}-{name}", rand::random::<u64>()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(StoreError::io("create", &tmp))?;
        {
            let mut buffered = std::io::BufWriter::with_capacity(256 * 1024, &mut f);
            fill(&mut buffered).map_err(StoreError::io("write", &tmp))?;
            buffered.flush().map_err(StoreError::io("write", &tmp))?;
        }
        f.sync_all().map_err(StoreError::io("flush", &tmp))?;
        drop(f);
        let dest = dir.join(name);
        fs::rename(&tmp, &dest).map_err(StoreError::io("rename into", &dest))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(StoreError::io("read", path))
}

/// Removes leftover temporary files in `dir` (call only while holding the writer lock).
pub fn remove_temp_files(dir: &Path) -> Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            fs::remove_file(entry.path()).map_err(StoreError::io("remove", entry.path()))?;
            removed += 1;
        }
    }
    Ok(removed)
}
