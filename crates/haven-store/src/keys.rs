//! Keys: the passphrase, the device's age identity and its other secrets.
//!
//! * `identity.age` is a standard age identity file (what `age-keygen` writes) encrypted
//!   with the passphrase (scrypt). We write it with [`DEFAULT_WORK_FACTOR`] and refuse to
//!   read one that asks for more than [`MAX_WORK_FACTOR`], so a crafted file cannot cost
//!   minutes and gigabytes.
//! * `device.age` holds the other device secrets (the iroh secret key, the device's and
//!   person's names, whether the vault's chunks are tagged) as JSON, encrypted to the
//!   device's own recipient.
//! * The [`ChunkKey`], derived from the iroh secret, tags every chunk this device writes, so
//!   that a chunk it did not write is told apart when read (see `docs/formats.md`).
//!
//! Secrets live in types that zeroize on drop and print as `[redacted]`.

use std::fmt;
use std::io::{Read, Write};

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Result, StoreError};

/// scrypt work factor (log2 N) used when writing the identity file: 256 MiB, a fraction
/// of a second to a second on current machines.
pub const DEFAULT_WORK_FACTOR: u8 = 18;
/// The largest work factor accepted when reading (512 MiB).
pub const MAX_WORK_FACTOR: u8 = 19;
/// The smallest work factor we agree to write.
pub const MIN_WORK_FACTOR: u8 = 10;

/// A passphrase; never empty, never printed.
pub struct Passphrase(SecretString);

impl Passphrase {
    /// Wraps a passphrase, refusing an empty (or all-whitespace) one.
    pub fn new(text: String) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(StoreError::EmptyPassphrase);
        }
        Ok(Passphrase(SecretString::from(text)))
    }
}

/// Why a new passphrase is weak: anyone who copies the vault can try guesses offline, as
/// fast as scrypt allows, so a short or common one falls quickly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// Fewer than 12 characters and fewer than three words.
    Short,
    /// One character repeated, or a run such as `abcdef` or `123456`.
    Pattern,
    /// One of the passphrases people choose most often.
    Common,
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Weakness::Short => "it is short",
            Weakness::Pattern => "it is one character repeated or a simple run",
            Weakness::Common => "it is one of the most common passphrases",
        })
    }
}

/// The passphrases people choose most often (compared without case or spaces).
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "123456",
    "12345678",
    "123456789",
    "qwerty",
    "letmein",
    "iloveyou",
    "welcome",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "football",
    "admin",
    "secret",
    "trustno1",
    "changeme",
    "haven",
    "journal",
];

impl Passphrase {
    /// Why this passphrase is weak, if it is (a new one is warned about, not refused).
    pub fn weakness(&self) -> Option<Weakness> {
        let text = self.0.expose_secret();
        let squashed: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect(),
        );
        if COMMON.contains(&squashed.as_str()) {
            return Some(Weakness::Common);
        }
        let chars: Zeroizing<Vec<char>> = Zeroizing::new(squashed.chars().collect());
        let repeated = chars.windows(2).all(|w| w[0] == w[1]);
        let run = chars.len() > 3
            && chars
                .windows(2)
                .all(|w| (w[1] as i64 - w[0] as i64).abs() == 1);
        if repeated || run {
            return Some(Weakness::Pattern);
        }
        let words = text.split_whitespace().count();
        if text.chars().count() < 12 && words < 3 {
            return Some(Weakness::Short);
        }
        None
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

/// Secrets of this device besides its age identity.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct DeviceSecrets {
    /// The iroh (ed25519) secret key, hex; the device id is its public key.
    pub iroh_secret_hex: String,
    /// This device's name, e.g. "laptop".
    pub device_name: String,
    /// The person who uses this device.
    pub person_name: String,
    /// Whether every chunk of this vault is tagged with the [`ChunkKey`]: set when the
    /// vault is made, or once the chunks of an older vault have been tagged. Until then an
    /// untagged chunk is trusted as written by this device.
    #[serde(default)]
    pub chunks_tagged: bool,
}

impl fmt::Debug for DeviceSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSecrets([redacted])")
    }
}

impl DeviceSecrets {
    /// Fresh secrets with a new random iroh key.
    pub fn generate(device_name: String, person_name: String) -> Self {
        let secret = Zeroizing::new(rand::random::<[u8; 32]>());
        DeviceSecrets {
            iroh_secret_hex: hex::encode(*secret),
            device_name,
            person_name,
            chunks_tagged: true,
        }
    }

