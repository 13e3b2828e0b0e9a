//! `haven daemon`: stay online, accept members, push local changes, pull theirs.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::network::{self, Net, PeerOutcome, net_error};

/// Stay online: accept sync from members, push local changes to online peers within about
/// a second of their being written (by any `haven` command), pull theirs, and retry
/// unreachable peers with backoff. Runs until stopped (Ctrl-C) or for --for DURATION.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stop after this long, e.g. 10m (default: run until stopped)
    #[arg(long = "for", value_name = "DURATION")]
    duration: Option<String>,
    /// Pull from every peer this often even without local changes, in seconds
    #[arg(long, default_value_t = 30)]
    pull_every: u64,
}

fn log(msg: &str) {
    eprintln!(
        "{} {}",
        jiff::Timestamp::now().strftime("%H:%M:%S"),
        crate::output::clean(msg, false)
    );
}

/// A fingerprint of what is on disk for every journal: it changes when anything is written.
fn disk_state(net: &Net) -> Vec<(String, Vec<String>, Vec<String>)> {
    let Ok(ids) = net.vault.journal_ids() else {
        return Vec::new();
    };
    ids.into_iter()
        .map(|id| {
            let store = net.vault.journal(id);
            (
                id.to_string(),
                store.chunk_names().unwrap_or_default(),
                store.inbox_names().unwrap_or_default(),
            )
        })
        .collect()
}

/// Runs `haven daemon`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let stop_after = args
        .duration
        .as_deref()
        .map(crate::commands::unlock::parse_duration)
        .transpose()?;
    let net = Arc::new(Net::open(ctx)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        let secret = net.secret()?;
        let endpoint = haven_sync::net::bind(&secret, &net.config).await.map_err(net_error)?;
        let (addrs, _) = haven_sync::net::own_addrs(&endpoint);
        log(&format!(
            "daemon up as {} on {}",
            network::fingerprint(net.me()),
            addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
        ));
        let started = Instant::now();
        let mut last_disk = disk_state(&net);
        let mut last_pull = Instant::now() - Duration::from_secs(args.pull_every);
        let backoff: Arc<Mutex<BTreeMap<String, (Instant, Duration)>>> = Arc::default();
        let in_flight: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            if stop_after.is_some_and(|d| started.elapsed() >= d) {
                log("stopping");
                break;
            }
            tokio::select! {
                incoming = endpoint.accept() => {
                    let Some(incoming) = incoming else { break };
                    let net = Arc::clone(&net);
                    // Each session runs on its own task: a slow or hostile peer cannot stall
                    // the daemon, and a panic in it stays in it.
                    tokio::spawn(async move {
                        let Ok(accepting) = incoming.accept() else { return };
                        let Ok(conn) = accepting.await else { return };
                        if conn.alpn() != haven_sync::SYNC_ALPN {
                            conn.close(1u32.into(), b"no pairing in progress");
                            return;
                        }
                        match network::serve_sync(&net, conn).await {
                            Ok((peer, arrived)) => log(&format!("synced with {}: {arrived} new entries", network::fingerprint(&peer))),
                            Err(e) => log(&e),
                        }
                    });
                }
                _ = tick.tick() => {
                    // Merge entries sealed while locked, then push if anything changed.
                    for id in net.vault.journal_ids().unwrap_or_default() {
                        let store = net.vault.journal(id);
                        if store.inbox_len().unwrap_or(0) > 0 {
                            let _ = store.change(&net.keys, |_| Ok(()));
                        }
                    }
                    let now_disk = disk_state(&net);
                    let changed = now_disk != last_disk;
                    let pull = last_pull.elapsed() >= Duration::from_secs(args.pull_every);
                    if !(changed || pull) {
                        continue;
                    }
                    last_pull = Instant::now();
                    let book = net.peers();
                    for (device, _) in net.known_devices().unwrap_or_default() {
                        {
                            let waits = backoff.lock().unwrap_or_else(|p| p.into_inner());
                            if let Some((next, _)) = waits.get(&device)
                                && Instant::now() < *next
                                && !changed
                            {
                                continue;
                            }
                        }
                        if !in_flight.lock().unwrap_or_else(|p| p.into_inner()).insert(device.clone()) {
                            continue;
                        }
                        // Each push runs on its own task so that an unreachable peer never
                        // holds up accepting others.
                        let info = book.get(&device).cloned().unwrap_or_default();
                        let (net, endpoint, backoff, in_flight) =
                            (Arc::clone(&net), endpoint.clone(), Arc::clone(&backoff), Arc::clone(&in_flight));
                        tokio::spawn(async move {
                            let outcome = network::sync_with(&net, &endpoint, &device, &info).await;
                            let mut waits = backoff.lock().unwrap_or_else(|p| p.into_inner());
                            match outcome {
                                PeerOutcome::Synced(changes, _, _) => {
                                    waits.remove(&device);
                                    let arrived: usize = changes.iter().map(|(_, b, a)| a.saturating_sub(*b)).sum();
                                    log(&format!("synced with {}: {arrived} new entries here", network::fingerprint(&device)));
                                }
                                PeerOutcome::Unreachable(_) | PeerOutcome::Failed(_) => {
                                    let wait = waits
                                        .get(&device)
                                        .map(|(_, w)| (*w * 2).min(Duration::from_secs(60)))
                                        .unwrap_or(Duration::from_secs(1));
                                    waits.insert(device.clone(), (Instant::now() + wait, wait));
                                }
                                PeerOutcome::NothingShared => {}
                            }
                            in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&device);
                        });
                    }
                    last_disk = disk_state(&net);
                }
            }
        }
        endpoint.close().await;
        Ok::<_, CliError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
