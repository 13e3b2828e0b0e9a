//! `haven journal`: create and list journals.

use std::process::ExitCode;

use haven_model::{JournalKind, JournalMeta};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};

/// Create and list journals. Every command takes --journal NAME to use one.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Create a journal (to share with someone later with `haven share`)
    New {
        /// Its name
        name: String,
    },
    /// List journals
    List,
}

/// Runs `haven journal`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    match args.action {
        Action::New { name } => {
            let name = name.trim().to_string();
            if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
                return Err(CliError::new(
                    "a journal name needs 1 to 64 printable characters",
                ));
            }
            let meta = JournalMeta {
                name: name.clone(),
                kind: JournalKind::Shared,
                created_ms: ctx.now().unix_ms,
            };
            let store = vault.create_journal(&keys, &meta)?;
            // My other devices join every journal I am in, including new ones.
            let mine: Vec<_> = vault
                .personal()
                .read_recent(&keys, 0)?
                .members
                .into_iter()
                .filter(|m| m.is_active() && m.device != vault.config().device_id)
                .collect();
            if !mine.is_empty() {
                store.change(&keys, |doc| {
                    for m in &mine {
                        haven_model::members::add_member(doc, m)?;
                    }
                    Ok(())
                })?;
            }
            if ctx.json {
                output::print_json(&json!({"name": name, "kind": "shared"}))?;
            } else if !ctx.quiet {
                println!(
                    "Created the journal `{}`. Write to it with --journal {}.",
                    clean(&name, false),
                    clean(&name, false)
                );
            }
        }
        Action::List => {
            let mut list = Vec::new();
            for (store, meta) in vault.journals(&keys)? {
                let total = store.read_recent(&keys, 0)?.total;
                list.push(json!({"name": meta.name, "kind": meta.kind.as_str(), "entries": total}));
            }
            if ctx.json {
                output::print_json(&json!(list))?;
            } else {
                for j in &list {
                    let n = j["entries"].as_u64().unwrap_or(0);
                    println!(
                        "{:<20} {:<9} {n} {}",
                        clean(j["name"].as_str().unwrap_or(""), false),
                        j["kind"].as_str().unwrap_or(""),
                        if n == 1 { "entry" } else { "entries" }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
