//! The daemon's answers on its control socket while it holds the key: status, sync now,
//! watch arrivals, pair (both halves) on its endpoint, cut a revoked device, lock.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::Daemon;
use super::push::Busy;
use crate::error::{PairError, PairFailure};
use crate::ipc::control::{self, Reply, Request};
use crate::node::{self, PeerOutcome, fingerprint, key_bytes};
use crate::pairing::{self, Invitation};

/// Answers one control client.
pub(super) async fn answer(daemon: &Arc<Daemon>, mut stream: tokio::net::UnixStream) {
    let Some(request) = control::read_request(&mut stream).await else {
        return;
    };
    let reply = match request {
        Request::Status => Reply::Status(daemon.status()),
        Request::Cut { device } => {
            let closed = daemon.node.cut(&device);
            if closed > 0 {
                tracing::info!(peer = %fingerprint(&device), closed, "closed the connections of a revoked device");
            }
            Reply::Cut { closed }
        }
        Request::Sync {
            peer,
            offer,
            devices,
        } => sync(daemon, peer.as_deref(), &offer, &devices).await,
        Request::Watch => {
            watch(daemon, stream).await;
            return;
        }
        Request::Invite {
            journal,
            role,
            expires_at_ms,
        } => {
            invite(daemon, stream, journal.as_deref(), role, expires_at_ms).await;
            return;
        }
        Request::Join { ticket } => join(daemon, &ticket).await,
        Request::Changed => {
            daemon.changed.notify_one();
            Reply::Noted
        }
        Request::Lock => {
            daemon.lock.notify_one();
            daemon.closed.notified().await;
            Reply::Locked
        }
        Request::Unlock { .. } => Reply::Unlocked,
    };
    let _ = control::write_reply(&mut stream, &reply).await;
}

/// Syncs now with every peer, or those matching `wanted`, or only `devices` (members or
/// not) when some are given, for a control client.
async fn sync(
    daemon: &Arc<Daemon>,
    wanted: Option<&str>,
    offer: &[String],
    devices: &[String],
) -> Reply {
    let targets = match devices.is_empty() {
        true => daemon.node.sync_targets(wanted),
        false => daemon.node.targets_among(devices),
    };
    let targets = match targets {
        Ok(targets) => targets,
        Err(crate::NodeError::NoPeerMatches(wanted)) => return Reply::NoPeerMatches { wanted },
        Err(e) => {
            return Reply::Error {
                message: e.to_string(),
                hint: None,
            };
        }
    };
    // Each after the session with it that runs now, if any.
    let mut _busy = Vec::new();
    for target in &targets {
        _busy.push(Busy::begin(daemon, &target.device).await);
    }
    let offer: Vec<_> = offer.iter().filter_map(|k| key_bytes(k)).collect();
    let rows = node::sync_now(&daemon.node, &daemon.endpoint, &targets, &offer).await;
    let mut peers = Vec::new();
    let mut relay = Vec::new();
    for (row, outcome) in rows {
        if let PeerOutcome::Synced(changed, _) = &outcome {
            daemon.arrived(&row.device, changed);
            relay.extend((!changed.is_empty()).then(|| row.device.clone()));
        }
        daemon.finished(&row.device, &outcome);
        peers.push(row);
    }
    // What a peer brought goes on to the others (after this sync's turns are given back).
    drop(_busy);
    for device in &relay {
        super::push::push(daemon, true, Some(device));
    }
    Reply::Synced {
        peers,
        relays: haven_sync::net::relay_states(&daemon.endpoint),
    }
}

/// Streams arrivals to a watching control client until it hangs up.
async fn watch(daemon: &Arc<Daemon>, mut stream: tokio::net::UnixStream) {
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

/// What a failed pairing tells the control client.
fn pair_failed(e: &PairError) -> Reply {
    Reply::PairFailed {
        message: e.to_string(),
        kind: PairFailure::from(e),
    }
}

/// Shows a ticket on the daemon's endpoint for a control client, and pairs with the device
/// that presents it; the client hanging up withdraws the ticket.
async fn invite(
    daemon: &Arc<Daemon>,
    mut stream: tokio::net::UnixStream,
    journal: Option<&str>,
    role: haven_model::members::Role,
    expires_at_ms: i64,
) {
    use tokio::io::AsyncReadExt;
    let scope = match journal {
        None => haven_sync::ticket::Scope::Devices,
        Some(hex_key) => match key_bytes(hex_key) {
            Some(key) => haven_sync::ticket::Scope::Journal(key),
            None => {
                let reply = Reply::Error {
                    message: "malformed journal key".into(),
                    hint: None,
                };
                let _ = control::write_reply(&mut stream, &reply).await;
                return;
            }
        },
    };
    pairing::wait_for_own_relay(&daemon.node, &daemon.endpoint).await;
    let opened = Invitation::open(&daemon.node, &daemon.endpoint, scope.clone(), expires_at_ms);
    let (invitation, ticket, knocks) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            let _ = control::write_reply(&mut stream, &pair_failed(&e)).await;
            return;
        }
    };
    let Some(showing) = daemon.pairing.show(invitation) else {
        let reply = Reply::PairFailed {
            message: "this device is showing another ticket already".into(),
            kind: PairFailure::Busy,
        };
        let _ = control::write_reply(&mut stream, &reply).await;
        return;
    };
    let shown = Reply::Ticket {
        ticket: ticket.to_string(),
    };
    if control::write_reply(&mut stream, &shown).await.is_err() {
        return;
    }
    tracing::info!(expires_at_ms, "showing a pairing ticket");
    let (mut from_client, mut to_client) = stream.split();
    let mut byte = [0u8; 1];
    let paired = tokio::select! {
        paired = pairing::await_joiner(&daemon.node, &scope, role, knocks, expires_at_ms) => paired,
        // The client sends nothing more: any read that returns means it hung up.
        _ = from_client.read(&mut byte) => {
            tracing::info!("the pairing ticket was withdrawn");
            return;
        }
    };
    drop(showing);
    let reply = match paired {
        Ok(paired) => {
            tracing::info!(peer = %fingerprint(&paired.device), "paired");
            Reply::Paired(paired)
        }
        Err(e) => pair_failed(&e),
    };
    let _ = control::write_reply_to(&mut to_client, &reply).await;
}

/// Joins with a ticket on the daemon's endpoint, for a control client.
async fn join(daemon: &Arc<Daemon>, ticket: &str) -> Reply {
    let ticket: haven_sync::ticket::Ticket = match ticket.trim().parse() {
        Ok(ticket) => ticket,
        Err(e) => {
            return Reply::Error {
                message: format!("{e}"),
                hint: None,
            };
        }
    };
    match pairing::join_on(&daemon.node, &daemon.endpoint, &ticket).await {
        Ok(joined) => {
            tracing::info!(peer = %fingerprint(&joined.inviter), "joined");
            Reply::Joined(joined)
        }
        Err(e) => pair_failed(&e),
    }
}
