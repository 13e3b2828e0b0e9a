//! Haven's vault: the directory that holds a device's keys and its journals, every byte of
//! content encrypted with age.
//!
//! * [`Vault`] creates and opens vaults, seals entries while locked and hands out
//!   [`JournalStore`]s once unlocked.
//! * [`keys`] holds the passphrase-protected age identity and the device secrets.
//! * [`durable`] writes files atomically and durably; [`lock`] serialises writers.
//! * [`journal`] keeps one Automerge document per journal as encrypted chunks plus an
//!   encrypted read cache, folds sealed entries in and compacts.
//! * [`doctor`] checks every file and moves damaged ones aside.
//!
//! The library never prompts, prints or reads the environment: the caller passes paths,
//! passphrases and the time in.

pub mod doctor;
pub mod durable;
pub mod envelope;
pub mod error;
pub mod journal;
pub mod keys;
pub mod lock;
pub mod names;
pub mod peers;
pub mod vault;

pub use error::StoreError;
pub use journal::{JournalId, JournalStore, JournalView, SyncCopy};
pub use keys::{DeviceSecrets, Keys, Passphrase, Weakness};
pub use peers::{PeerInfo, PeerRefusal, RefusedChange};
pub use vault::{InitOptions, JournalInfo, NetworkConfig, Vault};
