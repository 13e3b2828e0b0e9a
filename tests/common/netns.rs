//! Linux network namespaces for end-to-end tests: each device (or server) gets a network
//! stack of its own, and veth pairs join the namespaces like cables. Needs root and
//! iproute2; [`can_run`] skips a test without them, except under CI, where it fails.

use std::path::Path;
use std::process::{Command, Stdio};

/// iproute2's `ip`.
pub const IP: &str = "/usr/sbin/ip";

/// Why namespaces cannot be made here, if they cannot.
pub fn unavailable() -> Option<String> {
    if !super::is_root() {
        return Some("creating network namespaces needs root".into());
    }
    if !Path::new(IP).exists() {
        return Some(format!("{IP} is missing (install iproute2)"));
    }
    None
}

/// Whether `test` can run, given why it cannot (`missing`). Outside CI it is then skipped
/// with a note on stderr; CI runs as root with everything `.ci/run` installs, so there it
/// fails instead.
pub fn can_run(test: &str, missing: Option<String>) -> bool {
    if let Some(why) = missing {
        assert!(
            std::env::var_os("CI").is_none(),
            "the {test} cannot run: {why}; CI must run it as root with what .ci/run installs"
        );
        eprintln!("skipping the {test}: {why}");
        return false;
    }
    true
}

/// Runs `ip ARGS` and returns stdout; panics with ip's own message if it fails.
pub fn ip(args: &[&str]) -> String {
    let out = Command::new(IP).args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The IPv4 addresses of this process's own namespace, as `ip -o -4 addr show` lists them.
pub fn host_ipv4() -> String {
    ip(&["-o", "-4", "addr", "show"])
}

/// The namespace process `pid` runs in, by name.
pub fn of_process(pid: u32) -> String {
    ip(&["netns", "identify", &pid.to_string()])
        .trim()
        .to_string()
}

/// A network namespace of this test process with its loopback up. It is deleted on drop,
/// also when the test panics; deleting it removes its ends of veth pairs, and with them the
/// pairs.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Namespace `label` of this process (`haven-LABEL-PID`, so parallel runs never share
    /// one). A run killed before its clean-up may have left one under the same name; it is
    /// replaced.
    pub fn create(label: &str) -> Netns {
        let ns = Netns {
            name: format!("haven-{label}-{}", std::process::id()),
        };
        ns.delete();
        ip(&["netns", "add", &ns.name]);
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// Runs `ip ARGS` against this namespace (`ip -n NAME ARGS`).
    pub fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// The prefix that runs a program in this namespace.
    pub fn exec(&self) -> Vec<String> {
        [IP, "netns", "exec", &self.name].map(String::from).to_vec()
    }

    /// `program` to be run in this namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(IP);
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }

    /// The IPv4 addresses of this namespace, as `ip -o -4 addr show` lists them.
    pub fn ipv4(&self) -> String {
        self.ip(&["-o", "-4", "addr", "show"])
    }

    /// Whether a TCP connection from here to `addr` (`IP:PORT`) is accepted within
    /// `within_s` seconds (bash's `/dev/tcp`, so no tool beyond bash and coreutils).
    pub fn tcp_connects(&self, addr: &str, within_s: u32) -> bool {
        let (host, port) = addr.rsplit_once(':').expect("IP:PORT");
        self.command("timeout")
            .args([&within_s.to_string(), "bash", "-c"])
            .arg(format!("exec 3<>/dev/tcp/{host}/{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn delete(&self) {
        let _ = Command::new(IP)
            .args(["netns", "del", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.delete();
    }
}

/// Joins `a` and `b` with a veth pair (`tag` tells the pairs of one process apart; it
/// keeps the names within the kernel's 15 bytes when short), `a_cidr` on `a`'s end and
/// `b_cidr` on `b`'s, both up. Returns the names of the two ends.
pub fn veth(tag: &str, a: &Netns, a_cidr: &str, b: &Netns, b_cidr: &str) -> (String, String) {
    let pid = std::process::id();
    let (end_a, end_b) = (format!("hv{pid}{tag}a"), format!("hv{pid}{tag}b"));
    ip(&[
        "link", "add", &end_a, "netns", &a.name, "type", "veth", "peer", "name", &end_b, "netns",
        &b.name,
    ]);
    for (ns, end, cidr) in [(a, &end_a, a_cidr), (b, &end_b, b_cidr)] {
        ns.ip(&["addr", "add", cidr, "dev", end]);
        ns.ip(&["link", "set", end, "up"]);
    }
    (end_a, end_b)
}
