//! The vault directory: creating, opening, unlocking, and finding journals.
//!
//! ```text
//! <vault>/
//!   config.toml            plaintext: format, device id, public recipient, personal journal id
//!   identity.age           age identity file, encrypted with the passphrase (scrypt)
//!   device.age             device secrets (JSON), encrypted to the device recipient
//!   lock                   advisory lock file
//!   journals/<id>/chunks/  <ulid>.snapshot.age and <ulid>.changes.age (Automerge binary)
//!   journals/<id>/inbox/   <entry id>.age: sealed entries (one Automerge change each)
//!   journals/<id>/view.age encrypted read cache; disposable
//!   quarantine/            files `doctor` moved aside
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use age::x25519;

use haven_model::members::Member;
use haven_model::{JournalKind, JournalMeta};
use serde::{Deserialize, Serialize};

use crate::durable::{private_dir, write_atomic};
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::journal::JournalView;
use crate::journal::{JournalId, JournalStore};
use crate::keys::{self, DeviceSecrets, Keys, Passphrase};
use crate::lock::VaultLock;
use crate::names::{self, Names};

/// The on-disk format version this code writes and reads.
pub const FORMAT: u32 = 1;

/// The plaintext configuration. It holds no names and no content.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Vault format version.
    pub format: u32,
    /// This device's id (hex public key).
    pub device_id: String,
    /// The device's age recipient (public key).
    pub recipient: String,
    /// The directory id of the personal journal.
    pub personal_journal: String,
    /// Network settings.
    #[serde(default)]
    pub network: NetworkConfig,
}

/// The `[network]` table of `config.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// `default` (iroh's public relays and address lookup), `disabled`, or a relay URL.
    #[serde(default = "default_relay")]
    pub relay: String,
    /// An address to bind, e.g. `127.0.0.1:0` or `0.0.0.0:4919` (default: all interfaces).
    #[serde(default)]
    pub bind: Option<String>,
    /// `true` to never open a network endpoint at all.
    #[serde(default)]
    pub offline: bool,
    /// Find peers on the local network by multicast DNS (and be found by them).
    #[serde(default = "default_true")]
    pub local_discovery: bool,
}

fn default_true() -> bool {
    true
}

fn default_relay() -> String {
    "default".into()
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            relay: default_relay(),
            bind: None,
            offline: false,
            local_discovery: true,
        }
    }
}

/// A journal of this vault as listings see it.
#[derive(Debug)]
pub struct JournalInfo {
    /// Its files.
    pub store: JournalStore,
    /// The name the user types with `--journal` (none until a shared journal's name is
    /// known).
    pub alias: Option<String>,
    /// Whether it is this device's personal journal (a local fact).
    pub personal: bool,
    /// What reads show of it (the newest entries only), or why it does not read.
    pub view: Result<JournalView, StoreError>,
}

/// What `init` needs.
#[derive(Debug)]
pub struct InitOptions {
    /// The passphrase protecting the identity.
    pub passphrase: Passphrase,
    /// A name for this device.
    pub device_name: String,
    /// The person's name.
    pub person_name: String,
    /// scrypt work factor (log2 N) for the identity file.
    pub work_factor: u8,
    /// Creation time, RFC 3339, written into the identity file's comment.
    pub created: String,
    /// Creation time in ms, stored in the personal journal.
    pub created_ms: i64,
}

/// An opened (not necessarily unlocked) vault.
#[derive(Debug, Clone)]
pub struct Vault {
    root: PathBuf,
    config: Config,
    recipient: x25519::Recipient,
}

impl Vault {
    fn config_path(root: &Path) -> PathBuf {
        root.join("config.toml")
    }

    /// Whether a vault exists at `root`.
    pub fn exists(root: &Path) -> bool {
        Self::config_path(root).exists()
    }

