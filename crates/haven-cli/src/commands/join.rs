//! `haven join`: join with a ticket from another device.

use std::process::ExitCode;

use haven_node::ipc::control::{Client, Reply, Request};
use haven_node::{Purpose, fingerprint, pairing};
use haven_sync::ticket::Ticket;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
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
    let request = Request::Join {
        ticket: ticket.to_string(),
    };
    // Through the running daemon, on its endpoint, when there is one.
    let joined = match Client::open(&ctx.daemon_socket(), &request, None) {
        Some(mut daemon) => match daemon.next_reply() {
            Some(Reply::Joined(joined)) => joined,
            Some(Reply::PairFailed { message, kind }) => {
                return Err(CliError::pairing(message, kind));
            }
            Some(Reply::Error { message, .. }) => return Err(CliError::new(message)),
            Some(Reply::Locked) => return Err(CliError::daemon_locked()),
            _ => return Err(CliError::daemon_answer()),
        },
        None => {
            let node = ctx.node(Purpose::Network)?;
            let rt = ctx.runtime()?;
            rt.block_on(pairing::join(&node, &ticket))?
        }
    };
    let inviter = &joined.inviter;
    if ctx.json {
        output::print_json(&json!({
            "joined": inviter,
            "fingerprint": fingerprint(inviter),
            "device_name": joined.device_name,
            "person": joined.person,
            "journals": joined.journals,
        }))?;
    } else if !ctx.quiet {
        println!(
            "Joined {}'s {} (fingerprint {}; compare it with theirs). Journals: {}.",
            clean(&joined.person, false),
            clean(&joined.device_name, false),
            fingerprint(inviter),
            clean(&joined.journals.join(", "), false)
        );
    }
    Ok(ExitCode::SUCCESS)
}
