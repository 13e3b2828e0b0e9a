//! Sync with peers: which journals a peer may sync, loading them into a session, keeping
//! what arrives, and the address book. The protocol itself is in `haven-sync`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use automerge::sync::State;
use haven_model::members::{self, Member};
use haven_store::{JournalStore, Keys, PeerInfo, Vault};
use haven_sync::JournalKey;
use haven_sync::net::{NetConfig, Relay};
use haven_sync::session::JournalSync;

use crate::context::Context;
use crate::control::PeerRow;
use crate::error::{CliError, Result};

/// A journal as sync sees it: its shared key, local store, members and name.
pub type SharedJournal = (JournalKey, JournalStore, Vec<Member>, String);

/// An unlocked vault ready to sync.
pub struct Net {
    /// The vault.
    pub vault: Vault,
    /// Its keys.
    pub keys: Keys,
    /// Network settings.
    pub config: NetConfig,
    /// Sync connections open now, by peer device id, so that revoking a device can close
    /// them at once.
    live: std::sync::Mutex<BTreeMap<String, Vec<iroh::endpoint::Connection>>>,
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

impl Net {
    /// Unlocks the vault and reads the network settings (config, then `HAVEN_RELAY`,
    /// `HAVEN_BIND` and `HAVEN_DISCOVERY` from the environment).
    pub fn open(ctx: &Context) -> Result<Net> {
        let vault = ctx.vault()?;
        let (keys, _) = ctx.keys(&vault)?;
        let net = &vault.config().network;
        if net.offline && ctx.relay_override.is_none() {
            return Err(
                CliError::new("this vault is set to offline mode; nothing was sent")
                    .hint("set `offline = false` under [network] in config.toml to sync"),
            );
        }
        let relay_text = ctx
            .relay_override
            .clone()
            .unwrap_or_else(|| net.relay.clone());
        let relay = match relay_text.as_str() {
            "default" => Relay::Default,
            "disabled" => Relay::Disabled,
            url => Relay::Url(url.to_string()),
        };
        let bind_text = ctx.bind_override.clone().or_else(|| net.bind.clone());
        let bind = match bind_text {
            Some(b) => Some(b.parse::<SocketAddr>().map_err(|_| {
                CliError::new(format!("`{b}` is not a socket address"))
                    .hint("write it like 127.0.0.1:0 or 0.0.0.0:4919")
            })?),
            None => None,
        };
        let local_discovery = match ctx.discovery_override.as_deref() {
            None => net.local_discovery,
            Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(CliError::new(format!(
                    "HAVEN_DISCOVERY is `{other}`; it takes `on` or `off`"
                )));
            }
        };
        let config = NetConfig {
            relay,
            bind,
            step_timeout: Duration::from_secs(20),
            local_discovery,
        };
        Ok(Net {
            vault,
            keys,
            config,
            live: std::sync::Mutex::default(),
        })
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
        &self.vault.config().device_id
    }

    /// The device's iroh secret key.
    pub fn secret(&self) -> Result<zeroize::Zeroizing<[u8; 32]>> {
        self.keys.secrets.iroh_secret().ok_or_else(|| {
            CliError::new("the device secrets are damaged").hint("run `haven doctor`")
        })
    }

