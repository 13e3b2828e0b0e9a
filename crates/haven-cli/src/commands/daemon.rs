//! `haven daemon`: stay online, accept members, push local changes, pull theirs, and answer
//! `haven sync`, `haven status` and `haven watch` on the control socket.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::context::Context;
use crate::control::{self, Arrival, DaemonStatus, LivePeer, Reply, Request};
use crate::error::{CliError, Result};
use crate::network::{self, Net, PeerOutcome, net_error};

mod inbound;

/// Stay online: accept sync from members, push local changes to online peers within about
/// a second of their being written (by any `haven` command), pull theirs, and retry
/// unreachable peers with backoff. While it runs, `haven sync`, `haven status` and
/// `haven watch` go through it. Runs until stopped (Ctrl-C) or for --for DURATION.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stop after this long, e.g. 10m (default: run until stopped)
    #[arg(long = "for", value_name = "DURATION")]
    duration: Option<String>,
    /// Pull from every peer this often even without local changes, in seconds
    #[arg(long, default_value_t = 30)]
    pull_every: u64,
}

/// Writes one line to the daemon's log (standard error), cleaned of anything a peer could
/// have put there.
pub(crate) fn log(msg: &str) {
    eprintln!(
        "{} {}",
        jiff::Timestamp::now().strftime("%H:%M:%S"),
        crate::output::clean(msg, false)
    );
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
}

/// The daemon's shared state: its endpoint, its peers and who is watching.
struct Daemon {
    net: Net,
    endpoint: iroh::Endpoint,
    started: Instant,
    peers: Mutex<BTreeMap<String, PeerState>>,
    arrivals: broadcast::Sender<Arrival>,
    /// Admission of the sessions peers open.
    inbound: inbound::Admission,
}

impl Daemon {
    fn peers(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, PeerState>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what a session with `device` brought and tells watchers.
    fn arrived(&self, device: &str, changed: &[network::Arrived]) {
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
        log(&format!(
            "synced with {}: {total} new entries here",
            network::fingerprint(device)
        ));
    }

    /// Marks the end of a session with `device` that this daemon started.
    fn finished(&self, device: &str, outcome: &PeerOutcome) {
        let mut peers = self.peers();
        let state = peers.entry(device.to_string()).or_default();
        match outcome {
            PeerOutcome::Synced(..) => {
                state.retry = None;
                state.last_ok_ms = Some(jiff::Timestamp::now().as_millisecond());
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
        let known = self.net.known_devices().unwrap_or_default();
        let peers = self.peers();
        let now = Instant::now();
        DaemonStatus {
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
                        "syncing"
                    } else if s.retry.is_some() {
                        "retrying"
                    } else if s.last_ok_ms.is_some() {
                        "synced"
                    } else {
                        "waiting"
                    };
                    LivePeer {
                        device: device.clone(),
                        state: state.into(),
                        last_ok_ms: s.last_ok_ms,
                        retry_in_secs: retry_in,
                    }
                })
                .collect(),
        }
    }
}

/// A session with a peer in progress; dropping it (at the end, or if the task panics)
/// marks the session over.
struct Busy {
    daemon: Arc<Daemon>,
    device: String,
}

impl Busy {
    fn begin(daemon: &Arc<Daemon>, device: &str) -> Busy {
        daemon.peers().entry(device.to_string()).or_default().busy += 1;
        Busy {
            daemon: Arc::clone(daemon),
            device: device.to_string(),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(state) = self.daemon.peers().get_mut(&self.device) {
            state.busy = state.busy.saturating_sub(1);
        }
    }
}

/// Takes the daemon lock of the vault, or says that a daemon already runs.
fn hold_daemon_lock(path: &std::path::Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CliError::new(format!("cannot open {}: {e}", path.display())))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
        |_| {
            CliError::new("a daemon is already running for this vault")
                .hint("`haven status` shows it; stop it before starting another")
        },
    )?;
    Ok(file)
}

