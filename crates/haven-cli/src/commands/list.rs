//! `haven list`: entries, newest first.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, clean, paint};

/// List entries, newest first.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show at most N entries
    #[arg(short = 'n', long = "limit", value_name = "N")]
    limit: Option<usize>,
}

/// Runs `haven list`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    let view = match args.limit {
        Some(n) => store.read_recent(&keys, n)?,
        None => store.read(&keys)?,
    };
    crate::output::warn_damaged(ctx, &view);
    let limit = args.limit.unwrap_or(usize::MAX);
    let shown: Vec<_> = view.entries.iter().rev().take(limit).collect();
    if ctx.json {
        output::print_json(&json!({
            "journal": view.meta.as_ref().map(|m| m.name.clone()),
            "total": view.total,
            "pending": view.pending,
            "entries": shown.iter().map(|e| output::entry_json(e)).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<String> = view.entries.iter().map(|e| e.id.to_string()).collect();
    let width = output::unique_prefix_len(&ids, 8);
    let mut out = std::io::stdout().lock();
    for e in &shown {
        let id = e.id.to_string();
        let star = if e.starred { "*" } else { " " };
        writeln!(
            out,
            "{} {} {star} {:<9} {}",
            paint(&id[..width], "33", ctx.color),
            paint(&output::local_time(&e.created, &ctx.tz), "2", ctx.color),
            e.kind.as_str(),
            clean(e.title(), false),
        )?;
    }
    if !ctx.quiet {
        if view.entries.is_empty() {
            writeln!(out, "No entries yet. Write one with `haven write \"...\"`.")?;
        } else if view.pending > 0 {
            let noun = if view.pending == 1 {
                "entry was"
            } else {
                "entries were"
            };
            writeln!(
                out,
                "({} {noun} sealed while locked; the next change or `haven unlock` merges them)",
                view.pending
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
