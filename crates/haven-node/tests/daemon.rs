//! The daemon in one process with real endpoints on loopback: pairing through the control
//! socket of running daemons on both sides (one endpoint per device), and a daemon that
//! starts locked, syncs once it has the key and stops at lock.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Daemon, Device, control_ask};
use haven_node::ipc::control::{Client, Identity, Reply, Request};
use haven_node::node::{self, PeerOutcome};
use secrecy::ExposeSecret;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_running_daemons_pair_on_their_own_endpoints_and_then_sync() {
    let laptop = Device::new("laptop", "Robin");
    let phone = Device::new("phone", "Robin");
    let laptop_daemon = Daemon::start(&laptop).await;
    let phone_daemon = Daemon::start(&phone).await;
    // `haven invite` through the laptop's daemon: the ticket names the daemon's endpoint.
    let socket = laptop.socket();
    let request = Request::Invite {
        journal: None,
        role: haven_model::members::Role::Writer,
        expires_at_ms: common::NOW_MS + 600_000,
    };
    let (ticket_tx, ticket_rx) = tokio::sync::oneshot::channel();
    let inviting = tokio::task::spawn_blocking(move || {
        let mut client = Client::open(&socket, &request, None).unwrap();
        let Some(Reply::Ticket { ticket }) = client.next_reply() else {
            panic!("no ticket")
        };
        ticket_tx.send(ticket).unwrap();
        client.next_reply()
    });
    let ticket: String = ticket_rx.await.unwrap();
    let used = ticket.clone();
    let parsed: haven_sync::ticket::Ticket = ticket.parse().unwrap();
    assert_eq!(
        parsed.addrs,
        vec![laptop.addr],
        "the ticket names the daemon's endpoint"
    );
    // `haven join` through the phone's daemon.
    let joined = control_ask(&phone, Request::Join { ticket }).await;
    let Some(Reply::Joined(joined)) = joined else {
        panic!("{joined:?}")
    };
    assert_eq!(joined.inviter, laptop.id());
    let paired = inviting.await.unwrap();
    assert!(
        matches!(&paired, Some(Reply::Paired(p)) if p.device == phone.id()),
        "{paired:?}"
    );
    // With no invitation shown, a pairing connection is refused, saying why.
    let again = control_ask(&phone, Request::Join { ticket: used }).await;
    assert!(
        matches!(&again, Some(Reply::PairFailed { message, .. }) if message.contains("no pairing in progress")),
        "{again:?}"
    );
    laptop.write(&laptop.node.vault().personal(), 1, "written after pairing");
    let synced = control_ask(
        &phone,
        Request::Sync {
            peer: None,
            offer: Vec::new(),
            devices: Vec::new(),
        },
    )
    .await;
    let Some(Reply::Synced { peers, relays }) = synced else {
        panic!("{synced:?}")
    };
    assert_eq!(peers.len(), 1);
    // Relays are off on loopback: the report lists none rather than a failing one.
    assert!(relays.is_empty(), "{relays:?}");
    assert_eq!(
        peers[0].status,
        haven_node::ipc::control::PeerStatus::Synced,
        "{}",
        peers[0].detail
    );
    assert_eq!(
        peers[0].traffic.path,
        Some(haven_sync::net::PathKind::Direct)
    );
    phone_daemon.stop().await;
    laptop_daemon.stop().await;
    let texts = phone.texts(&phone.node.vault().personal());
    assert_eq!(texts, ["written after pairing"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_daemon_syncs_once_unlocked_and_stops_at_lock() {
    let laptop = Device::new("laptop", "Robin");
    let phone = Device::new("phone", "Robin");
    let (p, j) = common::pair(&laptop, &phone, haven_sync::ticket::Scope::Devices).await;
    p.unwrap();
    j.unwrap();
    let daemon = Daemon::start_locked(&laptop).await;
    // Locked: it says so, binds nothing, and refuses work that needs the key.
    let Some(Reply::Status(status)) = control_ask(&laptop, Request::Status).await else {
        panic!("no status")
    };
    assert!(status.locked);
    assert!(status.addrs.is_empty());
    let refused = control_ask(
        &laptop,
        Request::Sync {
            peer: None,
            offer: Vec::new(),
            devices: Vec::new(),
        },
    )
    .await;
    assert!(matches!(refused, Some(Reply::Locked)), "{refused:?}");
    let unreached = sync_laptop(&phone, &laptop).await;
    assert!(
        matches!(unreached, PeerOutcome::Unreachable(_)),
        "locked, it does not answer"
    );

    // A wrong key is refused and it stays locked.
    let stranger = Device::new("other", "Eve");
    let wrong = identity_of(&stranger);
    let answer = control_ask(&laptop, Request::Unlock { identity: wrong }).await;
    assert!(matches!(answer, Some(Reply::Error { .. })), "{answer:?}");
    // The right key: it syncs.
    let answer = control_ask(
        &laptop,
        Request::Unlock {
            identity: identity_of(&laptop),
        },
    )
    .await;
    assert!(matches!(answer, Some(Reply::Unlocked)), "{answer:?}");
    let Some(Reply::Status(status)) = control_ask(&laptop, Request::Status).await else {
        panic!("no status")
    };
    assert!(!status.locked);
    phone.write(&phone.node.vault().personal(), 1, "while unlocked");
    let synced = sync_laptop(&phone, &laptop).await;
    assert!(
        matches!(synced, PeerOutcome::Synced(..)),
        "unlocked, it syncs"
    );

    // Lock: it stops syncing and says so again.
    let answer = control_ask(&laptop, Request::Lock).await;
    assert!(matches!(answer, Some(Reply::Locked)), "{answer:?}");
    let Some(Reply::Status(status)) = control_ask(&laptop, Request::Status).await else {
        panic!("no status")
    };
    assert!(status.locked);
    phone.write(&phone.node.vault().personal(), 2, "after the lock");
    let refused = sync_laptop(&phone, &laptop).await;
    assert!(
        matches!(refused, PeerOutcome::Unreachable(_)),
        "locked again, it does not answer"
    );
    daemon.stop().await;
    assert_eq!(
        laptop.texts(&laptop.node.vault().personal()),
        ["while unlocked"]
    );
}

/// The identity of `device`'s vault, as `haven unlock` hands it over.
fn identity_of(device: &Device) -> Identity {
    let secret = device.node.keys.identity_secret();
    Identity::new(zeroize::Zeroizing::new(secret.expose_secret().to_string()))
}

/// `phone` syncs with `laptop` alone, on an endpoint of its own on a free port (an
/// endpoint that timed out reaching a locked daemon may still hold its usual one).
async fn sync_laptop(phone: &Device, laptop: &Device) -> PeerOutcome {
    let targets = phone.node.sync_targets(Some(&laptop.id())).unwrap();
    let mut config = phone.node.config.clone();
    config.bind = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let secret = phone.node.secret().unwrap();
    let endpoint = haven_sync::net::bind(&secret, &config).await.unwrap();
    let mut rows = node::sync_now(&phone.node, &endpoint, &targets, &[]).await;
    endpoint.close().await;
    assert_eq!(rows.len(), 1);
    rows.remove(0).1
}
