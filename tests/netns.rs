//! End-to-end sync between two Linux network namespaces joined by a veth pair: each device
//! has a network stack of its own, so pairing and sync must go over a real link between two
//! addresses rather than over a shared loopback.
//!
//! Needs root and iproute2. Without them the test is skipped with a note on stderr, except
//! when `CI` is set: CI runs as root with iproute2 installed, so there it fails instead.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::netns::{self, Netns};
use common::{Device, Running};
use serde_json::Value;

/// Two namespaces joined by a veth pair, `10.77.X.1/24` in `a` and `10.77.X.2/24` in `b`.
/// Both are deleted on drop, also when the test panics.
struct Link {
    a: Netns,
    b: Netns,
    subnet: u8,
}

impl Link {
    /// Link number `n` of this test process (tests in one process run at once).
    fn create(n: u32) -> Link {
        let pid = std::process::id();
        let link = Link {
            a: Netns::create(&format!("a{n}")),
            b: Netns::create(&format!("b{n}")),
            // Keeps parallel runs on different subnets, which also tells them apart in
            // `ip addr` output.
            subnet: ((pid * 2 + n) % 250) as u8 + 1,
        };
        let (a_cidr, b_cidr) = (
            format!("{}/24", link.addr(1)),
            format!("{}/24", link.addr(2)),
        );
        let (end_a, end_b) = netns::veth(&n.to_string(), &link.a, &a_cidr, &link.b, &b_cidr);
        for (ns, end) in [(&link.a, &end_a), (&link.b, &end_b)] {
            // Like any LAN, the link carries multicast (mDNS needs a route for it; with no
            // default route in the namespace there would be none).
            ns.ip(&["route", "add", "224.0.0.0/4", "dev", end]);
        }
        link
    }

    /// `10.77.X.host`.
    fn addr(&self, host: u8) -> String {
        format!("10.77.{}.{host}", self.subnet)
    }
}

/// Whether the test can run; outside CI it is skipped with a note when it cannot.
fn can_run() -> bool {
    netns::can_run("network namespace test", netns::unavailable())
}

