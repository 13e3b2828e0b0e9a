//! `haven import` (being written).

use std::process::ExitCode;

use crate::context::Context;
use crate::error::{CliError, Result};

/// (being written)
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `haven import`.
pub fn run(_ctx: &Context, _args: Args) -> Result<ExitCode> {
    Err(CliError::new("not available yet"))
}
