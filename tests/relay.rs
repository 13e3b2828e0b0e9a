//! End-to-end sync through a real iroh relay server: two devices in network namespaces that
//! can reach the relay's namespace but never each other, so pairing and sync have to cross
//! the relay.
//!
//! ```text
//!   laptop 10.78.1.2 ── 10.78.1.1  relay  10.78.2.1 ── 10.78.2.2 desktop
//!                        (10.78.0.1:3340, forwarding off)
//! ```
//!
//! The relay namespace routes nothing: each device's default route points at it, so a
//! packet for the other device reaches it and is dropped there, as behind two firewalls.
//! Both devices name the relay by the same URL, at an address of the relay's own that each
//! reaches over its link.
//!
//! Needs root, iproute2 and the `iroh-relay` server binary named by `HAVEN_TEST_IROH_RELAY`
//! (`.ci/run` installs it). Without them the test is skipped with a note on stderr, except
//! when `CI` is set: then it fails instead.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::netns::{self, Netns};
use common::{Device, Running};
use serde_json::Value;

/// Where the relay listens, on an address of its namespace's loopback.
const RELAY_ADDR: &str = "10.78.0.1:3340";
/// The URL both devices are given.
const RELAY_URL: &str = "http://10.78.0.1:3340";

/// The relay server binary, if the environment names one that exists.
fn relay_binary() -> Result<PathBuf, String> {
    match std::env::var_os("HAVEN_TEST_IROH_RELAY") {
        Some(p) if !p.is_empty() => {
            let path = PathBuf::from(p);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!(
                    "HAVEN_TEST_IROH_RELAY names {}, which is not a file",
                    path.display()
                ))
            }
        }
        _ => Err(
            "set HAVEN_TEST_IROH_RELAY to an iroh-relay server binary (`cargo install \
             iroh-relay --features server`, the version of iroh in Cargo.lock)"
                .into(),
        ),
    }
}

/// The relay's namespace and the two devices' namespaces, linked as drawn at the top.
struct Topology {
    relay: Netns,
    laptop: Netns,
    desktop: Netns,
}

impl Topology {
    fn create() -> Topology {
        let t = Topology {
            relay: Netns::create("relay"),
            laptop: Netns::create("laptop"),
            desktop: Netns::create("desktop"),
        };
        netns::veth("rl", &t.relay, "10.78.1.1/24", &t.laptop, "10.78.1.2/24");
        netns::veth("rd", &t.relay, "10.78.2.1/24", &t.desktop, "10.78.2.2/24");
        t.relay.ip(&["addr", "add", "10.78.0.1/32", "dev", "lo"]);
        t.laptop
            .ip(&["route", "add", "default", "via", "10.78.1.1"]);
        t.desktop
            .ip(&["route", "add", "default", "via", "10.78.2.1"]);
        // A new namespace may inherit forwarding from the host's; this one must not route.
        let status = t
            .relay
            .command("bash")
            .args(["-c", "echo 0 > /proc/sys/net/ipv4/ip_forward"])
            .status()
            .unwrap();
        assert!(status.success(), "could not turn forwarding off");
        t
    }
}

