//! `haven agent` (hidden): the unlock agent process that `haven unlock` starts.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use secrecy::SecretString;

use crate::context::Context;
use crate::error::{CliError, Result};
use haven_node::ipc::agent;

/// Hold an unlocked key in memory (started by `haven unlock`; reads the key on stdin).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds to stay up.
    #[arg(long)]
    ttl_secs: u64,
}

/// Runs the agent until it times out or is told to lock.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line)?;
    let identity = SecretString::from(line.trim().to_string());
    zeroize::Zeroize::zeroize(&mut *line);
    let ttl = Duration::from_secs(args.ttl_secs.min(86_400));
    // However it ends (time up, `haven lock`, the vault removed), the key is forgotten.
    let _ended = agent::serve(ctx.agent_socket(), identity, ttl, || {
        let mut out = std::io::stdout();
        let _ = out.write_all(b"ready\n");
        let _ = out.flush();
        // Close stdout so that whoever started us sees EOF and moves on.
        if let Ok(devnull) = rustix::fs::open(
            "/dev/null",
            rustix::fs::OFlags::WRONLY,
            rustix::fs::Mode::empty(),
        ) {
            let _ = rustix::stdio::dup2_stdout(&devnull);
        }
    })
    .map_err(|e| CliError::new(format!("unlock agent: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
