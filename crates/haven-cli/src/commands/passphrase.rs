//! `haven passphrase change`: re-encrypt the identity with a new passphrase.

use std::path::PathBuf;
use std::process::ExitCode;

use haven_store::keys::DEFAULT_WORK_FACTOR;
use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::output;

/// Manage the passphrase that protects this device's key.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Change the passphrase. The old one comes from HAVEN_PASSPHRASE, --passphrase-file or a
    /// prompt; the new one from HAVEN_NEW_PASSPHRASE, --new-passphrase-file or two prompts.
    Change {
        /// Read the new passphrase from the first line of FILE
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// scrypt work factor (log2 N) for the new passphrase; lower only for tests
        #[arg(long, hide = true, default_value_t = DEFAULT_WORK_FACTOR, value_parser = clap::value_parser!(u8).range(10..=19))]
        scrypt_work_factor: u8,
    },
}

/// Runs `haven passphrase`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let Action::Change {
        new_passphrase_file,
        scrypt_work_factor,
    } = args.action;
    let vault = ctx.vault()?;
    let old = ctx.passphrase("Current passphrase: ")?;
    // Check the old passphrase before asking for a new one.
    vault.unlock(&old)?;
    let new = ctx.new_passphrase(
        new_passphrase_file.as_deref(),
        ctx.env_new_passphrase.as_ref(),
    )?;
    ctx.warn_if_weak(&new);
    vault.change_passphrase(&old, &new, scrypt_work_factor, &ctx.now().to_rfc3339())?;
    if ctx.json {
        output::print_json(&json!({"changed": true}))?;
    } else if !ctx.quiet {
        println!("Passphrase changed. An unlock that is running keeps working until it ends.");
    }
    Ok(ExitCode::SUCCESS)
}
