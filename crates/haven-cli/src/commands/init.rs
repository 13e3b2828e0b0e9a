//! `haven init`: create the vault, the device keys and the personal journal.

use std::process::ExitCode;

use haven_store::keys::DEFAULT_WORK_FACTOR;
use haven_store::{InitOptions, Vault};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;

/// Create a new vault: device keys, a passphrase and your personal journal.
///
/// The passphrase comes from HAVEN_PASSPHRASE, --passphrase-file, or is asked twice on the
/// terminal. Running init where a vault exists changes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A name for this device, shown to your other devices [default: the host name]
    #[arg(long, value_name = "NAME")]
    device_name: Option<String>,
    /// Your name, shown to people you share a journal with [default: $USER]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// scrypt work factor (log2 N) for the passphrase; lower only for tests
    #[arg(long, hide = true, default_value_t = DEFAULT_WORK_FACTOR, value_parser = clap::value_parser!(u8).range(10..=19))]
    scrypt_work_factor: u8,
}

/// Runs `haven init`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    ctx.home_is_not_a_file()?;
    if Vault::exists(&ctx.home) {
        return Err(haven_store::StoreError::AlreadyExists(ctx.home.clone()).into());
    }
    let passphrase = if ctx.has_given_passphrase() {
        ctx.passphrase("Passphrase: ")?
    } else {
        ctx.new_passphrase(None, None)?
    };
    ctx.warn_if_weak(&passphrase);
    let device_name = args
        .device_name
        .or_else(|| {
            rustix::system::uname()
                .nodename()
                .to_str()
                .ok()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "this device".into());
    let person_name = args
        .name
        .or_else(|| ctx.user.clone())
        .unwrap_or_else(|| "me".into());
    let now = ctx.now();
    let (vault, keys) = Vault::init(
        &ctx.home,
        InitOptions {
            passphrase,
            device_name: device_name.clone(),
            person_name: person_name.clone(),
            work_factor: args.scrypt_work_factor,
            created: now.to_rfc3339(),
            created_ms: now.unix_ms,
        },
    )
    .map_err(CliError::from)?;
    let device_id = vault.config().device_id.clone();
    if ctx.json {
        output::print_json(&json!({
            "home": vault.root(),
            "device_id": device_id,
            "device_name": keys.secrets.device_name,
            "person": keys.secrets.person_name,
        }))?;
    } else if !ctx.quiet {
        println!("Created a vault at {}", vault.root().display());
        println!(
            "  device  {} ({})",
            output::clean(&device_name, false),
            &device_id[..10.min(device_id.len())]
        );
        println!("  person  {}", output::clean(&person_name, false));
        println!(
            "Write your first entry with `haven write \"...\"`. Keep your passphrase safe: it cannot be recovered."
        );
    }
    Ok(ExitCode::SUCCESS)
}
