//! Both sides of a sync session on an iroh connection: loading the journals a peer may
//! sync, driving the session, and keeping what it brought once validated.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use haven_store::{JournalStore, PeerInfo};
use haven_sync::JournalKey;
use haven_sync::session::{SessionError, SyncSession};

use super::{Arrived, Loaded, Node, Target, blocking, device_bytes, fingerprint};
use crate::ipc::control::{PeerRow, PeerStatus};

/// Text a peer may have written, made safe for a log line.
fn clean_capped(text: &str, max: usize) -> String {
    haven_model::text::clean_capped(text, false, max)
}

/// What one sync moved, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Traffic {
    /// Sync message bytes received.
    pub bytes_in: usize,
    /// Sync message bytes sent.
    pub bytes_out: usize,
    /// Protocol frames received.
    pub frames_in: u32,
    /// Protocol frames sent.
    pub frames_out: u32,
    /// UDP payload bytes received on the connection (QUIC, encrypted, handshake included).
    pub wire_in: u64,
    /// UDP payload bytes sent on the connection.
    pub wire_out: u64,
    /// The path the last session's connection used (none if there was no connection).
    #[serde(default)]
    pub path: Option<haven_sync::net::PathKind>,
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
            path: o.path.or(self.path),
        }
    }
}

/// The result of syncing with one peer.
#[derive(Debug)]
pub enum PeerOutcome {
    /// Synced; what arrived in each journal that received something.
    Synced(Vec<Arrived>, Traffic),
    /// No journal in common (any more).
    NothingShared,
    /// Could not be reached.
    Unreachable(String),
    /// The session failed.
    Failed(String),
}

/// The most sessions one sync runs back to back with a peer while a budget keeps pausing
/// them (each moves up to the budget, so this bounds one sync, not the journal's size).
const MAX_CONTINUED: usize = 64;

/// Adds the outcome of a later session with the same peer to what came before.
fn merge(first: Option<PeerOutcome>, next: PeerOutcome) -> PeerOutcome {
    match (first, next) {
        (Some(PeerOutcome::Synced(mut a, ta)), PeerOutcome::Synced(b, tb)) => {
            for arrived in b {
                match a.iter_mut().find(|x| x.journal == arrived.journal) {
                    Some(x) => x.after = arrived.after,
                    None => a.push(arrived),
                }
            }
            PeerOutcome::Synced(a, ta + tb)
        }
        (_, next) => next,
    }
}

/// Syncs with one peer as the initiator, session after session while a budget pauses
/// them. If the peer is one of my own devices and has journals I am a member of but have
/// no copy of yet, they are created and synced too. `offer` adds journals that membership
/// alone would not offer (a journal being left, whose last change tells the others so).
pub async fn sync_with(
    net: &Node,
    endpoint: &iroh::Endpoint,
    device: &str,
    info: &PeerInfo,
    offer: &[JournalKey],
) -> PeerOutcome {
    let mut also = Vec::new();
    let outcome = sessions(net, endpoint, device, info, offer, &mut also).await;
    match &outcome {
        PeerOutcome::Synced(arrived, traffic) => tracing::info!(
            peer = %fingerprint(device),
            journals = arrived.len(),
            bytes_in = traffic.bytes_in,
            bytes_out = traffic.bytes_out,
            "synced"
        ),
        PeerOutcome::NothingShared => {
            tracing::debug!(peer = %fingerprint(device), "no journal in common")
        }
        // A reason may quote what the peer sent: cleaned like anything printed from a peer.
        PeerOutcome::Unreachable(why) => {
            tracing::info!(peer = %fingerprint(device), why = %clean_capped(why, 300), "unreachable")
        }
        PeerOutcome::Failed(why) => {
            tracing::warn!(peer = %fingerprint(device), why = %clean_capped(why, 300), "sync failed")
        }
    }
    if also.is_empty() || !net.is_my_device(device) {
        return outcome;
    }
    for key in &also {
        if let Err(e) = net.vault().adopt_journal(&net.keys, &hex::encode(key)) {
            return PeerOutcome::Failed(e.to_string());
        }
    }
    net.membership_changed();
    // The new copies have no member list yet: offer them explicitly, this once.
    let mut more = Vec::new();
    let second = sessions(net, endpoint, device, info, &also, &mut more).await;
    merge(Some(outcome), second)
}

