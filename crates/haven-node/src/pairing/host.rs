//! The inviter's half of pairing: show a ticket, then serve every connection that comes
//! concurrently until one presents the ticket's secret, and pair with that one.
//!
//! An [`Invitation`] is the ticket being shown; a [`PairHandler`] is the protocol handler of
//! an endpoint's router for the pairing ALPN, which hands each connection to the invitation
//! shown now (or refuses it when there is none). [`host_pairing`] does all of it on an
//! endpoint of its own; a running daemon does it on its one endpoint.
//!
//! Each connection gets a short deadline for its first message, so a silent or wrong
//! connection never holds up the real joiner; every refusal says why (wrong ticket, already
//! used, expired, an older version of Haven).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use haven_model::members::{Member, Role};
use haven_store::JournalStore;
use haven_sync::JournalKey;
use haven_sync::pair::PairMsg;
use haven_sync::ticket::{Scope, Ticket};
use haven_sync::{PAIR_ALPN, net as hnet};
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use tokio::sync::mpsc;

use crate::config::Clock;

use crate::error::{NodeError, PairError};
use crate::node::{Loaded, Node, SharedJournal, device_bytes, key_bytes};

type Result<T, E = PairError> = std::result::Result<T, E>;

/// How long a connection may take to present a ticket.
const FIRST_MESSAGE: Duration = Duration::from_secs(5);

/// What a pairing achieved, for printing.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Paired {
    /// The other device's id.
    pub device: String,
    /// Its name.
    pub device_name: String,
    /// Its person.
    pub person: String,
    /// Journals now shared with it, by local alias.
    pub journals: Vec<String>,
}

/// A connection that presented the right secret in time.
struct Knock {
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    joiner: String,
    device_name: String,
    person: String,
    addrs: Vec<std::net::SocketAddr>,
    relay: Option<String>,
}

/// Refuses a pairing connection with a reason, and lets the refusal arrive.
async fn refuse(conn: &Connection, send: &mut SendStream, reason: &str) {
    let _ = hnet::send(
        send,
        &PairMsg::Refused {
            reason: reason.into(),
        },
        FIRST_MESSAGE,
    )
    .await;
    let _ = send.finish();
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
}

/// A ticket being shown: its secret, scope and expiry, and where the first connection
/// that presents it goes.
pub struct Invitation {
    state: Mutex<haven_sync::pair::Invitation>,
    expires_at_ms: i64,
    clock: Clock,
    found: mpsc::Sender<Knock>,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// The connections that presented an invitation's secret in time (at most one).
pub struct Knocks(mpsc::Receiver<Knock>);

impl Invitation {
    /// A new invitation into `scope` on `endpoint`, valid until `expires_at_ms`: the ticket
    /// to show, and where the joiner's connection arrives.
    pub fn open(
        net: &Node,
        endpoint: &iroh::Endpoint,
        scope: Scope,
        expires_at_ms: i64,
    ) -> Result<(Arc<Invitation>, Ticket, Knocks)> {
        let (addrs, relay) = hnet::own_addrs(endpoint);
        let inviter = device_bytes(net.me()).ok_or(NodeError::MalformedId)?;
        let secret: [u8; 16] = rand::random();
        let ticket = Ticket {
            inviter,
            addrs,
            relay,
            secret,
            scope,
            expires_at_ms,
        };
        let (found, knocks) = mpsc::channel(1);
        let invitation = Invitation {
            state: Mutex::new(haven_sync::pair::Invitation::new(secret, expires_at_ms)),
            expires_at_ms,
            clock: net.clock(),
            found,
        };
        Ok((Arc::new(invitation), ticket, Knocks(knocks)))
    }

