//! The daemon: one endpoint for the device that stays online, serves members' sessions,
//! pushes local changes as soon as they are on disk, pulls on a timer, retries unreachable
//! peers with backoff, and answers the control socket ([`crate::ipc::control`]).
//!
//! The device's one endpoint has an iroh [`Router`] with a protocol handler per ALPN: sync
//! sessions from members, and pairing, which the control socket's `invite` opens for one
//! ticket at a time (`join` and `sync` run on the same endpoint). Nothing wakes the daemon
//! but a connection, a control request, a change on disk (a filesystem watcher,
//! [`disk_events`]) and its pull timer. Vault work runs off the async
//! workers. Its log lines are `tracing` events with the peer, journal and counts as fields.

mod answer;
pub mod disk_events;
mod inbound;
mod locked;
mod push;

use push::{Notice, local_change, push};

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use haven_store::Vault;
use iroh::endpoint::Connection;
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use tokio::sync::{Notify, broadcast};

use crate::config::NodeConfig;
use crate::error::DaemonError;
use crate::ipc::control::{self, Arrival, DaemonStatus, LivePeer, LiveState};
use crate::node::{self, Arrived, Node, PeerOutcome, fingerprint};
use crate::pairing::PairHandler;

pub use inbound::{MAX_SESSIONS, Refusal};

/// How a daemon runs.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The control socket to listen on.
    pub socket: PathBuf,
    /// The file whose lock makes it the vault's one daemon.
    pub lock: PathBuf,
    /// Stop after this long (else when `stop` resolves).
    pub stop_after: Option<Duration>,
    /// Pull from every peer this often even without local changes.
    pub pull_every: Duration,
}

/// What the daemon knows of one peer.
#[derive(Default, Clone)]
struct PeerState {
    /// Sessions with it running now.
    busy: u32,
    /// Last successful sync.
    last_ok_ms: Option<i64>,
    /// Next attempt and the current backoff, after a failure.
    retry: Option<(Instant, Duration)>,
    /// The last session's path.
    path: Option<haven_sync::net::PathKind>,
    /// A local change came while a session with it ran: push once more after it.
    again: bool,
}

/// The daemon's shared state: its endpoint, its peers and who is watching.
struct Daemon {
    node: Arc<Node>,
    endpoint: iroh::Endpoint,
    started: Instant,
    peers: Mutex<BTreeMap<String, PeerState>>,
    arrivals: broadcast::Sender<Arrival>,
    /// Admission of the sessions peers open.
    inbound: inbound::Admission,
    /// Room for sync connections being refused with a reason.
    courtesy: crate::courtesy::Courtesy,
    /// The pairing protocol's handler, showing the invitation asked for, if any.
    pairing: PairHandler,
    /// Told when `haven lock` takes the key back.
    lock: Notify,
    /// Told once the endpoint is closed after a lock, so that `haven lock` returns only when
    /// this device no longer answers anyone.
    closed: Notify,
    /// Told when a process says it committed a change.
    changed: Notify,
    /// One session lock per peer, for the sessions this daemon starts.
    turns: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When a committing process last said it changed something.
    last_notice: Mutex<Option<Instant>>,
    /// The people already gone from each journal (by alias and person id), so that the log
    /// says once that someone left.
    departed: Mutex<std::collections::BTreeSet<(String, String)>>,
}

/// The sync protocol's handler on the daemon's router.
#[derive(Clone)]
struct SyncHandler(Arc<Daemon>);

impl std::fmt::Debug for SyncHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncHandler")
    }
}

impl ProtocolHandler for SyncHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        inbound(&self.0, conn).await;
        Ok(())
    }
}

