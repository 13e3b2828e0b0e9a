//! The command-line definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Haven: a private, local-first journal for practising secure attachment.
///
/// Journals are Automerge documents encrypted with age on this device. Start with
/// `haven demo` for a tour, or `haven init` to create your vault.
#[derive(Debug, Parser)]
#[command(
    name = "haven",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The vault directory [env: HAVEN_HOME; default: the platform data directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The journal to use (default: your personal journal)
    #[arg(long, global = true, value_name = "NAME")]
    pub journal: Option<String>,
    /// Print machine-readable JSON
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the passphrase from the first line of FILE
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Say more about what is happening
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only what was asked for
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Init(commands::init::Args),
    Unlock(commands::unlock::Args),
    Lock(commands::lock::Args),
    Passphrase(commands::passphrase::Args),
    Status(commands::status::Args),
    Write(commands::write::Args),
    Checkin(commands::checkin::Args),
    Gratitude(commands::gratitude::Args),
    Affirm(commands::affirm::Args),
    Reframe(commands::reframe::Args),
    Boundary(commands::boundary::Args),
    Repair(commands::repair::Args),
    Coreg(commands::coreg::Args),
    List(commands::list::Args),
    Show(commands::show::Args),
    Star(commands::star::Args),
    Edit(commands::edit::Args),
    Delete(commands::delete::Args),
    Journal(commands::journal::Args),
    Words(commands::words::Args),
    Doctor(commands::doctor::Args),
    Invite(commands::invite::Args),
    Share(commands::share::Args),
    Join(commands::join::Args),
    Sync(commands::sync::Args),
    Daemon(commands::daemon::Args),
    Watch(commands::watch::Args),
    Devices(commands::devices::Args),
    Members(commands::devices::MembersArgs),
    Revoke(commands::revoke::Args),
    Insights(commands::insights::Args),
    Export(commands::export::Args),
    Import(commands::import::Args),
    Demo(commands::demo::Args),
    Completions(commands::completions::Args),
    Man(commands::completions::ManArgs),
    #[command(hide = true)]
    Agent(commands::agent::Args),
}

impl Command {
    /// Whether the command may commit a change to a journal, which a running daemon is
    /// then told of at once (its filesystem watcher would notice too, a moment later).
    pub fn commits(&self) -> bool {
        matches!(
            self,
            Command::Unlock(_)
                | Command::Write(_)
                | Command::Checkin(_)
                | Command::Gratitude(_)
                | Command::Affirm(_)
                | Command::Reframe(_)
                | Command::Boundary(_)
                | Command::Repair(_)
                | Command::Coreg(_)
                | Command::Star(_)
                | Command::Edit(_)
                | Command::Delete(_)
                | Command::Journal(_)
                | Command::Revoke(_)
                | Command::Import(_)
        )
    }
}
