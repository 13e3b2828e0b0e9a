//! `haven repair`: repair after conflict, in three steps, answered by the other person.

use std::io::Write;
use std::process::ExitCode;

use haven_model::fields::key;
use haven_model::repair::{self, RepairState};
use haven_model::{Entry, EntryKind, FieldValue, schema};
use serde_json::json;

use haven_model::vocab::question;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use crate::practice::{self, missing};
use crate::prompt;

/// Repair after a conflict: my part, their experience as I understand it, a path forward.
/// The other person answers on the same repair; a repair is open, answered or repaired.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Args)]
struct Steps {
    /// Step one: my part in what happened
    #[arg(long)]
    my_part: Option<String>,
    /// Step two: their experience, as I understand it
    #[arg(long)]
    their_experience: Option<String>,
    /// Step three: a path forward
    #[arg(long)]
    path_forward: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Open a repair with someone
    Open {
        /// Who the repair is with
        #[arg(long = "with", value_name = "NAME")]
        with: Option<String>,
        #[command(flatten)]
        steps: Steps,
        /// Anything else
        text: Vec<String>,
    },
    /// Answer someone's repair: your own three steps, or --received
    Answer {
        /// The repair's id (a unique prefix is enough)
        id: String,
        /// Just acknowledge it: "received"
        #[arg(long, conflicts_with_all = ["my_part", "their_experience", "path_forward"])]
        received: bool,
        #[command(flatten)]
        steps: Steps,
        /// Anything else
        text: Vec<String>,
    },
    /// Mark a repair as repaired
    Close {
        /// The repair's id (a unique prefix is enough)
        id: String,
    },
    /// List repairs and their state (open ones unless --all)
    List {
        /// Include repaired ones
        #[arg(long)]
        all: bool,
    },
}

fn ask_steps(ctx: &Context, steps: &mut Steps) -> Result<()> {
    if steps.my_part.is_some() && steps.their_experience.is_some() && steps.path_forward.is_some() {
        return Ok(());
    }
    if !ctx.can_ask {
        return Err(missing(
            "all three steps",
            "--my-part, --their-experience and --path-forward",
        ));
    }
    eprintln!("{}", question("repair", "intro"));
    if steps.my_part.is_none() {
        steps.my_part = Some(prompt::text(question("repair", "my_part"), true)?);
    }
    if steps.their_experience.is_none() {
        steps.their_experience = Some(prompt::text(question("repair", "their_experience"), true)?);
    }
    if steps.path_forward.is_none() {
        steps.path_forward = Some(prompt::text(question("repair", "path_forward"), true)?);
    }
    Ok(())
}

fn put_steps(entry: &mut Entry, steps: Steps) {
    practice::set_text(entry, key::MY_PART, steps.my_part);
    practice::set_text(entry, key::THEIR_EXPERIENCE, steps.their_experience);
    practice::set_text(entry, key::PATH_FORWARD, steps.path_forward);
}

fn find_repair<'a>(prefix: &str, view: &'a haven_store::JournalView) -> Result<&'a Entry> {
    let entry = view.resolve(prefix)?;
    if !repair::is_repair(entry) {
        return Err(
            CliError::new(format!("{} is not a repair", entry.id)).hint("see `haven repair list`")
        );
    }
    Ok(entry)
}

