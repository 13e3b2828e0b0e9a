//! `haven join`: join with a ticket from another device.

use std::process::ExitCode;
use std::time::Duration;

use haven_sync::pair::{PairMsg, clean_name};
use haven_sync::ticket::Ticket;
use haven_sync::{PAIR_ALPN, net as hnet};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::network::{self, Net, net_error};
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
    let timeout = net.config.step_timeout;
    let (welcome, journals) = rt.block_on(async {
        let secret = net.secret()?;
        let endpoint = hnet::bind(&secret, &net.config).await.map_err(net_error)?;
        let (addrs, relay) = hnet::own_addrs(&endpoint);
        let addr = hnet::ticket_addr(&ticket).map_err(net_error)?;
        let (conn, mut send, mut recv) =
            hnet::connect(&endpoint, addr, PAIR_ALPN, Duration::from_secs(15))
                .await
                .map_err(|e| {
                    CliError::new(format!("{e}")).hint(
                "the inviting device must still be waiting; a used ticket cannot be used again",
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
        let (device_name, person, keys) = match reply {
            PairMsg::Welcome {
                device_name,
                person,
                journals,
            } => (clean_name(&device_name), clean_name(&person), journals),
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
        // Create local copies of the journals we were welcomed into, and sync them.
        let mut stores = std::collections::BTreeMap::new();
        for key in &keys {
            let store = net.vault.adopt_journal(&net.keys, &hex::encode(key))?;
            stores.insert(*key, store);
        }
        let (mut session, hello) =
            haven_sync::session::SyncSession::initiator(net.load(&stores, &inviter)?);
        let ending = hnet::drive(&mut session, &mut send, &mut recv, Some(hello), timeout)
            .await
            .map_err(net_error)?;
        net.persist(&stores, session.into_journals(), &inviter)?;
        // Joining one of my own devices: its personal journal becomes this device's.
        let mut vault = net.vault.clone();
        for store in stores.values() {
            let view = store.read_recent(&net.keys, 0)?;
            if view
                .meta
                .as_ref()
                .is_some_and(|m| m.kind == haven_model::JournalKind::Personal)
            {
                vault.take_personal(&net.keys, store)?;
            }
        }
        net.remember(
            &inviter,
            &ticket.addrs,
            ticket.relay.clone(),
            Some((&device_name, &person)),
            Some(jiff::Timestamp::now().as_millisecond()),
        )?;
        hnet::finish(&conn, ending).await;
        endpoint.close().await;
        let names: Vec<String> = stores
            .values()
            .map(|s| {
                s.read_recent(&net.keys, 0)
                    .ok()
                    .and_then(|v| v.meta.map(|m| m.name))
                    .unwrap_or_default()
            })
            .collect();
        Ok::<_, CliError>(((device_name, person), names))
    })?;
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
