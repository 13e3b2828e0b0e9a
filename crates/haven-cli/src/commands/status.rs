//! `haven status`: the vault, this device, journals and peers, honestly.

use std::process::ExitCode;

use serde_json::json;

use std::time::Duration;

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, clean};
use haven_node::fingerprint;
use haven_node::ipc::agent;
use haven_node::ipc::control::{self, LiveState, Reply, Request};

/// Show the vault, this device, its journals and whether it is unlocked.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `haven status`.
pub fn run(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let unlocked_for = agent::seconds_left(&ctx.agent_socket());
    let daemon = match control::ask(
        &ctx.daemon_socket(),
        &Request::Status,
        Duration::from_secs(3),
    ) {
        Some(Reply::Status(s)) => Some(s),
        _ => None,
    };
    // Without the key at hand (no agent, no passphrase given) status says so and shows
    // what needs none, rather than asking: it is how one finds out whether it is locked.
    let Some(keys) = ctx.keys_unasked(&vault)? else {
        return locked(ctx, &vault, daemon.as_ref());
    };
    let mut journals = Vec::new();
    for info in vault.journals(&keys)? {
        let alias = info.alias.unwrap_or_else(|| "(arriving)".into());
        match info.view {
            Ok(view) => journals.push(json!({
                "name": alias,
                "kind": view.meta.as_ref().map(|m| m.kind.as_str()).unwrap_or("shared"),
                "entries": view.total,
                "pending": view.pending,
                "left": haven_model::members::departed(&view.members, &vault.config().device_id)
                    .iter()
                    .filter(|d| d.left())
                    .map(|d| d.person.clone())
                    .collect::<Vec<_>>(),
            })),
            Err(e) => journals.push(json!({
                "name": alias,
                "unreadable": e.to_string(),
            })),
        }
    }
    let device_id = &vault.config().device_id;
    if ctx.json {
        output::print_json(&json!({
            "home": vault.root(),
            "device_id": device_id,
            "locked": false,
            "device_name": keys.secrets.device_name,
            "person": keys.secrets.person_name,
            "unlocked_for_secs": unlocked_for,
            "daemon": daemon,
            "journals": journals,
            "peers": vault.peers(&keys).unwrap_or_default().iter().map(|(d, p)| json!({
                "device": d,
                "device_name": p.device_name,
                "person": p.person,
                "last_sync_ms": p.last_sync_ms,
                "refused": p.refused_since_sync().map(|r| json!({
                    "at_ms": r.at_ms,
                    "journal": r.journal,
                    "signer": r.signer,
                    "signer_name": r.signer_name,
                    "rule": r.rule,
                })),
                "refused_ours": p.refused_ours_since_sync().map(|r| json!({
                    "at_ms": r.at_ms,
                    "reason": r.reason,
                })),
            })).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("vault    {}", vault.root().display());
    println!(
        "device   {} ({})",
        clean(&keys.secrets.device_name, false),
        device_id.get(..10).unwrap_or(device_id)
    );
    println!("         {device_id}");
    println!("person   {}", clean(&keys.secrets.person_name, false));
    match unlocked_for {
        Some(secs) => println!("unlocked for {}m{:02}s more", secs / 60, secs % 60),
        None => println!("locked (no unlock agent running)"),
    }
    print_daemon(daemon.as_ref());
    println!("journals");
    for j in &journals {
        if let Some(why) = j["unreadable"].as_str() {
            println!(
                "  {:<16} unreadable: {}; run `haven doctor`",
                output::name(j["name"].as_str().unwrap_or("")),
                clean(why, false)
            );
            continue;
        }
        let pending = j["pending"].as_u64().unwrap_or(0);
        let mut extra = if pending > 0 {
            format!(", {pending} sealed, not merged yet")
        } else {
            String::new()
        };
        for who in j["left"].as_array().into_iter().flatten() {
            extra.push_str(&format!(
                ", {} left",
                output::name(who.as_str().unwrap_or(""))
            ));
        }
        let n = j["entries"].as_u64().unwrap_or(0);
        println!(
            "  {:<16} {:<8} {n} {}{extra}",
            output::name(j["name"].as_str().unwrap_or("")),
            j["kind"].as_str().unwrap_or(""),
            if n == 1 { "entry" } else { "entries" }
        );
    }
    let peers = vault.peers(&keys).unwrap_or_default();
    if peers.is_empty() {
        println!("peers    none yet: pair with `haven invite` or `haven share`");
    } else {
        println!("peers");
        for (device, p) in &peers {
            let last = output::last_sync(p.last_sync_ms, &ctx.tz);
            let live = daemon
                .as_ref()
                .and_then(|d| d.peers.iter().find(|l| &l.device == device))
                .map(|l| match l.retry_in_secs {
                    Some(secs) if l.state == LiveState::Retrying => {
                        format!("  (daemon: retrying in {secs}s)")
                    }
                    _ => match l.path {
                        Some(haven_sync::net::PathKind::Direct) => {
                            format!("  (daemon: {}, direct)", l.state.as_str())
                        }
                        Some(haven_sync::net::PathKind::Relayed) => {
                            format!("  (daemon: {}, through a relay)", l.state.as_str())
                        }
                        None => format!("  (daemon: {})", l.state.as_str()),
                    },
                })
                .unwrap_or_default();
            println!(
                "  {}  {:<16} {:<12} {last}{live}",
                fingerprint(device),
                output::name(&p.device_name),
                output::name(&p.person)
            );
            if let Some(refused) = p.refused_since_sync() {
                println!(
                    "      refused at {}: {}; nothing from that session was kept",
                    output::local_time(
                        &haven_model::Timestamp {
                            unix_ms: refused.at_ms,
                            offset_secs: 0
                        },
                        &ctx.tz
                    ),
                    output::clean_capped(&refused.to_string(), 400)
                );
            }
            if let Some(theirs) = p.refused_ours_since_sync() {
                println!(
                    "      at {} it {}; what it sent was kept",
                    output::local_time(
                        &haven_model::Timestamp {
                            unix_ms: theirs.at_ms,
                            offset_secs: 0
                        },
                        &ctx.tz
                    ),
                    output::clean_capped(&theirs.to_string(), 400)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The daemon's state and its relays.
fn print_daemon(daemon: Option<&haven_node::ipc::control::DaemonStatus>) {
    match daemon {
        Some(d) if d.locked => println!(
            "daemon   running (pid {}) but locked, so not syncing: run `haven unlock`",
            d.pid
        ),
        Some(d) => println!(
            "daemon   running (pid {}) for {}m{:02}s on {}",
            d.pid,
            d.up_secs / 60,
            d.up_secs % 60,
            d.addrs.join(", ")
        ),
        None => {
            println!("daemon   not running: `haven sync` syncs once, `haven daemon` stays online")
        }
    }
    for relay in daemon.iter().flat_map(|d| &d.relays) {
        let url = output::clean_capped(&relay.url, 200);
        match (&relay.connected, &relay.last_error) {
            (true, _) => println!("relay    {url}: connected"),
            (false, Some(e)) => println!(
                "relay    {url}: not connected ({})",
                output::clean_capped(e, 200)
            ),
            (false, None) => println!("relay    {url}: connecting"),
        }
    }
}

/// Status without the key: what the vault shows of itself, and how to unlock it.
fn locked(
    ctx: &Context,
    vault: &haven_store::Vault,
    daemon: Option<&haven_node::ipc::control::DaemonStatus>,
) -> Result<ExitCode> {
    let device_id = &vault.config().device_id;
    let ids = vault.journal_ids().unwrap_or_default();
    let waiting: Vec<(String, usize)> = ids
        .iter()
        .map(|id| (id.to_string(), vault.journal(*id).inbox_len().unwrap_or(0)))
        .collect();
    let sealed: usize = waiting.iter().map(|(_, n)| n).sum();
    if ctx.json {
        output::print_json(&json!({
            "home": vault.root(),
            "device_id": device_id,
            "locked": true,
            "unlocked_for_secs": null,
            "daemon": daemon,
            "journals": waiting.iter().map(|(id, n)| json!({"id": id, "pending": n})).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("vault    {}", vault.root().display());
    println!(
        "device   {} (its name and yours need the key)",
        device_id.get(..10).unwrap_or(device_id)
    );
    println!("         {device_id}");
    println!("locked   no unlock agent running; `haven unlock` opens the journals");
    print_daemon(daemon);
    let noun = |n: usize, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            many.to_string()
        }
    };
    println!(
        "journals {} {} ({} need the key){}",
        ids.len(),
        noun(ids.len(), "journal", "journals"),
        noun(ids.len(), "its name and entries", "their names and entries"),
        if sealed > 0 {
            format!(
                "; {sealed} sealed {} waiting to be merged",
                noun(sealed, "entry", "entries")
            )
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}
