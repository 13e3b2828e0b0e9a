//! `haven unlock`: keep the key available for a while, so commands need no passphrase.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};

use secrecy::ExposeSecret;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;
use haven_node::ipc::agent;
use haven_node::ipc::control::{self, Identity, Reply, Request};

/// Unlock the vault for a while: later commands need no passphrase.
///
/// A small agent process keeps the key in memory (never on disk) and forgets it when the
/// time is up or at `haven lock`. Unlocking also merges entries sealed while locked, and
/// hands the key to a running daemon that waits for it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to stay unlocked, e.g. 15m, 2h, 1h30m (at most 24h)
    #[arg(long = "for", value_name = "DURATION", default_value = "15m")]
    duration: String,
}

/// Parses a duration between one second and a day; `flag` is the command and flag it came
/// from (`haven unlock --for`), which the hints name.
pub fn parse_duration(text: &str, flag: &str) -> Result<std::time::Duration> {
    let d: jiff::SignedDuration = text.trim().parse().map_err(|_| {
        CliError::new(format!(
            "`{}` is not a duration",
            output::clean(text, false)
        ))
        .hint(format!("write it like `{flag} 15m` (or 2h, 1h30m)"))
    })?;
    let secs = d.as_secs();
    if !(1..=86_400).contains(&secs) {
        return Err(
            CliError::new(format!("`{}` is out of range", output::clean(text, false)))
                .hint(format!("`{flag}` takes between 1s and 24h")),
        );
    }
    Ok(std::time::Duration::from_secs(secs as u64))
}

/// Runs `haven unlock`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let ttl = parse_duration(&args.duration, "haven unlock --for")?;
    let vault = ctx.vault()?;
    let socket = ctx.agent_socket();
    agent::stop(&socket);
    let pass = ctx.passphrase("Passphrase: ")?;
    let keys = vault.unlock(&pass)?;

    // Merge what was sealed while locked.
    let mut merged = 0;
    for id in vault.journal_ids()? {
        let store = vault.journal(id);
        let waiting = store.inbox_len()?;
        if waiting > 0 {
            store.change(&keys, |_| Ok(()))?;
            merged += waiting - store.inbox_len()?;
        }
    }

    let exe = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the haven binary: {e}")))?;
    let mut child = Command::new(exe)
        .arg("agent")
        .arg("--home")
        .arg(&ctx.home)
        .arg("--ttl-secs")
        .arg(ttl.as_secs().to_string())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .current_dir("/")
        .process_group(0)
        .spawn()
        .map_err(|e| CliError::new(format!("cannot start the unlock agent: {e}")))?;
    {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| CliError::new("agent has no stdin"))?;
        let secret = keys.identity_secret();
        let mut line = zeroize::Zeroizing::new(format!("{}\n", secret.expose_secret()));
        stdin.write_all(line.as_bytes())?;
        zeroize::Zeroize::zeroize(&mut *line);
    }
    let mut ready = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut ready)?;
    }
    if ready.trim() != "ready" {
        let _ = child.kill();
        return Err(
            CliError::new("the unlock agent did not start").hint(format!(
                "check that {} is writable and its path is short enough for a socket",
                ctx.home.display()
            )),
        );
    }
    // A daemon that started locked is waiting for the key.
    let request = Request::Unlock {
        identity: Identity::new(zeroize::Zeroizing::new(
            keys.identity_secret().expose_secret().to_string(),
        )),
    };
    let timeout = std::time::Duration::from_secs(5);
    let daemon = match control::ask(&ctx.daemon_socket(), &request, timeout) {
        Some(Reply::Unlocked) => Some(true),
        Some(Reply::Error { message, .. }) => {
            eprintln!("warning: {}", output::clean_capped(&message, 300));
            Some(false)
        }
        _ => None,
    };
    drop(request);
    if ctx.json {
        output::print_json(&json!({
            "unlocked_for_secs": ttl.as_secs(),
            "merged": merged,
            "daemon_unlocked": daemon == Some(true),
        }))?;
    } else if !ctx.quiet {
        println!("Unlocked for {}.", args.duration.trim());
        if daemon == Some(true) {
            println!("The running daemon has the key and syncs.");
        }
        if merged > 0 {
            println!(
                "Merged {merged} sealed {}.",
                if merged == 1 { "entry" } else { "entries" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
