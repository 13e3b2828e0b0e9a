//! `haven show`: one entry in full.

use std::io::Write;
use std::process::ExitCode;

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, clean, paint};

/// Show one entry in full. A unique prefix of the id is enough.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry id, or a unique prefix of it
    id: String,
}

/// Runs `haven show`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    let view = store.read(&keys)?;
    crate::output::warn_damaged(ctx, &view);
    let e = view.resolve(&args.id)?;
    if ctx.json {
        output::print_json(&output::entry_json(e))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", paint(&e.id.to_string(), "33", ctx.color))?;
    writeln!(out, "kind     {}", e.kind)?;
    writeln!(
        out,
        "written  {} by {}",
        output::local_time(&e.created, &ctx.tz),
        output::name(&e.author)
    )?;
    if let Some(edited) = &e.edited {
        writeln!(out, "edited   {}", output::local_time(edited, &ctx.tz))?;
    }
    writeln!(
        out,
        "device   {}",
        clean(e.device.get(..10).unwrap_or(&e.device), false)
    )?;
    if !e.tags.is_empty() {
        writeln!(out, "tags     {}", clean(&e.tags.join(" "), false))?;
    }
    if !e.people.is_empty() {
        writeln!(out, "people   {}", clean(&e.people.join(", "), false))?;
    }
    if e.starred {
        writeln!(out, "starred  yes")?;
    }
    for (key, value) in &e.fields {
        let shown = match value {
            haven_model::FieldValue::Int(i) => i.to_string(),
            haven_model::FieldValue::Bool(b) => {
                if *b {
                    "yes".into()
                } else {
                    "no".into()
                }
            }
            haven_model::FieldValue::Text(t) => t.clone(),
            haven_model::FieldValue::List(l) => l.join(", "),
        };
        writeln!(
            out,
            "{:<8} {}",
            clean(&key.replace('_', " "), false),
            clean(&shown, false)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", clean(&e.text, true))?;
    for (device, text) in &e.conflicts {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint(
                &format!(
                    "-- conflicting version from device {} --",
                    clean(device.get(..10).unwrap_or(device), false)
                ),
                "31",
                ctx.color
            )
        )?;
        writeln!(out, "{}", clean(text, true))?;
    }
    Ok(ExitCode::SUCCESS)
}