/// Starts the relay server in its namespace, with its config and log in `dir`; returns once
/// it accepts connections from both devices' namespaces.
fn start_relay(binary: &Path, t: &Topology, dir: &Path) -> Running {
    let config = dir.join("relay.toml");
    std::fs::write(
        &config,
        format!("http_bind_addr = \"{RELAY_ADDR}\"\nenable_metrics = false\n"),
    )
    .unwrap();
    let log = dir.join("relay.log");
    let mut relay = Running(
        t.relay
            .command(binary)
            .arg("--dev")
            .arg("-c")
            .arg(&config)
            .env("RUST_LOG", "iroh_relay=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while !t.laptop.tcp_connects(RELAY_ADDR, 1) {
        if let Ok(Some(status)) = relay.0.try_wait() {
            panic!(
                "the relay exited with {status}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the relay did not listen on {RELAY_ADDR} within 20 s:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        t.desktop.tcp_connects(RELAY_ADDR, 2),
        "the desktop cannot reach the relay"
    );
    eprintln!("relay up in {:?}", started.elapsed());
    relay
}

/// Waits until the daemon logging to `log` says it is reachable through the relay.
fn wait_for_relay(log: &Path) {
    let started = Instant::now();
    while common::count_in(log, "reachable through the relay") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the daemon did not reach the relay within 20 s:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `haven sync --json` on `device` (with `env` on top), parsed, and how long it took.
fn sync_json(device: &Device, env: &[(&str, &str)]) -> (Value, Duration) {
    let mut cmd = device.cmd(&["sync", "--json"]);
    cmd.envs(env.iter().copied());
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "haven sync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), took)
}

#[test]
fn two_devices_that_cannot_reach_each_other_pair_and_sync_through_a_relay() {
    let binary = relay_binary();
    let missing = netns::unavailable().or_else(|| binary.clone().err());
    if !netns::can_run("relay test", missing) {
        return;
    }
    let binary = binary.unwrap();
    let started = Instant::now();
    let t = Topology::create();
    let dir = tempfile::Builder::new()
        .prefix("haven-relay-")
        .tempdir()
        .unwrap();

    // The relay namespace does not forward, yet each device would send a packet for the
    // other one to it.
    let forwarding = t
        .relay
        .command("cat")
        .arg("/proc/sys/net/ipv4/ip_forward")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&forwarding.stdout).trim(), "0");
    let route = t.laptop.ip(&["route", "get", "10.78.2.2"]);
    assert!(route.contains("via 10.78.1.1"), "{route}");

    let mut relay = start_relay(&binary, &t, dir.path());

    let network = format!("relay = \"{RELAY_URL}\"\nlocal_discovery = false");
    let laptop = Device::configured(t.laptop.exec(), "laptop", "Robin", &network);
    let desktop = Device::configured(t.desktop.exec(), "desktop", "Robin", &network);
    let config = std::fs::read_to_string(laptop.h.home.join("config.toml")).unwrap();
    assert!(config.contains("local_discovery = false"), "{config}");

    // The ticket names the relay next to the laptop's own address, which the desktop cannot
    // reach: joining has to go through the relay.
    let (host, ticket) = laptop.host(&["invite", "--expires", "5m"]);
    let mut host = Running(host);
    let parsed: haven_sync::ticket::Ticket = ticket.parse().unwrap();
    assert_eq!(
        parsed.relay.as_deref().map(|r| r.trim_end_matches('/')),
        Some(RELAY_URL),
        "{parsed:?}"
    );
    assert!(
        parsed
            .addrs
            .iter()
            .all(|a| a.ip().to_string() == "10.78.1.2"),
        "{parsed:?}"
    );
    let paired = Instant::now();
    let joined = desktop.ok(&["join", &ticket]);
    assert!(host.0.wait().unwrap().success(), "the invite failed");
    assert!(joined.contains("Joined Robin's laptop"), "{joined}");
    eprintln!("paired through the relay in {:?}", paired.elapsed());

    laptop.ok(&["write", "written on the laptop"]);
    let laptop_log = laptop.h.scratch().join("daemon.log");
    let mut laptop_daemon = laptop.daemon_logged(&["--for", "60s"], &laptop_log);
    wait_for_relay(&laptop_log);

    // With the relay left out, the desktop cannot reach the laptop's running daemon at any
    // address the laptop has: the two networks are apart.
    let (report, _) = sync_json(&desktop, &[("HAVEN_RELAY", "disabled")]);
    assert_eq!(report["peers"][0]["status"], "unreachable", "{report}");
    assert!(
        !desktop
            .texts(None)
            .contains(&"written on the laptop".to_string()),
        "the entry arrived without the relay"
    );

    // Through the relay it syncs, and says so: the ticket named the laptop's relay.
    let (report, took) = sync_json(&desktop, &[]);
    eprintln!("the desktop synced through the relay in {took:?}");
    let peers = report["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 1, "{report}");
    assert_eq!(peers[0]["status"], "synced", "{report}");
    assert_eq!(peers[0]["path"], "relayed", "{report}");
    // The report names the relay it went through and says it was connected.
    let relays = report["relays"].as_array().unwrap();
    assert_eq!(relays.len(), 1, "{report}");
    assert!(
        relays[0]["url"].as_str().unwrap().starts_with(RELAY_URL),
        "{report}"
    );
    assert_eq!(relays[0]["connected"], true, "{report}");
    assert!(
        desktop
            .texts(None)
            .contains(&"written on the laptop".to_string()),
        "{report}"
    );
    laptop_daemon.stop();

    // The other way round: the join told the laptop the desktop's relay.
    desktop.ok(&["write", "written on the desktop"]);
    let desktop_log = desktop.h.scratch().join("daemon.log");
    let desktop_daemon = desktop.daemon_logged(&["--for", "60s"], &desktop_log);
    wait_for_relay(&desktop_log);
    let (report, took) = sync_json(&laptop, &[]);
    eprintln!("the laptop synced through the relay in {took:?}");
    assert_eq!(report["peers"][0]["status"], "synced", "{report}");
    assert_eq!(report["peers"][0]["path"], "relayed", "{report}");
    assert!(
        laptop
            .texts(None)
            .contains(&"written on the desktop".to_string()),
        "{report}"
    );

    // Without the relay the desktop is unreachable again, and sync says so in bounded time.
    relay.stop();
    assert!(
        !t.laptop.tcp_connects(RELAY_ADDR, 1),
        "the relay still answers"
    );
    desktop.ok(&["write", "written while the relay is down"]);
    let (report, took) = sync_json(&laptop, &[]);
    eprintln!("gave up on the desktop with the relay down in {took:?}");
    assert_eq!(report["peers"][0]["status"], "unreachable", "{report}");
    assert!(report["peers"][0]["path"].is_null(), "{report}");
    assert_eq!(report["relays"][0]["connected"], false, "{report}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(
        !laptop
            .texts(None)
            .contains(&"written while the relay is down".to_string())
    );
    drop(desktop_daemon);
    eprintln!("the whole test took {:?}", started.elapsed());
}
