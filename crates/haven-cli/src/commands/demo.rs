//! `haven demo`: the zero-set-up tour, run against a throwaway vault.

use std::process::{Command, ExitCode, Stdio};

use crate::context::Context;
use crate::error::{CliError, Result};

/// A tour of Haven in a temporary directory: creates a vault, writes notes and practices
/// while locked, unlocks, lists, filters, shows insights and checks the vault. Your own
/// vault is not touched.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep the temporary vault and print where it is
    #[arg(long)]
    keep: bool,
}

struct Tour {
    exe: std::path::PathBuf,
    home: std::path::PathBuf,
    tz: std::ffi::OsString,
}

impl Tour {
    /// Runs a command without showing it; returns its output.
    fn quiet(&self, args: &[&str]) -> Result<String> {
        let out = self.command(args).stdin(Stdio::null()).output()?;
        if !out.status.success() {
            return Err(CliError::new(format!(
                "the demo step `haven {}` failed",
                args.join(" ")
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(args)
            .env_clear()
            .env("HAVEN_HOME", &self.home)
            .env("HAVEN_PASSPHRASE", "demo passphrase, not secret")
            .env("NO_COLOR", "1")
            .env("TZ", &self.tz);
        cmd
    }

    fn step(&self, say: &str, args: &[&str], stdin: Option<&str>) -> Result<String> {
        println!("\n# {say}");
        println!(
            "$ haven {}",
            args.iter()
                .map(|a| if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.to_string()
                })
                .collect::<Vec<_>>()
                .join(" ")
        );
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| CliError::new(format!("cannot run haven: {e}")))?;
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            std::io::Write::write_all(&mut input, text.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        print!("{stdout}");
        if !out.status.success() {
            return Err(CliError::new(format!(
                "the demo step `haven {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(stdout)
    }
}

/// Runs `haven demo`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let dir = ctx
        .temp_dir
        .join(format!("haven-demo-{:016x}", rand::random::<u64>()));
    haven_store::durable::private_dir(&dir)?;
    let tour = Tour {
        exe: std::env::current_exe()
            .map_err(|e| CliError::new(format!("cannot find the haven binary: {e}")))?,
        home: dir.join("vault"),
        tz: ctx.tz_name.clone().unwrap_or_else(|| "UTC".into()),
    };
    println!("Haven demo: a throwaway vault in {}", tour.home.display());
    println!("(the demo passphrase comes from HAVEN_PASSPHRASE; a low scrypt cost keeps it quick)");
    let result = (|| -> Result<()> {
        tour.step(
            "Create a vault: device keys, passphrase, personal journal",
            &[
                "init",
                "--device-name",
                "laptop",
                "--name",
                "Robin",
                "--scrypt-work-factor",
                "12",
            ],
            None,
        )?;
        tour.step(
            "Write an entry; #tags and @tags are picked up",
            &[
                "write",
                "Slept badly, but the morning walk with @Sam helped. #sleep #walk",
            ],
            None,
        )?;
        tour.step("Entries can come from standard input", &["write"], Some("Noticed I wanted reassurance after the call.\nAsked for it directly this time. #needs\n"))?;
        tour.step(
            "An emotion check-in: feelings, intensity, the need behind them",
            &[
                "checkin",
                "--feeling",
                "anxious,hopeful",
                "--intensity",
                "6",
                "--need",
                "reassurance",
                "--response",
                "It makes sense to want closeness after a hard day.",
            ],
            None,
        )?;
        tour.step(
            "Evening gratitude for someone who showed up",
            &[
                "gratitude",
                "--person",
                "Sam",
                "--way",
                "listened",
                "Stayed on the phone until I felt calmer.",
            ],
            None,
        )?;
        tour.step(
            "Co-regulation: a break with an agreed return time (20 minutes to a day)",
            &[
                "coreg",
                "break",
                "--for",
                "30m",
                "Going for a walk, back for dinner.",
            ],
            None,
        )?;
        tour.step(
            "Turn blame into a need statement; both versions are kept",
            &[
                "reframe",
                "You never listen to me",
                "--feel",
                "unheard",
                "--need",
                "to be listened to",
                "--request",
                "put our phones away at dinner",
            ],
            None,
        )?;
        tour.step(
            "Writing never needs the passphrase: every entry so far was sealed to the device key",
            &["unlock", "--for", "2m"],
            None,
        )?;
        tour.step(
            "List entries, newest first, grouped by day",
            &["list"],
            None,
        )?;
        tour.step(
            "Filter: only check-ins and gratitude",
            &["list", "--kind", "checkin", "--kind", "gratitude"],
            None,
        )?;
        let newest = tour.quiet(&["list", "-n", "1", "--json"])?;
        let id = serde_json::from_str::<serde_json::Value>(&newest)?["entries"][0]["id"]
            .as_str()
            .map(|id| id[..12].to_string())
            .unwrap_or_default();
        tour.step("Show one entry by a unique id prefix", &["show", &id], None)?;
        tour.step(
            "Insights: feelings, needs, who shows up, repairs, streaks",
            &["insights"],
            None,
        )?;
        tour.step(
            "Machine-readable output for scripts",
            &["list", "-n", "1", "--json"],
            None,
        )?;
        tour.step("Check every file of the vault", &["doctor"], None)?;
        tour.step("Lock again", &["lock"], None)?;
        Ok(())
    })();
    // Always stop the agent, even if a step failed.
    let _ = crate::agent::stop(&tour.home.join("agent.sock"));
    if args.keep {
        println!("\nThe demo vault is kept at {}", tour.home.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result?;
    println!(
        "\nEverything above ran against real files: age-encrypted Automerge chunks in {}.",
        if args.keep {
            tour.home.display().to_string()
        } else {
            "a temporary directory, now removed".into()
        }
    );
    Ok(ExitCode::SUCCESS)
}
