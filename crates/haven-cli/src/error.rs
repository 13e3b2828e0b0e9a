//! The CLI's one error type: what happened, and what to do next.

use std::fmt;

use haven_node::{ConfigError, DaemonError, NodeError, PairError, PairFailure};
use haven_store::StoreError;

/// An error to show the user, with a hint that names the fix.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hint: Option<String>,
    code: u8,
    broken_pipe: bool,
}

impl CliError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
            code: 1,
            broken_pipe: false,
        }
    }

    /// Adds what to do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// What happened, without the hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        self.code
    }

    /// Whether this is a closed stdout (e.g. `haven list | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        self.broken_pipe
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        let broken_pipe = e.kind() == std::io::ErrorKind::BrokenPipe;
        CliError {
            message: e.to_string(),
            hint: None,
            code: 1,
            broken_pipe,
        }
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            return CliError::from(std::io::Error::from(e));
        }
        CliError::new(e.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        use std::io::ErrorKind as K;
        let msg = e.to_string();
        match &e {
            StoreError::WrongPassphrase => CliError::new("wrong passphrase; nothing was changed")
                .hint("try again (check HAVEN_PASSPHRASE or --passphrase-file), or run `haven passphrase change` if you know the old one"),
            StoreError::EmptyPassphrase => CliError::new("the passphrase is empty").hint("choose a passphrase of a few words"),
            StoreError::ExcessiveWork => CliError::new(msg).hint("this identity file was not written by Haven; restore identity.age from a backup"),
            StoreError::NoVault(p) => CliError::new(format!("no vault at {}", p.display()))
                .hint("run `haven init` to create one, or pass --home / set HAVEN_HOME to an existing vault"),
            StoreError::AlreadyExists(p) => CliError::new(format!("a vault already exists at {}; nothing was changed", p.display()))
                .hint("use it as it is, or pass --home DIR to create another"),
            StoreError::MissingIdentity(p) => CliError::new(format!("the identity file {} is missing, so the vault cannot be unlocked", p.display()))
                .hint("restore identity.age from a backup of this vault; the journals are untouched"),
            StoreError::Schema(haven_model::SchemaError::TooLarge { .. }) => {
                CliError::new(format!("{msg}; nothing was saved"))
                    .hint("split it into several entries: every device refuses an entry beyond the limits")
            }
            StoreError::Damaged { .. } | StoreError::Schema(_) => CliError::new(msg)
                .hint("run `haven doctor` to move damaged files aside and recover what is readable"),
            StoreError::ForeignKey => CliError::new("the unlocked key does not belong to this vault")
                .hint("run `haven lock`, then unlock again"),
            StoreError::NoSuchJournal(_) => CliError::new(msg).hint("see `haven status` for your journals"),
            StoreError::NoSuchEntry(_) => CliError::new(msg).hint("see `haven list` for entry ids"),
            StoreError::AmbiguousEntry { .. } => CliError::new(msg).hint("type more characters of the id"),
            StoreError::Config { .. } => CliError::new(msg).hint("fix or restore config.toml; it holds no secrets"),
            StoreError::Io { .. } => match e.io_kind() {
                Some(K::StorageFull) | Some(K::QuotaExceeded) => CliError::new(format!("{msg}; nothing was saved"))
                    .hint("the disk is full: free some space and run the command again"),
                Some(K::PermissionDenied) | Some(K::ReadOnlyFilesystem) => CliError::new(format!("{msg}; nothing was saved"))
                    .hint("the vault is not writable by you: check its permissions (`haven doctor` can fix them once writable)"),
                _ => CliError::new(msg),
            },
            _ => CliError::new(msg),
        }
    }
}