/// Runs `haven daemon`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let stop_after = args
        .duration
        .as_deref()
        .map(crate::commands::unlock::parse_duration)
        .transpose()?;
    let net = Net::open(ctx)?;
    let socket = ctx.daemon_socket();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))?;
    // One daemon per vault, even when two start at the same instant: the lock is held for
    // as long as this process lives.
    let _one_daemon = hold_daemon_lock(&ctx.home.join("daemon.lock"))?;
    rt.block_on(async move {
        let control = control::bind(&socket).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                CliError::new("a daemon is already running for this vault")
                    .hint("`haven status` shows it; stop it before starting another")
            } else {
                CliError::new(format!("cannot open {}: {e}", socket.display()))
            }
        })?;
        let secret = net.secret()?;
        let endpoint = haven_sync::net::bind(&secret, &net.config)
            .await
            .map_err(net_error)?;
        let (addrs, _) = haven_sync::net::own_addrs(&endpoint);
        if let (None, Some(home)) = (net.config.bind, net.config.home_port)
            && !endpoint.bound_sockets().iter().any(|a| a.port() == home)
        {
            log(&format!(
                "the home port {home} is taken by another program; listening on a free port, \
                 which peers learn when this daemon next reaches them"
            ));
        }
        log(&format!(
            "daemon up as {} on {}",
            network::fingerprint(net.me()),
            addrs
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        // Tell the members of every journal where this device listens now.
        match net.announce(&addrs) {
            Ok(0) => {}
            Ok(n) => log(&format!(
                "announced this device's addresses in {n} journal(s)"
            )),
            Err(e) => log(&format!("could not announce this device's addresses: {e}")),
        }
        let daemon = Arc::new(Daemon {
            net,
            endpoint: endpoint.clone(),
            started: Instant::now(),
            peers: Mutex::default(),
            arrivals: broadcast::channel(256).0,
            inbound: inbound::Admission::default(),
        });
        let served = serve(&daemon, control, stop_after, args.pull_every).await;
        endpoint.close().await;
        let _ = std::fs::remove_file(&socket);
        served
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon's main loop: incoming sessions, control requests, a push whenever a journal
/// changes on disk, and a pull every `pull_every` seconds. Nothing else wakes it.
async fn serve(
    daemon: &Arc<Daemon>,
    control: tokio::net::UnixListener,
    stop_after: Option<Duration>,
    pull_every: u64,
) -> Result<()> {
    let disk = match crate::disk_events::Changes::start(&daemon.net.vault.root().join("journals")) {
        Ok(events) => Some(events),
        Err(e) => {
            log(&format!(
                "cannot watch the vault for changes ({e}); local changes go out at the next pull"
            ));
            None
        }
    };
    let changed_on_disk = next_change(disk.as_ref());
    tokio::pin!(changed_on_disk);
    let stop = async {
        match stop_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    // The first tick comes at once: a starting daemon merges what waits and syncs.
    let mut pull = tokio::time::interval(Duration::from_secs(pull_every.max(1)));
    pull.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => {
                log("stopping");
                return Ok(());
            }
            incoming = daemon.endpoint.accept() => {
                let Some(incoming) = incoming else { return Ok(()) };
                let daemon = Arc::clone(daemon);
                // Each session runs on its own task: a slow or hostile peer cannot stall
                // the daemon, and a panic in it stays in it.
                tokio::spawn(async move {
                    let Ok(accepting) = incoming.accept() else { return };
                    let Ok(conn) = accepting.await else { return };
                    let peer = hex::encode(conn.remote_id().as_bytes());
                    if conn.alpn() == haven_sync::OLD_ALPNS[0] {
                        let why = "this device runs a newer version of Haven; upgrade Haven on your device";
                        network::refuse_sync(conn, why).await;
                        log(&format!(
                            "refused {}: it runs an older version of Haven",
                            network::fingerprint(&peer)
                        ));
                        return;
                    }
                    if conn.alpn() != haven_sync::SYNC_ALPN {
                        conn.close(1u32.into(), b"no pairing in progress");
                        return;
                    }
                    let _admitted = match daemon.inbound.admit(&peer, &conn).await {
                        Ok(admitted) => admitted,
                        Err(why) => {
                            log(&format!("refused {}: {why}", network::fingerprint(&peer)));
                            network::refuse_sync(conn, why).await;
                            return;
                        }
                    };
                    match network::serve_sync(&daemon.net, conn).await {
                        Ok((peer, changed, paused)) => {
                            daemon.peers().entry(peer.clone()).or_default().last_ok_ms =
                                Some(jiff::Timestamp::now().as_millisecond());
                            daemon.arrived(&peer, &changed);
                            if let Some(why) = paused {
                                log(&format!(
                                    "paused the session with {}: {why}; what it sent so far was validated and kept, the rest comes next time",
                                    network::fingerprint(&peer)
                                ));
                            }
                        }
                        Err(e) => log(&e),
                    }
                });
            }
            client = control.accept() => {
                let Ok((stream, _)) = client else { continue };
                let daemon = Arc::clone(daemon);
                tokio::spawn(async move { answer(&daemon, stream).await });
            }
            () = &mut changed_on_disk => {
                changed_on_disk.set(next_change(disk.as_ref()));
                merge_inboxes(daemon).await;
                push(daemon, true);
            }
            _ = pull.tick() => {
                // Addresses change with the network: announce them again (only a change is
                // written).
                let (addrs, _) = haven_sync::net::own_addrs(&daemon.endpoint);
                let announced = {
                    let daemon = Arc::clone(daemon);
                    tokio::task::spawn_blocking(move || daemon.net.announce(&addrs)).await
                };
                if let Ok(Ok(n)) = announced
                    && n > 0
                {
                    log(&format!("announced new addresses in {n} journal(s)"));
                }
                merge_inboxes(daemon).await;
                push(daemon, false);
            }
        }
    }
}

/// The next change on disk, or never without a watcher.
async fn next_change(disk: Option<&crate::disk_events::Changes>) {
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
        for id in daemon.net.vault.journal_ids().unwrap_or_default() {
            let store = daemon.net.vault.journal(id);
            if store.inbox_len().unwrap_or(0) > 0 {
                let _ = store.change(&daemon.net.keys, |_| Ok(()));
            }
        }
    })
    .await;
}