    /// Creates a new vault with a personal journal, returning it unlocked.
    pub fn init(root: &Path, opts: InitOptions) -> Result<(Vault, Keys)> {
        if Self::exists(root) || root.join("identity.age").exists() {
            return Err(StoreError::AlreadyExists(root.to_path_buf()));
        }
        private_dir(root)?;
        private_dir(&root.join("journals"))?;
        let identity = keys::generate_identity();
        let recipient = identity.to_public();
        let secrets = DeviceSecrets::generate(opts.device_name, opts.person_name);
        let device_id = secrets.device_id().unwrap_or_default();
        let keys = Keys::new(identity, secrets);

        let id_file = keys::encrypt_identity(
            keys.identity(),
            &opts.passphrase,
            opts.work_factor,
            &opts.created,
        )?;
        write_atomic(root, "identity.age", &id_file)?;
        write_atomic(
            root,
            "device.age",
            &envelope::seal(&recipient, &keys::encode_secrets(&keys.secrets))?,
        )?;

        let personal = JournalId::random();
        let config = Config {
            format: FORMAT,
            device_id,
            recipient: recipient.to_string(),
            personal_journal: personal.to_string(),
            network: NetworkConfig::default(),
        };
        let vault = Vault {
            root: root.to_path_buf(),
            config,
            recipient,
        };
        let meta = JournalMeta {
            name: "personal".into(),
            kind: JournalKind::Personal,
            created_ms: opts.created_ms,
        };
        vault
            .journal(personal)
            .create(&keys, &meta, &vault.me(&keys, opts.created_ms))?;
        let mut names = Names::default();
        names.set(&personal.to_string(), "personal".into());
        names.save(root, &vault.recipient)?;
        // The config is written last: a vault without it is an interrupted init.
        let text =
            toml::to_string(&vault.config).map_err(|e| StoreError::Encrypt(e.to_string()))?;
        write_atomic(root, "config.toml", text.as_bytes())?;
        Ok((vault, keys))
    }

