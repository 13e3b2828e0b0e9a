//! `haven revoke`: stop all further sync with a device.

use std::process::ExitCode;

use haven_model::members;
use serde_json::json;

use std::time::Duration;

use crate::context::Context;
use crate::control::{self, Reply, Request};
use crate::error::{CliError, Result};
use crate::network::{self, Net};
use crate::output;

/// Stop all further sync with a device, in every journal it is a member of; a running
/// daemon closes its live connections at once. Every device that learns of the revocation
/// refuses it too. What it already has cannot be taken back.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The device id (or a unique prefix of it)
    device: String,
}

/// Runs `haven revoke`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let net = Net::open_local(ctx)?;
    let wanted = args.device.to_lowercase().replace('-', "");
    let known = net.known_devices()?;
    let matches: Vec<&String> = known.keys().filter(|d| d.starts_with(&wanted)).collect();
    let device = match matches.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(
                CliError::new(format!("no device matches `{}`", args.device))
                    .hint("see `haven devices` and `haven members`"),
            );
        }
        _ => {
            return Err(CliError::new(format!(
                "`{}` matches {} devices",
                args.device,
                matches.len()
            ))
            .hint("type more of the id"));
        }
    };
    if device == net.me() {
        return Err(CliError::new("this is the device you are on")
            .hint("revoke it from another of your devices"));
    }
    let at = jiff::Timestamp::now().as_millisecond();
    let mut count = 0;
    for (_, store) in net.journals_for(&device)? {
        store.change(&net.keys, |doc| {
            Ok(members::revoke_member(doc, &device, at)?)
        })?;
        count += 1;
    }
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
        println!(
            "Revoked {} from {count} journal(s).",
            network::fingerprint(&device)
        );
        println!(
            "It can no longer sync with this device, nor with any device that learns of this."
        );
        if closed > 0 {
            println!("Closed {closed} live connection(s) with it.");
        }
        println!("What it already has cannot be taken back.");
    }
    Ok(ExitCode::SUCCESS)
}
