//! `haven sync`: one-shot sync with every reachable peer, in parallel.

use std::process::ExitCode;

use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::network::{self, Net, PeerOutcome, net_error};
use crate::output::{self, clean};

/// Sync every journal with every peer that is reachable now, in parallel, and say what went
/// which way. Being offline is normal: unreachable peers are listed, not an error.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this peer (a device id, a unique prefix of one, or a device name)
    peer: Option<String>,
}

/// Runs `haven sync`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let net = Net::open(ctx)?;
    let known = net.known_devices()?;
    let book = net.peers();
    let mut targets: Vec<(String, String, haven_store::PeerInfo)> = known
        .iter()
        .map(|(device, m)| {
            let info = book.get(device).cloned().unwrap_or_default();
            let name = if m.device_name.is_empty() {
                info.device_name.clone()
            } else {
                m.device_name.clone()
            };
            (device.clone(), format!("{} ({})", name, m.person), info)
        })
        .collect();
    if let Some(wanted) = &args.peer {
        let w = wanted.to_lowercase();
        targets.retain(|(d, name, _)| d.starts_with(&w) || name.to_lowercase().starts_with(&w));
        if targets.is_empty() {
            return Err(CliError::new(format!("no peer matches `{wanted}`"))
                .hint("see `haven devices` and `haven members`"));
        }
    }
    if targets.is_empty() {
        if ctx.json {
            output::print_json(&json!({"peers": []}))?;
        } else if !ctx.quiet {
            println!(
                "No peers yet: pair a device with `haven invite`, or share a journal with `haven share`."
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rt = network::runtime()?;
    let results = rt.block_on(async {
        let secret = net.secret()?;
        let endpoint = haven_sync::net::bind(&secret, &net.config)
            .await
            .map_err(net_error)?;
        let futures = targets
            .iter()
            .map(|(device, _, info)| network::sync_with(&net, &endpoint, device, info));
        let outcomes = futures_join(futures).await;
        endpoint.close().await;
        Ok::<_, CliError>(outcomes)
    })?;
    let mut report = Vec::new();
    for ((device, name, _), outcome) in targets.iter().zip(results) {
        let (status, detail) = match &outcome {
            PeerOutcome::Synced(changed, bytes_in, bytes_out) => {
                let arrived: usize = changed.iter().map(|(_, b, a)| a.saturating_sub(*b)).sum();
                let text = if arrived == 0 {
                    "nothing new here".to_string()
                } else {
                    format!("{arrived} new entries arrived")
                };
                (
                    "synced",
                    format!("{text}; {bytes_in} bytes in, {bytes_out} out"),
                )
            }
            PeerOutcome::NothingShared => ("skipped", "no journal in common".to_string()),
            PeerOutcome::Unreachable(e) => ("unreachable", e.clone()),
            PeerOutcome::Failed(e) => ("failed", e.clone()),
        };
        report.push(json!({"device": device, "fingerprint": network::fingerprint(device), "name": name, "status": status, "detail": detail}));
        if !ctx.json && !ctx.quiet {
            println!(
                "{:<28} {} {:<12} {}",
                clean(name, false),
                network::fingerprint(device),
                status,
                clean(&detail, false)
            );
        }
    }
    if ctx.json {
        output::print_json(&json!({"peers": report}))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs futures concurrently on the current task and collects their outputs in order.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
