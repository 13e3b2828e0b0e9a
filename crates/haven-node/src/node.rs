//! A device's node: its unlocked vault, keys and network settings. It decides which
//! journals a peer may sync, loads them into a session, keeps what arrives, announces where
//! the device listens, and holds the address book. The protocol itself is in `haven-sync`;
//! the two sides of a session are in [`session`].

mod ended;
mod held;
mod membership;
mod refusal;
mod session;
mod sessions;
mod targets;

pub use held::{HELD_MAX_ENTRIES, HELD_MAX_JOURNALS};
pub use membership::MembershipIndex;
pub use session::{
    PeerOutcome, SyncReport, Traffic, refuse_sync, serve_sync, sync_alone, sync_now, sync_with,
};
pub use sessions::InSession;
use sessions::Sessions;
pub use targets::Target;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use automerge::sync::State;
use haven_model::members::{self, Member};
use haven_model::validate::Baseline;
use haven_store::{JournalStore, Keys, PeerInfo, SyncCopy, Vault};
use haven_sync::JournalKey;
use haven_sync::net::NetConfig;
use haven_sync::session::JournalSync;

use crate::config::{Clock, NodeConfig};
use crate::error::NodeError;

type Result<T, E = NodeError> = std::result::Result<T, E>;

/// A journal as sync sees it: its shared key, local store, members and local alias.
pub type SharedJournal = (JournalKey, JournalStore, Vec<Member>, String);

/// Journals loaded for a session: what the session works on, and what keeping its result
/// needs (the chunks each copy was loaded from, and how many entries it had).
pub struct Loaded {
    /// The copies, by journal key.
    pub journals: BTreeMap<JournalKey, JournalSync>,
    /// The chunks each copy was loaded from, and its entries then.
    pub chunks: BTreeMap<JournalKey, (Vec<String>, usize)>,
}

/// What a session brought to one journal: its local alias, entries before and after.
#[derive(Debug, Clone)]
pub struct Arrived {
    /// The journal's local alias.
    pub journal: String,
    /// Entries before the session.
    pub before: usize,
    /// Entries after it.
    pub after: usize,
}

impl Arrived {
    /// How many entries arrived.
    pub fn count(&self) -> usize {
        self.after.saturating_sub(self.before)
    }
}

/// An unlocked vault ready to sync.
pub struct Node {
    /// The vault (replaced when joining makes another journal the personal one).
    vault: std::sync::RwLock<Vault>,
    /// This device's id.
    me: String,
    /// Who may sync what, in memory.
    membership: membership::CachedIndex,
    /// Its keys.
    pub keys: Keys,
    /// Network settings.
    pub config: NetConfig,
    clock: Clock,
    /// Sync connections open now, by peer device id, so that revoking a device can close
    /// them at once.
    live: std::sync::Mutex<BTreeMap<String, Vec<iroh::endpoint::Connection>>>,
    /// Journals kept in memory between sessions (see [`Node::hold_journals`]).
    held: held::Held,
    /// Sessions running now.
    sessions: Sessions,
}

/// A short, comparable fingerprint of a device id: the first 10 hex digits in pairs.
pub fn fingerprint(device: &str) -> String {
    let short: String = device.chars().take(10).collect();
    short
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join("-")
}

/// Parses a 32-hex-digit journal key.
pub fn key_bytes(hex_key: &str) -> Option<JournalKey> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(hex_key, &mut out).ok()?;
    Some(out)
}

/// Parses a 64-hex-digit device id.
pub fn device_bytes(device: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(device, &mut out).ok()?;
    Some(out)
}

impl Node {
    /// A node for an unlocked vault.
    pub fn new(vault: Vault, keys: Keys, config: NodeConfig) -> Node {
        Node {
            me: vault.config().device_id.clone(),
            membership: membership::CachedIndex::default(),
            vault: std::sync::RwLock::new(vault),
            keys,
            config: config.net,
            clock: config.clock,
            live: std::sync::Mutex::default(),
            held: held::Held::default(),
            sessions: Sessions::default(),
        }
    }

