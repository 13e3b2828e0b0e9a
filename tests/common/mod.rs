//! Helpers for end-to-end tests: each test runs the real `haven` binary against its own
//! temporary vault with a cleared environment.

#![allow(dead_code)]

pub mod hostile;
pub mod netns;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` (a `haven ARGS` command) with `stdin` as standard input, asserts success,
/// returns stdout.
fn ok_with_stdin(mut cmd: Command, args: &[&str], stdin: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn haven");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for haven");
    assert!(
        out.status.success(),
        "haven {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The passphrase every test vault uses.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// `repair open` with Sam and its three steps, for tests that need a repair.
pub const REPAIR_WITH_SAM: [&str; 10] = [
    "repair",
    "open",
    "--with",
    "Sam",
    "--my-part",
    "I snapped",
    "--their-experience",
    "You felt dismissed",
    "--path-forward",
    "pause first",
];

/// A temporary vault and a way to run `haven` against it.
pub struct Haven {
    pub home: PathBuf,
    dir: tempfile::TempDir,
    /// The fixed clock every command runs with (`HAVEN_NOW`), if any.
    now: Option<String>,
}

impl Haven {
    /// A temporary home with no vault yet.
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("haven-e2e-")
            .tempdir()
            .expect("temp dir");
        Haven {
            home: dir.path().join("vault"),
            dir,
            now: None,
        }
    }

    /// A vault created with `haven init` (cheap scrypt so tests stay fast).
    pub fn init() -> Self {
        let h = Self::empty();
        h.create_vault();
        h
    }

    /// A vault created under `home`.
    pub fn init_at(home: &Path) -> Self {
        let mut h = Self::empty();
        h.home = home.to_path_buf();
        h.create_vault();
        h
    }

    fn create_vault(&self) {
        self.ok(&[
            "init",
            "--device-name",
            "laptop",
            "--name",
            "Robin",
            "--scrypt-work-factor",
            "10",
        ]);
    }

    /// The temporary directory that holds the vault.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// `haven` with a clean environment, the vault and the passphrase.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.locked_cmd(args);
        cmd.env("HAVEN_PASSPHRASE", PASSPHRASE);
        cmd
    }

    /// `haven` with a clean environment and no passphrase.
    pub fn locked_cmd(&self, args: &[&str]) -> Command {
        let program = if args.is_empty() {
            "script"
        } else {
            env!("CARGO_BIN_EXE_haven")
        };
        let mut cmd = Command::new(program);
        cmd.args(args);
        self.clean_env(&mut cmd);
        cmd
    }

    /// `haven` started through `prefix` (a program and its arguments, such as
    /// `ip netns exec NS`), with the same clean environment, vault and passphrase as
    /// [`Haven::cmd`]. An empty prefix runs `haven` directly.
    pub fn cmd_via(&self, prefix: &[String], args: &[&str]) -> Command {
        let Some((program, before)) = prefix.split_first() else {
            return self.cmd(args);
        };
        let mut cmd = Command::new(program);
        cmd.args(before).arg(env!("CARGO_BIN_EXE_haven")).args(args);
        self.clean_env(&mut cmd);
        cmd.env("HAVEN_PASSPHRASE", PASSPHRASE);
        cmd
    }

    fn clean_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("HAVEN_HOME", &self.home)
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if let Some(now) = &self.now {
            cmd.env("HAVEN_NOW", now);
        }
    }

    /// Every command from now on runs with its clock started at `now` (RFC 3339).
    pub fn at_clock(mut self, now: &str) -> Self {
        self.now = Some(now.to_string());
        self
    }

    /// Every file of the vault with its bytes, to prove that nothing changed.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        self.files()
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).expect("read");
                (p, bytes)
            })
            .collect()
    }

    /// The entries of `list --json`, oldest first.
    pub fn entries_oldest_first(&self) -> Vec<serde_json::Value> {
        let mut list = self.list_json()["entries"]
            .as_array()
            .expect("entries")
            .clone();
        list.reverse();
        list
    }

    /// Runs with the passphrase.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run haven")
    }

    /// Runs with the passphrase, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "haven {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs with the passphrase, asserts failure, returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "haven {args:?} should have failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).expect("utf-8 output")
    }

    /// Runs with `stdin` as standard input and the passphrase.
    pub fn ok_with_stdin(&self, args: &[&str], stdin: &str) -> String {
        ok_with_stdin(self.cmd(args), args, stdin)
    }

    /// `list --json`, parsed.
    pub fn list_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["list", "--json"])).expect("list --json is JSON")
    }

    /// The entries of `list -n N --json`.
    pub fn list_json_n(&self, n: usize) -> Vec<serde_json::Value> {
        let out = self.ok(&["list", "-n", &n.to_string(), "--json"]);
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        json["entries"].as_array().expect("entries").clone()
    }

    /// Texts of every entry, newest first.
    pub fn texts(&self) -> Vec<String> {
        self.list_json()["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["text"].as_str().expect("text").to_string())
            .collect()
    }

    /// The personal journal's directory.
    pub fn journal_dir(&self) -> PathBuf {
        let config = std::fs::read_to_string(self.home.join("config.toml")).expect("config");
        let id = config
            .lines()
            .find_map(|l| l.strip_prefix("personal_journal = "))
            .expect("personal_journal")
            .trim_matches('"')
            .to_string();
        self.home.join("journals").join(id)
    }

    /// Every regular file under the vault.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
                let p = e.path();
                let ft = e.file_type().expect("file type");
                if ft.is_dir() {
                    walk(&p, out);
                } else if ft.is_file() {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.home, &mut out);
        out.sort();
        out
    }
}

impl Drop for Haven {
    fn drop(&mut self) {
        // Stop an unlock agent if a test left one (it would also exit once the vault is gone).
        let _ = self.locked_cmd(&["lock"]).output();
    }
}

/// Whether /dev/shm is a tmpfs, where the editor's file may live.
pub fn shm_is_tmpfs() -> bool {
    Command::new("stat")
        .args(["-f", "-c", "%T", "/dev/shm"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "tmpfs")
}

/// Whether this process may mount file systems (root in CI).
pub fn can_mount() -> bool {
    rustix_is_root()
        && Command::new("mount")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    rustix_is_root()
}

fn rustix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A small tmpfs mounted at `dir`, unmounted on drop.
pub struct Tmpfs(pub PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "2m") at `dir`.
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    /// Remounts read-only (or back to read-write). Retries for a moment: a process that
    /// just exited (an unlock agent) can keep the file system busy briefly.
    pub fn remount(&self, read_only: bool) -> bool {
        let option = if read_only {
            "remount,ro"
        } else {
            "remount,rw"
        };
        for _ in 0..50 {
            let ok = Command::new("mount")
                .args(["-o", option])
                .arg(&self.0)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A device in a sync test: a vault whose `haven` runs with relays disabled and a fixed bind
/// address, optionally started through a prefix (such as `ip netns exec NS`).
pub struct Device {
    pub h: Haven,
    pub bind: SocketAddr,
    prefix: Vec<String>,
    settings: Settings,
}

/// Where a [`Device`]'s network settings come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Settings {
    /// `bind`, relays off (the environment overrides the vault's settings).
    Bound,
    /// The vault's default settings (no bind address, so the home port), only relays and
    /// local discovery off; `bind` is then unused.
    Defaults,
    /// `[network]` in the vault's config.toml alone; `bind` is then unused.
    Config,
}

impl Device {
    /// A device on loopback at `port`, initialised as `name`, a device of `person`.
    pub fn new(name: &str, person: &str, port: u16) -> Device {
        Self::via(
            Vec::new(),
            name,
            person,
            SocketAddr::from(([127, 0, 0, 1], port)),
        )
    }

    /// A device whose every `haven` runs through `prefix`, bound to `bind`.
    pub fn via(prefix: Vec<String>, name: &str, person: &str, bind: SocketAddr) -> Device {
        let d = Device {
            h: Haven::empty(),
            bind,
            prefix,
            settings: Settings::Bound,
        };
        d.ok(&[
            "init",
            "--device-name",
            name,
            "--name",
            person,
            "--scrypt-work-factor",
            "10",
        ]);
        d
    }

    /// A device through `prefix` with default network settings: no bind address (the home
    /// port on every interface), relays and local discovery off.
    pub fn with_defaults(prefix: Vec<String>, name: &str, person: &str) -> Device {
        let mut d = Self::via(prefix, name, person, SocketAddr::from(([0, 0, 0, 0], 0)));
        d.settings = Settings::Defaults;
        d
    }

    /// A device through `prefix` whose network settings are `network` (the body of the
    /// `[network]` table, TOML) in its config.toml, with nothing overridden from the
    /// environment.
    pub fn configured(prefix: Vec<String>, name: &str, person: &str, network: &str) -> Device {
        let mut d = Self::via(prefix, name, person, SocketAddr::from(([0, 0, 0, 0], 0)));
        d.settings = Settings::Config;
        let path = d.h.home.join("config.toml");
        let config = std::fs::read_to_string(&path).expect("config.toml");
        // `[network]` is the last table `haven init` writes: replace it whole.
        let (before, table) = config
            .split_once("\n[network]\n")
            .expect("a [network] table in config.toml");
        assert!(!table.contains("\n["), "a table after [network]:\n{config}");
        std::fs::write(&path, format!("{before}\n[network]\n{network}\n")).expect("config.toml");
        d
    }

    /// `haven` on this device, with the passphrase.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.h.cmd_via(&self.prefix, args);
        match self.settings {
            Settings::Bound => {
                c.env("HAVEN_RELAY", "disabled")
                    .env("HAVEN_BIND", self.bind.to_string());
            }
            Settings::Defaults => {
                c.env("HAVEN_RELAY", "disabled")
                    .env("HAVEN_DISCOVERY", "off");
            }
            Settings::Config => {}
        }
        c
    }

    /// `haven` on this device through GNU time, whose last line on stderr is then
    /// `peak-kib N`: the command's peak resident memory.
    pub fn cmd_timed(&self, args: &[&str]) -> Command {
        let prefix: Vec<String> = ["/usr/bin/time", "-f", "peak-kib %M"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut c = self.h.cmd_via(&prefix, args);
        c.env("HAVEN_RELAY", "disabled")
            .env("HAVEN_BIND", self.bind.to_string());
        c
    }

    /// Runs `haven`, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run haven");
        assert!(
            out.status.success(),
            "haven {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs `haven`, asserts failure, returns stderr.
    #[allow(dead_code)]
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run haven");
        assert!(
            !out.status.success(),
            "haven {args:?} should have failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).expect("utf-8 output")
    }

    /// Runs `haven` with `stdin` as standard input, asserts success, returns stdout.
    pub fn ok_with_stdin(&self, args: &[&str], stdin: &str) -> String {
        ok_with_stdin(self.cmd(args), args, stdin)
    }

    /// Entry texts of a journal, sorted; empty while the journal has not arrived.
    pub fn texts(&self, journal: Option<&str>) -> Vec<String> {
        let mut args = vec!["list", "--json"];
        if let Some(j) = journal {
            args.extend(["--journal", j]);
        }
        let out = self.cmd(&args).output().expect("run haven");
        if !out.status.success() {
            return Vec::new();
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json");
        let mut t: Vec<String> = v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["text"].as_str().expect("text").to_string())
            .collect();
        t.sort();
        t
    }

    /// Names of the journals on this device.
    pub fn journals(&self) -> Vec<String> {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok(&["journal", "list", "--json"])).expect("JSON");
        v.as_array()
            .expect("journals")
            .iter()
            .map(|j| j["name"].as_str().expect("name").to_string())
            .collect()
    }

    /// Runs `haven <invite|share ...>` in the background and returns it with its ticket.
    pub fn host(&self, args: &[&str]) -> (Child, String) {
        let (child, ticket, _) = self.host_with_rest(args);
        (child, ticket)
    }

    /// Like [`Device::host`], also returning what the host prints after the ticket.
    pub fn host_with_rest(
        &self,
        args: &[&str],
    ) -> (Child, String, std::thread::JoinHandle<String>) {
        self.host_via(self.cmd(args))
    }

    /// Like [`Device::host`] on a port of its own (while this device's daemon holds the
    /// usual one).
    pub fn host_on_any_port(&self, args: &[&str]) -> (Child, String) {
        let mut cmd = self.cmd(args);
        cmd.env("HAVEN_BIND", "127.0.0.1:0");
        let (child, ticket, _) = self.host_via(cmd);
        (child, ticket)
    }

    /// Runs a hosting command (`invite`, `share`) in the background; returns it with its
    /// ticket and what it prints after the ticket.
    fn host_via(&self, mut cmd: Command) -> (Child, String, std::thread::JoinHandle<String>) {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn haven");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = std::io::BufReader::new(stdout);
        let mut ticket = String::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut reader, &mut line).expect("read stdout") == 0 {
                break;
            }
            if line.trim().starts_with("haven1") {
                ticket = line.trim().to_string();
                break;
            }
        }
        assert!(!ticket.is_empty(), "no ticket printed");
        // Keep draining so the host never blocks on a full pipe.
        let rest = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
            rest
        });
        (child, ticket, rest)
    }

    /// `haven daemon` for a minute, pulling every second, its output discarded.
    pub fn daemon(&self) -> Child {
        self.cmd(&["daemon", "--for", "60s", "--pull-every", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn haven daemon")
    }

    /// `haven daemon ARGS` with its log appended to `log`; returns once it says it is up.
    pub fn daemon_logged(&self, args: &[&str], log: &Path) -> Running {
        let before = count_in(log, "daemon up");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("daemon log");
        let mut all = vec!["daemon"];
        all.extend_from_slice(args);
        let child = self
            .cmd(&all)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn haven daemon");
        let mut running = Running(child);
        let start = Instant::now();
        while count_in(log, "daemon up") == before {
            if let Ok(Some(status)) = running.0.try_wait() {
                panic!(
                    "the daemon exited with {status}:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the daemon did not come up in 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        running
    }
}

/// How many lines of the file at `path` contain `needle` (0 if it does not exist).
pub fn count_in(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().filter(|l| l.contains(needle)).count())
        .unwrap_or(0)
}

/// Pairs `joiner` with `host` through a ticket from `haven ARGS` on the host; returns what
/// `haven join` printed.
pub fn pair(host: &Device, joiner: &Device, args: &[&str]) -> String {
    let (mut child, ticket) = host.host(args);
    let joined = joiner.ok(&["join", &ticket]);
    let status = child.wait().expect("wait for the host");
    assert!(status.success(), "the host failed");
    joined
}

/// A child process that is killed (SIGKILL) and reaped when dropped, also on panic.
pub struct Running(pub Child);

impl Running {
    /// Kills the process now and waits for it.
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The peak memory GNU time reported at the end of `stderr`, in MiB.
pub fn peak_mib_of(stderr: &str) -> u64 {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak-kib "))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .map(|kib| kib / 1024)
        .expect("GNU time reported the peak memory")
}
