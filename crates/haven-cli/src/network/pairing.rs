//! The inviter's half of pairing: show a ticket, then serve every connection that comes
//! concurrently until one presents the ticket's secret, and pair with that one.
//!
//! Each connection gets a short deadline for its first message, so a silent or wrong
//! connection never holds up the real joiner; every refusal says why (wrong ticket, already
//! used, expired, an older version of Haven).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use haven_model::members::Member;
use haven_store::JournalStore;
use haven_sync::JournalKey;
use haven_sync::pair::{PairMsg, clean_name, secrets_match};
use haven_sync::ticket::{Scope, Ticket};
use haven_sync::{PAIR_ALPN, net as hnet};
use iroh::endpoint::{Connection, RecvStream, SendStream};

use super::{Loaded, Net, SharedJournal, device_bytes, net_error};
use crate::error::{CliError, Result};

/// How long a connection may take to present a ticket.
const FIRST_MESSAGE: Duration = Duration::from_secs(5);

/// What a pairing achieved, for printing.
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

/// Serves one incoming connection up to its first message; hands it on when it presents
/// the ticket's secret and the ticket is still unused.
async fn knock(
    incoming: iroh::endpoint::Incoming,
    secret: [u8; 16],
    expires_at_ms: i64,
    used: Arc<AtomicBool>,
    found: tokio::sync::mpsc::Sender<Knock>,
) {
    let Ok(accepting) = incoming.accept() else {
        return;
    };
    let Ok(Ok(conn)) = tokio::time::timeout(FIRST_MESSAGE, accepting).await else {
        return;
    };
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
    let Ok(PairMsg::Join {
        secret: offered,
        device_name,
        person,
        addrs,
        relay,
    }) = hnet::recv::<PairMsg>(&mut recv, FIRST_MESSAGE).await
    else {
        refuse(&conn, &mut send, "expected a ticket").await;
        return;
    };
    if !secrets_match(&offered, &secret) {
        refuse(
            &conn,
            &mut send,
            "this is not the ticket this device is showing",
        )
        .await;
        return;
    }
    if jiff::Timestamp::now().as_millisecond() >= expires_at_ms {
        refuse(&conn, &mut send, "the ticket has expired").await;
        return;
    }
    if used.swap(true, Ordering::SeqCst) {
        refuse(&conn, &mut send, "the ticket was already used").await;
        return;
    }
    let knock = Knock {
        conn,
        send,
        recv,
        joiner,
        device_name: clean_name(&device_name),
        person: clean_name(&person),
        addrs: addrs.into_iter().take(16).collect(),
        relay: relay.filter(|r| r.len() <= 256),
    };
    let _ = found.send(knock).await;
}

/// Hosts a pairing: prints nothing itself; `show` is called with the ticket once the
/// endpoint is up. Serves connections concurrently until one joiner presents the ticket's
/// secret, then pairs with it, until the ticket expires.
pub async fn host_pairing(
    net: &Net,
    scope: Scope,
    expires_at_ms: i64,
    show: impl FnOnce(&Ticket),
) -> Result<Paired> {
    let secret_key = net.secret()?;
    let endpoint = hnet::bind(&secret_key, &net.config)
        .await
        .map_err(net_error)?;
    let (addrs, relay) = hnet::own_addrs(&endpoint);
    let inviter =
        device_bytes(net.me()).ok_or_else(|| CliError::new("this device's id is malformed"))?;
    let secret: [u8; 16] = rand::random();
    let ticket = Ticket {
        inviter,
        addrs,
        relay,
        secret,
        scope: scope.clone(),
        expires_at_ms,
    };
    show(&ticket);
    let left = u64::try_from(expires_at_ms - jiff::Timestamp::now().as_millisecond()).unwrap_or(0);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(left);
    let used = Arc::new(AtomicBool::new(false));
    let (found, mut knocks) = tokio::sync::mpsc::channel(4);
    let result = loop {
        tokio::select! {
            incoming = endpoint.accept() => {
                let Some(incoming) = incoming else {
                    break Err(CliError::new("the network endpoint closed"));
                };
                tokio::spawn(knock(incoming, secret, expires_at_ms, Arc::clone(&used), found.clone()));
            }
            Some(knock) = knocks.recv() => {
                break pair_with(net, &scope, knock).await;
            }
            _ = tokio::time::sleep_until(deadline) => {
                break Err(CliError::new("the ticket expired before anyone joined")
                    .hint("run the command again for a new ticket"));
            }
        }
    };
    endpoint.close().await;
    result
}

/// Pairs with the joiner that presented the secret: adds it to the scope's journals,
/// welcomes it, and syncs them with it on the same connection.
async fn pair_with(net: &Net, scope: &Scope, knock: Knock) -> Result<Paired> {
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
            let view = net.vault.personal().read_recent(&net.keys, 0)?;
            view.key.as_deref().and_then(super::key_bytes)
        }
        Scope::Journal(_) => None,
    };
    let member = Member {
        device: joiner.clone(),
        device_name,
        person,
        added_by: net.me().to_string(),
        added_at_ms: jiff::Timestamp::now().as_millisecond(),
        revoked_at_ms: None,
        addrs: Vec::new(),
    };
    let stores: Vec<&JournalStore> = chosen.iter().map(|(_, s, _, _)| s).collect();
    net.add_member(&stores, &member)?;
    let keys: Vec<JournalKey> = chosen.iter().map(|(k, _, _, _)| *k).collect();
    let welcome = PairMsg::Welcome {
        device_name: net.keys.secrets.device_name.clone(),
        person: net.keys.secrets.person_name.clone(),
        journals: keys,
        personal,
    };
    hnet::send(&mut send, &welcome, timeout)
        .await
        .map_err(net_error)?;
    // The joiner now syncs these journals with us on the same stream.
    let stores = net.journals_for(&joiner)?;
    let Loaded { journals, chunks } = net.load(&stores, &joiner)?;
    let mut session = haven_sync::session::SyncSession::responder(journals);
    let ending = hnet::drive(&mut session, &mut send, &mut recv, None, timeout)
        .await
        .map_err(|e| {
            CliError::new(format!("pairing failed while syncing: {e}"))
                .hint("run the command again for a new ticket")
        })?;
    net.persist(&stores, &chunks, session.into_journals(), &joiner)?;
    net.remember(
        &joiner,
        &addrs,
        relay,
        Some((&member.device_name, &member.person)),
        Some(jiff::Timestamp::now().as_millisecond()),
    )?;
    hnet::finish(&conn, ending).await;
    Ok(Paired {
        device: joiner,
        device_name: member.device_name,
        person: member.person,
        journals: chosen.iter().map(|(_, _, _, n)| n.clone()).collect(),
    })
}
