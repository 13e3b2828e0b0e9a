//! `haven watch`: follow a journal live.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, clean};
use crate::practice;

/// Follow a journal live: print each new entry as it arrives, from this device or, through
/// a running `haven daemon`, from your other devices and your partner's. Stop with Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stop after this long, e.g. 10m (default: until stopped)
    #[arg(long = "for", value_name = "DURATION")]
    duration: Option<String>,
    /// Also print the last N entries first
    #[arg(short = 'n', long, default_value_t = 0)]
    last: usize,
}

/// Runs `haven watch`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let stop_after = args
        .duration
        .as_deref()
        .map(crate::commands::unlock::parse_duration)
        .transpose()?;
    let (_, keys, store) = practice::open(ctx)?;
    let started = Instant::now();
    let first = store.read(&keys)?;
    let mut seen: BTreeSet<_> = first.entries.iter().map(|e| e.id).collect();
    let print = |e: &haven_model::Entry| -> Result<()> {
        if ctx.json {
            let line = serde_json::to_string(&output::entry_json(e))?;
            println!("{line}");
        } else {
            println!(
                "{} {:<10} {:<9} {}",
                output::local_time(&e.created, &ctx.tz),
                clean(&e.author, false),
                e.kind.as_str(),
                clean(&output::summary(e), false)
            );
        }
        use std::io::Write;
        std::io::stdout().flush()?;
        Ok(())
    };
    for e in first
        .entries
        .iter()
        .rev()
        .take(args.last)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        print(e)?;
    }
    if !ctx.json && !ctx.quiet {
        eprintln!("Watching for new entries (Ctrl-C to stop)...");
    }
    loop {
        if stop_after.is_some_and(|d| started.elapsed() >= d) {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(300));
        let view = match store.read(&keys) {
            Ok(v) => v,
            Err(_) => continue,
        };
        for e in &view.entries {
            if seen.insert(e.id) {
                print(e)?;
            }
        }
    }
}
