//! `haven sync`: one-shot sync with every reachable peer, in parallel.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use haven_node::ipc::control::{self, Asked, PeerRow, Reply, Request};
use haven_node::{NodeError, Purpose};
use haven_sync::net::RelayState;

/// Sync every journal with every peer that is reachable now, in parallel, and say what went
/// which way. Being offline is normal: unreachable peers are listed, not an error. When
/// `haven daemon` is running for this vault, it does the syncing on its endpoint.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this peer (a device id, a unique prefix of one, or a device name)
    peer: Option<String>,
}

/// How long to wait for a daemon to finish a sync: its per-peer connect and step timeouts
/// bound each peer, and peers run in parallel.
const DAEMON_SYNC_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `haven sync`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    // A vault must exist, whoever does the syncing.
    ctx.vault()?;
    let request = Request::Sync {
        peer: args.peer.clone(),
        offer: Vec::new(),
        devices: Vec::new(),
    };
    let report = match control::ask_daemon(&ctx.daemon_socket(), &request, DAEMON_SYNC_TIMEOUT) {
        Asked::NoDaemon => None,
        asked => Some(through_daemon(asked)?),
    };
    let (Synced { rows, relays }, via) = match report {
        Some(report) => (report, "daemon"),
        None => (
            sync_here(ctx, args.peer.as_deref(), None, &[])?,
            "this process",
        ),
    };
    if rows.is_empty() {
        if ctx.json {
            output::print_json(&json!({"peers": [], "relays": relays, "via": via}))?;
        } else if !ctx.quiet {
            println!(
                "No peers yet: pair a device with `haven invite`, or share a journal with `haven share`."
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if ctx.json {
        output::print_json(&json!({"peers": rows, "relays": relays, "via": via}))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !ctx.quiet {
        for r in &rows {
            println!(
                "{:<28} {} {:<12} {}",
                output::clean_capped(&r.name, 80),
                clean(&r.fingerprint, false),
                r.status.as_str(),
                clean(&r.detail, false)
            );
        }
        for relay in relays.iter().filter(|r| !r.connected) {
            let why = relay.last_error.as_deref().unwrap_or("not connected yet");
            println!(
                "relay {}: {}",
                clean(&relay.url, false),
                output::clean_capped(why, 200)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What a sync found: a row per peer and the home relays of the endpoint that ran it.
struct Synced {
    rows: Vec<PeerRow>,
    relays: Vec<RelayState>,
}

/// What a sync the daemon ran found, or what went wrong with it.
fn through_daemon(asked: Asked) -> Result<Synced> {
    match asked {
        Asked::Reply(Reply::Synced { peers, relays }) => Ok(Synced {
            rows: peers,
            relays,
        }),
        Asked::Reply(Reply::NoPeerMatches { wanted }) => {
            Err(NodeError::NoPeerMatches(wanted).into())
        }
        Asked::Reply(Reply::Error { message, hint }) => {
            let err = CliError::new(message);
            Err(match hint {
                Some(h) => err.hint(h),
                None => err,
            })
        }
        Asked::Reply(Reply::Locked) => Err(CliError::daemon_locked()),
        Asked::Reply(_) => Err(CliError::daemon_answer()),
        Asked::Silent | Asked::NoDaemon => Err(CliError::new(
            "the running daemon took the request but did not answer in time",
        )
        .hint("see its log; `haven status` shows whether it is still up")),
    }
}

/// Syncs from this process on an endpoint of its own (no daemon is running), with every
/// peer or those matching `peer`, and only `devices` when given, offering `offer` too.
fn sync_here(
    ctx: &Context,
    peer: Option<&str>,
    devices: Option<&[String]>,
    offer: &[haven_sync::JournalKey],
) -> Result<Synced> {
    let node = ctx.node(Purpose::Network)?;
    let targets = match devices {
        Some(devices) => node.targets_among(devices)?,
        None => node.sync_targets(peer)?,
    };
    if targets.is_empty() {
        return Ok(Synced {
            rows: Vec::new(),
            relays: Vec::new(),
        });
    }
    let rt = ctx.runtime()?;
    let report = rt.block_on(haven_node::node::sync_alone(&node, &targets, offer))?;
    Ok(Synced {
        rows: report.rows.into_iter().map(|(row, _)| row).collect(),
        relays: report.relays,
    })
}

/// Syncs once with `devices` (through the daemon when one runs), offering the journal
/// `offer` even where membership alone would not; for commands whose change must reach
/// them now. Returns their rows.
pub fn sync_members(
    ctx: &Context,
    devices: &[String],
    offer: haven_sync::JournalKey,
) -> Result<Vec<PeerRow>> {
    let request = Request::Sync {
        peer: None,
        offer: vec![hex::encode(offer)],
        devices: devices.to_vec(),
    };
    let synced = match control::ask_daemon(&ctx.daemon_socket(), &request, DAEMON_SYNC_TIMEOUT) {
        Asked::NoDaemon => sync_here(ctx, None, Some(devices), &[offer])?,
        asked => through_daemon(asked)?,
    };
    Ok(synced
        .rows
        .into_iter()
        .filter(|r| devices.contains(&r.device))
        .collect())
}