    /// Every journal with its key and members.
    pub fn journals(&self) -> Result<Vec<SharedJournal>> {
        let mut out = Vec::new();
        for id in self.vault.journal_ids()? {
            let store = self.vault.journal(id);
            let view = store.read_recent(&self.keys, 0)?;
            let Some(key) = view.key.as_deref().and_then(key_bytes) else {
                continue;
            };
            let name = view
                .meta
                .map(|m| m.name)
                .unwrap_or_else(|| "(arriving)".into());
            out.push((key, store, view.members, name));
        }
        Ok(out)
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
        self.vault
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
    pub fn load(
        &self,
        stores: &BTreeMap<JournalKey, JournalStore>,
        peer: &str,
    ) -> Result<BTreeMap<JournalKey, JournalSync>> {
        let mut out = BTreeMap::new();
        for (key, store) in stores {
            if store.inbox_len()? > 0 {
                store.change(&self.keys, |_| Ok(()))?;
            }
            let (doc, _) = store.load(&self.keys)?;
            let state = store
                .peer_state(&self.keys, peer)
                .and_then(|b| State::decode(&b).ok())
                .unwrap_or_default();
            out.insert(*key, JournalSync::new(doc, state));
        }
        Ok(out)
    }

    /// Keeps what a finished session brought and the sync states. Returns (journal name,
    /// entries before, entries after) for each journal that received something.
    pub fn persist(
        &self,
        stores: &BTreeMap<JournalKey, JournalStore>,
        results: BTreeMap<JournalKey, JournalSync>,
        peer: &str,
    ) -> Result<Vec<(String, usize, usize)>> {
        let mut changed = Vec::new();
        for (key, mut j) in results {
            let Some(store) = stores.get(&key) else {
                continue;
            };
            let received = j.received();
            if !received.is_empty() {
                let before = store.read_recent(&self.keys, 0)?.total;
                store.change(&self.keys, |doc| {
                    doc.load_incremental(&received).map_err(|e| {
                        haven_store::StoreError::Schema(haven_model::SchemaError::from(e))
                    })?;
                    Ok(())
                })?;
                let view = store.read_recent(&self.keys, 0)?;
                let name = view.meta.map(|m| m.name).unwrap_or_default();
                changed.push((name, before, view.total));
            }
            store.save_peer_state(peer, &j.state.encode())?;
        }
        Ok(changed)
    }

    /// Adds `member` to the journals in `stores` (on this device's copies).
    pub fn add_member(&self, stores: &[&JournalStore], member: &Member) -> Result<()> {
        for store in stores {
            let me = self.vault.me(&self.keys, member.added_at_ms);
            store.change(&self.keys, |doc| {
                members::add_member(doc, &me)?;
                members::add_member(doc, member)?;
                Ok(())
            })?;
        }
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
        };
        Ok(self.vault.remember_peer(&self.keys, device, info)?)
    }