/// Runs `haven repair`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    match args.action {
        Action::Open {
            with,
            mut steps,
            text,
        } => {
            let target = practice::begin(ctx)?;
            let with = match with {
                Some(w) => w,
                None if ctx.can_ask => prompt::text(question("repair", "with"), true)?,
                None => return Err(missing("who the repair is with", "--with NAME")),
            };
            ask_steps(ctx, &mut steps)?;
            let mut entry =
                practice::new_entry(ctx, &target, &args.when, EntryKind::Repair, text.join(" "))?;
            entry.people = vec![with.clone()];
            put_steps(&mut entry, steps);
            practice::set_text(&mut entry, key::STATE, Some("open".into()));
            practice::save_relational(ctx, &target, entry, Some(&with))
        }
        Action::Answer {
            id,
            received,
            mut steps,
            text,
        } => {
            let target =
                practice::begin_reading(ctx, "answering a repair needs the key to read it")?;
            let view = target.read()?;
            let repair = find_repair(&id, &view)?;
            if !ctx.json && !ctx.quiet {
                show_repair(repair, ctx)?;
            }
            if !received {
                ask_steps(ctx, &mut steps)?;
            }
            let mut entry =
                practice::new_entry(ctx, &target, &args.when, EntryKind::Repair, text.join(" "))?;
            entry.people = vec![repair.author.clone()]
                .into_iter()
                .filter(|a| !a.is_empty())
                .collect();
            practice::set_text(&mut entry, key::ANSWERS, Some(repair.id.to_string()));
            if received {
                entry
                    .fields
                    .insert(key::RECEIVED.into(), FieldValue::Bool(true));
            } else {
                put_steps(&mut entry, steps);
            }
            practice::save_relational(ctx, &target, entry, None)
        }
        Action::Close { id } => {
            let (_, keys, store) = practice::open(ctx)?;
            let view = store.read(&keys)?;
            let repair_id = find_repair(&id, &view)?.id;
            let answered_by_other = repair::repairs(&view.entries)
                .iter()
                .find(|r| r.entry.id == repair_id)
                .is_some_and(|r| r.answered_by_other());
            store.change(&keys, |doc| {
                Ok(schema::set_field(
                    doc,
                    repair_id,
                    key::STATE,
                    Some(&FieldValue::Text("repaired".into())),
                )?)
            })?;
            if ctx.json {
                output::print_json(&json!({"id": repair_id.to_string(), "state": "repaired"}))?;
            } else if !ctx.quiet {
                if answered_by_other {
                    println!("Repaired {repair_id}. Well done, both of you.");
                } else {
                    println!(
                        "Repaired {repair_id}. Closing it is yours to do; well done for seeing it through."
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::List { all } => {
            let (_, keys, store) = practice::open(ctx)?;
            let view = store.read(&keys)?;
            let repairs: Vec<(&Entry, RepairState)> = repair::repairs(&view.entries)
                .into_iter()
                .map(|r| (r.entry, r.state))
                .filter(|(_, s)| all || *s != RepairState::Repaired)
                .collect();
            if ctx.json {
                let list: Vec<_> = repairs
                    .iter()
                    .map(|(e, s)| {
                        let mut v = output::entry_json(e);
                        v["state"] = json!(s.as_str());
                        v
                    })
                    .collect();
                output::print_json(&json!(list))?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = std::io::stdout().lock();
            if repairs.is_empty() {
                writeln!(out, "No {}repairs.", if all { "" } else { "open " })?;
            }
            for (e, s) in repairs {
                writeln!(
                    out,
                    "{}  {}  {:<8}  with {}  {}",
                    &e.id.to_string()[..12],
                    output::local_time(&e.created, &ctx.tz),
                    s.as_str(),
                    clean(&e.people.join(", "), false),
                    clean(e.text_field(key::PATH_FORWARD).unwrap_or(""), false)
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The repair being answered, so that the answer is written with it in view.
fn show_repair(repair: &Entry, ctx: &Context) -> Result<()> {
    let mut out = std::io::stderr().lock();
    writeln!(
        out,
        "Answering the repair {} by {}, {}:",
        &repair.id.to_string()[..12],
        output::name(&repair.author),
        output::local_time(&repair.created, &ctx.tz)
    )?;
    for (label, k) in [
        ("Their part", key::MY_PART),
        ("What they heard you felt", key::THEIR_EXPERIENCE),
        ("Path forward", key::PATH_FORWARD),
    ] {
        if let Some(v) = repair.text_field(k) {
            writeln!(out, "  {label}: {}", output::clean_capped(v, 500))?;
        }
    }
    Ok(())
}