/// Sessions with one peer until they are in sync, a session fails, or [`MAX_CONTINUED`].
async fn sessions(
    net: &Node,
    endpoint: &iroh::Endpoint,
    device: &str,
    info: &PeerInfo,
    extra: &[JournalKey],
    also: &mut Vec<JournalKey>,
) -> PeerOutcome {
    let mut total: Option<PeerOutcome> = None;
    for _ in 0..MAX_CONTINUED {
        let (outcome, more) = sync_session(net, endpoint, device, info, extra, also).await;
        let synced = matches!(outcome, PeerOutcome::Synced(..));
        total = Some(merge(total, outcome));
        if !synced || !more {
            break;
        }
    }
    total.unwrap_or(PeerOutcome::NothingShared)
}

/// One session with a peer as the initiator. Returns its outcome, and whether the two are
/// still not in sync after it (a budget paused it on one side or the other).
async fn sync_session(
    net: &Node,
    endpoint: &iroh::Endpoint,
    device: &str,
    info: &PeerInfo,
    extra: &[JournalKey],
    also: &mut Vec<JournalKey>,
) -> (PeerOutcome, bool) {
    use haven_sync::{SYNC_ALPN, net as hnet};
    let mut stores = match net.journals_for(device) {
        Ok(s) => s,
        Err(e) => return (PeerOutcome::Failed(e.to_string()), false),
    };
    for key in extra {
        if let Ok(Some(store)) = net.vault().find_by_key(&net.keys, &hex::encode(key)) {
            stores.insert(*key, store);
        }
    }
    if stores.is_empty() {
        return (PeerOutcome::NothingShared, false);
    }
    let Some(id) = device_bytes(device) else {
        return (PeerOutcome::Failed("malformed device id".into()), false);
    };
    // With no address and no relay, only the local network can tell where it is.
    let only_local = info.addrs.is_empty()
        && info.relay.is_none()
        && net.config.relay == haven_sync::net::Relay::Disabled;
    if only_local && !net.config.local_discovery {
        let why = "no address known yet (its entries reach you through your other devices)";
        return (PeerOutcome::Unreachable(why.into()), false);
    }
    let addrs: Vec<SocketAddr> = info.addrs.iter().filter_map(|a| a.parse().ok()).collect();
    let addr = match hnet::peer_addr(&id, &addrs, info.relay.as_deref()) {
        Ok(a) => a,
        Err(e) => return (PeerOutcome::Failed(e.to_string()), false),
    };
    // Direct addresses answer within milliseconds when the device is there; a relay or a
    // lookup on the local network may need longer.
    let connect_for = if only_local {
        Duration::from_secs(3)
    } else if net.config.relay == haven_sync::net::Relay::Disabled {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(8)
    };
    let (conn, mut send, mut recv) =
        match hnet::connect(endpoint, addr, SYNC_ALPN, connect_for).await {
            Ok(c) => c,
            Err(_) if only_local => {
                let why = "no address known yet, and not found on the local network";
                return (PeerOutcome::Unreachable(why.into()), false);
            }
            Err(haven_sync::net::NetError::Timeout) => {
                let why = format!(
                    "no answer within {} s: is it on, and is `haven daemon` running there?",
                    connect_for.as_secs()
                );
                return (PeerOutcome::Unreachable(why), false);
            }
            Err(e) => return (PeerOutcome::Unreachable(e.to_string()), false),
        };
    net.track(device, &conn);
    // Membership may have changed while connecting (a revocation, a leave): look again now
    // that a revocation can close this connection.
    let now_shared = net.journals_for(device).unwrap_or_default();
    stores.retain(|k, _| now_shared.contains_key(k) || extra.contains(k));
    if stores.is_empty() {
        net.untrack(device, &conn);
        conn.close(3u32.into(), b"not a member any more");
        return (PeerOutcome::NothingShared, false);
    }
    let outcome = run_initiator(net, &conn, &mut send, &mut recv, &stores, device, also).await;
    net.untrack(device, &conn);
    outcome
}

/// Notes a session's refusal of a change its signer may not make (for `haven status`
/// and the log), before the peer is told; what was noted.
fn note_forbidden(net: &Node, peer: &str, e: &SessionError) -> Option<String> {
    match e {
        SessionError::Forbidden { journal, refusal } => {
            Some(blocking(|| net.note_refusal(peer, journal, refusal)).to_string())
        }
        _ => None,
    }
}

/// What a failed session says (`noted`, if its refusal was noted), with the journal named
/// by its local alias.
fn session_failure(net: &Node, noted: Option<String>, e: &haven_sync::net::NetError) -> String {
    if let Some(noted) = noted {
        return noted;
    }
    match e {
        haven_sync::net::NetError::Session(SessionError::Invalid { journal, violation }) => {
            format!(
                "it sent a change that {violation} (in `{}`)",
                net.alias(journal)
            )
        }
        other => other.to_string(),
    }
}

