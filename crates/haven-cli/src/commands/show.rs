//! `haven show`: one entry in full.

use std::io::Write;
use std::process::ExitCode;

use crate::context::Context;
use crate::error::Result;
use haven_model::fields::{display_value, fields_of, label_of};

use crate::output::{self, clean, paint};

/// The longest a field's value is shown here (the text below it is shown whole).
const FIELD_MAX: usize = 2000;

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
    store.merge_sealed(&keys);
    let view = store.read(&keys)?;
    crate::output::warn_damaged(ctx, &view);
    let e = view.resolve(&args.id)?;
    if ctx.json {
        output::print_json(&output::entry_json(e))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", paint(&e.id.to_string(), "33", ctx.color))?;
    // Labelled rows, the practice's fields in its own order, labels aligned.
    let mut rows: Vec<(String, String)> = vec![
        ("Kind".into(), e.kind.to_string()),
        (
            "Written".into(),
            format!(
                "{} by {}",
                output::local_time(&e.created, &ctx.tz),
                output::name(&e.author)
            ),
        ),
    ];
    if let Some(edited) = &e.edited {
        rows.push(("Edited".into(), output::local_time(edited, &ctx.tz)));
    }
    rows.push((
        "Device".into(),
        clean(e.device.get(..10).unwrap_or(&e.device), false),
    ));
    if !e.tags.is_empty() {
        rows.push((
            "Tags".into(),
            output::clean_capped(&e.tags.join(" "), FIELD_MAX),
        ));
    }
    if !e.people.is_empty() {
        rows.push((
            "People".into(),
            output::clean_capped(&e.people.join(", "), FIELD_MAX),
        ));
    }
    if e.starred {
        rows.push(("Starred".into(), "yes".into()));
    }
    for (spec, key, value) in fields_of(e.kind).ordered(&e.fields) {
        rows.push((
            output::clean_capped(&label_of(spec, key), 40),
            output::clean_capped(&display_value(spec, value, &ctx.tz), FIELD_MAX),
        ));
    }
    let width = rows
        .iter()
        .map(|(label, _)| output::display_width(label))
        .max()
        .unwrap_or(0);
    for (label, value) in &rows {
        let pad = width - output::display_width(label);
        writeln!(out, "{label}{:pad$}  {value}", "")?;
    }
    writeln!(out)?;
    // On a terminal the text wraps between words at its width; paragraphs stay.
    let text = clean(&e.text, true);
    if ctx.stdout_terminal {
        for paragraph in text.split('\n') {
            let words: Vec<String> = paragraph.split_whitespace().map(str::to_string).collect();
            let lines = output::wrap("", &words, ctx.columns.saturating_sub(1));
            for line in lines {
                writeln!(out, "{}", line.trim_start())?;
            }
        }
    } else {
        writeln!(out, "{text}")?;
    }
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
