//! `haven lock`: forget the unlocked key now.

use std::process::ExitCode;

use serde_json::json;

use crate::agent;
use crate::context::Context;
use crate::error::Result;
use crate::output;

/// Lock the vault now: the unlock agent forgets the key and exits.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `haven lock`.
pub fn run(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let was_unlocked = agent::stop(&ctx.agent_socket());
    if ctx.json {
        output::print_json(&json!({"was_unlocked": was_unlocked}))?;
    } else if !ctx.quiet {
        println!(
            "{}",
            if was_unlocked {
                "Locked."
            } else {
                "Already locked."
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
