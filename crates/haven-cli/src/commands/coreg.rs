//! `haven coreg`: co-regulation: say what you need, take a break with a return time, or
//! answer "I'm here".

use std::process::ExitCode;

use haven_model::EntryKind;
use haven_model::fields::key;

use haven_model::vocab::question;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::practice::{self, missing};
use crate::prompt;

/// Co-regulation: "I'm overwhelmed, I need presence / a hug / space / to talk", a break with
/// an agreed return time (20 minutes to 24 hours), and the partner's "I'm here".
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    /// Without one, a terminal is offered the three
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Say that you are overwhelmed and what you need
    Need {
        /// What would help: presence, a hug, space, to talk (repeat or comma-separate)
        #[arg(short, long = "need", value_name = "NEED")]
        needs: Vec<String>,
        /// How overwhelmed, 0 to 10
        #[arg(long, value_parser = practice::int_flag(EntryKind::Coreg, key::OVERWHELM))]
        overwhelm: Option<i64>,
        /// Anything else
        text: Vec<String>,
    },
    /// Take a break and agree when you will come back (20m to 24h)
    Break {
        /// How long, e.g. 30m, 1h, 2h30m (asked on a terminal when left out)
        #[arg(long = "for", value_name = "DURATION")]
        duration: Option<String>,
        /// Anything else
        text: Vec<String>,
    },
    /// Answer someone's entry: "I'm here"
    Here {
        /// The entry you answer (a unique id prefix)
        id: String,
        /// Anything else
        text: Vec<String>,
    },
}

/// Parses a break length and checks it against the schema's range (20 minutes to 24 hours).
pub fn break_minutes(text: &str) -> Result<i64> {
    let d: jiff::SignedDuration = text.trim().parse().map_err(|_| {
        CliError::new(format!("`{text}` is not a duration; nothing was saved"))
            .hint("write it like `haven coreg break --for 30m` (or 1h, 2h30m)")
    })?;
    let minutes = d.as_secs() / 60;
    let (shortest, longest) = practice::range_of(EntryKind::Coreg, key::BREAK_MINUTES);
    if minutes < shortest {
        return Err(CliError::new(format!("a break of {text} is too short; nothing was saved")).hint(
            "a nervous system needs about 20 minutes to settle after flooding: `haven coreg break --for 20m` or more",
        ));
    }
    if minutes > longest {
        return Err(CliError::new(format!("a break of {text} is too long; nothing was saved"))
            .hint("agree to come back within a day (`haven coreg break --for 24h` at most), so the other person is not left waiting"));
    }
    Ok(minutes)
}

/// On a terminal, which of the three to do; elsewhere, an error naming them.
fn choose_mode(ctx: &Context) -> Result<Action> {
    if !ctx.can_ask {
        return Err(
            CliError::new("say which: need, break or here; nothing was saved").hint(
                "run `haven coreg need`, `haven coreg break --for 30m` or `haven coreg here ID`",
            ),
        );
    }
    let modes = [
        "need: I'm overwhelmed, and this would help",
        "break: I need a pause, and I will come back",
        "here: answer someone's entry, \"I'm here\"",
    ];
    let picked = prompt::choice(question("coreg", "mode"), &modes)?;
    // A number picks one of the three; typed words are matched by their first word.
    let first = picked
        .split([':', ' '])
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    Ok(match first.as_str() {
        "break" => Action::Break {
            duration: None,
            text: Vec::new(),
        },
        "here" => Action::Here {
            id: prompt::text(question("coreg", "here"), true)?,
            text: Vec::new(),
        },
        _ => Action::Need {
            needs: Vec::new(),
            overwhelm: None,
            text: Vec::new(),
        },
    })
}

/// Runs `haven coreg`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let action = match args.action {
        Some(action) => action,
        None => choose_mode(ctx)?,
    };
    match action {
        Action::Need {
            mut needs,
            mut overwhelm,
            text,
        } => {
            let target = practice::begin(ctx)?;
            if needs.is_empty() {
                if !ctx.can_ask {
                    return Err(missing(
                        "what you need",
                        "--need presence|a hug|space|to talk",
                    ));
                }
                needs = vec![prompt::suggest(
                    question("coreg", "need"),
                    &practice::suggestions_of(EntryKind::Coreg, key::NEEDS),
                )?];
                let (min, max) = practice::range_of(EntryKind::Coreg, key::OVERWHELM);
                overwhelm = prompt::number(question("coreg", "overwhelm"), min, max, false)?;
            }
            let mut entry =
                practice::new_entry(ctx, &target, &args.when, EntryKind::Coreg, text.join(" "))?;
            practice::set_text(&mut entry, key::MODE, Some("checkin".into()));
            practice::set_list(&mut entry, key::NEEDS, needs);
            practice::set_int(&mut entry, key::OVERWHELM, overwhelm);
            practice::save_relational(ctx, &target, entry, None)
        }
        Action::Break { duration, text } => {
            let duration = match duration {
                Some(d) => d,
                None if ctx.can_ask => prompt::text(question("coreg", "break"), true)?,
                None => return Err(missing("how long the break is", "--for 30m")),
            };
            let minutes = break_minutes(&duration)?;
            let target = practice::begin(ctx)?;
            let mut entry =
                practice::new_entry(ctx, &target, &args.when, EntryKind::Coreg, text.join(" "))?;
            let back = entry.created.unix_ms + minutes * 60_000;
            practice::set_text(&mut entry, key::MODE, Some("break".into()));
            practice::set_int(&mut entry, key::BREAK_MINUTES, Some(minutes));
            practice::set_int(&mut entry, key::RETURN_AT, Some(back));
            let code = practice::save_relational(ctx, &target, entry, None)?;
            if !ctx.json && !ctx.quiet {
                let at = haven_model::Timestamp {
                    unix_ms: back,
                    offset_secs: 0,
                };
                println!(
                    "Taking a break until {}. Coming back is part of it.",
                    crate::output::local_time(&at, &ctx.tz)
                );
            }
            Ok(code)
        }
        Action::Here { id, text } => {
            let target = practice::begin_reading(
                ctx,
                "saying you are here needs the key to find the entry",
            )?;
            let replied = target.read()?.resolve(&id)?.clone();
            let mut entry =
                practice::new_entry(ctx, &target, &args.when, EntryKind::Coreg, text.join(" "))?;
            practice::set_text(&mut entry, key::MODE, Some("here".into()));
            practice::set_text(&mut entry, key::REPLIES_TO, Some(replied.id.to_string()));
            entry.people = vec![replied.author.clone()]
                .into_iter()
                .filter(|a| !a.is_empty())
                .collect();
            practice::save_relational(ctx, &target, entry, None)
        }
    }
}
