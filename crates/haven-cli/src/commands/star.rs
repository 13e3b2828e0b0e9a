//! `haven star`: mark an entry (or unmark it with `--off`).

use std::process::ExitCode;

use haven_model::schema;
use haven_store::JournalStore;
use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::output;

/// Star an entry so it is easy to find again; `--off` removes the star.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry id, or a unique prefix of it
    id: String,
    /// Remove the star instead
    #[arg(long)]
    off: bool,
}

/// Runs `haven star`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    let starred = !args.off;
    // Resolve inside the change: the document is loaded anyway, and the read cache of a
    // large journal need not be.
    let id = store.change(&keys, |doc| {
        let id = JournalStore::resolve_in(doc, &args.id)?;
        schema::set_starred(doc, id, starred)?;
        Ok(id)
    })?;
    if ctx.json {
        output::print_json(&json!({"id": id.to_string(), "starred": starred}))?;
    } else if !ctx.quiet {
        println!("{} {id}", if starred { "Starred" } else { "Unstarred" });
    }
    Ok(ExitCode::SUCCESS)
}
