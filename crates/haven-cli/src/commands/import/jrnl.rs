//! Reading what jrnl wrote: its JSON export, and its journal file in whichever
//! `timeformat`, plain or encrypted.
//!
//! An encrypted journal (jrnl's v3, or the v2 and v1 it still reads) is opened with its
//! password from `--jrnl-password-file`, or asked for on the terminal (three tries, as jrnl
//! gives). The decrypted text stays in memory and is wiped after the import.

use std::path::Path;

use haven_model::interchange::{
    self, DecryptError, ImportError, ImportOptions, JRNL_TIME_FORMAT, JrnlEncryption, TimeFormat,
};
use zeroize::Zeroizing;

use super::{Args, Imported, bad_file, utf8};
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;

/// Tries at the password prompt before giving up.
const TRIES: usize = 3;

/// The entries of a jrnl file.
pub(super) fn read(
    ctx: &Context,
    args: &Args,
    bytes: &[u8],
    name: &str,
    opts: &ImportOptions,
) -> Result<Imported> {
    let encryption = JrnlEncryption::detect(bytes);
    let decrypted: Zeroizing<String>;
    let text = match encryption {
        Some(format) => {
            decrypted = open(ctx, args, bytes, format, name)?;
            decrypted.as_str()
        }
        None => utf8(bytes, name)?,
    };
    let read = if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        let entries = interchange::import_jrnl_json(text, opts)
            .map_err(|e| bad_file(name, e, "a jrnl JSON export"))?;
        Imported::plain(entries, "json")
    } else {
        let given = given_format(args)?;
        // jrnl 1's journals, which v1 files hold, have no brackets around their dates.
        let parse = match encryption {
            Some(JrnlEncryption::V1) => interchange::import_jrnl_legacy_text,
            _ => interchange::import_jrnl_text,
        };
        let read =
            parse(text, given.as_ref(), opts).map_err(|e| bad_text(name, e, given.as_ref()))?;
        if given.is_none() && !read.entries.is_empty() && !ctx.quiet && !ctx.json {
            eprintln!(
                "Dates read in the time format `{}`, told from the file (--time-format sets it)",
                output::clean(read.time_format.as_str(), false)
            );
        }
        Imported {
            entries: read.entries,
            format: "text",
            encryption: None,
            time_format: Some(read.time_format),
        }
    };
    Ok(Imported { encryption, ..read })
}

/// The format from `--time-format`, or from jrnl's configuration file, or `None` to tell
/// it from the file.
fn given_format(args: &Args) -> Result<Option<TimeFormat>> {
    let written = match (&args.time_format, &args.jrnl_config) {
        (Some(format), _) => format.clone(),
        (None, Some(config)) => time_format_of_config(config)?,
        (None, None) => return Ok(None),
    };
    TimeFormat::new(&written).map(Some).map_err(|e| {
        CliError::new(format!("{}; nothing was imported", output::clean(&e.to_string(), false)))
            .hint(format!(
                "give jrnl's `timeformat` as it is in jrnl.yaml, e.g. --time-format '{JRNL_TIME_FORMAT}'"
            ))
    })
}

fn time_format_of_config(path: &Path) -> Result<String> {
    let shown = output::clean(&path.display().to_string(), false);
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!("cannot read jrnl's configuration {shown}: {e}"))
            .hint("jrnl keeps it at ~/.config/jrnl/jrnl.yaml (`jrnl --list` prints where)")
    })?;
    interchange::time_format_in_config(&text).ok_or_else(|| {
        CliError::new(format!("{shown} sets no `timeformat`; nothing was imported")).hint(format!(
            "leave --jrnl-config out to tell the format from the file, or pass --time-format '{JRNL_TIME_FORMAT}'"
        ))
    })
}

/// A journal file that could not be read, with a hint that names the way out.
fn bad_text(name: &str, err: ImportError, given: Option<&TimeFormat>) -> CliError {
    let shown = output::clean(name, false);
    let message = format!(
        "{shown}: {}; nothing was imported",
        output::clean(&err.to_string(), false)
    );
    match (&err, given) {
        (ImportError::UnknownTimeFormat { .. }, _) => CliError::new(message).hint(format!(
            "pass jrnl's `timeformat` with --time-format (jrnl's default is '{JRNL_TIME_FORMAT}'), or point --jrnl-config at jrnl.yaml"
        )),
        (ImportError::Line { .. }, Some(format)) => CliError::new(message).hint(format!(
            "check that `{}` is the `timeformat` jrnl wrote this journal with (see jrnl.yaml), or leave --time-format out to tell it from the file",
            output::clean(format.as_str(), false)
        )),
        (ImportError::Line { .. }, None) => CliError::new(message).hint(
            "fix the line named, or pass jrnl's `timeformat` with --time-format (see jrnl.yaml)",
        ),
        _ => bad_file(name, err, "a jrnl journal file"),
    }
}

/// The text of an encrypted journal, with the password from a file or the terminal.
fn open(
    ctx: &Context,
    args: &Args,
    bytes: &[u8],
    format: JrnlEncryption,
    name: &str,
) -> Result<Zeroizing<String>> {
    let shown = output::clean(name, false);
    let wrong = || {
        CliError::new(format!(
            "the password does not open {shown} (an encrypted jrnl journal, format {}); nothing was imported",
            format.name()
        ))
    };
    let damaged = |e: DecryptError| {
        CliError::new(format!("{shown}: {e}; nothing was imported"))
            .hint("check that the file is the journal jrnl opens (its path is in jrnl.yaml), not a copy cut short")
    };
    if let Some(path) = &args.jrnl_password_file {
        let password = read_password_file(path)?;
        return interchange::decrypt_jrnl(bytes, format, &password).map_err(|e| match e {
            DecryptError::WrongPassword => wrong()
                .hint("the first line of --jrnl-password-file must be the password you give jrnl"),
            other => damaged(other),
        });
    }
    if !ctx.interactive {
        return Err(CliError::new(format!(
            "{shown} is an encrypted jrnl journal and no password was given; nothing was imported"
        ))
        .hint("run the import on a terminal to be asked, or pass --jrnl-password-file FILE"));
    }
    for attempt in 1..=TRIES {
        let password = Zeroizing::new(rpassword::prompt_password(format!(
            "jrnl password for {shown}: "
        ))?);
        match interchange::decrypt_jrnl(bytes, format, &password) {
            Ok(text) => return Ok(text),
            Err(DecryptError::WrongPassword) if attempt < TRIES => {
                eprintln!("That password does not open it; try again.");
            }
            Err(DecryptError::WrongPassword) => {
                return Err(wrong().hint("use the password you give jrnl for this journal"));
            }
            Err(other) => return Err(damaged(other)),
        }
    }
    Err(wrong())
}

fn read_password_file(path: &Path) -> Result<Zeroizing<String>> {
    crate::context::private_file(path, "jrnl password file")?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!(
            "cannot read the jrnl password file {}: {e}",
            output::clean(&path.display().to_string(), false)
        ))
        .hint("check the path given to --jrnl-password-file")
    })?);
    Ok(Zeroizing::new(
        text.lines().next().unwrap_or("").to_string(),
    ))
}
