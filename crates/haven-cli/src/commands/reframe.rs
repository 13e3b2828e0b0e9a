//! `haven reframe`: turn blame and absolutes into a need statement.

use std::process::ExitCode;

use haven_model::EntryKind;
use haven_model::fields::key;
use haven_model::reframe;
use serde_json::json;

use haven_model::vocab::question;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean, paint};
use crate::practice;
use crate::prompt;

/// Find blame, absolutes and mind-reading in a sentence ("you never...", "you make me...")
/// and turn it into a need statement: I feel ... / I need ... / Could we ...? Both versions
/// are saved.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    when: practice::When,
    /// The sentence, as you would have said it
    sentence: Vec<String>,
    /// What I feel (for the need statement)
    #[arg(long)]
    feel: Option<String>,
    /// What I need
    #[arg(long)]
    need: Option<String>,
    /// What I ask for: "could we ..."
    #[arg(long)]
    request: Option<String>,
}

/// Runs `haven reframe`.
pub fn run(ctx: &Context, mut args: Args) -> Result<ExitCode> {
    let mut sentence = args.sentence.join(" ");
    if sentence.trim().is_empty() {
        if !ctx.can_ask {
            return Err(
                CliError::new("give the sentence to reframe; nothing was saved")
                    .hint("haven reframe \"You never listen to me\""),
            );
        }
        sentence = prompt::text(question("reframe", "sentence"), true)?;
    }
    // Settled before any question, so that a key needed for --journal is asked first.
    let target = practice::begin(ctx)?;
    let analysis = reframe::analyze(&sentence);
    if !ctx.json && !ctx.quiet {
        if analysis.findings.is_empty() {
            if analysis.is_need_statement {
                output::say(
                    ctx,
                    "This is already a need statement: it speaks of you and asks for something. Nothing to reframe.",
                );
            } else {
                println!("No blame or absolutes found in it.");
            }
        } else {
            println!("What I noticed:");
            for f in &analysis.findings {
                output::say_under(
                    ctx,
                    &format!(
                        "  {}",
                        paint(
                            &format!("\"{}\"", clean(&f.matched, false)),
                            "33",
                            ctx.color
                        )
                    ),
                    f.pattern.explanation(),
                );
            }
        }
    }
    let complete = args.feel.is_some() && args.need.is_some() && args.request.is_some();
    if !complete && !analysis.findings.is_empty() && ctx.can_ask {
        let feelings = reframe::suggest_feelings(&analysis).join(", ");
        let needs = reframe::suggest_needs(&analysis).join(", ");
        eprintln!("{}", question("reframe", "intro"));
        if args.feel.is_none() {
            args.feel = Some(prompt::text(
                &question("reframe", "feel").replace("{feelings}", &feelings),
                true,
            )?);
        }
        if args.need.is_none() {
            args.need = Some(prompt::text(
                &question("reframe", "need").replace("{needs}", &needs),
                true,
            )?);
        }
        if args.request.is_none() {
            args.request = Some(prompt::text(question("reframe", "request"), true)?);
        }
    }
    let findings: Vec<_> = analysis
        .findings
        .iter()
        .map(|f| json!({"pattern": f.pattern.id(), "matched": f.matched, "start": f.start, "end": f.end, "explanation": f.pattern.explanation()}))
        .collect();
    let (Some(feel), Some(need), Some(request)) = (args.feel, args.need, args.request) else {
        if ctx.json {
            output::print_json(
                &json!({"original": sentence, "findings": findings, "is_need_statement": analysis.is_need_statement, "saved": null}),
            )?;
        } else if !analysis.findings.is_empty() && !ctx.quiet {
            println!(
                "To save a need statement, pass --feel, --need and --request (or run this in a terminal)."
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let statement = reframe::need_statement(&feel, &need, &request);
    let mut entry = practice::new_entry(
        ctx,
        &target,
        &args.when,
        EntryKind::Reframe,
        statement.clone(),
    )?;
    practice::set_text(&mut entry, key::ORIGINAL, Some(sentence.clone()));
    practice::set_list(
        &mut entry,
        key::PATTERNS,
        analysis
            .findings
            .iter()
            .map(|f| f.pattern.id().to_string())
            .collect(),
    );
    practice::set_text(&mut entry, key::FEEL, Some(feel));
    practice::set_text(&mut entry, key::NEED, Some(need));
    practice::set_text(&mut entry, key::REQUEST, Some(request));
    target.store().seal(&entry)?;
    if ctx.json {
        output::print_json(
            &json!({"original": sentence, "findings": findings, "is_need_statement": analysis.is_need_statement, "saved": output::entry_json(&entry)}),
        )?;
    } else if !ctx.quiet {
        println!();
        output::say_under(ctx, "Your need statement:", &clean(&statement, false));
        println!("\nSaved {} (reframe)", entry.id);
    }
    Ok(ExitCode::SUCCESS)
}
