//! What every command needs: the environment read once, the vault, keys and the time.
//!
//! This is the only place that reads environment variables.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use haven_model::{EntryId, Timestamp};
use haven_store::{JournalStore, Keys, Passphrase, StoreError, Vault};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::error::{CliError, Result};
use haven_node::ipc::agent;
use haven_node::{Node, NodeConfig, Overrides, Purpose};

/// Where the keys of a command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// A running unlock agent.
    Agent,
    /// A passphrase (environment, file or prompt).
    Passphrase,
}

/// The environment and global options of one invocation.
#[derive(Debug)]
pub struct Context {
    /// The vault directory.
    pub home: PathBuf,
    /// `--journal`.
    pub journal: Option<String>,
    /// `--json`.
    pub json: bool,
    /// `-q`.
    pub quiet: bool,
    passphrase_file: Option<PathBuf>,
    env_passphrase: Option<Zeroizing<String>>,
    /// `HAVEN_NEW_PASSPHRASE`, for scripted passphrase changes.
    pub env_new_passphrase: Option<Zeroizing<String>>,
    /// Whether stdin and stderr are terminals (a passphrase prompt is possible).
    pub interactive: bool,
    /// Whether questions may be asked: stdin, stdout and stderr are all terminals.
    pub can_ask: bool,
    /// `$EDITOR` (or `$VISUAL`).
    pub editor: Option<String>,
    /// Private, memory-backed directories for temporary plaintext, best first.
    pub memory_dirs: Vec<PathBuf>,
    /// Whether to colour output.
    pub color: bool,
    /// Whether standard output is a terminal (text from other devices is then cleaned of
    /// everything a terminal would act on, even where a file would keep it).
    pub stdout_terminal: bool,
    /// `$USER`, for a default person name.
    pub user: Option<String>,
    /// The local time zone.
    pub tz: jiff::tz::TimeZone,
    /// `TZ` as given, passed on to the demo's child processes.
    pub tz_name: Option<std::ffi::OsString>,
    /// The directory for temporary files (`TMPDIR` or `/tmp`).
    pub temp_dir: PathBuf,
    /// `HAVEN_RELAY`: overrides `[network] relay` (default, disabled or a URL).
    pub relay_override: Option<String>,
    /// `HAVEN_BIND`: overrides `[network] bind`.
    pub bind_override: Option<String>,
    /// `HAVEN_DISCOVERY` (`on` or `off`): overrides `[network] local_discovery`.
    pub discovery_override: Option<String>,
    /// The clock: the system's, or one started at `HAVEN_NOW` (for tests and demos).
    pub clock: Clock,
    /// How many columns output may use: `COLUMNS`, else the terminal's width, else 80.
    pub columns: usize,
}

fn default_home() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "haven")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            CliError::new("cannot find a home directory for the vault")
                .hint("pass --home DIR or set HAVEN_HOME")
        })
}

fn non_empty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

impl Context {
    /// Reads the environment once.
    pub fn from_env(global: &GlobalArgs) -> Result<Self> {
        let home = match (&global.home, non_empty("HAVEN_HOME")) {
            (Some(h), _) => h.clone(),
            (None, Some(h)) => PathBuf::from(h),
            (None, None) => default_home()?,
        };
        let stdout_tty = std::io::stdout().is_terminal();
        Ok(Context {
            home,
            journal: global.journal.clone(),
            json: global.json,
            quiet: global.quiet,
            passphrase_file: global.passphrase_file.clone(),
            env_passphrase: std::env::var("HAVEN_PASSPHRASE").ok().map(Zeroizing::new),
            env_new_passphrase: std::env::var("HAVEN_NEW_PASSPHRASE")
                .ok()
                .map(Zeroizing::new),
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            can_ask: std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal()
                && stdout_tty,
            editor: non_empty("VISUAL").or_else(|| non_empty("EDITOR")),
            memory_dirs: non_empty("XDG_RUNTIME_DIR")
                .map(PathBuf::from)
                .into_iter()
                .chain([PathBuf::from("/dev/shm"), PathBuf::from("/run/shm")])
                .collect(),
            color: stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            stdout_terminal: stdout_tty,
            user: non_empty("USER"),
            tz: jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
            tz_name: std::env::var_os("TZ"),
            temp_dir: std::env::temp_dir(),
            relay_override: non_empty("HAVEN_RELAY"),
            bind_override: non_empty("HAVEN_BIND"),
            discovery_override: non_empty("HAVEN_DISCOVERY"),
            clock: Clock::from_env(non_empty("HAVEN_NOW").as_deref())?,
            columns: non_empty("COLUMNS")
                .and_then(|c| c.trim().parse::<usize>().ok())
                .filter(|c| *c > 0)
                .or_else(|| {
                    terminal_size::terminal_size_of(std::io::stdout())
                        .map(|(w, _)| usize::from(w.0))
                })
                .unwrap_or(80),
        })
    }

