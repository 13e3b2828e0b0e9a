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

#[derive(Clone)]
struct Tour {
    exe: std::path::PathBuf,
    home: std::path::PathBuf,
    tz: std::ffi::OsString,
    /// Which device this is, shown in front of each command.
    name: &'static str,
    /// The loopback port its endpoint binds (relays are off in the demo).
    port: u16,
}

/// A free UDP port on loopback.
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(47_000)
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
            .env("HAVEN_RELAY", "disabled")
            // Loopback only: nothing to announce on the local network.
            .env("HAVEN_DISCOVERY", "off")
            .env("HAVEN_BIND", format!("127.0.0.1:{}", self.port))
            .env("TZ", &self.tz);
        cmd
    }

    /// Another device in the same temporary directory.
    fn device(&self, name: &'static str) -> Tour {
        let home = self
            .home
            .parent()
            .map(|p| p.join(name))
            .unwrap_or_else(|| self.home.join(name));
        Tour {
            home,
            name,
            port: free_port(),
            ..self.clone()
        }
    }

    /// Starts `haven ARGS` in the background (an invite, a share or a daemon); for an
    /// invite or share, returns the ticket it prints.
    fn background(
        &self,
        say: &str,
        args: &[&str],
    ) -> Result<(std::process::Child, Option<String>)> {
        println!("\n# {say}");
        println!("({}) $ haven {} &", self.name, args.join(" "));
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| CliError::new(format!("cannot run haven: {e}")))?;
        if args.first() == Some(&"daemon") {
            std::thread::sleep(std::time::Duration::from_millis(400));
            return Ok((child, None));
        }
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| CliError::new("no output from the inviting device"))?;
        let mut reader = std::io::BufReader::new(stdout);
        let mut ticket = None;
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut reader, &mut line)? > 0 {
            print!("{line}");
            if line.trim().starts_with("haven1") {
                ticket = Some(line.trim().to_string());
            }
            if line.starts_with("Waiting") {
                break;
            }
            line.clear();
        }
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
            print!("{rest}");
        });
        Ok((child, ticket))
    }

    fn step(&self, say: &str, args: &[&str], stdin: Option<&str>) -> Result<String> {
        println!("\n# {say}");
        println!(
            "({}) $ haven {}",
            self.name,
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
        home: dir.join("laptop"),
        tz: ctx.tz_name.clone().unwrap_or_else(|| "UTC".into()),
        name: "laptop",
        port: free_port(),
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
        println!(
            "\n== Two people, three devices, syncing directly over iroh (loopback, no relay) =="
        );
        sync_tour(&tour)
    })();
    // Always stop the agent, even if a step failed.
    let _ = haven_node::ipc::agent::stop(&tour.home.join("agent.sock"));
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

/// The second half of the tour: my desktop joins, my partner joins one shared journal,
/// everyone writes offline, and the devices converge.
fn sync_tour(laptop: &Tour) -> Result<()> {
    let desktop = laptop.device("desktop");
    let phone = laptop.device("phone");
    desktop.step(
        "My desktop: a vault of its own",
        &[
            "init",
            "--device-name",
            "desktop",
            "--name",
            "Robin",
            "--scrypt-work-factor",
            "12",
        ],
        None,
    )?;
    phone.step(
        "My partner Sam's phone",
        &[
            "init",
            "--device-name",
            "phone",
            "--name",
            "Sam",
            "--scrypt-work-factor",
            "12",
        ],
        None,
    )?;
    let (mut host, ticket) = laptop.background(
        "Pair my desktop: the laptop prints a ticket and waits",
        &["invite", "--expires", "10m"],
    )?;
    let ticket = ticket.ok_or_else(|| CliError::new("the laptop printed no ticket"))?;
    desktop.step(
        "The desktop joins; both show the other's fingerprint",
        &["join", &ticket],
        None,
    )?;
    let _ = host.wait();
    laptop.step(
        "A journal for the two of us",
        &["journal", "new", "us"],
        None,
    )?;
    let (mut host, ticket) =
        laptop.background("Share it with Sam", &["share", "us", "--expires", "10m"])?;
    let ticket = ticket.ok_or_else(|| CliError::new("the laptop printed no ticket"))?;
    phone.step(
        "Sam joins the shared journal only",
        &["join", &ticket],
        None,
    )?;
    let _ = host.wait();
    laptop.step(
        "Offline, on the laptop: a repair after an argument, in the shared log",
        &[
            "--journal",
            "us",
            "repair",
            "open",
            "--with",
            "Sam",
            "--my-part",
            "I snapped when you were late",
            "--their-experience",
            "you felt blamed for the traffic",
            "--path-forward",
            "I'll ask what happened first",
        ],
        None,
    )?;
    phone.step(
        "Offline, on the phone: Sam asks for co-regulation",
        &[
            "--journal",
            "us",
            "coreg",
            "need",
            "--need",
            "a hug",
            "--overwhelm",
            "7",
        ],
        None,
    )?;
    phone.step(
        "Sam's private journal stays Sam's",
        &["write", "Felt small today; I want to tell Robin tonight."],
        None,
    )?;
    desktop.step(
        "Offline, on the desktop: a private note of mine",
        &["write", "Grateful the repair went well."],
        None,
    )?;
    let (mut daemon, _) = laptop.background(
        "The laptop stays online",
        &["daemon", "--for", "60s", "--pull-every", "1"],
    )?;
    phone.step(
        "Sam syncs: the shared journal goes both ways",
        &["sync"],
        None,
    )?;
    desktop.step("My desktop syncs with my laptop", &["sync"], None)?;
    std::thread::sleep(std::time::Duration::from_millis(500));
    desktop.step(
        "Again, to pick up what came from Sam through the laptop",
        &["sync"],
        None,
    )?;
    desktop.step(
        "The shared log on my desktop: both people's entries",
        &["--journal", "us", "list"],
        None,
    )?;
    phone.step(
        "The shared log on Sam's phone: the same",
        &["--journal", "us", "list"],
        None,
    )?;
    phone.step(
        "Sam sees only the shared journal and their own",
        &["journal", "list"],
        None,
    )?;
    desktop.step(
        "My personal journal, merged across my two devices",
        &["list"],
        None,
    )?;
    desktop.step(
        "Insights over the shared log",
        &["--journal", "us", "insights"],
        None,
    )?;
    let _ = daemon.kill();
    let _ = daemon.wait();
    Ok(())
}
