//! When the daemon starts sessions of its own: a push to every peer on each local change
//! (told by the committing process, or seen by the watcher), one session at a time per
//! peer, and once more after a session that may have loaded a journal before the change.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Daemon;
use crate::node::{self, PeerOutcome};

/// A session this daemon runs with a peer; dropping it (at the end, or if the task panics)
/// marks the session over. There is one at a time per peer: a second would only replace
/// the first on the peer's side.
pub(super) struct Busy {
    daemon: Arc<Daemon>,
    device: String,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Busy {
    /// The peer's session lock.
    fn turn_of(daemon: &Daemon, device: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = daemon.turns.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(turns.entry(device.to_string()).or_default())
    }

    fn mark(daemon: &Arc<Daemon>, device: &str, turn: tokio::sync::OwnedMutexGuard<()>) -> Busy {
        daemon.peers().entry(device.to_string()).or_default().busy += 1;
        Busy {
            daemon: Arc::clone(daemon),
            device: device.to_string(),
            _turn: turn,
        }
    }

    /// A session with `device` once the one running now (if any) has ended.
    pub(super) async fn begin(daemon: &Arc<Daemon>, device: &str) -> Busy {
        let turn = Self::turn_of(daemon, device).lock_owned().await;
        Self::mark(daemon, device, turn)
    }

    /// A session with `device` now, or `None` while one runs.
    fn try_begin(daemon: &Arc<Daemon>, device: &str) -> Option<Busy> {
        let turn = Self::turn_of(daemon, device).try_lock_owned().ok()?;
        Some(Self::mark(daemon, device, turn))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(state) = self.daemon.peers().get_mut(&self.device) {
            state.busy = state.busy.saturating_sub(1);
        }
    }
}

/// A watcher event this soon after a committing process's own notice is the same change
/// (the process notices the daemon as it exits, after its last write).
const SAME_CHANGE: Duration = Duration::from_millis(25);

/// Who told the daemon of a local change.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Notice {
    /// The `haven` process that committed it.
    Committer,
    /// The filesystem watcher (a change made any other way, or the same one a moment later).
    Watcher,
}

/// A journal changed on this device: push it to every peer at once, and again after a
/// session that may have loaded the journal before the change. (No merge of sealed entries
/// here: a session folds them in as it loads.)
pub(super) fn local_change(daemon: &Arc<Daemon>, notice: Notice) {
    daemon.node.membership_changed();
    let now = Instant::now();
    let mut last = daemon.last_notice.lock().unwrap_or_else(|p| p.into_inner());
    match notice {
        Notice::Committer => *last = Some(now),
        Notice::Watcher if last.is_some_and(|at| now.duration_since(at) < SAME_CHANGE) => return,
        Notice::Watcher => {}
    }
    drop(last);
    push(daemon, true, None);
}

/// How long a change seen on disk waits for running sessions to end before it is judged.
const SESSIONS_WAIT: Duration = Duration::from_secs(5);

/// The watcher saw `journals` change: a change this daemon's own sessions made (what a
/// peer sent, kept; sealed entries folded in) is already in the copies it holds and goes
/// to nobody again, or every session would start another with the same peer. Anything
/// else (another process wrote a chunk) is a local change. Runs on its own task.
pub(super) async fn changed_on_disk(daemon: Arc<Daemon>, journals: BTreeSet<String>) {
    daemon.node.sessions_idle(SESSIONS_WAIT).await;
    let unseen = {
        let daemon = Arc::clone(&daemon);
        tokio::task::spawn_blocking(move || daemon.node.unseen_on_disk(&journals)).await
    };
    if unseen.unwrap_or(true) {
        local_change(&daemon, Notice::Watcher);
    }
}

/// Starts a session with every peer (but `except`, the one a change just came from) that
/// is not busy and not waiting out a backoff (a local change overrides the backoff). Each
/// runs on its own task so that an unreachable peer never holds up the others.
pub(super) fn push(daemon: &Arc<Daemon>, local_change: bool, except: Option<&str>) {
    for target in daemon.node.sync_targets(None).unwrap_or_default() {
        if except == Some(target.device.as_str()) {
            continue;
        }
        let device = target.device;
        {
            let mut peers = daemon.peers();
            let state = peers.entry(device.clone()).or_default();
            let waiting = state
                .retry
                .is_some_and(|(next, _)| Instant::now() < next && !local_change);
            if waiting {
                continue;
            }
        }
        let Some(busy) = Busy::try_begin(daemon, &device) else {
            // The running session may have loaded the journal before the change.
            if let Some(state) = daemon.peers().get_mut(&device) {
                state.again |= local_change;
            }
            continue;
        };
        let info = target.info;
        let daemon = Arc::clone(daemon);
        tokio::spawn(async move {
            let _busy = busy;
            loop {
                let outcome =
                    node::sync_with(&daemon.node, &daemon.endpoint, &device, &info, &[]).await;
                let synced = matches!(outcome, PeerOutcome::Synced(..));
                if let PeerOutcome::Synced(changed, _) = &outcome {
                    daemon.arrived(&device, changed);
                    // What this peer brought goes on to the others.
                    if !changed.is_empty() {
                        push(&daemon, true, Some(&device));
                    }
                }
                daemon.finished(&device, &outcome);
                let again = daemon
                    .peers()
                    .get_mut(&device)
                    .is_some_and(|s| std::mem::take(&mut s.again));
                if !(synced && again) {
                    break;
                }
            }
        });
    }
}