    /// The iroh secret key bytes.
    pub fn iroh_secret(&self) -> Option<Zeroizing<[u8; 32]>> {
        let mut out = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(&self.iroh_secret_hex, out.as_mut_slice()).ok()?;
        Some(out)
    }

    /// The device id: the hex public key of the iroh secret.
    pub fn device_id(&self) -> Option<String> {
        let secret = self.iroh_secret()?;
        let key = ed25519_dalek::SigningKey::from_bytes(&secret);
        Some(hex::encode(key.verifying_key().as_bytes()))
    }
}

/// An unlocked device: its age identity and secrets.
pub struct Keys {
    identity: x25519::Identity,
    /// The device's other secrets.
    pub secrets: DeviceSecrets,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    /// Builds keys from an identity and secrets.
    pub fn new(identity: x25519::Identity, secrets: DeviceSecrets) -> Self {
        Keys { identity, secrets }
    }

    /// The age identity, for decrypting.
    pub fn identity(&self) -> &x25519::Identity {
        &self.identity
    }

    /// The device's signing key (its iroh identity), when its secrets hold a valid one.
    pub fn signing_key(&self) -> Option<ed25519_dalek::SigningKey> {
        let secret = self.secrets.iroh_secret()?;
        Some(ed25519_dalek::SigningKey::from_bytes(&secret))
    }

    /// The key that tags this device's chunks, when its secrets hold a valid iroh key.
    pub fn chunk_key(&self) -> Option<ChunkKey> {
        let secret = self.secrets.iroh_secret()?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_slice()).ok()?;
        mac.update(b"haven chunk tags v1");
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Some(ChunkKey(key))
    }

    /// The identity as `AGE-SECRET-KEY-1...`, for handing to an unlock agent.
    pub fn identity_secret(&self) -> SecretString {
        self.identity.to_string()
    }
}

/// A key only this device holds, for tagging the chunks it writes: anyone who knows a
/// vault's public recipient can encrypt a chunk to it, but not tag one.
pub struct ChunkKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChunkKey([redacted])")
    }
}

impl ChunkKey {
    /// The tag (32 hex digits) of the chunk `name` (untagged, e.g. `<ulid>.changes.age`)
    /// of `journal`, whose encrypted bytes are `sealed`: it binds the bytes to their place.
    pub fn tag(&self, journal: &str, name: &str, sealed: &[u8]) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice()) else {
            return String::new();
        };
        for part in [journal.as_bytes(), name.as_bytes()] {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac.update(sealed);
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// Generates a new device identity.
pub fn generate_identity() -> x25519::Identity {
    x25519::Identity::generate()
}

/// Parses `AGE-SECRET-KEY-1...`, or an identity file's text containing one such line.
pub fn parse_identity(text: &str) -> Result<x25519::Identity, &'static str> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or("no AGE-SECRET-KEY line")?;
    line.parse().map_err(|_| "malformed AGE-SECRET-KEY line")
}

/// The identity file's plaintext, as `age-keygen` writes it.
fn identity_file_text(identity: &x25519::Identity, created: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# created: {created}\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    ))
}

/// Encrypts the identity file with `passphrase` at scrypt work factor `log_n`.
pub fn encrypt_identity(
    identity: &x25519::Identity,
    passphrase: &Passphrase,
    log_n: u8,
    created: &str,
) -> Result<Vec<u8>> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.0.clone());
    recipient.set_work_factor(log_n.clamp(MIN_WORK_FACTOR, MAX_WORK_FACTOR));
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| StoreError::Encrypt(e.to_string()))?;
    let mut out = Vec::new();
    let mut w = encryptor
        .wrap_output(&mut out)
        .map_err(|e| StoreError::Encrypt(e.to_string()))?;
    w.write_all(identity_file_text(identity, created).as_bytes())
        .and_then(|_| w.finish().map(|_| ()))
        .map_err(|e| StoreError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Decrypts the identity file with `passphrase`.
pub fn decrypt_identity(
    ciphertext: &[u8],
    passphrase: &Passphrase,
    path: &std::path::Path,
) -> Result<x25519::Identity> {
    let damaged = |reason: String| StoreError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    let decryptor = age::Decryptor::new_buffered(ciphertext).map_err(|e| damaged(e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(damaged("not a passphrase-encrypted age file".into()));
    }
    let mut identity = age::scrypt::Identity::new(passphrase.0.clone());
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                StoreError::WrongPassphrase
            }
            age::DecryptError::ExcessiveWork { .. } => StoreError::ExcessiveWork,
            other => damaged(other.to_string()),
        })?;
    let mut text = Zeroizing::new(String::new());
    reader
        .read_to_string(&mut text)
        .map_err(|e| damaged(format!("cannot decrypt ({e})")))?;
    parse_identity(&text).map_err(|reason| damaged(reason.into()))
}

