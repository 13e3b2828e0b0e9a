//! The store's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The journal's rules do not let this device make the change.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// `init` found a vault already there.
    #[error("a vault already exists at {0}")]
    AlreadyExists(PathBuf),
    /// No vault at the path.
    #[error("no vault at {0}")]
    NoVault(PathBuf),
    /// The passphrase did not open the identity file.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The passphrase is empty.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The identity file demands more scrypt work than we accept.
    #[error("the identity file asks for an excessive scrypt work factor")]
    ExcessiveWork,
    /// The identity file is missing.
    #[error("the identity file {0} is missing")]
    MissingIdentity(PathBuf),
    /// A file could not be decrypted or parsed.
    #[error("{path} is damaged: {reason}")]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration file is invalid.
    #[error("config {path}: {reason}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key offered does not belong to this vault.
    #[error("the key does not belong to this vault")]
    ForeignKey,
    /// No journal with that name.
    #[error("no journal named `{0}`")]
    NoSuchJournal(String),
    /// Two journals answer to that name (only possible in a vault damaged by hand).
    #[error("two journals are called `{0}`")]
    AmbiguousJournal(String),
    /// A name that cannot be typed back.
    #[error(
        "`{0}` cannot name a journal: use 1 to 64 visible characters, without spaces at either end"
    )]
    BadAlias(String),
    /// A journal with that name exists.
    #[error("a journal named `{0}` already exists")]
    JournalExists(String),
    /// No entry matches the id or prefix.
    #[error("no entry matches `{0}`")]
    NoSuchEntry(String),
    /// An id prefix matches several entries.
    #[error("`{prefix}` matches {count} entries")]
    AmbiguousEntry {
        /// The prefix typed.
        prefix: String,
        /// How many entries it matches.
        count: usize,
    },
    /// The document could not be read or changed.
    #[error(transparent)]
    Schema(#[from] haven_model::SchemaError),
    /// Encryption failed (should not happen with valid keys).
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

impl StoreError {
    /// Wraps an I/O error with what was being done and where.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// The underlying I/O error kind, if this is an I/O error.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            StoreError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