/// The initiator's side of a session on an open connection.
async fn run_initiator(
    net: &Node,
    conn: &iroh::endpoint::Connection,
    send: &mut iroh::endpoint::SendStream,
    recv: &mut iroh::endpoint::RecvStream,
    stores: &BTreeMap<JournalKey, JournalStore>,
    device: &str,
    also: &mut Vec<JournalKey>,
) -> (PeerOutcome, bool) {
    use haven_sync::net as hnet;
    let timeout = net.config.step_timeout;
    let _in_session = net.session_begins();
    let Loaded { journals, chunks } = match blocking(|| net.load(stores, device)) {
        Ok(j) => j,
        Err(e) => return (PeerOutcome::Failed(e.to_string()), false),
    };
    let (mut session, hello) = SyncSession::initiator(journals);
    let mut noted = None;
    let refusing = |e: &SessionError| noted = note_forbidden(net, device, e);
    let ending = match hnet::drive(&mut session, send, recv, Some(hello), timeout, refusing).await {
        Ok(ending) => ending,
        Err(e) => {
            // Let the refusal reach the peer (which closes on reading it), then close.
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
            conn.close(2u32.into(), b"session failed");
            let why = format!(
                "{}; nothing from this session was kept",
                session_failure(net, noted, &e)
            );
            return (PeerOutcome::Failed(why), false);
        }
    };
    also.extend_from_slice(session.also());
    let (frames_in, frames_out) = session.frames();
    let more = session.paused().is_some() || !session.in_sync();
    let results = session.into_journals();
    let stats = conn.stats();
    let traffic = Traffic {
        bytes_in: results.values().map(|j| j.bytes_in).sum(),
        bytes_out: results.values().map(|j| j.bytes_out).sum(),
        frames_in,
        frames_out,
        wire_in: stats.udp_rx.bytes,
        wire_out: stats.udp_tx.bytes,
        path: haven_sync::net::path_kind(conn),
    };
    let moved = traffic.bytes_in + traffic.bytes_out > 0;
    let mut outcome = match blocking(|| net.persist(stores, &chunks, results, device)) {
        Ok(changed) => {
            let _ = net.remember(device, &[], None, None, Some(net.now_ms()));
            PeerOutcome::Synced(changed, traffic)
        }
        Err(e) => PeerOutcome::Failed(e.to_string()),
    };
    let mut ending = ending;
    if let Some(reason) = hnet::hear_verdict(recv, ending).await {
        let said = blocking(|| net.note_refused_by_peer(device, &reason));
        outcome = PeerOutcome::Failed(format!("{said}; what it sent here was kept"));
        // The peer waits for this side to close: it has said its last.
        ending = hnet::Ending::ReceivedLast;
    }
    hnet::finish(conn, ending).await;
    (outcome, more && moved)
}

/// Refuses an incoming sync connection, saying why, before any journal is loaded.
pub async fn refuse_sync(conn: iroh::endpoint::Connection, reason: &str) {
    use haven_sync::frame::Frame;
    let step = Duration::from_secs(5);
    if let Ok(Ok((mut send, _recv))) = tokio::time::timeout(step, conn.accept_bi()).await {
        let refused = Frame::Refused {
            reason: reason.into(),
        };
        let _ = haven_sync::net::send(&mut send, &refused, step).await;
        let _ = send.finish();
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
    }
    conn.close(5u32.into(), b"refused");
}

/// Serves one incoming sync connection as the responder. A device that is not a member of
/// any of this device's journals is refused before any journal data moves. Returns the peer
/// and what arrived in each journal that received something, and why the session paused
/// (its budget was spent), if it did.
pub async fn serve_sync(
    net: &Node,
    conn: iroh::endpoint::Connection,
) -> std::result::Result<(String, Vec<Arrived>, Option<String>), String> {
    let peer = hex::encode(conn.remote_id().as_bytes());
    net.track(&peer, &conn);
    let served = serve_session(net, &conn).await;
    net.untrack(&peer, &conn);
    match &served {
        Ok((_, arrived, _)) => {
            tracing::info!(peer = %fingerprint(&peer), journals = arrived.len(), "served a session")
        }
        Err(why) => {
            tracing::warn!(peer = %fingerprint(&peer), why = %clean_capped(why, 300), "session ended; nothing it sent was kept")
        }
    }
    served
}