impl Daemon {
    fn peers(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, PeerState>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what a session with `device` brought and tells watchers.
    fn arrived(&self, device: &str, changed: &[Arrived]) {
        let mut total = 0;
        for a in changed {
            let arrived = a.count();
            total += arrived;
            if arrived > 0 {
                // Nobody watching is fine.
                let _ = self.arrivals.send(Arrival {
                    journal: a.journal.clone(),
                    arrived,
                    from: device.to_string(),
                });
            }
        }
        tracing::info!(peer = %fingerprint(device), arrived = total, "synced with a peer");
        self.note_departures(true);
    }

    /// Logs, once, each person who left a journal (or was removed) since it was last looked
    /// at: the other side is told "Sam left", not shown a revoked device.
    fn note_departures(&self, log: bool) {
        let Ok(journals) = self.node.journals() else {
            return;
        };
        let mut seen = self.departed.lock().unwrap_or_else(|p| p.into_inner());
        for (_, _, members, alias) in journals {
            for d in haven_model::members::departed(&members, self.node.me()) {
                if seen.insert((alias.clone(), d.person_id.clone())) && log {
                    let person = haven_model::text::clean_name(&d.person);
                    let journal = haven_model::text::clean_name(&alias);
                    if d.left() {
                        tracing::info!(%person, %journal, "left the journal");
                    } else {
                        tracing::info!(%person, %journal, "was removed from the journal");
                    }
                }
            }
        }
    }

    /// Marks the end of a session with `device` that this daemon started.
    fn finished(&self, device: &str, outcome: &PeerOutcome) {
        let mut peers = self.peers();
        let state = peers.entry(device.to_string()).or_default();
        match outcome {
            PeerOutcome::Synced(_, traffic) => {
                state.retry = None;
                state.path = traffic.path.or(state.path);
                state.last_ok_ms = Some(self.node.now_ms());
            }
            PeerOutcome::Unreachable(_) | PeerOutcome::Failed(_) => {
                let wait = state
                    .retry
                    .map(|(_, w)| (w * 2).min(Duration::from_secs(60)))
                    .unwrap_or(Duration::from_secs(1));
                state.retry = Some((Instant::now() + wait, wait));
            }
            PeerOutcome::NothingShared => {}
        }
    }

    fn status(&self) -> DaemonStatus {
        let (addrs, _) = haven_sync::net::own_addrs(&self.endpoint);
        let known = self.node.known_devices().unwrap_or_default();
        let peers = self.peers();
        let now = Instant::now();
        DaemonStatus {
            locked: false,
            pid: std::process::id(),
            up_secs: self.started.elapsed().as_secs(),
            addrs: addrs.iter().map(|a| a.to_string()).collect(),
            peers: known
                .keys()
                .map(|device| {
                    let s = peers.get(device).cloned().unwrap_or_default();
                    let retry_in = s
                        .retry
                        .map(|(at, _)| at.saturating_duration_since(now).as_secs());
                    let state = if s.busy > 0 {
                        LiveState::Syncing
                    } else if s.retry.is_some() {
                        LiveState::Retrying
                    } else if s.last_ok_ms.is_some() {
                        LiveState::Synced
                    } else {
                        LiveState::Waiting
                    };
                    LivePeer {
                        device: device.clone(),
                        state,
                        last_ok_ms: s.last_ok_ms,
                        retry_in_secs: retry_in,
                        path: s.path,
                    }
                })
                .collect(),
            relays: haven_sync::net::relay_states(&self.endpoint),
        }
    }
}

/// Takes the daemon lock of the vault, or says that a daemon already runs.
fn hold_daemon_lock(path: &std::path::Path) -> Result<std::fs::File, DaemonError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| DaemonError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .map_err(|_| DaemonError::AlreadyRunning)?;
    Ok(file)
}

/// How a daemon starts.
#[expect(clippy::large_enum_variant, reason = "one is made per daemon")]
pub enum Start {
    /// With the key: it syncs at once.
    Unlocked(Arc<Node>),
    /// Without it: it waits for `haven unlock` to hand it the key on the control socket.
    Locked {
        /// The vault.
        vault: Vault,
        /// How its node is to be opened once the key arrives.
        config: NodeConfig,
    },
}

/// Why a time of syncing ended.
enum Ended {
    /// The daemon is to stop.
    Stopped,
    /// `haven lock` took the key back.
    Locked,
}

/// What stops the daemon.
type Stop<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Runs the daemon until `options.stop_after` passes or `stop` resolves. Locked, it only
/// answers the control socket until the key arrives; unlocked, it syncs until stopped or
/// locked again. `ready` is called each time its endpoint is up, with the addresses it
/// listens on. Needs a multi-threaded runtime (vault work blocks its thread, not others).
pub async fn run(
    start: Start,
    options: DaemonOptions,
    stop: impl Future<Output = ()> + Send,
    mut ready: impl FnMut(&[std::net::SocketAddr]),
) -> Result<(), DaemonError> {
    // One daemon per vault, even when two start at the same instant: the lock is held for
    // as long as this runs.
    let _one_daemon = hold_daemon_lock(&options.lock)?;
    let control = control::bind(&options.socket).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            DaemonError::AlreadyRunning
        } else {
            DaemonError::Open {
                path: options.socket.clone(),
                source: e,
            }
        }
    })?;
    let stop_after = options.stop_after;
    let mut stop: Stop<'_> = Box::pin(async move {
        match stop_after {
            Some(after) => {
                tokio::select! {
                    () = tokio::time::sleep(after) => {}
                    () = stop => {}
                }
            }
            None => stop.await,
        }
    });
    let started = Instant::now();
    let mut state = start;
    let result = loop {
        state = match state {
            Start::Locked { vault, config } => {
                tracing::info!("daemon up, locked: waiting for the key (`haven unlock`)");
                match locked::wait_for_key(&control, &vault, started, &mut stop).await {
                    Some(keys) => {
                        tracing::info!("unlocked");
                        Start::Unlocked(Arc::new(Node::new(vault, keys, config)))
                    }
                    None => break Ok(()),
                }
            }
            Start::Unlocked(node) => {
                node.hold_journals();
                let (vault, config) = (node.vault().clone(), node.node_config());
                match unlocked(node, &control, &mut stop, &options, started, &mut ready).await {
                    Ok(Ended::Stopped) => break Ok(()),
                    Ok(Ended::Locked) => {
                        tracing::info!("locked: stopped syncing and forgot the key");
                        Start::Locked { vault, config }
                    }
                    Err(e) => break Err(e),
                }
            }
        };
    };
    let _ = std::fs::remove_file(&options.socket);
    result
}

