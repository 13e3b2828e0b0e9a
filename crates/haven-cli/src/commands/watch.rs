//! `haven watch`: follow a journal live.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::control::{self, Arrival, Reply, Request};
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
                output::name(&e.author),
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
    // With a daemon running, entries from other devices arrive through it: it says when, so
    // the journal is re-read at once. Entries written on this device show up on the next
    // read either way.
    let (tx, arrivals) = std::sync::mpsc::channel::<Arrival>();
    let daemon = control::Client::open(&ctx.daemon_socket(), &Request::Watch, None).and_then(
        |mut client| match client.next() {
            Some(Reply::Watching) => Some(client),
            _ => None,
        },
    );
    let with_daemon = daemon.is_some();
    if let Some(mut client) = daemon {
        std::thread::spawn(move || {
            while let Some(reply) = client.next() {
                if let Reply::Arrived(a) = reply
                    && tx.send(a).is_err()
                {
                    return;
                }
            }
        });
    }
    if !ctx.json && !ctx.quiet {
        if with_daemon {
            eprintln!("Watching for new entries, with the daemon (Ctrl-C to stop)...");
        } else {
            eprintln!(
                "Watching for new entries written here (Ctrl-C to stop). No daemon is running: \
                 start `haven daemon` to see entries from other devices as they arrive."
            );
        }
    }
    loop {
        if stop_after.is_some_and(|d| started.elapsed() >= d) {
            return Ok(ExitCode::SUCCESS);
        }
        let wait = if with_daemon {
            Duration::from_millis(1000)
        } else {
            Duration::from_millis(300)
        };
        // An arrival wakes us early; otherwise read again after the wait.
        if let Err(std::sync::mpsc::RecvTimeoutError::Disconnected) = arrivals.recv_timeout(wait) {
            // The daemon went away: keep following what is written here.
            std::thread::sleep(wait);
        }
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
