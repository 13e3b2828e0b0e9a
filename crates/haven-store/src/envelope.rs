//! Age encryption of whole files: every data file in a vault is a plain age file.

use std::path::Path;

use age::x25519;

use crate::error::{Result, StoreError};

/// The most we will decrypt from one file (a journal snapshot of a few hundred thousand
/// entries is tens of MiB; this bound stops a crafted file from exhausting memory).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Encrypts `plaintext` to `recipient`.
pub fn seal(recipient: &x25519::Recipient, plaintext: &[u8]) -> Result<Vec<u8>> {
    age::encrypt(recipient, plaintext).map_err(|e| StoreError::Encrypt(e.to_string()))
}

/// Encrypts to `recipient` whatever `fill` writes, streaming into `out`.
pub fn seal_to_writer(
    recipient: &x25519::Recipient,
    out: &mut dyn std::io::Write,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .map_err(std::io::Error::other)?;
    let mut writer = encryptor.wrap_output(out)?;
    fill(&mut writer)?;
    writer.finish()?;
    Ok(())
}

/// Decrypts `ciphertext`, read from `path`, with `identity`.
pub fn open(identity: &x25519::Identity, ciphertext: &[u8], path: &Path) -> Result<Vec<u8>> {
    age::decrypt(identity, ciphertext).map_err(|e| StoreError::Damaged {
        path: path.to_path_buf(),
        reason: format!("cannot decrypt ({e})"),
    })
}

/// Reads and decrypts the file at `path`.
pub fn open_file(identity: &x25519::Identity, path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(StoreError::io("read", path))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            reason: "file is too large".into(),
        });
    }
    open(identity, &crate::durable::read(path)?, path)
}