/// Serialises device secrets (JSON) for encryption.
pub fn encode_secrets(secrets: &DeviceSecrets) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(serde_json::to_vec(secrets).unwrap_or_default())
}

/// Parses decrypted device secrets.
pub fn decode_secrets(plaintext: &[u8]) -> Result<DeviceSecrets, String> {
    let secrets: DeviceSecrets = serde_json::from_slice(plaintext).map_err(|e| e.to_string())?;
    if secrets.iroh_secret().is_none() {
        return Err("iroh secret key is malformed".into());
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_file_round_trips_and_rejects_wrong_passphrase() {
        let id = generate_identity();
        let pass = Passphrase::new("correct horse".into()).unwrap();
        let file = encrypt_identity(&id, &pass, 10, "2026-01-01T00:00:00Z").unwrap();
        let path = std::path::Path::new("identity.age");
        let back = decrypt_identity(&file, &pass, path).unwrap();
        assert_eq!(back.to_public().to_string(), id.to_public().to_string());
        let wrong = Passphrase::new("wrong".into()).unwrap();
        assert!(matches!(
            decrypt_identity(&file, &wrong, path),
            Err(StoreError::WrongPassphrase)
        ));
    }

    #[test]
    fn excessive_work_factor_is_refused() {
        let id = generate_identity();
        let pass = Passphrase::new("p".into()).unwrap();
        // Write a cheap file, then claim a huge work factor in its header: the claim must be
        // refused before any scrypt work is done.
        let cheap = encrypt_identity(&id, &pass, MIN_WORK_FACTOR, "x").unwrap();
        let stanza_end = cheap.windows(4).position(|w| w == b" 10\n").unwrap();
        let mut file = cheap[..stanza_end].to_vec();
        file.extend_from_slice(format!(" {}\n", MAX_WORK_FACTOR + 8).as_bytes());
        file.extend_from_slice(&cheap[stanza_end + 4..]);
        let result = decrypt_identity(&file, &pass, std::path::Path::new("identity.age"));
        assert!(
            matches!(result, Err(StoreError::ExcessiveWork)),
            "{:?}",
            result.err()
        );
    }

    #[test]
    fn empty_passphrase_is_refused_and_secrets_are_not_printed() {
        assert!(matches!(
            Passphrase::new("  ".into()),
            Err(StoreError::EmptyPassphrase)
        ));
        let secrets = DeviceSecrets::generate("laptop".into(), "Sam".into());
        let keys = Keys::new(generate_identity(), secrets.clone());
        let shown = format!(
            "{keys:?} {secrets:?} {:?}",
            Passphrase::new("hunter2".into()).unwrap()
        );
        assert!(
            !shown.contains("Sam")
                && !shown.contains("hunter2")
                && !shown.contains(&secrets.iroh_secret_hex)
        );
        assert_eq!(secrets.device_id().unwrap().len(), 64);
    }

    #[test]
    fn weak_passphrases_are_named_and_strong_ones_pass() {
        let weakness = |t: &str| Passphrase::new(t.into()).unwrap().weakness();
        assert_eq!(weakness("Password"), Some(Weakness::Common));
        assert_eq!(weakness("pass word"), Some(Weakness::Common));
        assert_eq!(weakness("aaaaaaaaaaaaaaaa"), Some(Weakness::Pattern));
        assert_eq!(weakness("abcdefghijklmn"), Some(Weakness::Pattern));
        assert_eq!(weakness("98765432109"), Some(Weakness::Short));
        assert_eq!(weakness("tulip7x"), Some(Weakness::Short));
        assert_eq!(weakness("correct horse battery staple"), None);
        assert_eq!(weakness("Mz8#qLw2!pRt"), None);
        assert_eq!(
            weakness("red fox sings"),
            None,
            "three words, however short"
        );
    }
}