#[test]
fn two_devices_in_separate_network_namespaces_pair_and_converge() {
    if !can_run() {
        return;
    }
    let link = Link::create(0);
    let port = 4919;
    let a_addr: SocketAddr = format!("{}:{port}", link.addr(1)).parse().unwrap();
    let b_addr: SocketAddr = format!("{}:{port}", link.addr(2)).parse().unwrap();

    // Each namespace sees only its own end of the link; this process sees neither.
    let (in_a, in_b, here) = (link.a.ipv4(), link.b.ipv4(), netns::host_ipv4());
    let (a_cidr, b_cidr) = (
        format!("{}/24", link.addr(1)),
        format!("{}/24", link.addr(2)),
    );
    assert!(in_a.contains(&a_cidr) && !in_a.contains(&b_cidr), "{in_a}");
    assert!(in_b.contains(&b_cidr) && !in_b.contains(&a_cidr), "{in_b}");
    assert!(!here.contains(&a_cidr) && !here.contains(&b_cidr), "{here}");

    let mut laptop = Device::via(link.a.exec(), "laptop", "Robin", a_addr);
    let desktop = Device::via(link.b.exec(), "desktop", "Robin", b_addr);
    laptop.ok(&["write", "laptop before pairing"]);
    desktop.ok(&["write", "desktop before pairing"]);

    // The ticket carries only the laptop's address on the link, which is not an address of
    // the desktop's namespace: joining has to cross the veth pair.
    let started = Instant::now();
    let (host, ticket) = laptop.host(&["invite", "--expires", "5m"]);
    let mut host = Running(host);
    let parsed: haven_sync::ticket::Ticket = ticket.parse().unwrap();
    assert_eq!(parsed.addrs, vec![a_addr], "{parsed:?}");
    assert_eq!(
        netns::of_process(host.0.id()),
        link.a.name,
        "the invite runs in the laptop's namespace"
    );
    let joined = desktop.ok(&["join", &ticket]);
    assert!(host.0.wait().unwrap().success(), "the invite failed");
    assert!(joined.contains("Joined Robin's laptop"), "{joined}");
    eprintln!("paired across the link in {:?}", started.elapsed());

    // Offline writes on both sides, one of them several lines long.
    laptop.ok(&["write", "laptop offline one"]);
    laptop.ok_with_stdin(&["write"], "laptop offline two\nwith a second line");
    desktop.ok(&["write", "desktop offline one"]);
    desktop.ok(&["write", "desktop offline two #link"]);
    let mut expected = vec![
        "laptop before pairing",
        "desktop before pairing",
        "laptop offline one",
        "laptop offline two\nwith a second line",
        "desktop offline one",
        "desktop offline two #link",
    ];
    expected.sort();

    // The laptop serves from its namespace; the desktop syncs from its own.
    let log = laptop.h.scratch().join("daemon.log");
    let daemon = laptop.daemon_logged(&["--for", "30s", "--pull-every", "1"], &log);
    assert_eq!(
        netns::of_process(daemon.0.id()),
        link.a.name,
        "the daemon runs in the laptop's namespace"
    );
    let started = Instant::now();
    let report: Value = serde_json::from_str(&desktop.ok(&["sync", "--json"])).unwrap();
    eprintln!("synced across the link in {:?}", started.elapsed());
    let peers = report["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 1, "{report}");
    assert_eq!(peers[0]["status"], "synced", "{report}");
    assert_eq!(peers[0]["path"], "direct", "{report}");

    assert_eq!(desktop.texts(None), expected);
    // The laptop keeps what arrived once its side of the session has ended.
    let start = Instant::now();
    while laptop.texts(None) != expected && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(laptop.texts(None), expected);
    drop(daemon);
    assert!(
        common::count_in(&log, "synced with") >= 1,
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    for d in [&laptop, &desktop] {
        let report = d.ok(&["doctor"]);
        assert!(report.contains("healthy"), "{report}");
    }

    // Local-network discovery: the laptop's daemon comes back on another port. The desktop
    // remembers only the old address and relays are off, yet it finds the laptop by mDNS
    // on the link.
    laptop.bind = format!("{}:{}", link.addr(1), port + 1).parse().unwrap();
    laptop.ok(&["write", "laptop after moving"]);
    let log = laptop.h.scratch().join("daemon-moved.log");
    let moved = laptop.daemon_logged(&["--for", "30s", "--pull-every", "1"], &log);
    let started = Instant::now();
    let mut report = Value::Null;
    while started.elapsed() < Duration::from_secs(20) {
        report = serde_json::from_str(&desktop.ok(&["sync", "--json"])).unwrap();
        if report["peers"][0]["status"] == "synced" {
            break;
        }
    }
    assert_eq!(report["peers"][0]["status"], "synced", "{report}");
    eprintln!(
        "found the moved laptop by mDNS and synced in {:?}",
        started.elapsed()
    );
    assert!(
        desktop
            .texts(None)
            .contains(&"laptop after moving".to_string())
    );
    drop(moved);
}

/// The README's order with default settings (no bind address; relays and local discovery
/// off): share, join, then a daemon on each side. Pairing ran in short-lived processes, yet
/// both daemons answer where the pairing said they would, and an entry written on one side
/// reaches the other's `watch`.
#[test]
fn the_readme_order_syncs_across_namespaces_with_default_settings() {
    if !can_run() {
        return;
    }
    let link = Link::create(1);
    let robin = Device::with_defaults(link.a.exec(), "laptop", "Robin");
    let sam = Device::with_defaults(link.b.exec(), "phone", "Sam");
    robin.ok(&["journal", "new", "us"]);
    let (host, ticket) = robin.host(&["share", "us", "--expires", "5m"]);
    let mut host = Running(host);
    sam.ok(&["join", &ticket]);
    assert!(host.0.wait().unwrap().success(), "the share failed");

    let robin_log = robin.h.scratch().join("daemon.log");
    let sam_log = sam.h.scratch().join("daemon.log");
    let _robin_daemon = robin.daemon_logged(&["--for", "60s"], &robin_log);
    let _sam_daemon = sam.daemon_logged(&["--for", "60s"], &sam_log);

    let mut watch = Running(
        robin
            .cmd(&["--journal", "us", "watch", "--for", "40s", "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = watch.0.stdout.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    sam.ok(&["--journal", "us", "write", "written on the phone"]);
    let started = Instant::now();
    let mut found = None;
    while let Ok(line) = seen.recv_timeout(Duration::from_secs(30)) {
        if line.contains("written on the phone") {
            found = Some(line);
            break;
        }
    }
    let found = found.unwrap_or_else(|| {
        panic!(
            "the entry never reached the laptop's watch.\nlaptop daemon:\n{}\nphone daemon:\n{}",
            std::fs::read_to_string(&robin_log).unwrap_or_default(),
            std::fs::read_to_string(&sam_log).unwrap_or_default()
        )
    });
    eprintln!(
        "reached the other namespace's watch in {:?}",
        started.elapsed()
    );
    let event: Value = serde_json::from_str(&found).unwrap();
    assert_eq!(event["author"], "Sam");
}
