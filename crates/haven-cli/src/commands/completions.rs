//! `haven completions` and `haven man`: generated from the command-line definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::Result;

/// Print shell completions for bash, zsh, fish, elvish or powershell.
///
/// For example: `haven completions bash > ~/.local/share/bash-completion/completions/haven`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell
    shell: clap_complete::Shell,
}

/// Runs `haven completions`.
pub fn run(_ctx: &Context, args: Args) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "haven", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// Print the manual page (roff), e.g. `haven man > haven.1 && man ./haven.1`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// Runs `haven man`.
pub fn run_man(_ctx: &Context, _args: ManArgs) -> Result<ExitCode> {
    let man = clap_mangen::Man::new(Cli::command());
    man.render(&mut std::io::stdout())?;
    Ok(ExitCode::SUCCESS)
}
