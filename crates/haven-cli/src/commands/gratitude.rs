//! `haven gratitude`: who showed up for you, and how.

use std::process::ExitCode;

use haven_model::EntryKind;
use haven_model::fields::key;

use haven_model::vocab::question;

use crate::context::Context;
use crate::error::Result;
use crate::practice::{self, missing};
use crate::prompt;

/// Evening gratitude for the people who showed up: who supported, listened or cared, and how.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    /// Someone who showed up for you (repeat for several)
    #[arg(short, long = "person", value_name = "NAME")]
    people: Vec<String>,
    /// How: listened, supported, showed care, showed up, ... (repeat or comma-separate)
    #[arg(short, long = "way", value_name = "WAY")]
    ways: Vec<String>,
    /// What they did and what it meant to you
    text: Vec<String>,
}

/// Runs `haven gratitude`.
pub fn run(ctx: &Context, mut args: Args) -> Result<ExitCode> {
    let target = practice::begin(ctx)?;
    let mut text = args.text.join(" ");
    if args.people.is_empty() {
        if !ctx.can_ask {
            return Err(missing("at least one person", "--person NAME"));
        }
        eprintln!("{}", question("gratitude", "intro"));
        args.people = vec![prompt::text(question("gratitude", "person"), true)?];
        if args.ways.is_empty() {
            args.ways = vec![prompt::suggest(
                question("gratitude", "ways"),
                &practice::suggestions_of(EntryKind::Gratitude, key::WAYS),
            )?];
        }
        if text.is_empty() {
            text = prompt::text(question("gratitude", "meaning"), false)?;
        }
    }
    let mut entry = practice::new_entry(ctx, &target, &args.when, EntryKind::Gratitude, text)?;
    entry.people = practice::split_words(args.people);
    practice::set_list(&mut entry, key::WAYS, args.ways);
    let person = entry.people.first().cloned();
    practice::save_relational(ctx, &target, entry, person.as_deref())
}
