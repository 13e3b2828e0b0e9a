//! `haven watch`: follow a journal live.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, clean};
use crate::practice;
use haven_node::daemon::disk_events::DiskEvents;
use haven_node::ipc::control::{self, Reply, Request};

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
        .map(|d| crate::commands::unlock::parse_duration(d, "haven watch --for"))
        .transpose()?;
    let (_, keys, store) = practice::open(ctx)?;
    let started = Instant::now();
    let first = store.read(&keys)?;
    let mut seen: BTreeSet<_> = first.entries.iter().map(|e| e.id).collect();
    // People who leave while watching are told as such ("Sam left the journal").
    let me = ctx.vault()?.config().device_id.clone();
    let mut gone: BTreeSet<String> = haven_model::members::departed(&first.members, &me)
        .into_iter()
        .map(|d| d.person_id)
        .collect();
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
    // Two things wake this loop, and nothing else: a change to the journal on disk (an
    // entry written on this device, or one the daemon brought in) and the daemon saying that
    // entries arrived. A burst of either is one wake-up.
    let (tx, wakes) = std::sync::mpsc::sync_channel::<()>(1);
    let on_disk = {
        let tx = tx.clone();
        DiskEvents::start(store.dir(), move |_| {
            let _ = tx.try_send(());
        })
    };
    let daemon = control::Client::open(&ctx.daemon_socket(), &Request::Watch, None).and_then(
        |mut client| match client.next_reply() {
            Some(Reply::Watching) => Some(client),
            _ => None,
        },
    );
    let with_daemon = daemon.is_some();
    if let Some(mut client) = daemon {
        let tx = tx.clone();
        std::thread::spawn(move || {
            while let Some(reply) = client.next_reply() {
                if let Reply::Arrived(_) = reply
                    && let Err(std::sync::mpsc::TrySendError::Disconnected(_)) = tx.try_send(())
                {
                    return;
                }
            }
        });
    }
    // Without a watcher (the system refused one), the journal is read again every second.
    let fallback = on_disk.is_err().then_some(Duration::from_secs(1));
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
        let left = stop_after.map(|d| d.saturating_sub(started.elapsed()));
        if left == Some(Duration::ZERO) {
            return Ok(ExitCode::SUCCESS);
        }
        let wait = match (left, fallback) {
            (Some(l), Some(f)) => l.min(f),
            (Some(l), None) => l,
            (None, Some(f)) => f,
            (None, None) => Duration::from_secs(3600),
        };
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wakes.recv_timeout(wait)
            && fallback.is_none()
        {
            continue;
        }
        // The small recent cache says what is new, unless everything in it is (then more
        // arrived at once than it holds, and the whole journal is read).
        let view = match store.read_recent(&keys, haven_store::journal::RECENT) {
            Ok(recent)
                if recent.total > recent.entries.len()
                    && recent.entries.iter().all(|e| !seen.contains(&e.id)) =>
            {
                store.read(&keys)
            }
            other => other,
        };
        let Ok(view) = view else { continue };
        for e in &view.entries {
            if seen.insert(e.id) {
                print(e)?;
            }
        }
        for d in haven_model::members::departed(&view.members, &me) {
            if gone.insert(d.person_id.clone()) {
                let how = if d.left() { "left" } else { "was removed from" };
                if ctx.json {
                    let line = serde_json::json!({"departed": d.person, "left": d.left()});
                    println!("{line}");
                } else {
                    println!("{} {how} the journal.", output::name(&d.person));
                }
                use std::io::Write;
                std::io::stdout().flush()?;
            }
        }
    }
}
