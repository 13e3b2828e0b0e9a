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
    let vault = ctx.vault()?;
    if let Some(Action::Add { text }) = args.action {
        let text = text.join(" ");
        if text.trim().is_empty() {
            return Err(CliError::new("the affirmation is empty; nothing was saved")
                .hint("haven affirm add \"I am allowed to rest\""));
        }
        let mut entry = practice::new_entry(ctx, &vault, &args.when, EntryKind::Affirmation, text)?;
        practice::set_text(&mut entry, key::SOURCE, Some("own".into()));
        // Affirmations live in the personal journal.
        vault.personal().seal(&entry)?;
        return practice::report(ctx, &entry);
    }
    // Your own affirmations join the pick when the vault can be read; if it is locked the
    // built-in ones still serve.
    let own: Vec<String> = match ctx.keys(&vault) {
        Ok((keys, _)) => vault
            .personal()
            .read(&keys)?
            .entries
            .into_iter()
            .filter(|e| e.kind == EntryKind::Affirmation)
            .map(|e| e.text)
            .collect(),
        Err(_) => Vec::new(),
    };
    let text = if args.random {
        let mut all = vocab::affirmations();
        all.extend(own);
        let i = rand::random::<u64>() as usize % all.len().max(1);
        all.get(i).cloned().unwrap_or_default()
    } else {
        let today = ctx.today();
        vocab::affirmation_of_the_day(today, &own)
    };
    if ctx.json {
        output::print_json(&json!({"affirmation": text}))?;
    } else {
        println!("{}", clean(&text, true));
    }
    Ok(ExitCode::SUCCESS)
}
