//! The vault lock: one writer at a time, readers share.
//!
//! An advisory `flock` on `<vault>/lock`. The kernel drops it when the process dies, so a
//! killed `haven` never leaves the vault locked.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rustix::fs::{FlockOperation, flock};

use crate::error::{Result, StoreError};

/// A held lock; released on drop.
#[derive(Debug)]
pub struct VaultLock {
    _file: File,
}

impl VaultLock {
    fn take(path: &Path, op: FlockOperation) -> Result<Self> {
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path);
        // A reader of a read-only vault can still share-lock an existing lock file.
        let file = match opened {
            Err(e)
                if op == FlockOperation::LockShared
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
            {
                File::open(path)
            }
            other => other,
        }
        .map_err(StoreError::io("open lock file", path))?;
        flock(&file, op).map_err(|e| StoreError::Io {
            action: "lock",
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Ok(VaultLock { _file: file })
    }

    /// Waits for the exclusive (writer) lock.
    pub fn exclusive(path: &Path) -> Result<Self> {
        Self::take(path, FlockOperation::LockExclusive)
    }

    /// Waits for a shared (reader) lock.
    pub fn shared(path: &Path) -> Result<Self> {
        Self::take(path, FlockOperation::LockShared)
    }
}