    /// Counts a session from its load to the end of its persisting.
    pub fn session_begins(&self) -> InSession<'_> {
        self.sessions.begin()
    }

    /// Waits until no session runs, at most `within`; returns whether none does.
    pub async fn sessions_idle(&self, within: Duration) -> bool {
        self.sessions.idle(within).await
    }

    /// Whether any of `journals` (directory names) has chunks on disk that the copy this
    /// node holds of it lacks: a change made by another process, not by this node's own
    /// sessions. A journal held by no copy counts as changed. Sealed entries do not count:
    /// the process that seals one tells a running daemon itself.
    pub fn unseen_on_disk(&self, journals: &std::collections::BTreeSet<String>) -> bool {
        let vault = self.vault();
        journals.iter().any(|dir| {
            let Ok(id) = dir.parse::<haven_store::JournalId>() else {
                return false;
            };
            let on_disk = vault.journal(id).chunk_names().unwrap_or_default();
            self.held.lacks(&id, &on_disk)
        })
    }

    /// Keeps each synced journal in memory between sessions (journals of up to
    /// [`HELD_MAX_ENTRIES`] entries, at most [`HELD_MAX_JOURNALS`]), so that a session
    /// reads only what changed on disk since the last one. For a daemon.
    pub fn hold_journals(&self) {
        self.held.enable();
    }

    /// The vault, as it is now.
    pub fn vault(&self) -> Vault {
        self.vault.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Makes `store` this device's personal journal (see [`Vault::take_personal`]).
    pub fn take_personal(&self, store: &JournalStore) -> Result<usize> {
        let mut vault = self.vault.write().unwrap_or_else(|p| p.into_inner());
        let moved = vault.take_personal(&self.keys, store)?;
        self.membership_changed();
        Ok(moved)
    }

    /// The settings this node was opened with.
    pub fn node_config(&self) -> NodeConfig {
        NodeConfig {
            net: self.config.clone(),
            clock: std::sync::Arc::clone(&self.clock),
        }
    }

    /// The caller's clock.
    pub fn clock(&self) -> Clock {
        std::sync::Arc::clone(&self.clock)
    }

    /// The time now, by the caller's clock (ms since the Unix epoch).
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    fn live(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<iroh::endpoint::Connection>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a sync connection with `peer` as open.
    fn track(&self, peer: &str, conn: &iroh::endpoint::Connection) {
        self.live()
            .entry(peer.to_string())
            .or_default()
            .push(conn.clone());
    }

    /// Notes a sync connection with `peer` as over.
    fn untrack(&self, peer: &str, conn: &iroh::endpoint::Connection) {
        let mut live = self.live();
        if let Some(conns) = live.get_mut(peer) {
            conns.retain(|c| c.stable_id() != conn.stable_id());
            if conns.is_empty() {
                live.remove(peer);
            }
        }
    }

    /// Closes every open sync connection with `peer` (it was revoked); returns how many.
    pub fn cut(&self, peer: &str) -> usize {
        let conns = self.live().remove(peer).unwrap_or_default();
        for conn in &conns {
            conn.close(4u32.into(), b"revoked");
        }
        conns.len()
    }

    /// This device's id.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// The device's iroh secret key.
    pub fn secret(&self) -> Result<zeroize::Zeroizing<[u8; 32]>> {
        self.keys
            .secrets
            .iroh_secret()
            .ok_or(NodeError::DamagedSecrets)
    }

    /// Every journal with its key, members and local alias. A journal that does not read
    /// is left out (and `haven doctor` names it); it never stops the others from syncing.
    pub fn journals(&self) -> Result<Vec<SharedJournal>> {
        let mut out = Vec::new();
        for info in self.vault().journals(&self.keys)? {
            let Ok(view) = info.view else { continue };
            let Some(key) = view.key.as_deref().and_then(key_bytes) else {
                continue;
            };
            let alias = info.alias.unwrap_or_else(|| "(arriving)".into());
            out.push((key, info.store, view.members, alias));
        }
        Ok(out)
    }

    /// The local alias of the journal with `key`, for log lines.
    pub fn alias(&self, key: &JournalKey) -> String {
        self.journals()
            .ok()
            .and_then(|all| all.into_iter().find(|(k, ..)| k == key))
            .map(|(_, _, _, alias)| alias)
            .unwrap_or_else(|| "a journal".into())
    }

    /// Who may sync what: built from the member lists once, and again only after
    /// [`Node::membership_changed`].
    pub fn membership(&self) -> Result<std::sync::Arc<MembershipIndex>> {
        self.membership.get(|| {
            let journals = self.journals()?;
            let active = journals.iter().map(|(key, _, members, _)| {
                let devices = members
                    .iter()
                    .filter(|m| m.is_active())
                    .map(|m| m.device.as_str())
                    .collect();
                (*key, devices)
            });
            Ok(MembershipIndex::build(self.me(), active))
        })
    }

    /// Says that membership may have changed (a journal changed on disk, a session brought
    /// something, a member was added or revoked): the index is built again when next asked.
    pub fn membership_changed(&self) {
        self.membership.invalidate();
    }

    /// Whether `peer` shares any journal with this device, from the in-memory index: a
    /// stranger is refused with this, without a journal being decrypted.
    pub fn may_sync(&self, peer: &str) -> bool {
        self.membership()
            .map(|index| index.shares_any(peer))
            .unwrap_or(false)
    }

    /// The journals `peer` and this device are both active members of, in this device's
    /// copies.
    pub fn journals_for(&self, peer: &str) -> Result<BTreeMap<JournalKey, JournalStore>> {
        let active = |members: &[Member], device: &str| {
            members.iter().any(|m| m.device == device && m.is_active())
        };
        Ok(self
            .journals()?
            .into_iter()
            // Both must be members: a journal this device left syncs with nobody.
            .filter(|(_, _, members, _)| active(members, peer) && active(members, self.me()))
            .map(|(k, s, _, _)| (k, s))
            .collect())
    }

    /// Whether `device` is one of mine: an active member of my personal journal.
    pub fn is_my_device(&self, device: &str) -> bool {
        self.vault()
            .personal()
            .read_recent(&self.keys, 0)
            .map(|v| {
                v.members
                    .iter()
                    .any(|m| m.device == device && m.is_active())
            })
            .unwrap_or(false)
    }

    /// Every other active device in any of this device's journals, with the addresses it
    /// announced in any of them.
    pub fn known_devices(&self) -> Result<BTreeMap<String, Member>> {
        let mut out: BTreeMap<String, Member> = BTreeMap::new();
        for (_, _, members, _) in self.journals()? {
            for m in members {
                if m.device == self.me() || !m.is_active() {
                    continue;
                }
                match out.get_mut(&m.device) {
                    Some(known) => {
                        for a in m.addrs {
                            if !known.addrs.contains(&a) && known.addrs.len() < members::MAX_ADDRS {
                                known.addrs.push(a);
                            }
                        }
                    }
                    None => {
                        out.insert(m.device.clone(), m);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Announces where this device listens in every journal it is an active member of, so
    /// that the other members (and their other devices) can reach it. Returns how many
    /// journals changed.
    pub fn announce(&self, addrs: &[SocketAddr]) -> Result<usize> {
        // Sorted, so that the same addresses in another order are no change.
        let mut addrs: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        addrs.sort();
        addrs.dedup();
        let addrs = members::usable_addrs(&addrs);
        let mut changed = 0;
        if addrs.is_empty() {
            // Keep the last good hint rather than erase it.
            return Ok(0);
        }
        for (_, store, members, _) in self.journals()? {
            let Some(mine) = members
                .iter()
                .find(|m| m.device == self.me() && m.is_active())
            else {
                continue;
            };
            if mine.addrs == addrs {
                continue;
            }
            let mut wrote = false;
            store.change(&self.keys, |doc| {
                wrote = members::set_addrs(doc, self.me(), &addrs)?;
                Ok(())
            })?;
            changed += usize::from(wrote);
        }
        Ok(changed)
    }

    /// Loads journals into a session (folding sealed entries in first, so they travel too).
    pub fn load(&self, stores: &BTreeMap<JournalKey, JournalStore>, peer: &str) -> Result<Loaded> {
        let mut loaded = Loaded {
            journals: BTreeMap::new(),
            chunks: BTreeMap::new(),
        };
        for (key, store) in stores {
            // A journal that does not load is left out of the session (and reported), never
            // fatal to the others.
            let copy = match store.load_for_sync(&self.keys, self.held.take(&store.id())) {
                Ok(copy) => copy,
                Err(e) => {
                    tracing::warn!(journal = %store.id(), error = %e, "not syncing a journal");
                    continue;
                }
            };
            let state = store
                .peer_state(&self.keys, peer)
                .and_then(|b| State::decode(&b).ok())
                .unwrap_or_default();
            let total = copy.total();
            let SyncCopy {
                doc,
                chunks,
                baseline,
                entries,
            } = copy;
            loaded.journals.insert(
                *key,
                JournalSync::new(doc, state, baseline).with_entries(entries),
            );
            loaded.chunks.insert(*key, (chunks, total));
        }
        Ok(loaded)
    }

    /// Keeps what a finished (and validated) session brought, and the sync states. Returns
    /// what arrived in each journal that received something.
    pub fn persist(
        &self,
        stores: &BTreeMap<JournalKey, JournalStore>,
        chunks: &BTreeMap<JournalKey, (Vec<String>, usize)>,
        results: BTreeMap<JournalKey, JournalSync>,
        peer: &str,
    ) -> Result<Vec<Arrived>> {
        let mut changed = Vec::new();
        for (key, mut j) in results {
            let (Some(store), Some((loaded_from, before))) = (stores.get(&key), chunks.get(&key))
            else {
                continue;
            };
            let arrived = j.changed();
            let entries = j.entries();
            let start = j.start_heads.clone();
            let covers = store.absorb(
                &self.keys,
                &mut j.doc,
                &start,
                loaded_from,
                j.bytes_in,
                entries.as_ref(),
            )?;
            if arrived {
                changed.push(Arrived {
                    journal: self.vault().alias_of(&self.keys, store).unwrap_or_default(),
                    before: *before,
                    after: entries.as_ref().map_or(*before, |m| m.entries.len()),
                });
            }
            store.save_peer_state(peer, &j.state.encode())?;
            if let Some(entries) = entries {
                let baseline = Baseline::of(&j.doc, Baseline::flawed_in(&entries));
                self.held.keep(
                    store.id(),
                    SyncCopy {
                        doc: j.doc,
                        chunks: covers,
                        baseline,
                        entries,
                    },
                );
            }
        }
        if !changed.is_empty() {
            self.membership_changed();
        }
        Ok(changed)
    }

    /// Adds `member` to the journals in `stores` (on this device's copies): as one of this
    /// device's person's own devices when `role` is `None`, else as a new person with
    /// `role` (which takes an admin).
    pub fn add_member(
        &self,
        stores: &[&JournalStore],
        member: &Member,
        role: Option<members::Role>,
    ) -> Result<()> {
        for store in stores {
            store.change(&self.keys, |doc| {
                let mut m = member.clone();
                let me = self.me().to_string();
                let authority = members::authority(doc)?;
                match role {
                    None => {
                        m.person_id = authority.person_of(&me).unwrap_or(&me).to_string();
                        m.role = None;
                    }
                    Some(role) => {
                        if authority
                            .standing(&me)
                            .is_some_and(|s| s.role != members::Role::Admin)
                        {
                            return Err(haven_store::StoreError::NotAllowed(
                                "only an admin of this journal adds people to it".into(),
                            ));
                        }
                        m.person_id = m.device.clone();
                        m.role = Some(role);
                    }
                }
                members::add_member(doc, &m)?;
                Ok(())
            })?;
        }
        self.membership_changed();
        Ok(())
    }

    /// Remembers how to reach a peer.
    pub fn remember(
        &self,
        device: &str,
        addrs: &[SocketAddr],
        relay: Option<String>,
        names: Option<(&str, &str)>,
        synced_at: Option<i64>,
    ) -> Result<()> {
        let (device_name, person) = names
            .map(|(d, p)| (d.to_string(), p.to_string()))
            .unwrap_or_default();
        let info = PeerInfo {
            addrs: addrs.iter().map(|a| a.to_string()).collect(),
            relay,
            device_name,
            person,
            last_sync_ms: synced_at,
            ..PeerInfo::default()
        };
        Ok(self.vault().remember_peer(&self.keys, device, info)?)
    }

    /// The one known device whose id starts with `prefix` (dashes of a fingerprint are
    /// ignored), other than this one.
    pub fn find_device(&self, prefix: &str) -> Result<String> {
        let wanted = prefix.to_lowercase().replace('-', "");
        let known = self.known_devices()?;
        let matches: Vec<&String> = known.keys().filter(|d| d.starts_with(&wanted)).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] if self.me().starts_with(&wanted) && !wanted.is_empty() => {
                Err(NodeError::ThisDevice)
            }
            [] => Err(NodeError::NoDeviceMatches(prefix.to_string())),
            _ => Err(NodeError::AmbiguousDevice {
                prefix: prefix.to_string(),
                count: matches.len(),
            }),
        }
    }

    /// Revokes `device` in every journal it shares with this one, as of now; returns in how
    /// many. Every device that learns of it refuses the device too.
    pub fn revoke(&self, device: &str) -> Result<usize> {
        if device == self.me() {
            return Err(NodeError::ThisDevice);
        }
        let at = self.now_ms();
        let mut count = 0;
        for (_, store) in self.journals_for(device)? {
            store.change(&self.keys, |doc| {
                if !members::authority(doc)?.may_revoke(self.me(), device) {
                    return Err(haven_store::StoreError::NotAllowed(
                        "a device is revoked only by its own person's devices or an admin".into(),
                    ));
                }
                Ok(members::revoke_member(doc, device, at)?)
            })?;
            count += 1;
        }
        self.membership_changed();
        Ok(count)
    }

    /// The address book.
    pub fn peers(&self) -> BTreeMap<String, PeerInfo> {
        self.vault().peers(&self.keys).unwrap_or_default()
    }
}

/// Runs disk and CPU work (decrypting, loading and saving whole journals, waiting for the
/// vault lock) without holding up other tasks: on the daemon's multi-threaded runtime the
/// worker hands its other tasks to another thread meanwhile. A one-shot command's
/// single-threaded runtime has nothing else to run, so there it just runs.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}
