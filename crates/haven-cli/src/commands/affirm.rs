//! `haven affirm`: an affirmation for today, or one of your own.

use std::process::ExitCode;

use haven_model::fields::key;
use haven_model::{EntryKind, vocab};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use crate::practice;

/// Show an affirmation: the same one all day (or --random); `haven affirm add TEXT` keeps
/// one of your own in your personal journal.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    #[command(subcommand)]
    action: Option<Action>,
    /// Pick one at random instead of today's
    #[arg(long)]
    random: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Keep an affirmation of your own
    Add {
        /// The affirmation, in your words
        text: Vec<String>,
    },
}

/// Runs `haven affirm`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    // Affirmations live in the personal journal, whatever --journal says.
    let target = practice::personal(ctx)?;
    let vault = &target.vault;
    if let Some(Action::Add { text }) = args.action {
        let text = text.join(" ");
        if text.trim().is_empty() {
            return Err(CliError::new("the affirmation is empty; nothing was saved")
                .hint("haven affirm add \"I am allowed to rest\""));
        }
        let mut entry =
            practice::new_entry(ctx, &target, &args.when, EntryKind::Affirmation, text)?;
        practice::set_text(&mut entry, key::SOURCE, Some("own".into()));
        // Adding needs no key; a wrong passphrase given is still said.
        ctx.keys_or_warn(vault);
        // Affirmations live in the personal journal.
        vault.personal().seal(&entry)?;
        return practice::report(ctx, &entry);
    }
    // Your own affirmations join the pick when the key is at hand without asking (a wrong
    // passphrase given is an error, never passed over); locked, the built-in ones serve.
    let keys = ctx.keys_unasked(vault)?;
    let own: Vec<haven_model::Entry> = match &keys {
        Some(keys) => vault.personal().read(keys)?.entries,
        None => Vec::new(),
    };
    let text = if args.random {
        let mut all = vocab::affirmations();
        all.extend(
            own.iter()
                .filter(|e| e.kind == EntryKind::Affirmation)
                .map(|e| e.text.clone()),
        );
        let i = rand::random::<u64>() as usize % all.len().max(1);
        all.get(i).cloned().unwrap_or_default()
    } else {
        vocab::affirmation_of_the_day_from(ctx.today(), &own, &ctx.tz)
    };
    if ctx.json {
        output::print_json(&json!({"affirmation": text, "own_included": keys.is_some()}))?;
    } else {
        println!("{}", clean(&text, true));
        if keys.is_none() && !ctx.quiet {
            eprintln!(
                "(The vault is locked, so your own affirmations are not among today's; `haven unlock` adds them.)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