    /// Unlocks the vault and opens its node for `purpose`, with the network settings of
    /// config.toml and `HAVEN_RELAY`, `HAVEN_BIND` and `HAVEN_DISCOVERY` over them.
    pub fn node(&self, purpose: Purpose) -> Result<Node> {
        let vault = self.vault()?;
        let (keys, _) = self.keys(&vault)?;
        let config = self.node_config(&vault, purpose)?;
        Ok(Node::new(vault, keys, config))
    }

    /// How `vault`'s node is to be opened for `purpose` (no key needed).
    pub fn node_config(&self, vault: &Vault, purpose: Purpose) -> Result<NodeConfig> {
        let overrides = Overrides {
            relay: self.relay_override.clone(),
            bind: self.bind_override.clone(),
            discovery: self.discovery_override.clone(),
        };
        let device = haven_node::node::device_bytes(&vault.config().device_id);
        let fixed = self.clock;
        let clock: haven_node::Clock = std::sync::Arc::new(move || fixed.now().as_millisecond());
        let config = NodeConfig::resolve(
            &vault.config().network,
            device.as_ref(),
            &overrides,
            purpose,
            clock,
        )?;
        Ok(config)
    }

    /// The keys if they can be had without asking: from a running agent, or a passphrase
    /// given in the environment or a file. `None` when only a prompt could get them.
    pub fn keys_unasked(&self, vault: &Vault) -> Result<Option<Keys>> {
        if let Some(secret) = agent::fetch_identity(&self.agent_socket()) {
            match vault.keys_from_secret(secret.expose_secret()) {
                Ok(keys) => return Ok(Some(keys)),
                Err(StoreError::ForeignKey) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if self.has_given_passphrase() {
            let pass = self.passphrase("Passphrase: ")?;
            return Ok(Some(vault.unlock(&pass)?));
        }
        Ok(None)
    }

    /// A runtime for one command.
    pub fn runtime(&self) -> Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))
    }

    /// Opens the vault (no secrets needed).
    pub fn vault(&self) -> Result<Vault> {
        self.home_is_not_a_file()?;
        Ok(Vault::open(&self.home)?)
    }

    /// An error naming the fix when `--home` (or `HAVEN_HOME`) points at a file.
    pub fn home_is_not_a_file(&self) -> Result<()> {
        if self.home.is_file() {
            return Err(CliError::new(format!(
                "{} is a file, not a vault directory",
                self.home.display()
            ))
            .hint("point --home (or HAVEN_HOME) at the vault's directory, or at a new one for `haven init`"));
        }
        Ok(())
    }

    /// Warns on stderr about a weak new passphrase (it is not refused: it is yours).
    pub fn warn_if_weak(&self, passphrase: &Passphrase) {
        if let Some(weakness) = passphrase.weakness() {
            eprintln!(
                "warning: this passphrase is weak: {weakness}. Anyone who copies the vault can try guesses offline; a few unrelated words are much stronger (`haven passphrase change` changes it)."
            );
        }
    }

    /// Path of the unlock agent's socket.
    pub fn agent_socket(&self) -> PathBuf {
        self.home.join("agent.sock")
    }

    /// Path of the running daemon's control socket.
    pub fn daemon_socket(&self) -> PathBuf {
        self.home.join("daemon.sock")
    }

    /// The passphrase from `--passphrase-file`, `HAVEN_PASSPHRASE` or a prompt.
    pub fn passphrase(&self, prompt: &str) -> Result<Passphrase> {
        if let Some(path) = &self.passphrase_file {
            return Ok(Passphrase::new(read_passphrase_file(path)?)?);
        }
        if let Some(p) = &self.env_passphrase {
            return Ok(Passphrase::new(p.to_string())?);
        }
        if self.interactive {
            let text = rpassword::prompt_password(prompt)?;
            return Ok(Passphrase::new(text)?);
        }
        Err(
            CliError::new("the vault is locked and no passphrase was given").hint(
                "run `haven unlock` first, set HAVEN_PASSPHRASE, or pass --passphrase-file FILE",
            ),
        )
    }

    /// The keys if they can be had without asking; a passphrase given (environment or
    /// file) that does not open the vault is said on stderr, never passed over, for commands
    /// that go on without the key (writing seals anyway). One unlock at most.
    pub fn keys_or_warn(&self, vault: &Vault) -> Option<Keys> {
        match self.keys_unasked(vault) {
            Ok(keys) => keys,
            Err(e) => {
                eprintln!(
                    "warning: the passphrase given ({}) was not used: {}",
                    if self.passphrase_file.is_some() {
                        "--passphrase-file"
                    } else {
                        "HAVEN_PASSPHRASE"
                    },
                    e.message()
                );
                None
            }
        }
    }

    /// Whether a passphrase was given without a prompt (environment or file).
    pub fn has_given_passphrase(&self) -> bool {
        self.passphrase_file.is_some() || self.env_passphrase.is_some()
    }

    /// A new passphrase: `HAVEN_NEW_PASSPHRASE`, `file`, or asked twice on the terminal.
    pub fn new_passphrase(
        &self,
        file: Option<&Path>,
        env: Option<&Zeroizing<String>>,
    ) -> Result<Passphrase> {
        if let Some(path) = file {
            return Ok(Passphrase::new(read_passphrase_file(path)?)?);
        }
        if let Some(p) = env {
            return Ok(Passphrase::new(p.to_string())?);
        }
        if !self.interactive {
            return Err(
                CliError::new("no passphrase given and no terminal to ask on")
                    .hint("set HAVEN_PASSPHRASE or pass --passphrase-file FILE"),
            );
        }
        let first = Zeroizing::new(rpassword::prompt_password("New passphrase: ")?);
        let pass = Passphrase::new(first.to_string())?;
        let second = Zeroizing::new(rpassword::prompt_password("Repeat it: ")?);
        if *first != *second {
            return Err(
                CliError::new("the two passphrases differ; nothing was changed")
                    .hint("run the command again"),
            );
        }
        Ok(pass)
    }

    /// The keys, from the agent if one is running, else from a passphrase.
    pub fn keys(&self, vault: &Vault) -> Result<(Keys, KeySource)> {
        self.keys_because(vault, "this command reads or changes entries")
    }

    /// The keys, saying `why` they are needed before asking for the passphrase on the
    /// terminal, so that no prompt appears unexplained in the middle of a practice.
    pub fn keys_because(&self, vault: &Vault, why: &str) -> Result<(Keys, KeySource)> {
        if let Some(secret) = agent::fetch_identity(&self.agent_socket()) {
            match vault.keys_from_secret(secret.expose_secret()) {
                Ok(keys) => return Ok((keys, KeySource::Agent)),
                Err(StoreError::ForeignKey) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if self.interactive && !self.has_given_passphrase() {
            eprintln!("The vault is locked, and {why}.");
        }
        let pass = self.passphrase("Passphrase: ").map_err(|e| {
            // A passphrase that was given but could not be used keeps its own error.
            if self.has_given_passphrase() {
                e
            } else {
                self.locked_hint(vault, e)
            }
        })?;
        Ok((vault.unlock(&pass)?, KeySource::Passphrase))
    }

    fn locked_hint(&self, vault: &Vault, err: CliError) -> CliError {
        let waiting: usize = vault
            .journal_ids()
            .unwrap_or_default()
            .into_iter()
            .map(|id| vault.journal(id).inbox_len().unwrap_or(0))
            .sum();
        if waiting == 0 {
            return err;
        }
        let noun = if waiting == 1 {
            "entry is"
        } else {
            "entries are"
        };
        CliError::new(format!(
            "the vault is locked; {waiting} sealed {noun} waiting to be merged"
        ))
        .hint("run `haven unlock` (or set HAVEN_PASSPHRASE) to read them")
    }

    /// The journal chosen with `--journal`, or the personal one.
    pub fn journal_store(&self, vault: &Vault, keys: &Keys) -> Result<JournalStore> {
        match &self.journal {
            Some(name) => Ok(vault.find_journal(keys, name)?),
            None => Ok(vault.personal()),
        }
    }

    /// The current time with the local UTC offset.
    pub fn now(&self) -> Timestamp {
        self.timestamp_at(self.clock.now())
    }

    /// An instant with the local UTC offset then.
    pub fn timestamp_at(&self, at: jiff::Timestamp) -> Timestamp {
        Timestamp {
            unix_ms: at.as_millisecond(),
            offset_secs: self.tz.to_offset(at).seconds(),
        }
    }

    /// The current time in the local zone.
    pub fn zoned_now(&self) -> jiff::Zoned {
        self.clock.now().to_zoned(self.tz.clone())
    }

    /// Today's date in the local zone.
    pub fn today(&self) -> jiff::civil::Date {
        self.zoned_now().date()
    }

    /// A fresh entry id for an entry created at `at`.
    pub fn new_entry_id(&self, at: Timestamp) -> EntryId {
        EntryId::from_parts(u64::try_from(at.unix_ms).unwrap_or(0), rand::random())
    }
}

/// The time: the system's, or a clock that started at a fixed instant when this process did
/// (`HAVEN_NOW`), so that tests and demos give the same dates whatever day they run.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Option<(jiff::Timestamp, std::time::Instant)>,
}

