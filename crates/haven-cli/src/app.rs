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
    let ctx = Context::from_env(&cli.global)?;
    match cli.command {
        Command::Init(args) => commands::init::run(&ctx, args),
        Command::Unlock(args) => commands::unlock::run(&ctx, args),
        Command::Lock(args) => commands::lock::run(&ctx, args),
        Command::Passphrase(args) => commands::passphrase::run(&ctx, args),
        Command::Status(args) => commands::status::run(&ctx, args),
        Command::Write(args) => commands::write::run(&ctx, args),
        Command::List(args) => commands::list::run(&ctx, args),
        Command::Show(args) => commands::show::run(&ctx, args),
        Command::Star(args) => commands::star::run(&ctx, args),
        Command::Doctor(args) => commands::doctor::run(&ctx, args),
        Command::Insights(args) => commands::insights::run(&ctx, args),
        Command::Export(args) => commands::export::run(&ctx, args),
        Command::Import(args) => commands::import::run(&ctx, args),
        Command::Demo(args) => commands::demo::run(&ctx, args),
        Command::Agent(args) => commands::agent::run(&ctx, args),
    }
}
