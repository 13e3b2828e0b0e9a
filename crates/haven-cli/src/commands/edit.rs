//! `haven edit`: change an entry's text (in `$EDITOR`) or its structured fields.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use haven_model::{FieldValue, schema};
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
    /// Set a structured field, e.g. --set intensity=3 or --set feelings=calm,tired
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Remove a structured field
    #[arg(long = "unset", value_name = "KEY")]
    unset: Vec<String>,
    /// Replace the people named (repeat for several)
    #[arg(long = "person", value_name = "NAME")]
    people: Vec<String>,
}

/// Fields that hold lists; `--set` splits their value at commas.
const LIST_KEYS: &[&str] = &["feelings", "needs", "ways", "patterns"];

fn parse_set(arg: &str) -> Result<(String, FieldValue)> {
    let (key, value) = arg.split_once('=').ok_or_else(|| {
        CliError::new(format!("`{arg}` is not KEY=VALUE")).hint("for example --set intensity=3")
    })?;
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(CliError::new(format!("`{arg}` has no field name")));
    }
    let value = value.trim();
    let parsed = if LIST_KEYS.contains(&key.as_str()) {
        FieldValue::List(practice::split_words(vec![value.to_string()]))
    } else if let Ok(n) = value.parse::<i64>() {
        FieldValue::Int(n)
    } else {
        FieldValue::Text(value.to_string())
    };
    Ok((key, parsed))
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
        haven_store::durable::write_atomic(&dir, "entry.txt", text.as_bytes())?;
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
    let sets = args
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>>>()?;
    let entry = store.read(&keys)?.resolve(&args.id)?.clone();
    let only_fields = !sets.is_empty() || !args.unset.is_empty() || !args.people.is_empty();
    let new_text = match args.text {
        Some(t) => Some(t),
        None if only_fields => None,
        None => {
            let edited = edit_in_editor(ctx, &entry.text)?;
            let edited = edited.trim_end().to_string();
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