/// Syncs with the key: binds the device's endpoint with a router for its protocols, and
/// serves until stopped or locked.
async fn unlocked(
    node: Arc<Node>,
    control: &tokio::net::UnixListener,
    stop: &mut Stop<'_>,
    options: &DaemonOptions,
    started: Instant,
    ready: &mut impl FnMut(&[std::net::SocketAddr]),
) -> Result<Ended, DaemonError> {
    let secret = node.secret()?;
    let endpoint = haven_sync::net::bind(&secret, &node.config).await?;
    drop(secret);
    let (addrs, _) = haven_sync::net::own_addrs(&endpoint);
    if let (None, Some(home)) = (node.config.bind, node.config.home_port)
        && !endpoint.bound_sockets().iter().any(|a| a.port() == home)
    {
        tracing::warn!(
            port = home,
            "the home port is taken by another program; listening on a free port, which \
             peers learn when this daemon next reaches them"
        );
    }
    let listening = addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    tracing::info!(device = %fingerprint(node.me()), addrs = %listening, "daemon up");
    // Peers that cannot reach these addresses come through the relay, once it is connected
    // (in the background: the daemon serves direct connections meanwhile).
    if node.config.relay != haven_sync::net::Relay::Disabled {
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            endpoint.online().await;
            let (_, relay) = haven_sync::net::own_addrs(&endpoint);
            tracing::info!(relay = %relay.unwrap_or_default(), "reachable through the relay");
        });
    }
    // Tell the members of every journal where this device listens now.
    match node.announce(&addrs) {
        Ok(0) => {}
        Ok(n) => tracing::info!(journals = n, "announced this device's addresses"),
        Err(e) => tracing::warn!(error = %e, "could not announce this device's addresses"),
    }
    ready(&addrs);
    let daemon = Arc::new(Daemon {
        node,
        endpoint: endpoint.clone(),
        started,
        peers: Mutex::default(),
        arrivals: broadcast::channel(256).0,
        inbound: inbound::Admission::default(),
        courtesy: crate::courtesy::Courtesy::default(),
        pairing: PairHandler::default(),
        lock: Notify::new(),
        closed: Notify::new(),
        changed: Notify::new(),
        last_notice: Mutex::default(),
        turns: Mutex::default(),
        departed: Mutex::default(),
    });
    // Who had gone before the daemon started is not news.
    daemon.note_departures(false);
    // Each session runs on a task of the router's: a slow or hostile peer cannot stall the
    // daemon, and a failing one ends only its own task.
    let sync = SyncHandler(Arc::clone(&daemon));
    let router = Router::builder(endpoint)
        .accept(haven_sync::SYNC_ALPN, sync.clone())
        .accept(haven_sync::OLD_ALPNS[0], sync)
        .accept(haven_sync::PAIR_ALPN, daemon.pairing.clone())
        .accept(haven_sync::OLD_ALPNS[1], daemon.pairing.clone())
        .spawn();
    let ended = serve(&daemon, control, stop, options.pull_every).await;
    let _ = router.shutdown().await;
    daemon.closed.notify_one();
    Ok(ended)
}

