//! `haven devices` and `haven members`: who may sync what.

use std::process::ExitCode;

use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::output;
use haven_node::{Node, Purpose, fingerprint};

/// List your devices (the members of your personal journal) with their ids.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// List the members of a journal (--journal NAME; default your personal journal).
#[derive(Debug, clap::Args)]
pub struct MembersArgs {}

fn show(ctx: &Context, net: &Node, store: &haven_store::JournalStore) -> Result<ExitCode> {
    let view = store.read_recent(&net.keys, 0)?;
    let book = net.peers();
    let list: Vec<_> = view
        .members
        .iter()
        .map(|m| {
            let last = book.get(&m.device).and_then(|p| p.last_sync_ms);
            json!({
                "device": m.device,
                "fingerprint": fingerprint(&m.device),
                "device_name": m.device_name,
                "person": m.person,
                "person_id": m.person_id,
                "role": m.role.map(|r| r.as_str()),
                "added_by": m.added_by,
                "added_at_ms": m.added_at_ms,
                "this_device": m.device == net.me(),
                "revoked": !m.is_active(),
                "ended": m.ending,
                "last_sync_ms": last,
            })
        })
        .collect();
    if ctx.json {
        output::print_json(&json!(list))?;
        return Ok(ExitCode::SUCCESS);
    }
    for m in &view.members {
        let ended = m.ending.as_ref().map(|ending| match ending {
            haven_model::members::Ending::Left { .. } => "left".to_string(),
            haven_model::members::Ending::Removed { by, .. } => {
                match view.members.iter().find(|r| &r.device == by) {
                    Some(remover) => format!(
                        "removed by {} ({})",
                        output::name(&remover.person),
                        fingerprint(by)
                    ),
                    None => format!("removed by {}", fingerprint(by)),
                }
            }
        });
        let tag = match (m.device == net.me(), ended) {
            (true, Some(ended)) => format!("this device, {ended}"),
            (true, None) => "this device".to_string(),
            (false, Some(ended)) => ended,
            (false, None) if !m.is_active() => "revoked".to_string(),
            (false, None) => {
                output::last_sync(book.get(&m.device).and_then(|p| p.last_sync_ms), &ctx.tz)
            }
        };
        let role = m.role.map(|r| r.as_str()).unwrap_or("");
        println!(
            "{}  {:<16} {:<12} {:<7} {tag}",
            fingerprint(&m.device),
            output::name(&m.device_name),
            output::name(&m.person),
            role
        );
        if ctx.quiet {
            continue;
        }
        println!("      {}", m.device);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `haven devices`.
pub fn run(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let net = ctx.node(Purpose::Local)?;
    let store = net.vault().personal();
    show(ctx, &net, &store)
}

/// Runs `haven members`.
pub fn run_members(ctx: &Context, _args: MembersArgs) -> Result<ExitCode> {
    let net = ctx.node(Purpose::Local)?;
    let store = ctx.journal_store(&net.vault(), &net.keys)?;
    show(ctx, &net, &store)
}
