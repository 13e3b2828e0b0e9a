//! Helpers for end-to-end tests: each test runs the real `haven` binary against its own
//! temporary vault with a cleared environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The passphrase every test vault uses.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// A temporary vault and a way to run `haven` against it.
pub struct Haven {
    pub home: PathBuf,
    dir: tempfile::TempDir,
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
        cmd.args(args)
            .env_clear()
            .env("HAVEN_HOME", &self.home)
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
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
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "haven {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
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

/// Whether this process may mount file systems (root in CI).
pub fn can_mount() -> bool {
    rustix_is_root()
        && Command::new("mount")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
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
