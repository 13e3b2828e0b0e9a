//! Parses the command line, builds the context and runs one command.

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::context::Context;
use crate::error::CliError;

/// Runs `haven` with the process's arguments and environment.
pub fn run() -> Result<ExitCode, CliError> {
    let cli = Cli::parse();
    let service = matches!(cli.command, Command::Daemon(_));
    install_logging(cli.global.verbose, service, std::env::var("RUST_LOG").ok());
    let ctx = Context::from_env(&cli.global)?;
    let commits = cli.command.commits();
    let ran = dispatch(&ctx, cli.command);
    if commits && ran.is_ok() {
        // A running daemon pushes the change now; nobody listening is fine.
        haven_node::ipc::control::tell_changed(&ctx.daemon_socket());
    }
    ran
}

/// Runs one command.
fn dispatch(ctx: &Context, command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Init(args) => commands::init::run(ctx, args),
        Command::Unlock(args) => commands::unlock::run(ctx, args),
        Command::Lock(args) => commands::lock::run(ctx, args),
        Command::Passphrase(args) => commands::passphrase::run(ctx, args),
        Command::Status(args) => commands::status::run(ctx, args),
        Command::Write(args) => commands::write::run(ctx, args),
        Command::Checkin(args) => commands::checkin::run(ctx, args),
        Command::Gratitude(args) => commands::gratitude::run(ctx, args),
        Command::Affirm(args) => commands::affirm::run(ctx, args),
        Command::Reframe(args) => commands::reframe::run(ctx, args),
        Command::Boundary(args) => commands::boundary::run(ctx, args),
        Command::Repair(args) => commands::repair::run(ctx, args),
        Command::Coreg(args) => commands::coreg::run(ctx, args),
        Command::List(args) => commands::list::run(ctx, args),
        Command::Show(args) => commands::show::run(ctx, args),
        Command::Star(args) => commands::star::run(ctx, args),
        Command::Edit(args) => commands::edit::run(ctx, args),
        Command::Delete(args) => commands::delete::run(ctx, args),
        Command::Journal(args) => commands::journal::run(ctx, args),
        Command::Words(args) => commands::words::run(ctx, args),
        Command::Completions(args) => commands::completions::run(ctx, args),
        Command::Man(args) => commands::completions::run_man(ctx, args),
        Command::Doctor(args) => commands::doctor::run(ctx, args),
        Command::Invite(args) => commands::invite::run(ctx, args),
        Command::Share(args) => commands::share::run(ctx, args),
        Command::Join(args) => commands::join::run(ctx, args),
        Command::Sync(args) => commands::sync::run(ctx, args),
        Command::Daemon(args) => commands::daemon::run(ctx, args),
        Command::Watch(args) => commands::watch::run(ctx, args),
        Command::Devices(args) => commands::devices::run(ctx, args),
        Command::Members(args) => commands::devices::run_members(ctx, args),
        Command::Revoke(args) => commands::revoke::run(ctx, args),
        Command::Insights(args) => commands::insights::run(ctx, args),
        Command::Export(args) => commands::export::run(ctx, args),
        Command::Import(args) => commands::import::run(ctx, args),
        Command::Demo(args) => commands::demo::run(ctx, args),
        Command::Agent(args) => commands::agent::run(ctx, args),
    }
}

/// Sends the libraries' `tracing` events to stderr: none by default (the engine's at info
/// for a `service` such as the daemon, whose log they are), Haven's at `-v`, and Haven's in
/// detail with iroh's own at `-vv`. `RUST_LOG` (a `tracing` filter, such as
/// `haven_sync=trace`) overrides.
fn install_logging(verbose: u8, service: bool, rust_log: Option<String>) {
    use std::io::IsTerminal;
    let haven = "haven,haven_node,haven_sync,haven_store,haven_model";
    let filter = rust_log.unwrap_or_else(|| match verbose {
        0 if service => "off,haven_node=info".to_string(),
        0 => "off".to_string(),
        1 => format!("off,{}", with_level(haven, "info")),
        _ => format!("info,{},iroh=debug", with_level(haven, "debug")),
    });
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// `targets` (comma-separated) each at `level`, as a filter.
fn with_level(targets: &str, level: &str) -> String {
    targets
        .split(',')
        .map(|t| format!("{t}={level}"))
        .collect::<Vec<_>>()
        .join(",")
}