async fn serve_session(
    net: &Node,
    conn: &iroh::endpoint::Connection,
) -> std::result::Result<(String, Vec<Arrived>, Option<String>), String> {
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
    let _in_session = net.session_begins();
    let Loaded { journals, chunks } =
        blocking(|| net.load(&stores, &peer)).map_err(|e| e.to_string())?;
    let mut session = SyncSession::responder(journals);
    let mut noted = None;
    let refusing = |e: &SessionError| noted = note_forbidden(net, &peer, e);
    let ending =
        match hnet::drive(&mut session, &mut send, &mut recv, None, timeout, refusing).await {
            Ok(ending) => ending,
            Err(e) => {
                // Let the refusal reach the peer, then close.
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
                conn.close(2u32.into(), b"session failed");
                return Err(format!(
                    "cut off {}: {}; nothing it sent was kept",
                    fingerprint(&peer),
                    session_failure(net, noted, &e)
                ));
            }
        };
    let paused = session.paused().map(|why| why.to_string());
    let results = session.into_journals();
    let changed =
        blocking(|| net.persist(&stores, &chunks, results, &peer)).map_err(|e| e.to_string())?;
    let _ = net.remember(&peer, &[], None, None, Some(net.now_ms()));
    let mut ending = ending;
    if let Some(reason) = hnet::hear_verdict(&mut recv, ending).await {
        blocking(|| net.note_refused_by_peer(&peer, &reason));
        ending = hnet::Ending::ReceivedLast;
    }
    hnet::finish(conn, ending).await;
    Ok((peer, changed, paused))
}

/// Syncs with every target at once on `endpoint` (offering `offer` too, see [`sync_with`]);
/// one row per target, in order.
pub async fn sync_now(
    net: &Node,
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

/// What a sync on an endpoint of its own found: a row per target, and the endpoint's home
/// relays at its end.
pub struct SyncReport {
    /// One row and outcome per target, in order.
    pub rows: Vec<(PeerRow, PeerOutcome)>,
    /// Each home relay, connected or failing (none with relays off).
    pub relays: Vec<haven_sync::net::RelayState>,
}

/// Syncs with every target at once on an endpoint of its own, for a process that runs no
/// daemon: binds, syncs, and closes the endpoint (waiting at most half a second for the
/// peers to hear it close).
pub async fn sync_alone(
    net: &Node,
    targets: &[Target],
    offer: &[JournalKey],
) -> Result<SyncReport, crate::NodeError> {
    let secret = net.secret()?;
    let endpoint = haven_sync::net::bind(&secret, &net.config).await?;
    let rows = sync_now(net, &endpoint, targets, offer).await;
    let mut relays = haven_sync::net::relay_states(&endpoint);
    if let (true, haven_sync::net::Relay::Url(url)) = (relays.is_empty(), &net.config.relay) {
        // A short-lived endpoint takes its relay as its home only after probing it (about
        // 3 s); until then it reaches peers through the relay their addresses name. Report
        // the relay of your own as connected when a session went through it.
        let through = rows.iter().any(|(_, outcome)| {
            matches!(outcome, PeerOutcome::Synced(_, t)
                if t.path == Some(haven_sync::net::PathKind::Relayed))
        });
        relays.push(haven_sync::net::RelayState {
            url: url.clone(),
            connected: through,
            last_error: None,
        });
    }
    haven_sync::net::close_within(endpoint, Duration::from_millis(500)).await;
    Ok(SyncReport { rows, relays })
}

/// One printable row for a peer's outcome.
fn row(t: &Target, outcome: &PeerOutcome) -> PeerRow {
    let (status, detail, arrived, traffic) = match outcome {
        PeerOutcome::Synced(changed, traffic) => {
            let arrived: usize = changed.iter().map(Arrived::count).sum();
            let text = match arrived {
                0 => "nothing new here".to_string(),
                1 => "1 new entry arrived".to_string(),
                n => format!("{n} new entries arrived"),
            };
            let path = match traffic.path {
                Some(haven_sync::net::PathKind::Direct) => "; direct",
                Some(haven_sync::net::PathKind::Relayed) => "; through a relay",
                None => "",
            };
            (
                PeerStatus::Synced,
                format!(
                    "{text}; {} bytes in, {} out{path}",
                    traffic.bytes_in, traffic.bytes_out
                ),
                arrived,
                *traffic,
            )
        }
        PeerOutcome::NothingShared => (
            PeerStatus::Skipped,
            "no journal in common".to_string(),
            0,
            Traffic::default(),
        ),
        PeerOutcome::Unreachable(e) => (PeerStatus::Unreachable, e.clone(), 0, Traffic::default()),
        PeerOutcome::Failed(e) => (PeerStatus::Failed, e.clone(), 0, Traffic::default()),
    };
    PeerRow {
        device: t.device.clone(),
        fingerprint: fingerprint(&t.device),
        name: t.name.clone(),
        status,
        detail,
        arrived,
        traffic,
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