/// The daemon's main loop: incoming sessions, control requests, a push whenever a journal
/// changes on disk, and a pull every `pull_every`. Nothing else wakes it.
async fn serve(
    daemon: &Arc<Daemon>,
    control: &tokio::net::UnixListener,
    stop: &mut Stop<'_>,
    pull_every: Duration,
) -> Ended {
    let journals = daemon.node.vault().root().join("journals");
    let disk = match disk_events::Changes::start(&journals) {
        Ok(events) => Some(events),
        Err(e) => {
            tracing::warn!(
                error = %e,
                "cannot watch the vault for changes; local changes go out at the next pull"
            );
            None
        }
    };
    let changed_on_disk = next_change(disk.as_ref());
    tokio::pin!(changed_on_disk);
    // The first tick comes at once: a starting daemon merges what waits and syncs.
    let mut pull = tokio::time::interval(pull_every.max(Duration::from_secs(1)));
    pull.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut *stop => {
                tracing::info!("stopping");
                return Ended::Stopped;
            }
            () = daemon.lock.notified() => return Ended::Locked,
            () = daemon.changed.notified() => local_change(daemon, Notice::Committer),
            client = control.accept() => {
                let Ok((stream, _)) = client else { continue };
                let daemon = Arc::clone(daemon);
                tokio::spawn(async move { answer::answer(&daemon, stream).await });
            }
            journals = &mut changed_on_disk => {
                changed_on_disk.set(next_change(disk.as_ref()));
                tokio::spawn(push::changed_on_disk(Arc::clone(daemon), journals));
            }
            _ = pull.tick() => {
                // Addresses change with the network: announce them again (only a change is
                // written).
                let (addrs, _) = haven_sync::net::own_addrs(&daemon.endpoint);
                let announced = {
                    let daemon = Arc::clone(daemon);
                    tokio::task::spawn_blocking(move || daemon.node.announce(&addrs)).await
                };
                if let Ok(Ok(n)) = announced
                    && n > 0
                {
                    tracing::info!(journals = n, "announced new addresses");
                }
                merge_inboxes(daemon).await;
                push(daemon, false, None);
            }
        }
    }
}

/// Refuses a sync connection with `why` when there is room to wait for the peer to hear
/// it, else closes it at once (a flood holds at most [`crate::courtesy::POLITE_AT_ONCE`]
/// tasks waiting).
async fn refuse(daemon: &Daemon, conn: Connection, why: &str) {
    match daemon.courtesy.room() {
        Some(_room) => node::refuse_sync(conn, why).await,
        None => conn.close(5u32.into(), b"refused"),
    }
}

/// Serves one sync connection: the session of an admitted member, or a refusal that names
/// the fix for an older version.
async fn inbound(daemon: &Arc<Daemon>, conn: Connection) {
    let peer = hex::encode(conn.remote_id().as_bytes());
    if conn.alpn() == haven_sync::OLD_ALPNS[0] {
        let why = "this device runs a newer version of Haven; upgrade Haven on your device";
        tracing::info!(peer = %fingerprint(&peer), "refused: it runs an older version of Haven");
        refuse(daemon, conn, why).await;
        return;
    }
    // A device in none of the journals is refused from the in-memory index, before any
    // journal is read. A member goes on to the full check on fresh member lists, which
    // still decides: an index a moment stale can only cost a just-added member one retry.
    let shares = {
        let daemon = Arc::clone(daemon);
        let peer = peer.clone();
        tokio::task::spawn_blocking(move || daemon.node.may_sync(&peer)).await
    };
    if !shares.unwrap_or(false) {
        tracing::info!(peer = %fingerprint(&peer), "refused a stranger: not a member of any journal here");
        refuse(daemon, conn, "not a member").await;
        return;
    }
    let _admitted = match daemon.inbound.admit(&peer, &conn).await {
        Ok(admitted) => admitted,
        Err(why) => {
            tracing::info!(peer = %fingerprint(&peer), why = %why, "refused a session");
            refuse(daemon, conn, &why.to_string()).await;
            return;
        }
    };
    let watched = conn.clone();
    // On failure serve_sync has logged why.
    if let Ok((peer, changed, paused)) = node::serve_sync(&daemon.node, conn).await {
        {
            let mut peers = daemon.peers();
            let state = peers.entry(peer.clone()).or_default();
            state.last_ok_ms = Some(daemon.node.now_ms());
            state.path = haven_sync::net::path_kind(&watched).or(state.path);
        }
        daemon.arrived(&peer, &changed);
        if !changed.is_empty() {
            push(daemon, true, Some(&peer));
        }
        if let Some(why) = paused {
            tracing::info!(
                peer = %fingerprint(&peer),
                why = %why,
                "paused the session: what it sent so far was validated and kept, the rest comes next time"
            );
        }
    }
}

/// The next change on disk, or never without a watcher.
async fn next_change(disk: Option<&disk_events::Changes>) -> BTreeSet<String> {
    match disk {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

/// Merges entries sealed while the vault was locked (its inbox) into their journals, off
/// the async workers.
async fn merge_inboxes(daemon: &Arc<Daemon>) {
    let daemon = Arc::clone(daemon);
    let _ = tokio::task::spawn_blocking(move || {
        for id in daemon.node.vault().journal_ids().unwrap_or_default() {
            let store = daemon.node.vault().journal(id);
            if store.inbox_len().unwrap_or(0) > 0 {
                let _ = store.change(&daemon.node.keys, |_| Ok(()));
            }
        }
    })
    .await;
}
