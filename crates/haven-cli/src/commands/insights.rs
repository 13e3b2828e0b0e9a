//! `haven insights`: the journal as charts, in the terminal, as JSON or as an HTML report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::{output, report};

/// See your journal as pictures: feelings and needs over time, the needs that go unmet
/// most often, who shows up for you, boundary events by person, repairs opened and
/// closed, and your evening gratitude streak.
///
/// Charts are drawn in the terminal; `--html FILE` writes a self-contained report (inline
/// SVG, nothing loaded from the network) readable only by you; `--json` prints the numbers.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only entries written on or after this day (YYYY-MM-DD, "yesterday", "last monday", ...)
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Only entries written on or before this day
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only entries written on this one day
    #[arg(long, value_name = "DATE", conflicts_with_all = ["from", "to"])]
    on: Option<String>,
    /// Also write an HTML report to FILE (created with mode 0600)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// Runs `haven insights`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let today = ctx.today();
    let range = haven_model::dates::range(
        args.from.as_deref(),
        args.to.as_deref(),
        args.on.as_deref(),
        today,
    )
    .map_err(|e| {
        CliError::new(output::clean(&e.to_string(), false))
            .hint("days can be written as YYYY-MM-DD or, e.g., \"yesterday\" or \"last monday\"")
    })?;

    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    let view = store.read(&keys)?;
    output::warn_damaged(ctx, &view);

    let ins = haven_model::insights::compute(&view.entries, range.from, range.to, &ctx.tz, today);

    let written = match &args.html {
        Some(path) => {
            let journal = view
                .meta
                .as_ref()
                .map(|m| m.name.clone())
                .filter(|n| !n.trim().is_empty());
            let title = match journal {
                Some(name) => format!("Haven insights: {name}"),
                None => "Haven insights".to_string(),
            };
            write_private(path, report::html(&ins, &title).as_bytes())?;
            Some(path.clone())
        }
        None => None,
    };

    if ctx.json {
        let mut value = serde_json::to_value(&ins)?;
        if let (Some(obj), Some(path)) = (value.as_object_mut(), &written) {
            obj.insert("html".into(), json!(path.display().to_string()));
        }
        output::print_json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut out = std::io::stdout().lock();
    if written.is_none() || !ctx.quiet {
        out.write_all(report::terminal(&ins, ctx.color, ctx.columns).as_bytes())?;
    }
    if let Some(path) = written
        && !ctx.quiet
    {
        writeln!(
            out,
            "\nWrote the HTML report to {} (readable only by you; it holds journal content).",
            output::clean(&path.display().to_string(), false)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` with mode 0600, replacing the file in one step.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let fail = |e: std::io::Error| {
        CliError::new(format!(
            "cannot write the report to {}: {e}",
            output::clean(&path.display().to_string(), false)
        ))
        .hint("check that the directory exists and is writable")
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| CliError::new("--html needs a file name, not a directory"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        // The umask cannot widen 0600, but be explicit.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}
