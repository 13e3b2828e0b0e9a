//! `haven words`: your own feelings and needs, added to the vocabularies.

use std::process::ExitCode;

use haven_model::{schema, vocab};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use crate::practice;

/// Add your own words to the feelings and needs vocabularies. They are kept in the journal
/// (and so travel with it to your other devices) and offered in check-ins.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum List {
    Feelings,
    Needs,
}

impl List {
    fn name(self) -> &'static str {
        match self {
            List::Feelings => vocab::FEELINGS,
            List::Needs => vocab::NEEDS,
        }
    }
    fn builtin(self) -> vocab::Vocabulary {
        match self {
            List::Feelings => vocab::builtin_feelings(),
            List::Needs => vocab::builtin_needs(),
        }
    }
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Add a word
    Add {
        /// feelings or needs
        list: List,
        /// The word (or short phrase)
        word: String,
        /// The group it belongs to (an existing one, or a new one)
        #[arg(long)]
        group: Option<String>,
    },
    /// Show a vocabulary, your own words included
    List {
        /// feelings or needs
        list: List,
    },
}

/// The vocabulary `list` with the user's own words from the journal, when it can be read.
pub fn with_custom(ctx: &Context, feelings: bool) -> vocab::Vocabulary {
    let list = if feelings {
        List::Feelings
    } else {
        List::Needs
    };
    let custom = ctx
        .vault()
        .ok()
        .and_then(|vault| {
            let (keys, _) = ctx.keys(&vault).ok()?;
            let store = ctx.journal_store(&vault, &keys).ok()?;
            store.read_recent(&keys, 0).ok()
        })
        .map(|view| {
            vocab::custom_words(
                view.vocab.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                list.name(),
            )
        })
        .unwrap_or_default();
    list.builtin().with_custom(&custom)
}

/// Runs `haven words`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (_, keys, store) = practice::open(ctx)?;
    match args.action {
        Action::Add { list, word, group } => {
            let word = word.trim().to_lowercase();
            if word.is_empty() || word.chars().count() > 40 || word.contains('/') {
                return Err(CliError::new("a word needs 1 to 40 characters and no `/`"));
            }
            let group = group.unwrap_or_else(|| vocab::DEFAULT_CUSTOM_GROUP.to_string());
            let key = vocab::custom_key(list.name(), &word);
            store.change(&keys, |doc| {
                Ok(schema::set_meta_value(doc, &key, group.trim())?)
            })?;
            if ctx.json {
                output::print_json(&json!({"list": list.name(), "word": word, "group": group}))?;
            } else if !ctx.quiet {
                println!(
                    "Added `{}` to your {} ({}).",
                    clean(&word, false),
                    list.name(),
                    clean(&group, false)
                );
            }
        }
        Action::List { list } => {
            let view = store.read_recent(&keys, 0)?;
            let custom = vocab::custom_words(
                view.vocab.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                list.name(),
            );
            let merged = list.builtin().with_custom(&custom);
            if ctx.json {
                let groups: Vec<_> = merged
                    .groups
                    .iter()
                    .map(|g| json!({"group": g.name, "words": g.words}))
                    .collect();
                output::print_json(&json!(groups))?;
            } else {
                for g in &merged.groups {
                    println!(
                        "{:<14} {}",
                        clean(&g.name, false),
                        clean(&g.words.join(", "), false)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
