//! The joiner's half of pairing: present the ticket's secret, hold the welcome to the
//! ticket's scope, adopt the journals it offers, sync them on the same connection, and for
//! a devices ticket take the inviter's personal journal as this device's own.

use std::time::Duration;

use haven_sync::pair::{Joining, PairMsg};
use haven_sync::ticket::Ticket;
use haven_sync::{PAIR_ALPN, net as hnet};

use crate::error::{NodeError, PairError};
use crate::node::{Loaded, Node, sync_with};

type Result<T, E = PairError> = std::result::Result<T, E>;

/// What a join achieved.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Joined {
    /// The inviter's device id.
    pub inviter: String,
    /// The inviter's device name (cleaned).
    pub device_name: String,
    /// The inviter's person (cleaned).
    pub person: String,
    /// The local aliases of the journals joined.
    pub journals: Vec<String>,
}

/// Joins with `ticket`: refuses an expired ticket or one of this device's own, presents its secret, holds the welcome to the ticket's scope,
/// creates local copies of the journals, syncs them, and for a devices ticket takes the
/// inviter's personal journal (as its welcome names it) as this device's own.
pub async fn join(net: &Node, ticket: &Ticket) -> Result<Joined> {
    check_ticket(net, ticket)?;
    let secret = net.secret()?;
    let endpoint = hnet::bind(&secret, &net.config)
        .await
        .map_err(NodeError::from)?;
    let joined = join_on(net, &endpoint, ticket).await;
    hnet::close_within(endpoint, Duration::from_millis(500)).await;
    joined
}

/// Refuses an expired ticket, and one this very device made.
fn check_ticket(net: &Node, ticket: &Ticket) -> Result<()> {
    if ticket.is_expired(net.now_ms()) {
        return Err(PairError::Expired);
    }
    if hex::encode(ticket.inviter) == net.me() {
        return Err(PairError::OwnTicket);
    }
    Ok(())
}

/// Like [`join`], on an endpoint that stays up afterwards (a running daemon's).
pub async fn join_on(net: &Node, endpoint: &iroh::Endpoint, ticket: &Ticket) -> Result<Joined> {
    check_ticket(net, ticket)?;
    let inviter = &hex::encode(ticket.inviter);
    let timeout = net.config.step_timeout;
    // The join message names this device's relay, if the config names one of your own, so
    // that the inviter can come back through it: wait for it first (before connecting, so
    // that the inviter's 5 s for that message are not spent on it).
    hnet::own_relay_ready(endpoint, &net.config, hnet::OWN_RELAY_WAIT).await;
    let (addrs, relay) = hnet::own_addrs(endpoint);
    let addr = hnet::ticket_addr(ticket)?;
    let where_ = ticket
        .addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let (conn, mut send, mut recv) =
        hnet::connect(endpoint, addr, PAIR_ALPN, Duration::from_secs(15))
            .await
            .map_err(|source| PairError::Unreachable { at: where_, source })?;
    let (joining, join) = Joining::start(
        ticket,
        &net.keys.secrets.device_name,
        &net.keys.secrets.person_name,
        addrs,
        relay,
    );
    hnet::send(&mut send, &join, timeout).await?;
    let reply: PairMsg = hnet::recv(&mut recv, timeout).await?;
    let welcomed = joining.on_reply(reply)?;
    let (keys, personal) = (&welcomed.journals, welcomed.personal);
    // Create local copies of the journals we were welcomed into, and sync them.
    let mut stores = std::collections::BTreeMap::new();
    let mut made = Vec::new();
    for key in keys {
        let existed = net
            .vault()
            .find_by_key(&net.keys, &hex::encode(key))?
            .is_some();
        let store = net.vault().adopt_journal(&net.keys, &hex::encode(key))?;
        if !existed {
            made.push(store.clone());
        }
        stores.insert(*key, store);
    }
    let discard = |err: PairError| {
        for store in &made {
            let _ = net.vault().discard_journal(store);
        }
        err
    };
    let _in_session = net.session_begins();
    let Loaded { journals, chunks } = net.load(&stores, inviter).map_err(|e| discard(e.into()))?;
    let (mut session, hello) = haven_sync::session::SyncSession::initiator(journals);
    let ending = hnet::drive(
        &mut session,
        &mut send,
        &mut recv,
        Some(hello),
        timeout,
        |_| {},
    )
    .await
    .map_err(|e| discard(PairError::Sync(e)))?;
    let more = session.paused().is_some() || !session.in_sync();
    let results = session.into_journals();
    // Before keeping anything: what arrived must be what the ticket promised.
    let kinds = results.iter().map(|(key, j)| {
        let meta = haven_model::schema::read_meta(&j.doc).ok().flatten();
        (*key, meta.map(|m| m.kind))
    });
    joining
        .check_kinds(&welcomed, kinds)
        .map_err(|e| discard(e.into()))?;
    net.persist(&stores, &chunks, results, inviter)
        .map_err(|e| discard(e.into()))?;
    hnet::finish(&conn, ending).await;
    net.remember(
        inviter,
        &ticket.addrs,
        ticket.relay.clone(),
        Some((&welcomed.device_name, &welcomed.person)),
        Some(net.now_ms()),
    )?;
    // A large journal may need more than one session: go on through the sync engine.
    if more {
        let info = net.peers().get(inviter).cloned().unwrap_or_default();
        let _ = sync_with(net, endpoint, inviter, &info, &[]).await;
    }
    // Joining one of my own devices: its personal journal becomes this device's.
    if let Some(key) = personal
        && let Some(store) = stores.get(&key)
    {
        net.take_personal(store)?;
    }
    let journals = net
        .vault()
        .journals(&net.keys)?
        .into_iter()
        .filter(|j| {
            stores.values().any(|s| s.id() == j.store.id()) || (personal.is_some() && j.personal)
        })
        .filter_map(|j| j.alias)
        .collect();
    Ok(Joined {
        inviter: inviter.clone(),
        device_name: welcomed.device_name,
        person: welcomed.person,
        journals,
    })
}