    /// Opens the vault at `root` without unlocking it.
    pub fn open(root: &Path) -> Result<Vault> {
        let path = Self::config_path(root);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NoVault(root.to_path_buf()));
            }
            Err(e) => return Err(StoreError::io("read", &path)(e)),
        };
        let bad = |reason: String| StoreError::Config {
            path: path.clone(),
            reason,
        };
        let config: Config = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if config.format != FORMAT {
            return Err(bad(format!(
                "format {} is not supported (this version reads {FORMAT})",
                config.format
            )));
        }
        let recipient = config
            .recipient
            .parse()
            .map_err(|_| bad("recipient is malformed".into()))?;
        config
            .personal_journal
            .parse::<JournalId>()
            .map_err(|_| bad("personal_journal is malformed".into()))?;
        Ok(Vault {
            root: root.to_path_buf(),
            config,
            recipient,
        })
    }

    /// The vault directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The plaintext configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This device's age recipient.
    pub fn recipient(&self) -> &x25519::Recipient {
        &self.recipient
    }

    /// Path of the lock file.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// Takes the writer lock.
    pub fn lock_exclusive(&self) -> Result<VaultLock> {
        VaultLock::exclusive(&self.lock_path())
    }

    fn identity_path(&self) -> PathBuf {
        self.root.join("identity.age")
    }

    /// Decrypts the identity with the passphrase (costs the scrypt work factor).
    pub fn unlock(&self, passphrase: &Passphrase) -> Result<Keys> {
        let keys = self.unlock_unlocked(passphrase)?;
        Ok(self.with_tagged_chunks(keys))
    }

    /// [`Self::unlock`] for a caller that holds the vault lock: tags nothing.
    fn unlock_unlocked(&self, passphrase: &Passphrase) -> Result<Keys> {
        let path = self.identity_path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::MissingIdentity(path));
            }
            Err(e) => return Err(StoreError::io("read", &path)(e)),
        };
        let identity = keys::decrypt_identity(&bytes, passphrase, &path)?;
        self.keys_for(identity)
    }

    /// Builds keys from an identity handed over by an unlock agent.
    pub fn keys_from_secret(&self, identity_text: &str) -> Result<Keys> {
        let identity = keys::parse_identity(identity_text).map_err(|_| StoreError::ForeignKey)?;
        Ok(self.with_tagged_chunks(self.keys_for(identity)?))
    }

    /// `keys`, once every chunk of a vault made before chunks were tagged has been tagged
    /// as this device's (see `docs/formats.md`): the one time untagged chunks are trusted.
    /// When that fails (a read-only vault, say) they stay trusted until a later unlock
    /// manages it.
    fn with_tagged_chunks(&self, mut keys: Keys) -> Keys {
        if keys.secrets.chunks_tagged {
            return keys;
        }
        match self.tag_chunks(&mut keys) {
            Ok(count) => tracing::info!(count, "tagged the chunks of a vault from before tags"),
            Err(error) => tracing::warn!(%error, "could not tag this vault's chunks yet"),
        }
        keys
    }

    fn tag_chunks(&self, keys: &mut Keys) -> Result<usize> {
        let _lock = self.lock_exclusive()?;
        let mut count = 0;
        for id in self.journal_ids()? {
            count += self.journal(id).tag_untagged(keys)?;
        }
        let mut secrets = keys.secrets.clone();
        secrets.chunks_tagged = true;
        write_atomic(
            &self.root,
            "device.age",
            &envelope::seal(&self.recipient, &keys::encode_secrets(&secrets))?,
        )?;
        keys.secrets.chunks_tagged = true;
        Ok(count)
    }

    fn keys_for(&self, identity: x25519::Identity) -> Result<Keys> {
        if identity.to_public().to_string() != self.config.recipient {
            return Err(StoreError::ForeignKey);
        }
        let path = self.root.join("device.age");
        let plain = zeroize::Zeroizing::new(envelope::open_file(&identity, &path)?);
        let secrets =
            keys::decode_secrets(&plain).map_err(|reason| StoreError::Damaged { path, reason })?;
        Ok(Keys::new(identity, secrets))
    }

    /// Re-encrypts the identity file with a new passphrase. The old one must be right.
    pub fn change_passphrase(
        &self,
        old: &Passphrase,
        new: &Passphrase,
        work_factor: u8,
        created: &str,
    ) -> Result<()> {
        let _lock = self.lock_exclusive()?;
        let keys = self.unlock_unlocked(old)?;
        let bytes = keys::encrypt_identity(keys.identity(), new, work_factor, created)?;
        write_atomic(&self.root, "identity.age", &bytes)
    }

    /// The personal journal.
    pub fn personal(&self) -> JournalStore {
        // Validated in `open`/`init`.
        let id = self
            .config
            .personal_journal
            .parse()
            .unwrap_or_else(|_| JournalId::random());
        self.journal(id)
    }

    /// The journal stored under `id` (which may not exist yet).
    pub fn journal(&self, id: JournalId) -> JournalStore {
        JournalStore::new(&self.root, id, self.recipient.clone())
    }

    /// Ids of every journal directory.
    pub fn journal_ids(&self) -> Result<Vec<JournalId>> {
        let dir = self.root.join("journals");
        let mut ids: Vec<JournalId> = fs::read_dir(&dir)
            .map_err(StoreError::io("list", &dir))?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every journal, personal first, then by alias. A journal that does not read is
    /// listed with its error (and no alias until one is known), never fatal to the others.
    /// Journals that have no alias yet get one from their proposed name, written down.
    pub fn journals(&self, keys: &Keys) -> Result<Vec<JournalInfo>> {
        let personal = self.config.personal_journal.clone();
        let mut names = Names::load(&self.root, keys);
        let before = names.clone();
        let mut out = Vec::new();
        let mut ids = self.journal_ids()?;
        // The personal journal claims its alias first.
        ids.sort_by_key(|id| id.to_string() != personal);
        for id in ids {
            let store = self.journal(id);
            let view = store.read_recent(keys, 0);
            let key = id.to_string();
            let alias = match names.get(&key) {
                Some(a) => Some(a.to_string()),
                None => {
                    let proposed = match &view {
                        Ok(v) => v.meta.as_ref().map(|m| m.name.clone()),
                        Err(_) => None,
                    };
                    let proposed = if key == personal {
                        Some(proposed.unwrap_or_else(|| "personal".into()))
                    } else {
                        proposed
                    };
                    proposed.map(|p| {
                        let alias = names.unique(&p);
                        names.set(&key, alias.clone());
                        alias
                    })
                }
            };
            out.push(JournalInfo {
                personal: key == personal,
                store,
                alias,
                view,
            });
        }
        if names != before {
            // Best effort: a read-only vault derives the same aliases next time.
            if let Ok(_lock) = self.lock_exclusive() {
                let _ = names.save(&self.root, &self.recipient);
            }
        }
        out.sort_by(|a, b| (!a.personal, &a.alias).cmp(&(!b.personal, &b.alias)));
        Ok(out)
    }

    /// Finds a journal by its alias.
    pub fn find_journal(&self, keys: &Keys, alias: &str) -> Result<JournalStore> {
        let mut found = self
            .journals(keys)?
            .into_iter()
            .filter(|j| j.alias.as_deref() == Some(alias));
        match (found.next(), found.next()) {
            (Some(j), None) => Ok(j.store),
            (None, _) => Err(StoreError::NoSuchJournal(alias.to_string())),
            (Some(_), Some(_)) => Err(StoreError::AmbiguousJournal(alias.to_string())),
        }
    }

    /// The alias of journal `store`, if it has one.
    pub fn alias_of(&self, keys: &Keys, store: &JournalStore) -> Option<String> {
        Names::load(&self.root, keys)
            .get(&store.id().to_string())
            .map(str::to_string)
    }

    /// Creates a new journal, whose alias is its name.
    pub fn create_journal(&self, keys: &Keys, meta: &JournalMeta) -> Result<JournalStore> {
        if !names::valid_alias(&meta.name) {
            return Err(StoreError::BadAlias(meta.name.clone()));
        }
        if self
            .journals(keys)?
            .iter()
            .any(|j| j.alias.as_deref() == Some(meta.name.as_str()))
        {
            return Err(StoreError::JournalExists(meta.name.clone()));
        }
        let store = self.journal(JournalId::random());
        store.create(keys, meta, &self.me(keys, meta.created_ms))?;
        self.set_alias(keys, &store, &meta.name)?;
        Ok(store)
    }

    /// Gives `store` the local alias `alias` (which no other journal may have).
    pub fn set_alias(&self, keys: &Keys, store: &JournalStore, alias: &str) -> Result<()> {
        if !names::valid_alias(alias) {
            return Err(StoreError::BadAlias(alias.to_string()));
        }
        let _lock = self.lock_exclusive()?;
        let mut names = Names::load(&self.root, keys);
        let id = store.id().to_string();
        if names.find(alias).is_some_and(|other| other != id) {
            return Err(StoreError::JournalExists(alias.to_string()));
        }
        names.set(&id, alias.to_string());
        names.save(&self.root, &self.recipient)
    }

    /// Renames the journal whose alias is `old` to `new`, on this device only.
    pub fn rename_journal(&self, keys: &Keys, old: &str, new: &str) -> Result<JournalStore> {
        let store = self.find_journal(keys, old)?;
        self.set_alias(keys, &store, new)?;
        Ok(store)
    }

    /// Makes `store` this device's personal journal (after joining one of my own devices,
    /// whose welcome said which of its journals is its personal one): the entries of the
    /// previous personal journal are merged into it first, then the previous one's
    /// directory is removed, and its alias moves to the new one. Nothing is lost.
    pub fn take_personal(&mut self, keys: &Keys, store: &JournalStore) -> Result<usize> {
        let old = self.personal();
        if old.id() == store.id() {
            return Ok(0);
        }
        let entries = old.read(keys)?.entries;
        // A new device's personal journal is usually empty: nothing to merge, nothing to
        // load.
        let moved = if entries.is_empty() {
            0
        } else {
            store.change(keys, |doc| {
                Ok(haven_model::schema::insert_all(doc, &entries)?)
            })?
        };
        let _lock = self.lock_exclusive()?;
        let mut names = Names::load(&self.root, keys);
        let alias = names
            .remove(&old.id().to_string())
            .unwrap_or_else(|| "personal".into());
        names.remove(&store.id().to_string());
        names.set(&store.id().to_string(), alias);
        names.save(&self.root, &self.recipient)?;
        self.config.personal_journal = store.id().to_string();
        let text = toml::to_string(&self.config).map_err(|e| StoreError::Encrypt(e.to_string()))?;
        write_atomic(&self.root, "config.toml", text.as_bytes())?;
        std::fs::remove_dir_all(old.dir()).map_err(StoreError::io("remove", old.dir()))?;
        crate::durable::sync_dir(&self.root.join("journals"))?;
        Ok(moved)
    }

    /// This device as the first member of a journal it creates (its admin).
    pub fn me(&self, keys: &Keys, at_ms: i64) -> Member {
        Member {
            device: self.config.device_id.clone(),
            device_name: keys.secrets.device_name.clone(),
            person: keys.secrets.person_name.clone(),
            person_id: self.config.device_id.clone(),
            role: Some(haven_model::members::Role::Admin),
            added_by: self.config.device_id.clone(),
            added_at_ms: at_ms,
            revoked_at_ms: None,
            ending: None,
            addrs: Vec::new(),
        }
    }

    /// The local copy of the journal whose shared key is `key_hex`, if there is one.
    pub fn find_by_key(&self, keys: &Keys, key_hex: &str) -> Result<Option<JournalStore>> {
        for id in self.journal_ids()? {
            let store = self.journal(id);
            if store.read_recent(keys, 0)?.key.as_deref() == Some(key_hex) {
                return Ok(Some(store));
            }
        }
        Ok(None)
    }

    /// The local copy of a shared journal, created empty if this device has none yet.
    pub fn adopt_journal(&self, keys: &Keys, key_hex: &str) -> Result<JournalStore> {
        if let Some(store) = self.find_by_key(keys, key_hex)? {
            return Ok(store);
        }
        let store = self.journal(JournalId::random());
        store.adopt(keys, key_hex)?;
        Ok(store)
    }

    /// Removes a journal copy this device just made and that holds nothing of its own (a
    /// join that was refused before anything was kept).
    pub fn discard_journal(&self, store: &JournalStore) -> Result<()> {
        if store.id().to_string() == self.config.personal_journal {
            return Ok(());
        }
        let _lock = self.lock_exclusive()?;
        std::fs::remove_dir_all(store.dir()).map_err(StoreError::io("remove", store.dir()))?;
        crate::durable::sync_dir(&self.root.join("journals"))
    }

    /// Where `doctor` moves damaged files.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join("quarantine")
    }
}