    /// The address book.
    pub fn peers(&self) -> BTreeMap<String, PeerInfo> {
        self.vault.peers(&self.keys).unwrap_or_default()
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

/// A runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))
}

/// Turns a network error into what the user sees.
pub fn net_error(e: haven_sync::net::NetError) -> CliError {
    use haven_sync::net::NetError as N;
    match &e {
        N::Bind(_) => CliError::new(e.to_string()).hint("check [network] in config.toml (relay, bind)"),
        N::Connect(_) | N::Timeout => CliError::new(e.to_string())
            .hint("check that the other device is online and running `haven invite`/`haven share` or `haven daemon`"),
        _ => CliError::new(e.to_string()),
    }
}

/// What a pairing achieved, for printing.
pub struct Paired {
    /// The other device's id.
    pub device: String,
    /// Its name.
    pub device_name: String,
    /// Its person.
    pub person: String,
    /// Journals now shared with it, by name.
    pub journals: Vec<String>,
}

/// Hosts a pairing: prints nothing itself; `show` is called with the ticket once the
/// endpoint is up. Waits for one joiner with the right secret until the ticket expires.
pub async fn host_pairing(
    net: &Net,
    scope: haven_sync::ticket::Scope,
    expires_at_ms: i64,
    show: impl FnOnce(&haven_sync::ticket::Ticket),
) -> Result<Paired> {
    use haven_sync::pair::{PairMsg, clean_name, secrets_match};
    use haven_sync::{PAIR_ALPN, net as hnet};
    let secret_key = net.secret()?;
    let endpoint = hnet::bind(&secret_key, &net.config)
        .await
        .map_err(net_error)?;
    let (addrs, relay) = hnet::own_addrs(&endpoint);
    let inviter =
        device_bytes(net.me()).ok_or_else(|| CliError::new("this device's id is malformed"))?;
    let secret: [u8; 16] = rand::random();
    let ticket = haven_sync::ticket::Ticket {
        inviter,
        addrs,
        relay,
        secret,
        scope: scope.clone(),
        expires_at_ms,
    };
    show(&ticket);
    let deadline = Duration::from_millis(
        u64::try_from(expires_at_ms - jiff::Timestamp::now().as_millisecond()).unwrap_or(0),
    );
    let timeout = net.config.step_timeout;
    let wait = async {
        loop {
            let Some(incoming) = endpoint.accept().await else {
                return Err(CliError::new("the network endpoint closed"));
            };
            let Ok(accepting) = incoming.accept() else {
                continue;
            };
            let Ok(conn) = accepting.await else { continue };
            if conn.alpn() != PAIR_ALPN {
                conn.close(1u32.into(), b"not expecting this protocol now");
                continue;
            }
            let joiner = hex::encode(conn.remote_id().as_bytes());
            let Ok((mut send, mut recv)) = tokio::time::timeout(timeout, conn.accept_bi())
                .await
                .map_err(|_| ())
                .and_then(|r| r.map_err(|_| ()))
            else {
                continue;
            };
            let msg: PairMsg = match hnet::recv(&mut recv, timeout).await {
                Ok(m) => m,
                Err(_) => continue,
            };
            let PairMsg::Join {
                secret: offered,
                device_name,
                person,
                addrs,
                relay,
            } = msg
            else {
                continue;
            };
            if !secrets_match(&offered, &secret)
                || jiff::Timestamp::now().as_millisecond() >= expires_at_ms
            {
                let _ = hnet::send(
                    &mut send,
                    &PairMsg::Refused {
                        reason: "the ticket is wrong, used or expired".into(),
                    },
                    timeout,
                )
                .await;
                let _ = send.finish();
                continue;
            }
            // The ticket is good: add the joiner to the journals of the scope.
            let all = net.journals()?;
            let chosen: Vec<&SharedJournal> = all
                .iter()
                .filter(|(k, _, members, _)| match &scope {
                    haven_sync::ticket::Scope::Devices => members
                        .iter()
                        .any(|m| m.device == net.me() && m.is_active()),
                    haven_sync::ticket::Scope::Journal(key) => k == key,
                })
                .collect();
            let member = Member {
                device: joiner.clone(),
                device_name: clean_name(&device_name),
                person: clean_name(&person),
                added_by: net.me().to_string(),
                added_at_ms: jiff::Timestamp::now().as_millisecond(),
                revoked_at_ms: None,
                addrs: Vec::new(),
            };
            let stores: Vec<&JournalStore> = chosen.iter().map(|(_, s, _, _)| s).collect();
            net.add_member(&stores, &member)?;
            let keys: Vec<JournalKey> = chosen.iter().map(|(k, _, _, _)| *k).collect();
            let welcome = PairMsg::Welcome {
                device_name: net.keys.secrets.device_name.clone(),
                person: net.keys.secrets.person_name.clone(),
                journals: keys.clone(),
            };
            hnet::send(&mut send, &welcome, timeout)
                .await
                .map_err(net_error)?;
            // The joiner now syncs these journals with us on the same stream.
            let stores = net.journals_for(&joiner)?;
            let mut session =
                haven_sync::session::SyncSession::responder(net.load(&stores, &joiner)?);
            let ending = hnet::drive(&mut session, &mut send, &mut recv, None, timeout)
                .await
                .map_err(net_error)?;
            net.persist(&stores, session.into_journals(), &joiner)?;
            net.remember(
                &joiner,
                &addrs,
                relay,
                Some((&member.device_name, &member.person)),
                Some(jiff::Timestamp::now().as_millisecond()),
            )?;
            hnet::finish(&conn, ending).await;
            return Ok(Paired {
                device: joiner,
                device_name: member.device_name,
                person: member.person,
                journals: chosen.iter().map(|(_, _, _, n)| n.clone()).collect(),
            });
        }
    };
    let result = match tokio::time::timeout(deadline, wait).await {
        Ok(r) => r,
        Err(_) => Err(CliError::new("the ticket expired before anyone joined")
            .hint("run the command again for a new ticket")),
    };
    endpoint.close().await;
    result
}

/// What one sync moved, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Traffic {
    /// Automerge sync message bytes received.
    pub bytes_in: usize,
    /// Automerge sync message bytes sent.
    pub bytes_out: usize,
    /// Protocol frames received.
    pub frames_in: u32,
    /// Protocol frames sent.
    pub frames_out: u32,
    /// UDP payload bytes received on the connection (QUIC, encrypted, handshake included).
    pub wire_in: u64,
    /// UDP payload bytes sent on the connection.
    pub wire_out: u64,
}

