//! `haven boundary`: reflect on a boundary with someone, or record one event.

use std::process::ExitCode;

use haven_model::EntryKind;
use haven_model::fields::key;

use haven_model::vocab::question;

use crate::context::Context;
use crate::error::Result;
use crate::practice::{self, missing};
use crate::prompt;

/// Reflect on a boundary with a person or context, or record one event (--crossed, --kept,
/// --cancelled) so that patterns show up in `haven insights`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    /// The person (or context) this is about
    #[arg(short, long = "person", value_name = "NAME")]
    person: Option<String>,
    /// A boundary of mine was crossed
    #[arg(long, group = "event")]
    crossed: bool,
    /// I kept a boundary
    #[arg(long, group = "event")]
    kept: bool,
    /// A plan was cancelled
    #[arg(long, group = "event")]
    cancelled: bool,
    /// Where or in what situation
    #[arg(long)]
    context: Option<String>,
    /// Are my needs respected? yes, no or partly
    #[arg(long, value_parser = practice::choice_flag(EntryKind::Boundary, key::NEEDS_RESPECTED))]
    respected: Option<String>,
    /// Am I honouring theirs? yes, no or partly
    #[arg(long, value_parser = practice::choice_flag(EntryKind::Boundary, key::HONOURING_THEIRS))]
    honouring: Option<String>,
    /// What I will do
    #[arg(long)]
    action: Option<String>,
    /// What happened, in your words
    text: Vec<String>,
}

/// Runs `haven boundary`.
pub fn run(ctx: &Context, mut args: Args) -> Result<ExitCode> {
    let target = practice::begin(ctx)?;
    let event = if args.crossed {
        "crossed"
    } else if args.kept {
        "kept"
    } else if args.cancelled {
        "cancelled"
    } else {
        "reflection"
    };
    if args.person.is_none() {
        if !ctx.can_ask {
            return Err(missing("a person", "--person NAME"));
        }
        args.person = Some(prompt::text(question("boundary", "person"), true)?);
        if event == "reflection" {
            args.respected = Some(prompt::choice(
                question("boundary", "respected"),
                &practice::choices_of(EntryKind::Boundary, key::NEEDS_RESPECTED),
            )?);
            args.honouring = Some(prompt::choice(
                question("boundary", "honouring"),
                &practice::choices_of(EntryKind::Boundary, key::HONOURING_THEIRS),
            )?);
            args.action = Some(prompt::text(question("boundary", "action"), false)?);
        }
    }
    let mut entry = practice::new_entry(
        ctx,
        &target,
        &args.when,
        EntryKind::Boundary,
        args.text.join(" "),
    )?;
    entry.people = practice::split_words(args.person.into_iter().collect());
    practice::set_text(&mut entry, key::EVENT, Some(event.to_string()));
    practice::set_text(&mut entry, key::CONTEXT, args.context);
    practice::set_text(&mut entry, key::NEEDS_RESPECTED, args.respected);
    practice::set_text(&mut entry, key::HONOURING_THEIRS, args.honouring);
    practice::set_text(&mut entry, key::ACTION, args.action);
    practice::save(ctx, &target, entry)
}
