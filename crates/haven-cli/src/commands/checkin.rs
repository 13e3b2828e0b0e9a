//! `haven checkin`: an emotion check-in.

use std::process::ExitCode;

use haven_model::EntryKind;
use haven_model::fields::key;

use haven_model::vocab::question;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::practice::{self, missing};
use crate::prompt;

/// Check in with yourself: what you feel, how strongly, and the need behind it.
///
/// With --feeling and --intensity it runs from flags alone; in a terminal without them it
/// asks its questions one by one, offering the feelings and needs vocabularies.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    /// A feeling (repeat, or separate with commas); any word, the vocabulary is a guide
    #[arg(short, long = "feeling", value_name = "FEELING")]
    feelings: Vec<String>,
    /// How strong, from 0 (barely) to 10 (overwhelming)
    #[arg(short, long, value_parser = practice::int_flag(EntryKind::Checkin, key::INTENSITY))]
    intensity: Option<i64>,
    /// How pleasant, from -5 to 5
    #[arg(long, allow_hyphen_values = true, value_parser = practice::int_flag(EntryKind::Checkin, key::PLEASANTNESS))]
    pleasantness: Option<i64>,
    /// How much energy, from -5 to 5
    #[arg(long, allow_hyphen_values = true, value_parser = practice::int_flag(EntryKind::Checkin, key::ENERGY))]
    energy: Option<i64>,
    /// The need behind the feeling (repeat, or separate with commas): comfort, space, reassurance, ...
    #[arg(short, long = "need", value_name = "NEED")]
    needs: Vec<String>,
    /// A kind, self-compassionate response to yourself
    #[arg(short, long)]
    response: Option<String>,
    /// Anything else (free text)
    text: Vec<String>,
}

/// Runs `haven checkin`.
pub fn run(ctx: &Context, mut args: Args) -> Result<ExitCode> {
    let target = practice::begin(ctx)?;
    if args.feelings.is_empty() || args.intensity.is_none() {
        if !ctx.can_ask {
            return Err(missing(
                "a feeling and an intensity",
                "--feeling WORD --intensity 0-10",
            ));
        }
        eprintln!("{}", question("checkin", "intro"));
        if args.feelings.is_empty() {
            args.feelings = prompt::words(
                question("checkin", "feelings"),
                &super::words::with_custom(ctx, true),
                true,
            )?;
        }
        if args.intensity.is_none() {
            let (min, max) = practice::range_of(EntryKind::Checkin, key::INTENSITY);
            args.intensity = prompt::number(question("checkin", "intensity"), min, max, true)?;
        }
        if args.needs.is_empty() {
            args.needs = prompt::words(
                question("checkin", "needs"),
                &super::words::with_custom(ctx, false),
                false,
            )?;
        }
        if args.response.is_none() {
            args.response = Some(prompt::text(question("checkin", "response"), false)?);
        }
    }
    let mut entry = practice::new_entry(
        ctx,
        &target,
        &args.when,
        EntryKind::Checkin,
        args.text.join(" "),
    )?;
    practice::set_list(&mut entry, key::FEELINGS, args.feelings);
    if entry.list_field(key::FEELINGS).is_empty() {
        return Err(CliError::new(
            "name at least one feeling; nothing was saved",
        ));
    }
    practice::set_int(&mut entry, key::INTENSITY, args.intensity);
    practice::set_int(&mut entry, key::PLEASANTNESS, args.pleasantness);
    practice::set_int(&mut entry, key::ENERGY, args.energy);
    practice::set_list(&mut entry, key::NEEDS, args.needs);
    practice::set_text(&mut entry, key::RESPONSE, args.response);
    practice::save(ctx, &target, entry)
}