impl std::ops::Add for Traffic {
    type Output = Traffic;
    fn add(self, o: Traffic) -> Traffic {
        Traffic {
            bytes_in: self.bytes_in + o.bytes_in,
            bytes_out: self.bytes_out + o.bytes_out,
            frames_in: self.frames_in + o.frames_in,
            frames_out: self.frames_out + o.frames_out,
            wire_in: self.wire_in + o.wire_in,
            wire_out: self.wire_out + o.wire_out,
        }
    }
}

/// The result of syncing with one peer.
pub enum PeerOutcome {
    /// Synced; (journal, entries before, after) for journals that received something.
    Synced(Vec<(String, usize, usize)>, Traffic),
    /// No journal in common (any more).
    NothingShared,
    /// Could not be reached.
    Unreachable(String),
    /// The session failed.
    Failed(String),
}

/// Syncs with one peer as the initiator. If the peer is one of my own devices and has
/// journals I am a member of but have no copy of yet, they are created and synced too.
/// `offer` adds journals that membership alone would not offer (a journal being left, whose
/// last change tells the others so).
pub async fn sync_with(
    net: &Net,
    endpoint: &iroh::Endpoint,
    device: &str,
    info: &PeerInfo,
    offer: &[JournalKey],
) -> PeerOutcome {
    let mut also = Vec::new();
    let outcome = sync_session(net, endpoint, device, info, offer, &mut also).await;
    if also.is_empty() || !net.is_my_device(device) {
        return outcome;
    }
    for key in &also {
        if let Err(e) = net.vault.adopt_journal(&net.keys, &hex::encode(key)) {
            return PeerOutcome::Failed(e.to_string());
        }
    }
    // The new copies have no member list yet: offer them explicitly, this once.
    let mut more = Vec::new();
    let second = sync_session(net, endpoint, device, info, &also, &mut more).await;
    match (outcome, second) {
        (PeerOutcome::Synced(mut a, ta), PeerOutcome::Synced(b, tb)) => {
            a.extend(b);
            PeerOutcome::Synced(a, ta + tb)
        }
        (_, second) => second,
    }
}

async fn sync_session(
    net: &Net,
    endpoint: &iroh::Endpoint,
    device: &str,
    info: &PeerInfo,
    extra: &[JournalKey],
    also: &mut Vec<JournalKey>,
) -> PeerOutcome {
    use haven_sync::{SYNC_ALPN, net as hnet};
    let mut stores = match net.journals_for(device) {
        Ok(s) => s,
        Err(e) => return PeerOutcome::Failed(e.to_string()),
    };
    for key in extra {
        if let Ok(Some(store)) = net.vault.find_by_key(&net.keys, &hex::encode(key)) {
            stores.insert(*key, store);
        }
    }
    if stores.is_empty() {
        return PeerOutcome::NothingShared;
    }
    let Some(id) = device_bytes(device) else {
        return PeerOutcome::Failed("malformed device id".into());
    };
    // With no address and no relay, only the local network can tell where it is.
    let only_local = info.addrs.is_empty()
        && info.relay.is_none()
        && net.config.relay == haven_sync::net::Relay::Disabled;
    if only_local && !net.config.local_discovery {
        return PeerOutcome::Unreachable(
            "no address known yet (its entries reach you through your other devices)".into(),
        );
    }
    let addrs: Vec<SocketAddr> = info.addrs.iter().filter_map(|a| a.parse().ok()).collect();
    let addr = match hnet::peer_addr(&id, &addrs, info.relay.as_deref()) {
        Ok(a) => a,
        Err(e) => return PeerOutcome::Failed(e.to_string()),
    };
    let (conn, mut send, mut recv) = match hnet::connect(
        endpoint,
        addr,
        SYNC_ALPN,
        Duration::from_secs(if only_local { 3 } else { 8 }),
    )
    .await
    {
        Ok(c) => c,
        Err(_) if only_local => {
            return PeerOutcome::Unreachable(
                "no address known yet, and not found on the local network".into(),
            );
        }
        Err(e) => return PeerOutcome::Unreachable(e.to_string()),
    };
    net.track(device, &conn);
    // Membership may have changed while connecting (a revocation, a leave): look again now
    // that a revocation can close this connection.
    let now_shared = net.journals_for(device).unwrap_or_default();
    stores.retain(|k, _| now_shared.contains_key(k) || extra.contains(k));
    if stores.is_empty() {
        net.untrack(device, &conn);
        conn.close(3u32.into(), b"not a member any more");
        return PeerOutcome::NothingShared;
    }
    let outcome = run_initiator(net, &conn, &mut send, &mut recv, &stores, device, also).await;
    net.untrack(device, &conn);
    outcome
}

