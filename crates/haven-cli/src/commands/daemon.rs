//! `haven daemon`: stay online; the engine is `haven_node::daemon`.

use std::process::ExitCode;
use std::time::Duration;

use haven_node::daemon::{DaemonOptions, Start};
use haven_node::{Node, Purpose};

use crate::context::Context;
use crate::error::{CliError, Result};

/// Stay online: accept sync from members, push local changes to online peers within about
/// a second of their being written (by any `haven` command), pull theirs, and retry
/// unreachable peers with backoff. While it runs, `haven sync`, `haven status` and
/// `haven watch` go through it. Runs until stopped (Ctrl-C) or for --for DURATION.
///
/// Without the key (no `haven unlock` agent, no HAVEN_PASSPHRASE or --passphrase-file) it
/// starts locked and waits: `haven unlock` hands it the key, `haven lock` takes it back.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stop after this long, e.g. 10m (default: run until stopped)
    #[arg(long = "for", value_name = "DURATION")]
    duration: Option<String>,
    /// Pull from every peer this often even without local changes, in seconds
    #[arg(long, default_value_t = 30)]
    pull_every: u64,
}

/// Runs `haven daemon`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let stop_after = args
        .duration
        .as_deref()
        .map(|d| crate::commands::unlock::parse_duration(d, "haven daemon --for"))
        .transpose()?;
    let vault = ctx.vault()?;
    let config = ctx.node_config(&vault, Purpose::Network)?;
    let start = match ctx.keys_unasked(&vault)? {
        Some(keys) => Start::Unlocked(std::sync::Arc::new(Node::new(vault, keys, config))),
        None => Start::Locked { vault, config },
    };
    let options = DaemonOptions {
        socket: ctx.daemon_socket(),
        lock: ctx.home.join("daemon.lock"),
        stop_after,
        pull_every: Duration::from_secs(args.pull_every),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(haven_node::daemon::run(
        start,
        options,
        std::future::pending(),
        |_| {},
    ))?;
    Ok(ExitCode::SUCCESS)
}
