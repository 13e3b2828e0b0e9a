//! `haven write`: free journaling.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use haven_model::Entry;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;
use crate::practice;

/// Write a journal entry. Tags written inline as #tag or @tag are recorded.
///
/// The text comes from the arguments, or from standard input when there are none. Writing
/// needs no passphrase: while the vault is locked the entry is sealed to this device's
/// public key and merged into the journal at the next unlock.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    /// The text of the entry (words are joined with spaces)
    text: Vec<String>,
}

/// Runs `haven write`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let text = if args.text.is_empty() {
        if std::io::stdin().is_terminal() && !ctx.quiet {
            eprintln!("Write your entry; finish with Ctrl-D on a new line.");
        }
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf).map_err(|e| {
            CliError::new(format!("cannot read the entry from standard input: {e}"))
        })?;
        buf
    } else {
        args.text.join(" ")
    };
    let text = text.trim_end().to_string();
    if text.trim().is_empty() {
        return Err(CliError::new("the entry is empty; nothing was saved")
            .hint("pass the text as arguments or on standard input"));
    }
    let vault = ctx.vault()?;
    let store = match &ctx.journal {
        None => vault.personal(),
        Some(_) => {
            let (keys, _) = ctx.keys(&vault).map_err(|e| {
                e.hint("only the personal journal takes entries while locked; run `haven unlock` to write to another")
            })?;
            ctx.journal_store(&vault, &keys)?
        }
    };
    let at = args.when.timestamp(ctx)?;
    let entry = Entry::note(
        ctx.new_entry_id(at),
        at,
        vault.config().device_id.clone(),
        text,
    );
    store.seal(&entry)?;
    if ctx.json {
        output::print_json(&output::entry_json(&entry))?;
    } else if !ctx.quiet {
        let tags = if entry.tags.is_empty() {
            String::new()
        } else {
            format!("  {}", output::clean(&entry.tags.join(" "), false))
        };
        println!("Saved {}{tags}", entry.id);
    }
    Ok(ExitCode::SUCCESS)
}
