//! `haven list`: entries, newest first, with filters.

use std::io::Write;
use std::process::ExitCode;

use haven_model::EntryKind;
use haven_model::query::Query;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean, paint};

/// List entries, newest first, grouped by day. Filters combine (all must match).
///
/// Dates may be natural: today, yesterday, monday, last monday, 3 days ago, 2 weeks ago,
/// or ISO 2026-11-27.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show at most N entries
    #[arg(short = 'n', long = "limit", value_name = "N")]
    limit: Option<usize>,
    /// Only this kind (repeat for several): note, checkin, gratitude, affirmation, reframe, boundary, repair, coreg
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<EntryKind>,
    /// Only entries with this tag (with or without # or @)
    #[arg(long)]
    tag: Option<String>,
    /// Only entries naming this person
    #[arg(long)]
    person: Option<String>,
    /// Only entries whose text or fields contain this (any case)
    #[arg(long)]
    contains: Option<String>,
    /// Only starred entries
    #[arg(long)]
    starred: bool,
    /// From this day on
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Up to and including this day
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only this day
    #[arg(long, value_name = "DATE", conflicts_with_all = ["from", "to"])]
    on: Option<String>,
}

/// Runs `haven list`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let today = ctx.today();
    let days = haven_model::dates::range(
        args.from.as_deref(),
        args.to.as_deref(),
        args.on.as_deref(),
        today,
    )
    .map_err(|e| CliError::new(e.to_string()))?;
    let query = Query::new()
        .kinds(&args.kinds)
        .tag(args.tag.as_deref())
        .person(args.person.as_deref())
        .contains(args.contains.as_deref())
        .starred(args.starred)
        .days(days);
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    // Holding the key, merge what was sealed while locked: nothing is left "waiting".
    store.merge_sealed(&keys);
    let view = match args.limit {
        Some(n) if query.is_everything() => store.read_recent(&keys, n)?,
        _ => store.read(&keys)?,
    };
    output::warn_damaged(ctx, &view);
    let limit = args.limit.unwrap_or(usize::MAX);
    let shown = query.select(&view.entries, &ctx.tz, limit);
    if ctx.json {
        output::print_json(&json!({
            "journal": vault.alias_of(&keys, &store),
            "total": view.total,
            "pending": view.pending,
            "entries": shown.iter().map(|e| output::entry_json(e)).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<String> = view.entries.iter().map(|e| e.id.to_string()).collect();
    let width = output::unique_prefix_len(&ids, 8);
    let mut out = std::io::stdout().lock();
    let mut last_day = None;
    for e in &shown {
        let local = e.created.instant().map(|t| t.to_zoned(ctx.tz.clone()));
        let day = local.as_ref().map(|z| z.date());
        if day != last_day {
            if last_day.is_some() {
                writeln!(out)?;
            }
            let heading = local
                .as_ref()
                .map(|z| z.strftime("%A %-d %B %Y").to_string())
                .unwrap_or_default();
            writeln!(out, "{}", paint(&heading, "1", ctx.color))?;
            last_day = day;
        }
        let id = e.id.to_string();
        let time = local
            .map(|z| z.strftime("%H:%M").to_string())
            .unwrap_or_default();
        let star = if e.starred { "*" } else { " " };
        // On a terminal a line fits its width: the summary is cut, never wrapped.
        let summary = clean(&output::summary(e), false);
        let summary = if ctx.stdout_terminal {
            let used = 2 + time.len() + 1 + width + 3 + 11 + 1;
            haven_model::text::fit_width(&summary, ctx.columns.saturating_sub(used).max(10))
        } else {
            summary
        };
        writeln!(
            out,
            "  {} {} {star} {:<11} {summary}",
            paint(&time, "2", ctx.color),
            paint(&id[..width], "33", ctx.color),
            e.kind.as_str(),
        )?;
    }
    if !ctx.quiet {
        if view.total == 0 {
            writeln!(out, "No entries yet. Write one with `haven write \"...\"`.")?;
        } else if shown.is_empty() {
            writeln!(out, "No entries match.")?;
        } else if view.pending > 0 {
            let noun = if view.pending == 1 {
                "entry was"
            } else {
                "entries were"
            };
            writeln!(
                out,
                "({} {noun} written since the last change and not merged yet; the next change or `haven unlock` merges them)",
                view.pending
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
