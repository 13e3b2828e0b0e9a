//! `haven import --from jrnl|dayone FILE`: entries from another journal app.
//!
//! All or nothing: the whole file is parsed first, and on any error nothing is written.
//! Then one change adds every entry whose id is not yet known. Imported ids are
//! deterministic (see [`haven_model::interchange::import_id`]), so importing the same
//! file again adds nothing.
//!
//! * jrnl: its JSON export (`jrnl --export json`, detected by a leading `{`) or its
//!   journal file, plain or encrypted (see [`jrnl`]). Haven's own `export --format json`
//!   is read as jrnl JSON and restores entries exactly.
//! * Day One: the `Journal.json` of a JSON export, or the `.zip` export holding one or
//!   more journal files.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use haven_model::Entry;
use haven_model::interchange::{self, ImportError, ImportOptions};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;

mod jrnl;

/// The apps Haven imports from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// jrnl: its JSON export or its plain-text journal file
    Jrnl,
    /// Day One: a JSON export (Journal.json) or the .zip that holds it
    Dayone,
}

/// Import entries from jrnl or Day One.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app the file comes from
    #[arg(long = "from", value_enum)]
    from: Source,
    /// The file to import
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// jrnl's `timeformat` of the journal file, e.g. '%F %r' (jrnl's default); without it
    /// the format is read from --jrnl-config, or told from the file's dates
    #[arg(long, value_name = "FORMAT")]
    time_format: Option<String>,
    /// jrnl's configuration file (jrnl.yaml), to read its `timeformat` from
    #[arg(long, value_name = "FILE", conflicts_with = "time_format")]
    jrnl_config: Option<PathBuf>,
    /// A file whose first line is the password of an encrypted jrnl journal (asked on the
    /// terminal otherwise)
    #[arg(long, value_name = "FILE")]
    jrnl_password_file: Option<PathBuf>,
}

/// What a file held.
struct Imported {
    entries: Vec<Entry>,
    /// `json`, `text` or `zip`.
    format: &'static str,
    /// The format of an encrypted jrnl journal.
    encryption: Option<interchange::JrnlEncryption>,
    /// The `timeformat` a jrnl journal file was read in.
    time_format: Option<interchange::TimeFormat>,
}

impl Imported {
    fn plain(entries: Vec<Entry>, format: &'static str) -> Self {
        Imported {
            entries,
            format,
            encryption: None,
            time_format: None,
        }
    }
}

/// Larger files are refused rather than read into memory.
const MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Runs `haven import`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let bytes = read_file(&args.file)?;
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    let opts = ImportOptions {
        device: vault.config().device_id.clone(),
        author: keys.secrets.person_name.clone(),
        tz: ctx.tz.clone(),
    };
    let name = args.file.display().to_string();
    let read = match args.from {
        Source::Jrnl => jrnl::read(ctx, &args, &bytes, &name, &opts)?,
        Source::Dayone if bytes.starts_with(b"PK\x03\x04") => {
            Imported::plain(dayone_zip(&bytes, &name, &opts)?, "zip")
        }
        Source::Dayone => {
            let text = utf8(&bytes, &name)?;
            let entries = interchange::import_dayone_json(text, &opts)
                .map_err(|e| bad_file(&name, e, "a Day One JSON export"))?;
            Imported::plain(entries, "json")
        }
    };
    let entries = read.entries;
    // An entry beyond the limits every device enforces stops the import before anything
    // is written, naming it.
    for entry in &entries {
        if let Err(reason) = haven_model::validate::entry_limits(entry) {
            return Err(CliError::new(format!(
                "the entry of {} cannot be imported: {reason}; nothing was imported",
                entry.created.to_rfc3339()
            ))
            .hint("split it into shorter entries in the source journal, then import again"));
        }
    }
    let (added, present) = store.change(&keys, |doc| {
        let added = haven_model::schema::insert_all(doc, &entries)?;
        Ok((added, entries.len() - added))
    })?;
    if ctx.json {
        output::print_json(&json!({
            "source": match args.from { Source::Jrnl => "jrnl", Source::Dayone => "dayone" },
            "format": read.format,
            "encryption": read.encryption.map(|e| e.name()),
            "time_format": read.time_format.as_ref().map(|f| f.as_str()),
            "file": name,
            "entries": entries.len(),
            "imported": added,
            "already_present": present,
        }))?;
    } else if !ctx.quiet {
        let noun = if added == 1 { "entry" } else { "entries" };
        println!("Imported {added} {noun} ({present} already present)");
    }
    Ok(ExitCode::SUCCESS)
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    let shown = output::clean(&path.display().to_string(), false);
    let file = std::fs::File::open(path).map_err(|e| {
        CliError::new(format!("cannot read {shown}: {e}"))
            .hint("check the path of the file to import")
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::new(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(CliError::new(format!(
            "{shown} is larger than 512 MiB; nothing was imported"
        ))
        .hint("split the export into smaller files"));
    }
    Ok(bytes)
}

pub(crate) fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        CliError::new(format!(
            "{} is not UTF-8 text (at byte {}); nothing was imported",
            output::clean(name, false),
            e.valid_up_to()
        ))
        .hint("export the journal again as JSON or plain text")
    })
}

pub(crate) fn bad_file(name: &str, err: ImportError, what: &str) -> CliError {
    CliError::new(format!(
        "{}: {}; nothing was imported",
        output::clean(name, false),
        output::clean(&err.to_string(), false)
    ))
    .hint(format!(
        "check that the file is {what}, fix the place named, and run the import again"
    ))
}

/// Every `.json` journal inside a Day One `.zip` export.
fn dayone_zip(bytes: &[u8], name: &str, opts: &ImportOptions) -> Result<Vec<Entry>> {
    let shown = output::clean(name, false);
    let bad_zip = |e: zip::result::ZipError| {
        CliError::new(format!(
            "{shown} is not a readable zip file: {e}; nothing was imported"
        ))
        .hint("export from Day One again as JSON, or pass the Journal.json inside it")
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad_zip)?;
    let mut names: Vec<String> = archive
        .file_names()
        .filter(|n| {
            n.to_ascii_lowercase().ends_with(".json")
                && !n.starts_with("__MACOSX/")
                && !n
                    .rsplit('/')
                    .next()
                    .is_some_and(|base| base.starts_with("._"))
        })
        .map(str::to_string)
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(CliError::new(format!(
            "{shown} holds no .json journal; nothing was imported"
        ))
        .hint("a Day One JSON export contains Journal.json; export again choosing JSON"));
    }
    let mut entries = Vec::new();
    for inner in names {
        let inner_shown = format!("{name}:{inner}");
        let file = archive.by_name(&inner).map_err(bad_zip)?;
        let mut data = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| {
                CliError::new(format!(
                    "cannot read {}: {e}; nothing was imported",
                    output::clean(&inner_shown, false)
                ))
            })?;
        if data.len() as u64 > MAX_BYTES {
            return Err(CliError::new(format!(
                "{} unpacks to more than 512 MiB; nothing was imported",
                output::clean(&inner_shown, false)
            )));
        }
        let text = utf8(&data, &inner_shown)?;
        entries.extend(
            interchange::import_dayone_json(text, opts)
                .map_err(|e| bad_file(&inner_shown, e, "a Day One JSON export"))?,
        );
    }
    Ok(entries)
}