impl Clock {
    /// The clock `HAVEN_NOW` (an RFC 3339 time) asks for, or the system's.
    fn from_env(value: Option<&str>) -> Result<Self> {
        let Some(text) = value else {
            return Ok(Clock { start: None });
        };
        let at: jiff::Timestamp = text.parse().map_err(|e| {
            CliError::new(format!("HAVEN_NOW is not an RFC 3339 time ({e})")).hint(
                "write it like 2026-11-27T18:30:00+01:00, or unset it to use the system clock",
            )
        })?;
        Ok(Clock {
            start: Some((at, std::time::Instant::now())),
        })
    }

    /// Now.
    pub fn now(&self) -> jiff::Timestamp {
        match self.start {
            None => jiff::Timestamp::now(),
            Some((at, started)) => {
                let elapsed = jiff::SignedDuration::try_from(started.elapsed()).unwrap_or_default();
                at.checked_add(elapsed).unwrap_or(at)
            }
        }
    }
}

/// Refuses a file of secrets that others may read or write, as ssh does with a private
/// key: a passphrase others may read is no secret. `what` names it ("passphrase file").
pub fn private_file(path: &Path, what: &str) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
        if mode & 0o077 != 0 {
            return Err(CliError::new(format!(
                "the {what} {} may be read by others (mode {:o}); it was not used",
                path.display(),
                mode & 0o777
            ))
            .hint(format!("make it yours alone: chmod 600 {}", path.display())));
        }
    }
    Ok(())
}

fn read_passphrase_file(path: &Path) -> Result<String> {
    private_file(path, "passphrase file")?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!(
            "cannot read the passphrase file {}: {e}",
            path.display()
        ))
        .hint("check the path given to --passphrase-file")
    })?);
    Ok(text.lines().next().unwrap_or("").to_string())
}
