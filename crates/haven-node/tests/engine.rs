//! The engine with two and three nodes in one process, on loopback: pairing, sharing,
//! convergence through a running daemon, revocation, leaving, strangers and a member that
//! sends what no honest device would.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Daemon, Device, pair};
use haven_node::node::{self, PeerOutcome};
use haven_node::{NodeError, PairError};
use haven_sync::ticket::Scope;

/// Syncs `from` with every peer it knows (or those matching `peer`) on an endpoint of its
/// own; returns each peer's outcome.
async fn sync(from: &Device, peer: Option<&str>) -> Vec<PeerOutcome> {
    let targets = from.node.sync_targets(peer).unwrap();
    node::sync_alone(&from.node, &targets, &[])
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|(_, outcome)| outcome)
        .collect()
}

fn arrived(outcomes: &[PeerOutcome]) -> usize {
    outcomes
        .iter()
        .map(|o| match o {
            PeerOutcome::Synced(a, _) => a.iter().map(|a| a.count()).sum(),
            _ => 0,
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_device_takes_the_personal_journal_and_converges_through_the_daemon() {
    let laptop = Device::new("laptop", "Robin");
    let phone = Device::new("phone", "Robin");
    laptop.write(&laptop.node.vault().personal(), 1, "before pairing");
    let (paired, joined) = pair(&laptop, &phone, Scope::Devices).await;
    let (paired, joined) = (paired.unwrap(), joined.unwrap());
    assert_eq!(paired.device, phone.id());
    assert_eq!(paired.person, "Robin");
    assert_eq!(joined.inviter, laptop.id());
    // The phone's personal journal is now the laptop's, with what was in it.
    let personal = phone.node.vault().personal();
    assert_eq!(phone.texts(&personal), ["before pairing"]);
    assert!(phone.node.is_my_device(&laptop.id()));
    assert!(laptop.node.is_my_device(&phone.id()));

    // The laptop's daemon listens where the pairing did: the phone reaches it there.
    let daemon = Daemon::start(&laptop).await;
    phone.write(&personal, 2, "from the phone");
    let outcomes = sync(&phone, None).await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Synced(..)]),
        "{}",
        describe(&outcomes)
    );
    daemon.stop().await;
    let laptop_personal = laptop.node.vault().personal();
    assert_eq!(
        laptop.texts(&laptop_personal),
        ["before pairing", "from the phone"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_gets_the_shared_journal_and_nothing_else() {
    let robin = Device::new("laptop", "Robin");
    let sam = Device::new("phone", "Sam");
    robin.write(&robin.node.vault().personal(), 1, "private thought");
    let us = robin.new_shared("us");
    robin.write(&us, 2, "for both of us");
    let key = robin.key_of(&us);
    let (paired, joined) = pair(&robin, &sam, Scope::Journal(key)).await;
    paired.unwrap();
    let joined = joined.unwrap();
    assert_eq!(joined.journals, ["us"]);
    assert_eq!(sam.aliases(), ["personal", "us"]);
    assert_eq!(sam.texts(&sam.journal("us")), ["for both of us"]);
    // Sam's personal journal is Sam's own: nothing of Robin's arrived there.
    assert!(sam.texts(&sam.node.vault().personal()).is_empty());
    assert!(!sam.node.is_my_device(&robin.id()));
    // Only the shared journal syncs between them, seen from either side.
    assert_eq!(robin.node.journals_for(&sam.id()).unwrap().len(), 1);
    assert_eq!(sam.node.journals_for(&robin.id()).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_converge_and_a_partner_entry_reaches_the_other_device() {
    let laptop = Device::new("laptop", "Robin");
    let phone = Device::new("phone", "Robin");
    let sam = Device::new("tablet", "Sam");
    let us = laptop.new_shared("us");
    let key = laptop.key_of(&us);
    let (p, j) = pair(&laptop, &phone, Scope::Devices).await;
    p.unwrap();
    j.unwrap();
    let (p, j) = pair(&laptop, &sam, Scope::Journal(key)).await;
    p.unwrap();
    j.unwrap();
    // Sam writes; the laptop (daemon) receives it; the phone then gets it from the laptop.
    let daemon = Daemon::start(&laptop).await;
    sam.write(&sam.journal("us"), 1, "thank you for listening");
    // Sam knows both of Robin's devices now (the laptop added the phone to "us"); only the
    // laptop is online.
    let outcomes = sync(&sam, Some(&laptop.id())).await;
    assert_eq!(arrived(&outcomes), 0, "{}", describe(&outcomes));
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Synced(..)]),
        "{}",
        describe(&outcomes)
    );
    let outcomes = sync(&phone, Some(&laptop.id())).await;
    daemon.stop().await;
    assert_eq!(arrived(&outcomes), 1, "{}", describe(&outcomes));
    // The phone knew "us" only by its key: it arrived as a journal of its own.
    let on_phone = phone
        .node
        .vault()
        .find_by_key(&phone.node.keys, &hex::encode(key))
        .unwrap()
        .expect("the shared journal reached the phone");
    assert_eq!(phone.texts(&on_phone), ["thank you for listening"]);
    assert_eq!(
        laptop.texts(&laptop.journal("us")),
        ["thank you for listening"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_partner_is_refused_and_its_later_entries_never_arrive() {
    let robin = Device::new("laptop", "Robin");
    let sam = Device::new("phone", "Sam");
    let us = robin.new_shared("us");
    let key = robin.key_of(&us);
    let (p, j) = pair(&robin, &sam, Scope::Journal(key)).await;
    p.unwrap();
    j.unwrap();
    let found = robin.node.find_device(&sam.id()[..8]).unwrap();
    assert_eq!(found, sam.id());
    assert!(matches!(
        robin.node.find_device(&robin.id()[..8]),
        Err(NodeError::ThisDevice)
    ));
    assert_eq!(robin.node.revoke(&sam.id()).unwrap(), 1);
    assert!(robin.node.journals_for(&sam.id()).unwrap().is_empty());

    let daemon = Daemon::start(&robin).await;
    sam.write(&sam.journal("us"), 1, "after the revocation");
    let outcomes = sync(&sam, None).await;
    daemon.stop().await;
    assert!(
        matches!(outcomes.as_slice(), [PeerOutcome::Failed(_)]),
        "{}",
        describe(&outcomes)
    );
    assert!(robin.texts(&robin.journal("us")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_is_refused_before_any_journal_moves() {
    let robin = Device::new("laptop", "Robin");
    let stranger = Device::new("unknown", "Eve");
    robin.write(&robin.node.vault().personal(), 1, "private thought");
    // The stranger learns Robin's id and address, and claims to be a member.
    stranger
        .node
        .remember(
            &robin.id(),
            &[robin.addr],
            None,
            Some(("laptop", "Robin")),
            None,
        )
        .unwrap();
    let daemon = Daemon::start(&robin).await;
    let info = stranger.node.peers().get(&robin.id()).cloned().unwrap();
    let secret = stranger.node.secret().unwrap();
    let endpoint = haven_sync::net::bind(&secret, &stranger.node.config)
        .await
        .unwrap();
    let outcome = node::sync_with(&stranger.node, &endpoint, &robin.id(), &info, &[]).await;
    // It has no journal in common, so it has nothing to offer; a hello naming Robin's
    // personal journal gets a refusal that names no journal.
    assert!(matches!(outcome, PeerOutcome::NothingShared));
    let key = robin.key_of(&robin.node.vault().personal());
    let addr = haven_sync::net::peer_addr(
        &node::device_bytes(&robin.id()).unwrap(),
        &[robin.addr],
        None,
    )
    .unwrap();
    let (conn, mut send, mut recv) = haven_sync::net::connect(
        &endpoint,
        addr,
        haven_sync::SYNC_ALPN,
        std::time::Duration::from_secs(2),
    )
    .await
    .unwrap();
    let hello = haven_sync::frame::Frame::Hello {
        version: haven_sync::frame::VERSION,
        journals: vec![key],
    };
    let step = std::time::Duration::from_secs(5);
    haven_sync::net::send(&mut send, &hello, step)
        .await
        .unwrap();
    let answer: haven_sync::frame::Frame = haven_sync::net::recv(&mut recv, step).await.unwrap();
    assert!(
        matches!(&answer, haven_sync::frame::Frame::Refused { reason } if reason == "not a member"),
        "{answer:?}"
    );
    conn.close(0u32.into(), b"");
    endpoint.close().await;
    daemon.stop().await;
    assert!(!robin.node.peers().contains_key(&stranger.id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_ticket_and_a_wrong_secret_are_refused_with_reasons() {
    let robin = Device::new("laptop", "Robin");
    let sam = Device::new("phone", "Sam");
    // A ticket made by this very device.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let hosting = haven_node::pairing::host_pairing(
        &robin.node,
        Scope::Devices,
        haven_model::members::Role::Admin,
        common::NOW_MS + 60_000,
        move |t| {
            let _ = tx.send(t.clone());
        },
    );
    let joining = async {
        let mut ticket = rx.await.unwrap();
        let own = haven_node::pairing::join(&robin.node, &ticket).await;
        assert!(matches!(own, Err(PairError::OwnTicket)), "{own:?}");
        let mut expired = ticket.clone();
        expired.expires_at_ms = common::NOW_MS - 1;
        let stale = haven_node::pairing::join(&sam.node, &expired).await;
        assert!(matches!(stale, Err(PairError::Expired)), "{stale:?}");
        ticket.secret = [0; 16];
        let wrong = haven_node::pairing::join(&sam.node, &ticket).await;
        match wrong {
            Err(PairError::Refused(reason)) => {
                assert!(reason.contains("not the ticket"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        // Nothing was joined.
        assert_eq!(sam.aliases(), ["personal"]);
    };
    tokio::select! {
        hosted = hosting => panic!("the pairing ended before the joiner gave up: {:?}", hosted.err()),
        () = joining => {}
    }
    assert!(robin.node.known_devices().unwrap().is_empty());
}

fn describe(outcomes: &[PeerOutcome]) -> String {
    outcomes
        .iter()
        .map(|o| match o {
            PeerOutcome::Synced(a, _) => format!("synced {}", a.len()),
            PeerOutcome::NothingShared => "nothing shared".into(),
            PeerOutcome::Unreachable(w) => format!("unreachable: {w}"),
            PeerOutcome::Failed(w) => format!("failed: {w}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