/// Starts a session with every peer that is not busy and not waiting out a backoff (a
/// local change overrides the backoff). Each runs on its own task so that an unreachable
/// peer never holds up the others.
fn push(daemon: &Arc<Daemon>, local_change: bool) {
    for target in network::sync_targets(&daemon.net, None).unwrap_or_default() {
        let device = target.device;
        {
            let mut peers = daemon.peers();
            let state = peers.entry(device.clone()).or_default();
            let waiting = state
                .retry
                .is_some_and(|(next, _)| Instant::now() < next && !local_change);
            if state.busy > 0 || waiting {
                continue;
            }
        }
        let busy = Busy::begin(daemon, &device);
        let info = target.info;
        let daemon = Arc::clone(daemon);
        tokio::spawn(async move {
            let _busy = busy;
            let outcome =
                network::sync_with(&daemon.net, &daemon.endpoint, &device, &info, &[]).await;
            if let PeerOutcome::Synced(changed, _) = &outcome {
                daemon.arrived(&device, changed);
            }
            daemon.finished(&device, &outcome);
        });
    }
}

/// Answers one control client.
async fn answer(daemon: &Arc<Daemon>, mut stream: tokio::net::UnixStream) {
    let Some(request) = control::read_request(&mut stream).await else {
        return;
    };
    let reply = match request {
        Request::Status => Reply::Status(daemon.status()),
        Request::Cut { device } => {
            let closed = daemon.net.cut(&device);
            if closed > 0 {
                log(&format!(
                    "closed {closed} connection(s) of {}: revoked",
                    network::fingerprint(&device)
                ));
            }
            Reply::Cut { closed }
        }
        Request::Sync { peer, offer } => {
            match network::sync_targets(&daemon.net, peer.as_deref()) {
                Ok(targets) => {
                    let _busy: Vec<Busy> = targets
                        .iter()
                        .map(|t| Busy::begin(daemon, &t.device))
                        .collect();
                    let offer: Vec<_> =
                        offer.iter().filter_map(|k| network::key_bytes(k)).collect();
                    let rows =
                        network::sync_now(&daemon.net, &daemon.endpoint, &targets, &offer).await;
                    let mut out = Vec::new();
                    for (row, outcome) in rows {
                        if let PeerOutcome::Synced(changed, _) = &outcome {
                            daemon.arrived(&row.device, changed);
                        }
                        daemon.finished(&row.device, &outcome);
                        out.push(row);
                    }
                    Reply::Synced { peers: out }
                }
                Err(e) => Reply::Error {
                    message: e.message().to_string(),
                    hint: e.hint_text().map(str::to_string),
                },
            }
        }
        Request::Watch => {
            let mut arrivals = daemon.arrivals.subscribe();
            if control::write_reply(&mut stream, &Reply::Watching)
                .await
                .is_err()
            {
                return;
            }
            loop {
                match arrivals.recv().await {
                    Ok(a) => {
                        if control::write_reply(&mut stream, &Reply::Arrived(a))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    // A slow watcher missed some: it re-reads the journal anyway.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    };
    let _ = control::write_reply(&mut stream, &reply).await;
}
