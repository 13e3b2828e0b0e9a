//! `haven share`: invite a partner into one journal.

use std::process::ExitCode;

use haven_model::members::Role;
use haven_sync::ticket::Scope;

use crate::context::Context;
use crate::error::{CliError, Result};
use haven_node::Purpose;
use haven_node::node::key_bytes;

/// Invite someone into one journal: prints a ticket, then waits for them to run
/// `haven join TICKET` on their own vault. Nothing of your other journals reaches them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal to share (create it with `haven journal new NAME`)
    journal: String,
    /// How long the ticket stays valid, e.g. 10m, 1h (at most 24h)
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    expires: String,
    /// Draw the ticket's QR code even when the output is not a terminal
    #[arg(long)]
    qr: bool,
    /// What they may do: `reader` syncs and reads, `writer` also writes entries of their
    /// own, `admin` also adds and removes people
    #[arg(long, value_name = "ROLE", default_value = "writer", value_parser = parse_role)]
    role: Role,
}

fn parse_role(s: &str) -> std::result::Result<Role, String> {
    s.parse()
        .map_err(|()| format!("`{s}` is not a role: use admin, writer or reader"))
}

/// Runs `haven share`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let net = ctx.node(Purpose::Network)?;
    let store = net.vault().find_journal(&net.keys, &args.journal)?;
    let view = store.read_recent(&net.keys, 0)?;
    if view
        .meta
        .as_ref()
        .is_some_and(|m| m.kind == haven_model::JournalKind::Personal)
    {
        return Err(CliError::new("your personal journal is never shared with another person")
            .hint("create a journal to share with `haven journal new us`, or pair your own device with `haven invite`"));
    }
    let key = view.key.as_deref().and_then(key_bytes).ok_or_else(|| {
        CliError::new("this journal has no shared key").hint("run `haven doctor`")
    })?;
    drop(net);
    super::invite::host(
        ctx,
        Scope::Journal(key),
        args.role,
        &args.expires,
        &format!("the journal `{}`", args.journal),
        args.qr,
    )
}