impl From<haven_sync::net::NetError> for CliError {
    fn from(e: haven_sync::net::NetError) -> Self {
        use haven_sync::net::{ListenCause, NetError as N};
        let hint = match &e {
            N::Bind(_) => "check [network] in config.toml (relay, bind)",
            N::Listen {
                cause: ListenCause::PortInUse,
                ..
            } => {
                "another program (or this vault's running daemon) holds it: stop it, or set another `bind` in config.toml"
            }
            N::Listen { .. } => "check `bind` under [network] in config.toml",
            N::Connect(_) | N::Timeout => {
                "check that the other device is online and running `haven invite`/`haven share` or `haven daemon`"
            }
            _ => return CliError::new(e.to_string()),
        };
        CliError::new(e.to_string()).hint(hint)
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        let hint = match &e {
            ConfigError::Offline => "set `offline = false` under [network] in config.toml to sync",
            ConfigError::Bind(_) => "write it like 127.0.0.1:0 or 0.0.0.0:4919",
            ConfigError::Discovery(_) => "set HAVEN_DISCOVERY to `on` or `off`",
        };
        CliError::new(e.to_string()).hint(hint)
    }
}

impl From<NodeError> for CliError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Store(e) => e.into(),
            NodeError::Net(e) => e.into(),
            NodeError::DamagedSecrets => CliError::new(e.to_string()).hint("run `haven doctor`"),
            NodeError::NoPeerMatches(_) => {
                CliError::new(e.to_string()).hint("see `haven devices` and `haven members`")
            }
            NodeError::NoDeviceMatches(_) => {
                CliError::new(e.to_string()).hint("see `haven devices` and `haven members`")
            }
            NodeError::AmbiguousDevice { .. } => {
                CliError::new(e.to_string()).hint("type more of the id")
            }
            NodeError::ThisDevice => {
                CliError::new(e.to_string()).hint("revoke it from another of your devices")
            }
            NodeError::MalformedId | NodeError::EndpointClosed => CliError::new(e.to_string()),
        }
    }
}

impl From<PairError> for CliError {
    fn from(e: PairError) -> Self {
        let e = match e {
            PairError::Node(inner) => return inner.into(),
            other => other,
        };
        CliError::pairing(e.to_string(), PairFailure::from(&e))
    }
}

impl CliError {
    /// A pairing that failed, in the daemon or here, with what to do next.
    pub fn pairing(message: String, kind: PairFailure) -> CliError {
        let hint = match kind {
            PairFailure::NobodyJoined | PairFailure::Sync | PairFailure::Node => {
                "run the command again for a new ticket"
            }
            PairFailure::Expired => {
                "ask for a new one (`haven invite` or `haven share` on the other device)"
            }
            PairFailure::OwnTicket => "run `haven join` on the other device",
            PairFailure::Unreachable => {
                "`haven invite` or `haven share` must still be waiting on the other device (it stops once a device joined or the ticket expired), on a network that reaches this one"
            }
            PairFailure::Refused => "ask for a new ticket",
            PairFailure::OutOfTurn => "make sure both devices run the same version of Haven",
            PairFailure::Welcome => {
                "compare the fingerprints; ask for a new ticket from a device you trust"
            }
            PairFailure::NotShared => "ask for a new ticket from `haven share`",
            PairFailure::NotPersonal => "compare the fingerprints; ask for a new ticket",
            PairFailure::Busy => {
                "another `haven invite` or `haven share` is waiting: finish or stop it first"
            }
        };
        CliError::new(message).hint(hint)
    }

    /// The running daemon has no key, so it does nothing that needs one.
    pub fn daemon_locked() -> CliError {
        CliError::new("the running daemon is locked, so it does not sync or pair")
            .hint("run `haven unlock`: it hands the daemon the key")
    }

    /// An answer from the running daemon that this command did not expect.
    pub fn daemon_answer() -> CliError {
        CliError::new("the running daemon gave an unexpected answer").hint("restart `haven daemon`")
    }
}

impl From<DaemonError> for CliError {
    fn from(e: DaemonError) -> Self {
        match e {
            DaemonError::AlreadyRunning => CliError::new(e.to_string())
                .hint("`haven status` shows it; stop it before starting another"),
            DaemonError::Open { .. } => CliError::new(e.to_string()),
            DaemonError::Node(e) => e.into(),
        }
    }
}

/// Shorthand.
pub type Result<T, E = CliError> = std::result::Result<T, E>;
