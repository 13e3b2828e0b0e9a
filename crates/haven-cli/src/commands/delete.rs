//! `haven delete`: remove an entry.

use std::process::ExitCode;

use haven_model::schema;
use haven_store::JournalStore;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use crate::practice;
use crate::prompt;

/// Delete an entry. Asks first on a terminal; scripts pass --yes.
///
/// The entry leaves the journal on every device that syncs it. Like any deletion in a
/// replicated journal, copies a device already had before cannot be taken back.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry id, or a unique prefix of it
    id: String,
    /// Do not ask
    #[arg(short, long)]
    yes: bool,
}

/// Runs `haven delete`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (_, keys, store) = practice::open(ctx)?;
    let view = store.read(&keys)?;
    let entry = view.resolve(&args.id)?;
    if !args.yes {
        if !ctx.can_ask {
            return Err(
                CliError::new("deleting needs confirmation; nothing was deleted")
                    .hint("pass --yes"),
            );
        }
        eprintln!("{}  {}", entry.id, clean(entry.title(), false));
        if !prompt::confirm("Delete this entry?")? {
            eprintln!("Kept.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let id = entry.id;
    let at = ctx.now().unix_ms;
    store.change(&keys, |doc| {
        let id = JournalStore::resolve_in(doc, &id.to_string())?;
        Ok(schema::delete_entry(doc, id, at)?)
    })?;
    if ctx.json {
        output::print_json(&json!({"id": id.to_string(), "deleted": true}))?;
    } else if !ctx.quiet {
        println!("Deleted {id}.");
    }
    Ok(ExitCode::SUCCESS)
}
