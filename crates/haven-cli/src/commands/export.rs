//! `haven export`: the journal as JSON (a superset of jrnl's export) or Markdown.
//!
//! Writes to standard output, or with `--output FILE` to a file created with mode 0600
//! (an existing file is narrowed to 0600 before anything is written to it). On a terminal
//! the text is cleaned of escape sequences and invisible format characters first.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use haven_model::interchange;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// jrnl-compatible JSON plus Haven's own fields (ids, kinds, structured fields)
    Json,
    /// Readable Markdown, grouped by day
    Markdown,
}

/// Export the journal as JSON (jrnl-compatible) or Markdown.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Write to FILE (mode 0600) instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `haven export`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    store.merge_sealed(&keys);
    let view = store.read(&keys)?;
    output::warn_damaged(ctx, &view);
    let mut text = match args.format {
        Format::Json => {
            let mut buf = Vec::with_capacity(view.entries.len() * 512);
            interchange::write_json(&view.entries, &ctx.tz, &mut buf)?;
            String::from_utf8(buf).map_err(|e| CliError::new(e.to_string()))?
        }
        Format::Markdown => interchange::export_markdown(&view.entries, &ctx.tz),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let count = view.entries.len();
    let Some(path) = args.output else {
        // A terminal acts on escape sequences and hides format characters: there the
        // export is cleaned; a pipe or a file gets the text as written.
        if ctx.stdout_terminal {
            text = output::clean(&text, true);
        }
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    write_private(&path, text.as_bytes())?;
    if ctx.json {
        output::print_json(&json!({
            "exported": count,
            "format": match args.format { Format::Json => "json", Format::Markdown => "markdown" },
            "file": path.display().to_string(),
        }))?;
    } else if !ctx.quiet {
        let noun = if count == 1 { "entry" } else { "entries" };
        println!(
            "Exported {count} {noun} to {}",
            output::clean(&path.display().to_string(), false)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path`, readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |e: std::io::Error| {
        CliError::new(format!("cannot write {}: {e}", path.display()))
            .hint("check that the directory exists and is writable, or leave out --output to print to standard output")
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    // An existing file keeps its mode on open: narrow it before the journal goes in.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(fail)?;
    file.set_len(0).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    Ok(())
}
