//! `haven invite`: pair one more of my own devices.

use std::process::ExitCode;

use haven_model::members::Role;
use haven_sync::ticket::{Scope, Ticket};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use haven_node::ipc::control::{Client, Reply, Request};
use haven_node::pairing::Paired;
use haven_node::{Purpose, fingerprint, pairing};

/// Pair one more of your own devices: prints a ticket, then waits for the other device to
/// run `haven join TICKET`. The new device gets every journal you are in.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long the ticket stays valid, e.g. 10m, 1h (at most 24h)
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub expires: String,
    /// Draw the ticket's QR code even when the output is not a terminal
    #[arg(long)]
    pub qr: bool,
}

/// Prints a ticket for the person at the other device, with its QR code on a terminal or
/// when `qr` asks for it.
pub fn show_ticket(ctx: &Context, ticket: &Ticket, me: &str, what: &str, qr: bool) {
    let text = ticket.to_string();
    if ctx.json {
        let _ = output::print_json(&json!({"ticket": text, "fingerprint": fingerprint(me)}));
    } else {
        println!(
            "Ticket ({what}), valid until {}:",
            output::local_time(
                &haven_model::Timestamp {
                    unix_ms: ticket.expires_at_ms,
                    offset_secs: 0
                },
                &ctx.tz
            )
        );
        println!("\n{text}\n");
        if (qr || std::io::IsTerminal::is_terminal(&std::io::stdout()))
            && let Some(drawn) = crate::qr::render(&text)
        {
            println!("Or scan it:\n{drawn}");
        }
        println!("On the other device run: haven join <ticket>");
        println!(
            "This device's fingerprint: {}  (compare it with what the other device shows)",
            fingerprint(me)
        );
        println!("Waiting for the other device...");
    }
}

/// Hosts a pairing for `scope` (on the running daemon's endpoint when one runs) and
/// reports the result.
pub fn host(
    ctx: &Context,
    scope: Scope,
    role: Role,
    expires: &str,
    what: &str,
    qr: bool,
) -> Result<ExitCode> {
    let flag = match scope {
        Scope::Devices => "haven invite --expires",
        Scope::Journal(_) => "haven share --expires",
    };
    let ttl = crate::commands::unlock::parse_duration(expires, flag)?;
    let expires_at_ms = ctx.clock.now().as_millisecond() + ttl.as_millis() as i64;
    let me = ctx.vault()?.config().device_id.clone();
    let journal = match &scope {
        Scope::Devices => None,
        Scope::Journal(key) => Some(hex::encode(key)),
    };
    let request = Request::Invite {
        journal,
        role,
        expires_at_ms,
    };
    let paired = match Client::open(&ctx.daemon_socket(), &request, None) {
        Some(daemon) => through_daemon(daemon, |t| show_ticket(ctx, t, &me, what, qr))?,
        None => {
            let node = ctx.node(Purpose::Network)?;
            let rt = ctx.runtime()?;
            rt.block_on(pairing::host_pairing(
                &node,
                scope,
                role,
                expires_at_ms,
                |t| show_ticket(ctx, t, &me, what, qr),
            ))?
        }
    };
    if ctx.json {
        output::print_json(&json!({
            "paired": paired.device,
            "fingerprint": fingerprint(&paired.device),
            "device_name": paired.device_name,
            "person": paired.person,
            "journals": paired.journals,
        }))?;
    } else if !ctx.quiet {
        println!(
            "Paired with {}'s {} (fingerprint {}). Shared: {}.",
            output::name(&paired.person),
            output::name(&paired.device_name),
            fingerprint(&paired.device),
            clean(&paired.journals.join(", "), false)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Shows the ticket the daemon made, then waits for its pairing to end.
fn through_daemon(mut daemon: Client, show: impl FnOnce(&Ticket)) -> Result<Paired> {
    match daemon.next_reply() {
        Some(Reply::Ticket { ticket }) => {
            let ticket: Ticket = ticket.parse().map_err(|_| CliError::daemon_answer())?;
            show(&ticket);
        }
        Some(Reply::PairFailed { message, kind }) => return Err(CliError::pairing(message, kind)),
        Some(Reply::Locked) => return Err(CliError::daemon_locked()),
        _ => return Err(CliError::daemon_answer()),
    }
    match daemon.next_reply() {
        Some(Reply::Paired(paired)) => Ok(paired),
        Some(Reply::PairFailed { message, kind }) => Err(CliError::pairing(message, kind)),
        _ => Err(CliError::new("the running daemon stopped while pairing")
            .hint("start `haven daemon` again, then run this command again")),
    }
}

/// Runs `haven invite`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    host(
        ctx,
        Scope::Devices,
        Role::Admin,
        &args.expires,
        "one more of your devices",
        args.qr,
    )
}
