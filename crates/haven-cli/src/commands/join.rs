//! `haven join`: join with a ticket from another device.

use std::process::ExitCode;
use std::time::Duration;

use haven_model::JournalKind;
use haven_sync::pair::{PairMsg, check_welcome, clean_name};
use haven_sync::ticket::Ticket;
use haven_sync::{PAIR_ALPN, net as hnet};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::network::{self, Loaded, Net, net_error};
use crate::output::{self, clean};
use crate::prompt;

/// Join with a ticket printed by `haven invite` (your own device) or `haven share` (a
/// partner's journal). Both devices show each other's fingerprint to compare.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ticket (asked for when missing, on a terminal)
    ticket: Option<String>,
}

/// Runs `haven join`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let text = match args.ticket {
        Some(t) => t,
        None if ctx.can_ask => prompt::text("Ticket:", true)?,
        None => {
            return Err(CliError::new("no ticket given")
                .hint("haven join <ticket from `haven invite` or `haven share`>"));
        }
    };
    let ticket: Ticket = text
        .trim()
        .parse()
        .map_err(|e: haven_sync::ticket::TicketError| {
            CliError::new(e.to_string()).hint("copy the whole ticket, starting with `haven1`")
        })?;
    let now = jiff::Timestamp::now().as_millisecond();
    if ticket.is_expired(now) {
        return Err(CliError::new("this ticket has expired")
            .hint("ask for a new one (`haven invite` or `haven share` on the other device)"));
    }
    let net = Net::open(ctx)?;
    let inviter = hex::encode(ticket.inviter);
    if inviter == net.me() {
        return Err(CliError::new("this ticket was made by this very device")
            .hint("run `haven join` on the other device"));
    }
    let rt = network::runtime()?;
    let joined = rt.block_on(join(&net, &ticket, &inviter))?;
    let (welcome, journals) = (joined.names, joined.journals);
    if ctx.json {
        output::print_json(&json!({
            "joined": inviter,
            "fingerprint": network::fingerprint(&inviter),
            "device_name": welcome.0,
            "person": welcome.1,
            "journals": journals,
        }))?;
    } else if !ctx.quiet {
        println!(
            "Joined {}'s {} (fingerprint {}; compare it with theirs). Journals: {}.",
            clean(&welcome.1, false),
            clean(&welcome.0, false),
            network::fingerprint(&inviter),
            clean(&journals.join(", "), false)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What a join achieved.
struct Joined {
    /// The inviter's device and person names.
    names: (String, String),
    /// The local aliases of the journals joined.
    journals: Vec<String>,
}

/// Joins with `ticket`: presents its secret, holds the welcome to the ticket's scope,
/// creates local copies of the journals, syncs them, and for a devices ticket takes the
/// inviter's personal journal (as its welcome names it) as this device's own.
async fn join(net: &Net, ticket: &Ticket, inviter: &str) -> Result<Joined> {
    let timeout = net.config.step_timeout;
    let secret = net.secret()?;
    let endpoint = hnet::bind(&secret, &net.config).await.map_err(net_error)?;
    let (addrs, relay) = hnet::own_addrs(&endpoint);
    let addr = hnet::ticket_addr(ticket).map_err(net_error)?;
    let where_ = ticket
        .addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let (conn, mut send, mut recv) =
        hnet::connect(&endpoint, addr, PAIR_ALPN, Duration::from_secs(15))
            .await
            .map_err(|e| {
                CliError::new(format!("cannot reach the inviting device at {where_}: {e}")).hint(
                    "`haven invite` or `haven share` must still be waiting on the other device (it stops once a device joined or the ticket expired), on a network that reaches this one",
                )
            })?;
    let join = PairMsg::Join {
        secret: ticket.secret,
        device_name: net.keys.secrets.device_name.clone(),
        person: net.keys.secrets.person_name.clone(),
        addrs,
        relay,
    };
    hnet::send(&mut send, &join, timeout)
        .await
        .map_err(net_error)?;
    let reply: PairMsg = hnet::recv(&mut recv, timeout).await.map_err(net_error)?;
    let (device_name, person, offered, personal) = match reply {
        PairMsg::Welcome {
            device_name,
            person,
            journals,
            personal,
        } => (
            clean_name(&device_name),
            clean_name(&person),
            journals,
            personal,
        ),
        PairMsg::Refused { reason } => {
            return Err(CliError::new(format!(
                "the other device refused: {}",
                clean(&reason, false)
            ))
            .hint("ask for a new ticket"));
        }
        PairMsg::Join { .. } => {
            return Err(CliError::new("the other device answered out of turn"));
        }
    };
    let (keys, personal) = check_welcome(&ticket.scope, &offered, personal).map_err(|e| {
        CliError::new(format!("{e}; nothing was joined"))
            .hint("compare the fingerprints; ask for a new ticket from a device you trust")
    })?;
    // Create local copies of the journals we were welcomed into, and sync them.
    let mut stores = std::collections::BTreeMap::new();
    let mut made = Vec::new();
    for key in &keys {
        let existed = net
            .vault
            .find_by_key(&net.keys, &hex::encode(key))?
            .is_some();
        let store = net.vault.adopt_journal(&net.keys, &hex::encode(key))?;
        if !existed {
            made.push(store.clone());
        }
        stores.insert(*key, store);
    }
    let discard = |err: CliError| {
        for store in &made {
            let _ = net.vault.discard_journal(store);
        }
        err
    };
    let Loaded { journals, chunks } = net.load(&stores, inviter).map_err(discard)?;
    let (mut session, hello) = haven_sync::session::SyncSession::initiator(journals);
    let ending = hnet::drive(&mut session, &mut send, &mut recv, Some(hello), timeout)
        .await
        .map_err(|e| {
            discard(
                CliError::new(format!(
                    "pairing failed while syncing: {e}; nothing from it was kept"
                ))
                .hint("ask for a new ticket"),
            )
        })?;
    let more = session.paused().is_some() || !session.in_sync();
    let results = session.into_journals();
    // Before keeping anything: a journal ticket is for a shared journal, and the journal a
    // devices ticket names as the inviter's personal one must be a personal journal.
    for (key, j) in &results {
        let kind = haven_model::schema::read_meta(&j.doc)
            .ok()
            .flatten()
            .map(|m| m.kind);
        let shared_ticket = matches!(ticket.scope, haven_sync::ticket::Scope::Journal(_));
        if shared_ticket && kind != Some(JournalKind::Shared) {
            return Err(discard(
                CliError::new(
                    "the journal this ticket offers is not a shared journal; nothing was joined",
                )
                .hint("ask for a new ticket from `haven share`"),
            ));
        }
        if personal == Some(*key) && kind != Some(JournalKind::Personal) {
            return Err(discard(
                CliError::new(
                    "the journal the inviting device named as its personal one is not; nothing was joined",
                )
                .hint("compare the fingerprints; ask for a new ticket"),
            ));
        }
    }
    net.persist(&stores, &chunks, results, inviter)
        .map_err(discard)?;
    hnet::finish(&conn, ending).await;
    net.remember(
        inviter,
        &ticket.addrs,
        ticket.relay.clone(),
        Some((&device_name, &person)),
        Some(jiff::Timestamp::now().as_millisecond()),
    )?;
    // A large journal may need more than one session: go on through the sync engine.
    if more {
        let info = net.peers().get(inviter).cloned().unwrap_or_default();
        let _ = network::sync_with(net, &endpoint, inviter, &info, &[]).await;
    }
    endpoint.close().await;
    // Joining one of my own devices: its personal journal becomes this device's.
    if let Some(key) = personal
        && let Some(store) = stores.get(&key)
    {
        let mut vault = net.vault.clone();
        vault.take_personal(&net.keys, store)?;
    }
    let journals = net
        .vault
        .journals(&net.keys)?
        .into_iter()
        .filter(|j| {
            stores.values().any(|s| s.id() == j.store.id()) || (personal.is_some() && j.personal)
        })
        .filter_map(|j| j.alias)
        .collect();
    Ok(Joined {
        names: (device_name, person),
        journals,
    })
}
