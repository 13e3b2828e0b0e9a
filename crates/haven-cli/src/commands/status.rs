//! `haven status`: the vault, this device, journals and peers, honestly.

use std::process::ExitCode;

use serde_json::json;

use crate::agent;
use crate::context::Context;
use crate::error::Result;
use crate::output::{self, clean};

/// Show the vault, this device, its journals and whether it is unlocked.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `haven status`.
pub fn run(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let unlocked_for = agent::seconds_left(&ctx.agent_socket());
    let (keys, _) = ctx.keys(&vault)?;
    let mut journals = Vec::new();
    for (store, meta) in vault.journals(&keys)? {
        let view = store.read(&keys)?;
        journals.push(json!({
            "name": meta.name,
            "kind": meta.kind.as_str(),
            "entries": view.entries.len(),
            "pending": view.pending,
        }));
    }
    let device_id = &vault.config().device_id;
    if ctx.json {
        output::print_json(&json!({
            "home": vault.root(),
            "device_id": device_id,
            "device_name": keys.secrets.device_name,
            "person": keys.secrets.person_name,
            "unlocked_for_secs": unlocked_for,
            "journals": journals,
            "peers": vault.peers(&keys).unwrap_or_default().iter().map(|(d, p)| json!({
                "device": d,
                "device_name": p.device_name,
                "person": p.person,
                "last_sync_ms": p.last_sync_ms,
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
    println!("journals");
    for j in &journals {
        let pending = j["pending"].as_u64().unwrap_or(0);
        let extra = if pending > 0 {
            format!(", {pending} sealed, not merged yet")
        } else {
            String::new()
        };
        println!(
            "  {:<16} {:<8} {} entries{extra}",
            clean(j["name"].as_str().unwrap_or(""), false),
            j["kind"].as_str().unwrap_or(""),
            j["entries"]
        );
    }
    let peers = vault.peers(&keys).unwrap_or_default();
    if peers.is_empty() {
        println!("peers    none yet: pair with `haven invite` or `haven share`");
    } else {
        println!("peers");
        for (device, p) in &peers {
            let last = output::last_sync(p.last_sync_ms, &ctx.tz);
            println!(
                "  {}  {:<16} {:<12} {last}",
                crate::network::fingerprint(device),
                clean(&p.device_name, false),
                clean(&p.person, false)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