/// The initiator's side of a session on an open connection.
async fn run_initiator(
    net: &Net,
    conn: &iroh::endpoint::Connection,
    send: &mut iroh::endpoint::SendStream,
    recv: &mut iroh::endpoint::RecvStream,
    stores: &BTreeMap<JournalKey, JournalStore>,
    device: &str,
    also: &mut Vec<JournalKey>,
) -> PeerOutcome {
    use haven_sync::net as hnet;
    let timeout = net.config.step_timeout;
    let journals = match blocking(|| net.load(stores, device)) {
        Ok(j) => j,
        Err(e) => return PeerOutcome::Failed(e.to_string()),
    };
    let (mut session, hello) = haven_sync::session::SyncSession::initiator(journals);
    let ending = match hnet::drive(&mut session, send, recv, Some(hello), timeout).await {
        Ok(ending) => ending,
        Err(e) => {
            conn.close(2u32.into(), b"session failed");
            return PeerOutcome::Failed(e.to_string());
        }
    };
    also.extend_from_slice(session.also());
    let (frames_in, frames_out) = session.frames();
    let results = session.into_journals();
    let stats = conn.stats();
    let traffic = Traffic {
        bytes_in: results.values().map(|j| j.bytes_in).sum(),
        bytes_out: results.values().map(|j| j.bytes_out).sum(),
        frames_in,
        frames_out,
        wire_in: stats.udp_rx.bytes,
        wire_out: stats.udp_tx.bytes,
    };
    let outcome = match blocking(|| net.persist(stores, results, device)) {
        Ok(changed) => {
            let _ = net.remember(
                device,
                &[],
                None,
                None,
                Some(jiff::Timestamp::now().as_millisecond()),
            );
            PeerOutcome::Synced(changed, traffic)
        }
        Err(e) => PeerOutcome::Failed(e.to_string()),
    };
    hnet::finish(conn, ending).await;
    outcome
}

/// Serves one incoming sync connection as the responder. A device that is not a member of
/// any of this device's journals is refused before any journal data moves. Returns the peer
/// and (journal, entries before, after) for each journal that received something.
pub async fn serve_sync(
    net: &Net,
    conn: iroh::endpoint::Connection,
) -> std::result::Result<(String, Vec<(String, usize, usize)>), String> {
    let peer = hex::encode(conn.remote_id().as_bytes());
    net.track(&peer, &conn);
    let served = serve_session(net, &conn).await;
    net.untrack(&peer, &conn);
    served
}

async fn serve_session(
    net: &Net,
    conn: &iroh::endpoint::Connection,
) -> std::result::Result<(String, Vec<(String, usize, usize)>), String> {
    use haven_sync::frame::Frame;
    use haven_sync::net as hnet;
    let peer = hex::encode(conn.remote_id().as_bytes());
    let timeout = net.config.step_timeout;
    let (mut send, mut recv) = tokio::time::timeout(timeout, conn.accept_bi())
        .await
        .map_err(|_| format!("{}: no stream opened in time", fingerprint(&peer)))?
        .map_err(|e| format!("{}: {e}", fingerprint(&peer)))?;
    let stores = net.journals_for(&peer).map_err(|e| e.to_string())?;
    if stores.is_empty() {
        let _ = hnet::send(
            &mut send,
            &Frame::Refused {
                reason: "not a member".into(),
            },
            timeout,
        )
        .await;
        let _ = send.finish();
        // Give the refusal a moment to arrive before the connection goes.
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
        conn.close(3u32.into(), b"not a member");
        return Err(format!(
            "refused {}: not a member of any journal here",
            fingerprint(&peer)
        ));
    }
    let journals = blocking(|| net.load(&stores, &peer)).map_err(|e| e.to_string())?;
    let mut session = haven_sync::session::SyncSession::responder(journals);
    let ending = match hnet::drive(&mut session, &mut send, &mut recv, None, timeout).await {
        Ok(ending) => ending,
        Err(e) => {
            // Let the refusal reach the peer, then close.
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
            conn.close(2u32.into(), b"session failed");
            return Err(format!(
                "cut off {}: {e}; nothing it sent was kept",
                fingerprint(&peer)
            ));
        }
    };
    let results = session.into_journals();
    let changed = blocking(|| net.persist(&stores, results, &peer)).map_err(|e| e.to_string())?;
    let _ = net.remember(
        &peer,
        &[],
        None,
        None,
        Some(jiff::Timestamp::now().as_millisecond()),
    );
    hnet::finish(conn, ending).await;
    Ok((peer, changed))
}

