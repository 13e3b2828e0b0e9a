//! `haven revoke`: stop all further sync with a device.

use std::process::ExitCode;

use serde_json::json;

use std::time::Duration;

use crate::context::Context;
use crate::error::Result;
use crate::output;
use haven_node::ipc::control::{self, Reply, Request};
use haven_node::{Purpose, fingerprint};

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
    let node = ctx.node(Purpose::Local)?;
    let device = node.find_device(&args.device)?;
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
        println!("Revoked {} from {count} journal(s).", fingerprint(&device));
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
