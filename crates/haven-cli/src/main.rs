//! The `haven` binary: a thin `main` over [`app::run`].

mod app;
mod cli;
mod commands;
mod context;
mod error;
mod output;
mod practice;
mod prompt;
mod qr;
mod report;

use std::process::ExitCode;

fn main() -> ExitCode {
    match app::run() {
        Ok(code) => code,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(err.exit_code())
        }
    }
}