/// A peer to sync with: its id, "device (person)" and what we know of its address.
pub struct Target {
    /// The device id.
    pub device: String,
    /// "device (person)".
    pub name: String,
    /// Its address book entry.
    pub info: PeerInfo,
}

/// Every peer to sync with, or those whose id or name starts with `wanted`.
pub fn sync_targets(net: &Net, wanted: Option<&str>) -> Result<Vec<Target>> {
    let book = net.peers();
    let mut targets: Vec<Target> = net
        .known_devices()?
        .into_iter()
        .map(|(device, m)| {
            let mut info = book.get(&device).cloned().unwrap_or_default();
            // What it announced in a shared journal adds to what this device remembers.
            for a in &m.addrs {
                if !info.addrs.contains(a) {
                    info.addrs.push(a.clone());
                }
            }
            let device_name = if m.device_name.is_empty() {
                info.device_name.clone()
            } else {
                m.device_name.clone()
            };
            let name = format!("{} ({})", device_name, m.person);
            Target { device, name, info }
        })
        .collect();
    if let Some(wanted) = wanted {
        let w = wanted.to_lowercase();
        targets.retain(|t| t.device.starts_with(&w) || t.name.to_lowercase().starts_with(&w));
        if targets.is_empty() {
            return Err(CliError::new(format!("no peer matches `{wanted}`"))
                .hint("see `haven devices` and `haven members`"));
        }
    }
    Ok(targets)
}

/// Syncs with every target at once on `endpoint` (offering `offer` too, see [`sync_with`]);
/// one row per target, in order.
pub async fn sync_now(
    net: &Net,
    endpoint: &iroh::Endpoint,
    targets: &[Target],
    offer: &[JournalKey],
) -> Vec<(PeerRow, PeerOutcome)> {
    let futures = targets
        .iter()
        .map(|t| sync_with(net, endpoint, &t.device, &t.info, offer));
    let outcomes = join_all(futures).await;
    targets
        .iter()
        .zip(outcomes)
        .map(|(t, outcome)| (row(t, &outcome), outcome))
        .collect()
}

/// One printable row for a peer's outcome.
fn row(t: &Target, outcome: &PeerOutcome) -> PeerRow {
    let (status, detail, arrived, traffic) = match outcome {
        PeerOutcome::Synced(changed, traffic) => {
            let arrived: usize = changed.iter().map(|(_, b, a)| a.saturating_sub(*b)).sum();
            let text = if arrived == 0 {
                "nothing new here".to_string()
            } else {
                format!("{arrived} new entries arrived")
            };
            (
                "synced",
                format!(
                    "{text}; {} bytes in, {} out",
                    traffic.bytes_in, traffic.bytes_out
                ),
                arrived,
                *traffic,
            )
        }
        PeerOutcome::NothingShared => (
            "skipped",
            "no journal in common".to_string(),
            0,
            Traffic::default(),
        ),
        PeerOutcome::Unreachable(e) => ("unreachable", e.clone(), 0, Traffic::default()),
        PeerOutcome::Failed(e) => ("failed", e.clone(), 0, Traffic::default()),
    };
    PeerRow {
        device: t.device.clone(),
        fingerprint: fingerprint(&t.device),
        name: t.name.clone(),
        status: status.to_string(),
        detail,
        arrived,
        bytes_in: traffic.bytes_in,
        bytes_out: traffic.bytes_out,
        frames_in: traffic.frames_in,
        frames_out: traffic.frames_out,
        wire_in: traffic.wire_in,
        wire_out: traffic.wire_out,
    }
}

/// Runs futures concurrently on the current task and collects their outputs in order.
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set: Vec<_> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
