//! `haven lock`: forget the unlocked key now.

use std::process::ExitCode;

use serde_json::json;

use haven_node::ipc::agent;
use haven_node::ipc::control::{self, Reply, Request};

use crate::context::Context;
use crate::error::Result;
use crate::output;

/// Lock the vault now: the unlock agent and a running daemon forget the key.
///
/// The agent exits; the daemon stops syncing until the next `haven unlock`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `haven lock`.
pub fn run(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let was_unlocked = agent::stop(&ctx.agent_socket());
    let timeout = std::time::Duration::from_secs(5);
    let daemon_locked = matches!(
        control::ask(&ctx.daemon_socket(), &Request::Lock, timeout),
        Some(Reply::Locked)
    );
    if ctx.json {
        output::print_json(&json!({"was_unlocked": was_unlocked, "daemon_locked": daemon_locked}))?;
    } else if !ctx.quiet {
        println!(
            "{}",
            if was_unlocked {
                "Locked."
            } else {
                "Already locked."
            }
        );
        if daemon_locked {
            println!("The running daemon stopped syncing; `haven unlock` starts it again.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
