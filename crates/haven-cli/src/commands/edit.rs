//! `haven edit`: change an entry's text (in `$EDITOR`) or its structured fields.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use haven_model::fields::{FieldError, fields_of};
use haven_model::schema;
use haven_store::JournalStore;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;
use crate::practice;

/// Edit an entry. Without options its text opens in $EDITOR, in a private file in memory
/// (never on a persistent disk) that is wiped afterwards.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry id, or a unique prefix of it
    id: String,
    /// Replace the text with this
    #[arg(long)]
    text: Option<String>,
    /// Set a structured field, e.g. --set intensity=3 or --set feelings=calm,tired (checked
    /// against the kind's fields: `haven show ID` lists them)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Remove a structured field
    #[arg(long = "unset", value_name = "KEY")]
    unset: Vec<String>,
    /// Replace the people named (repeat for several)
    #[arg(long = "person", value_name = "NAME")]
    people: Vec<String>,
}

/// Splits `KEY=VALUE`.
fn split_set(arg: &str) -> Result<(&str, &str)> {
    let (key, value) = arg.split_once('=').ok_or_else(|| {
        CliError::new(format!(
            "`{}` is not KEY=VALUE; nothing was changed",
            output::clean(arg, false)
        ))
        .hint("for example --set intensity=3 or --set feelings=calm,tired")
    })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(CliError::new(format!(
            "`{}` has no field name; nothing was changed",
            output::clean(arg, false)
        ))
        .hint("for example --set intensity=3"));
    }
    Ok((key, value))
}

/// A value that does not fit the entry's kind, with the way to see what does.
fn bad_field(id: &str, err: FieldError) -> CliError {
    CliError::new(format!(
        "{}; nothing was changed",
        output::clean(&err.to_string(), false)
    ))
    .hint(format!(
        "`haven show {}` lists the entry's fields",
        output::clean(id, false)
    ))
}

/// A private directory on a memory-backed file system (tmpfs or ramfs), if there is one.
fn memory_dir(candidates: &[PathBuf]) -> Option<PathBuf> {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    candidates.iter().find_map(|dir| {
        let fs = rustix::fs::statfs(dir).ok()?;
        let kind = fs.f_type as i64;
        (kind == TMPFS_MAGIC || kind == RAMFS_MAGIC).then(|| dir.clone())
    })
}

/// Lets the user edit `text` in their editor, through a file in memory that is wiped after.
fn edit_in_editor(ctx: &Context, text: &str) -> Result<String> {
    let editor = ctx.editor.clone().ok_or_else(|| {
        CliError::new("no editor is set").hint("set EDITOR (e.g. EDITOR=nano), or pass --text")
    })?;
    let base = memory_dir(&ctx.memory_dirs).ok_or_else(|| {
        CliError::new("there is no memory-backed directory for the editor's file, and the text must not touch the disk")
            .hint("pass the new text with --text, or set XDG_RUNTIME_DIR to a tmpfs")
    })?;
    let dir = base.join(format!("haven-edit-{:016x}", rand::random::<u64>()));
    haven_store::durable::private_dir(&dir)?;
    let file = dir.join("entry.txt");
    let result = (|| {
        // Ends with a newline, so that an editor that appends cannot glue words together.
        let mut buffer = zeroize::Zeroizing::new(text.trim_end().to_string());
        buffer.push('\n');
        haven_store::durable::write_atomic(&dir, "entry.txt", buffer.as_bytes())?;
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&file)
            .status()
            .map_err(|e| CliError::new(format!("cannot start the editor `{editor}`: {e}")))?;
        if !status.success() {
            return Err(CliError::new(
                "the editor exited with an error; nothing was changed",
            ));
        }
        std::fs::read_to_string(&file)
            .map_err(|e| CliError::new(format!("cannot read the edited text: {e}")))
    })();
    wipe(&file);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Overwrites a file with zeros before removing it.
fn wipe(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::write(path, vec![0u8; meta.len() as usize]);
    }
    let _ = std::fs::remove_file(path);
}

/// Runs `haven edit`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (_, keys, store) = practice::open(ctx)?;
    let raw_sets = args
        .set
        .iter()
        .map(|s| split_set(s))
        .collect::<Result<Vec<_>>>()?;
    let entry = store.read(&keys)?.resolve(&args.id)?.clone();
    // Every value is checked against the kind's schema before anything is written.
    let schema = fields_of(entry.kind);
    let sets = raw_sets
        .iter()
        .map(|(key, value)| {
            let parsed = schema
                .parse(key, value)
                .map_err(|e| bad_field(&args.id, e))?;
            Ok((key.to_string(), parsed))
        })
        .collect::<Result<Vec<_>>>()?;
    for key in &args.unset {
        match schema.field(key) {
            Some(spec) if spec.editable => {}
            Some(_) => {
                return Err(bad_field(
                    &args.id,
                    FieldError::NotEditable { key: key.clone() },
                ));
            }
            None => {
                return Err(bad_field(
                    &args.id,
                    FieldError::Unknown {
                        kind: entry.kind.as_str().to_string(),
                        key: key.clone(),
                        allowed: schema.editable_keys(),
                    },
                ));
            }
        }
    }
    let only_fields = !sets.is_empty() || !args.unset.is_empty() || !args.people.is_empty();
    let new_text = match args.text {
        Some(t) => Some(t),
        None if only_fields => None,
        None => {
            let edited = edit_in_editor(ctx, &entry.text)?;
            let edited = edited.trim_end().to_string();
            // As git does with an emptied commit message: an empty buffer aborts.
            if edited.trim().is_empty() {
                return Err(CliError::new("empty: nothing changed").hint(format!(
                    "to remove the entry, run `haven delete {}`",
                    output::clean(&args.id, false)
                )));
            }
            (edited != entry.text).then_some(edited)
        }
    };
    if new_text.is_none() && !only_fields {
        if !ctx.quiet {
            println!("No change.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let now = ctx.now();
    let me = ctx.vault()?.config().device_id.clone();
    let id = entry.id;
    store.change(&keys, |doc| {
        let id = JournalStore::resolve_in(doc, &id.to_string())?;
        if let Some(text) = &new_text {
            schema::set_text(doc, id, text, &me, now)?;
        }
        for (key, value) in &sets {
            schema::set_field(doc, id, key, Some(value))?;
        }
        for key in &args.unset {
            schema::set_field(doc, id, key, None)?;
        }
        if !args.people.is_empty() {
            schema::set_people(doc, id, &practice::split_words(args.people.clone()))?;
        }
        Ok(())
    })?;
    let updated = store.read(&keys)?.resolve(&id.to_string())?.clone();
    if ctx.json {
        output::print_json(&output::entry_json(&updated))?;
    } else if !ctx.quiet {
        println!("Edited {id}.");
    }
    Ok(ExitCode::SUCCESS)
}