    /// Serves one pairing connection up to its first message; hands it on when it presents
    /// the ticket's secret and the ticket is still unused.
    pub async fn knock(&self, conn: Connection) {
        knock(conn, self).await;
    }
}

/// The protocol handler for pairing on an endpoint's router: each connection goes to the
/// invitation shown now, and is refused when there is none.
#[derive(Debug, Clone, Default)]
pub struct PairHandler {
    current: Arc<Mutex<Option<Arc<Invitation>>>>,
    /// Room for connections waiting on their first message (see [`crate::courtesy`]).
    courtesy: crate::courtesy::Courtesy,
}

/// An invitation being shown by a [`PairHandler`]; it is withdrawn when this is dropped.
pub struct Showing {
    current: Arc<Mutex<Option<Arc<Invitation>>>>,
}

impl Drop for Showing {
    fn drop(&mut self) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl PairHandler {
    /// Shows `invitation` until the returned guard is dropped; `None` when another one is
    /// shown already (one pairing at a time).
    pub fn show(&self, invitation: Arc<Invitation>) -> Option<Showing> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if current.is_some() {
            return None;
        }
        *current = Some(invitation);
        Some(Showing {
            current: Arc::clone(&self.current),
        })
    }
}

impl ProtocolHandler for PairHandler {
    async fn accept(&self, conn: Connection) -> std::result::Result<(), AcceptError> {
        let shown = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(_room) = self.courtesy.room() else {
            conn.close(1u32.into(), b"busy");
            return Ok(());
        };
        match shown {
            Some(invitation) => invitation.knock(conn).await,
            None => refuse_unasked(conn).await,
        }
        Ok(())
    }
}

/// Refuses a pairing connection when no ticket is shown, saying so.
async fn refuse_unasked(conn: Connection) {
    if let Ok(Ok((mut send, _recv))) = tokio::time::timeout(FIRST_MESSAGE, conn.accept_bi()).await {
        refuse(&conn, &mut send, "no pairing in progress on this device").await;
    }
    conn.close(1u32.into(), b"no pairing in progress");
}

/// Serves one incoming connection up to its first message; hands it on when it presents
/// the ticket's secret and the ticket is still unused.
async fn knock(conn: Connection, invitation: &Invitation) {
    let alpn = conn.alpn().to_vec();
    let Ok(Ok((mut send, mut recv))) = tokio::time::timeout(FIRST_MESSAGE, conn.accept_bi()).await
    else {
        conn.close(1u32.into(), b"no stream opened in time");
        return;
    };
    if alpn == haven_sync::OLD_ALPNS[1] {
        let why = "this device runs a newer version of Haven; upgrade Haven on the joining device";
        refuse(&conn, &mut send, why).await;
        return;
    }
    if alpn != PAIR_ALPN {
        conn.close(1u32.into(), b"not expecting this protocol now");
        return;
    }
    let joiner = hex::encode(conn.remote_id().as_bytes());
    let Ok(first) = hnet::recv::<PairMsg>(&mut recv, FIRST_MESSAGE).await else {
        refuse(&conn, &mut send, "expected a ticket").await;
        return;
    };
    let now = (invitation.clock)();
    let admitted = invitation
        .state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .on_first_message(first, now);
    let admitted = match admitted {
        Ok(admitted) => admitted,
        Err(why) => {
            refuse(&conn, &mut send, &why.to_string()).await;
            return;
        }
    };
    let knock = Knock {
        conn,
        send,
        recv,
        joiner,
        device_name: admitted.device_name,
        person: admitted.person,
        addrs: admitted.addrs,
        relay: admitted.relay,
    };
    let _ = invitation.found.send(knock).await;
}

/// Hosts a pairing on an endpoint of its own: prints nothing itself; `show` is called
/// with the ticket once the endpoint is up. Serves connections concurrently until one
/// joiner presents the ticket's secret, then pairs with it, until the ticket expires.
pub async fn host_pairing(
    net: &Node,
    scope: Scope,
    role: Role,
    expires_at_ms: i64,
    show: impl FnOnce(&Ticket),
) -> Result<Paired> {
    let secret_key = net.secret()?;
    let endpoint = hnet::bind(&secret_key, &net.config)
        .await
        .map_err(NodeError::from)?;
    wait_for_own_relay(net, &endpoint).await;
    let pairing = PairHandler::default();
    let router = Router::builder(endpoint)
        .accept(PAIR_ALPN, pairing.clone())
        .accept(haven_sync::OLD_ALPNS[1], pairing.clone())
        .spawn();
    let (invitation, ticket, knocks) =
        Invitation::open(net, router.endpoint(), scope.clone(), expires_at_ms)?;
    let showing = pairing.show(invitation);
    show(&ticket);
    let result = await_joiner(net, &scope, role, knocks, expires_at_ms).await;
    drop(showing);
    let _ = router.shutdown().await;
    result
}

/// A joiner that cannot reach this device's addresses comes through the relay the ticket
/// names: with a relay of your own in the config, wait (a few seconds at most) until the
/// endpoint has it, so that the ticket names it.
pub async fn wait_for_own_relay(net: &Node, endpoint: &iroh::Endpoint) {
    if let hnet::Relay::Url(url) = &net.config.relay
        && !hnet::own_relay_ready(endpoint, &net.config, hnet::OWN_RELAY_WAIT).await
    {
        tracing::warn!(
            relay = %url,
            "the relay did not answer within {} s; the ticket names only this device's addresses",
            hnet::OWN_RELAY_WAIT.as_secs()
        );
    }
}

/// Waits for the joiner of an invitation and pairs with it, or gives up when the ticket
/// expires.
pub async fn await_joiner(
    net: &Node,
    scope: &Scope,
    role: Role,
    mut knocks: Knocks,
    expires_at_ms: i64,
) -> Result<Paired> {
    let left = u64::try_from(expires_at_ms - net.now_ms()).unwrap_or(0);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(left);
    tokio::select! {
        knock = knocks.0.recv() => match knock {
            Some(knock) => pair_with(net, scope, role, knock).await,
            None => Err(NodeError::EndpointClosed.into()),
        },
        _ = tokio::time::sleep_until(deadline) => Err(PairError::NobodyJoined),
    }
}

/// Pairs with the joiner that presented the secret: adds it to the scope's journals,
/// welcomes it, and syncs them with it on the same connection.
async fn pair_with(net: &Node, scope: &Scope, role: Role, knock: Knock) -> Result<Paired> {
    let Knock {
        conn,
        mut send,
        mut recv,
        joiner,
        device_name,
        person,
        addrs,
        relay,
    } = knock;
    let timeout = net.config.step_timeout;
    let all = net.journals()?;
    let chosen: Vec<&SharedJournal> = all
        .iter()
        .filter(|(k, _, members, _)| match scope {
            Scope::Devices => members
                .iter()
                .any(|m| m.device == net.me() && m.is_active()),
            Scope::Journal(key) => k == key,
        })
        .collect();
    let personal = match scope {
        Scope::Devices => {
            let view = net.vault().personal().read_recent(&net.keys, 0)?;
            view.key.as_deref().and_then(key_bytes)
        }
        Scope::Journal(_) => None,
    };
    let member = Member {
        device: joiner.clone(),
        device_name,
        person,
        person_id: String::new(),
        role: None,
        added_by: net.me().to_string(),
        added_at_ms: net.now_ms(),
        revoked_at_ms: None,
        ending: None,
        addrs: Vec::new(),
    };
    // Own devices join as this person's; a partner joins as a person of their own.
    let role = match scope {
        Scope::Devices => None,
        Scope::Journal(_) => Some(role),
    };
    let stores: Vec<&JournalStore> = chosen.iter().map(|(_, s, _, _)| s).collect();
    net.add_member(&stores, &member, role)?;
    let keys: Vec<JournalKey> = chosen.iter().map(|(k, _, _, _)| *k).collect();
    let welcome = PairMsg::Welcome {
        device_name: net.keys.secrets.device_name.clone(),
        person: net.keys.secrets.person_name.clone(),
        journals: keys,
        personal,
    };
    hnet::send(&mut send, &welcome, timeout).await?;
    // The joiner now syncs these journals with us on the same stream.
    let stores = net.journals_for(&joiner)?;
    let _in_session = net.session_begins();
    let Loaded { journals, chunks } = net.load(&stores, &joiner)?;
    let mut session = haven_sync::session::SyncSession::responder(journals);
    let ending = hnet::drive(&mut session, &mut send, &mut recv, None, timeout, |_| {})
        .await
        .map_err(PairError::Sync)?;
    net.persist(&stores, &chunks, session.into_journals(), &joiner)?;
    net.remember(
        &joiner,
        &addrs,
        relay,
        Some((&member.device_name, &member.person)),
        Some(net.now_ms()),
    )?;
    hnet::finish(&conn, ending).await;
    Ok(Paired {
        device: joiner,
        device_name: member.device_name,
        person: member.person,
        journals: chosen.iter().map(|(_, _, _, n)| n.clone()).collect(),
    })
}
