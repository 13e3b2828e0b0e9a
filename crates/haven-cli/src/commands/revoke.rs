//! `haven revoke`: stop all further sync with a device.

use std::process::ExitCode;

use serde_json::json;

use std::time::Duration;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;
use haven_node::ipc::control::{self, Reply, Request};
use haven_node::{Purpose, fingerprint};

/// Stop all further sync with a device, in every journal it is a member of; a running
/// daemon closes its live connections at once. Every device that learns of the revocation
/// refuses it too. What it already has cannot be taken back.
///
/// On a terminal it asks first; scripts pass --yes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The device id, or a unique prefix of it (at least 4 characters; see `haven devices`)
    device: String,
    /// Revoke without asking
    #[arg(long)]
    yes: bool,
}

/// The shortest prefix taken, so that a slip of the keyboard cannot pick a device.
const MIN_PREFIX: usize = 4;

/// Runs `haven revoke`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let typed = args.device.trim();
    if typed.replace('-', "").chars().count() < MIN_PREFIX {
        return Err(CliError::new(format!(
            "`{}` is too short to name a device; nothing was revoked",
            output::clean(typed, false)
        ))
        .hint(
            "give at least 4 characters of its id, as `haven devices` or `haven members` show it",
        ));
    }
    let node = ctx.node(Purpose::Local)?;
    let device = match node.find_device(typed) {
        Ok(device) => device,
        Err(haven_node::NodeError::NoDeviceMatches(_)) => {
            if let Some(ended) = node.find_ended_device(typed)? {
                let how = match ended.ending {
                    Some(haven_model::members::Ending::Left { .. }) => "left",
                    _ => "already revoked",
                };
                if ctx.json {
                    output::print_json(
                        &json!({"revoked": ended.device, "already": true, "journals": 0}),
                    )?;
                } else if !ctx.quiet {
                    println!(
                        "{} ({}, {}) is {how} in every journal it shared with this device; nothing to do.",
                        fingerprint(&ended.device),
                        output::name(&ended.device_name),
                        output::name(&ended.person)
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            return Err(haven_node::NodeError::NoDeviceMatches(typed.to_string()).into());
        }
        Err(e) => return Err(e.into()),
    };
    if !args.yes {
        let who = node
            .known_devices()?
            .get(&device)
            .map(|m| {
                format!(
                    "{} ({}, {})",
                    fingerprint(&device),
                    output::name(&m.device_name),
                    output::name(&m.person)
                )
            })
            .unwrap_or_else(|| fingerprint(&device));
        if !ctx.can_ask {
            return Err(CliError::new(format!(
                "revoking {who} needs confirmation; nothing was revoked"
            ))
            .hint("run it on a terminal to be asked, or pass --yes"));
        }
        let question = format!(
            "Revoke {who}? It will not sync with you again, in any journal, and what it already has stays with it."
        );
        if !crate::prompt::confirm(&question)? {
            if !ctx.quiet {
                println!("Nothing was revoked.");
            }
            return Ok(ExitCode::SUCCESS);
        }
    }
    let count = node.revoke(&device)?;
    // A running daemon may be in a session with it right now: close it.
    let closed = match control::ask(
        &ctx.daemon_socket(),
        &Request::Cut {
            device: device.clone(),
        },
        Duration::from_secs(3),
    ) {
        Some(Reply::Cut { closed }) => closed,
        _ => 0,
    };
    if ctx.json {
        output::print_json(
            &json!({"revoked": device, "journals": count, "connections_closed": closed}),
        )?;
    } else if !ctx.quiet {
        let journals = if count == 1 { "journal" } else { "journals" };
        println!("Revoked {} from {count} {journals}.", fingerprint(&device));
        println!(
            "It can no longer sync with this device, nor with any device that learns of this."
        );
        if closed > 0 {
            let noun = if closed == 1 {
                "connection"
            } else {
                "connections"
            };
            println!("Closed {closed} live {noun} with it.");
        }
        println!("What it already has cannot be taken back.");
    }
    Ok(ExitCode::SUCCESS)
}
