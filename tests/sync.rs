//! End-to-end sync: separate `haven` processes for three devices (two of mine, one of my
//! partner's) on loopback with relays disabled.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Device, Running, count_in, pair};
use serde_json::Value;

fn base_port() -> u16 {
    // Spread parallel test runs apart; each test uses a few ports above its base.
    20_000 + (std::process::id() % 2000) as u16 * 10
}

/// Waits until `check` holds, retrying `haven sync` on `who` in between.
fn converge(who: &[&Device], mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if check() {
            return;
        }
        for d in who {
            let _ = d.cmd(&["sync"]).output();
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(check(), "did not converge in 30 s");
}

#[test]
fn three_devices_pair_share_converge_and_revoke() {
    let base = base_port();
    let laptop = Device::new("laptop", "Robin", base);
    let desktop = Device::new("desktop", "Robin", base + 1);
    let partner = Device::new("phone", "Sam", base + 2);

    laptop.ok(&["write", "laptop private before pairing"]);
    desktop.ok(&["write", "desktop private before pairing"]);
    partner.ok(&["write", "partner private: never leaves Sam"]);

    // My two devices pair; the desktop's personal journal merges into the laptop's.
    let joined = pair(&laptop, &desktop, &["invite", "--expires", "5m"]);
    assert!(joined.contains("Joined Robin's laptop"), "{joined}");
    assert_eq!(desktop.journals(), vec!["personal"]);

    // A shared journal, offered to my partner.
    laptop.ok(&["journal", "new", "us"]);
    let joined = pair(&laptop, &partner, &["share", "us", "--expires", "5m"]);
    assert!(joined.contains("Journals: us"), "{joined}");
    let mut partner_journals = partner.journals();
    partner_journals.sort();
    assert_eq!(partner_journals, vec!["personal", "us"]);

    // Concurrent offline writes everywhere.
    laptop.ok(&[
        "--journal",
        "us",
        "repair",
        "open",
        "--with",
        "Sam",
        "--my-part",
        "I was short",
        "--their-experience",
        "you felt brushed off",
        "--path-forward",
        "ask for a minute",
    ]);
    laptop.ok(&["write", "laptop private after pairing"]);
    desktop.ok(&["write", "desktop private after pairing"]);
    partner.ok(&["--journal", "us", "coreg", "need", "--need", "a hug"]);
    partner.ok(&["write", "partner private after sharing"]);

    // The laptop and the partner run daemons; everyone converges through them.
    let mut d1 = laptop.daemon();
    let mut d2 = partner.daemon();
    std::thread::sleep(Duration::from_millis(500));
    converge(&[&desktop], || {
        desktop.texts(None).len() == 4
            && laptop.texts(Some("us")).len() == 2
            && partner.texts(Some("us")).len() == 2
    });
    converge(&[&desktop], || desktop.texts(Some("us")).len() == 2);
    assert_eq!(laptop.texts(None), desktop.texts(None));
    assert_eq!(laptop.texts(Some("us")), partner.texts(Some("us")));
    assert_eq!(desktop.texts(Some("us")), partner.texts(Some("us")));

    // Nothing private crossed between the two people.
    for t in partner.texts(None) {
        assert!(
            t.starts_with("partner"),
            "the partner has someone else's private entry: {t}"
        );
    }
    for t in laptop.texts(None) {
        assert!(
            !t.starts_with("partner"),
            "my journal has the partner's private entry: {t}"
        );
    }
    assert_eq!(
        partner.journals().len(),
        2,
        "the partner learns of no other journal"
    );

    // `haven watch` on the laptop sees the partner's entry arrive through the daemon.
    let mut watch = laptop
        .cmd(&["--journal", "us", "watch", "--for", "20s", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    partner.ok(&[
        "--journal",
        "us",
        "gratitude",
        "--person",
        "Robin",
        "--way",
        "showed up",
        "you came home early",
    ]);
    // The partner's daemon holds its endpoint (and port): `haven sync` goes through it.
    let synced: Value = serde_json::from_str(&partner.ok(&["sync", "--json"])).unwrap();
    assert_eq!(synced["via"], "daemon", "{synced}");
    assert!(
        synced["peers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["status"] == "synced"),
        "{synced}"
    );
    let watched = {
        let stdout = watch.stdout.take().unwrap();
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        let start = Instant::now();
        let mut found = String::new();
        while start.elapsed() < Duration::from_secs(20) {
            line.clear();
            if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 {
                break;
            }
            if line.contains("you came home early") {
                found = line.clone();
                break;
            }
        }
        found
    };
    let _ = watch.kill();
    let _ = watch.wait();
    let event: Value =
        serde_json::from_str(watched.trim()).expect("watch printed the partner's entry");
    assert_eq!(event["author"], "Sam");
    assert_eq!(event["kind"], "gratitude");

    // `haven status` asks the running daemon how it is doing.
    let status: Value = serde_json::from_str(&laptop.ok(&["status", "--json"])).unwrap();
    let daemon = &status["daemon"];
    assert!(daemon["pid"].as_u64().is_some(), "{status}");
    assert!(
        daemon["addrs"].as_array().unwrap().iter().any(|a| a
            .as_str()
            .unwrap()
            .ends_with(&format!(":{}", laptop.bind.port()))),
        "{status}"
    );
    assert!(
        daemon["peers"]
            .as_array()
            .unwrap()
            .iter()
            // It has synced with one (it may be syncing with it again right now).
            .any(|p| p["last_ok_ms"].is_i64() && p["state"] != "retrying"),
        "{status}"
    );
    assert!(laptop.ok(&["status"]).contains("daemon   running"));
    // A second daemon for the same vault is refused with a clear message.
    let second = laptop.cmd(&["daemon", "--for", "2s"]).output().unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    // The desktop never paired with the partner's phone, and relays are off: it reaches the
    // phone directly at the address the phone's daemon announced in `us`, with the laptop
    // (which introduced them) offline.
    let _ = d1.kill();
    let _ = d1.wait();
    desktop.ok(&["--journal", "us", "write", "desktop to the phone, directly"]);
    let synced: Value = serde_json::from_str(&desktop.ok(&["sync", "--json"])).unwrap();
    let to_phone = synced["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap().contains("Sam"))
        .unwrap()
        .clone();
    assert_eq!(to_phone["status"], "synced", "{synced}");
    // On loopback with relays off, the connection can only have been direct.
    assert_eq!(to_phone["path"], "direct", "{synced}");
    assert!(
        partner
            .texts(Some("us"))
            .contains(&"desktop to the phone, directly".to_string())
    );

    // Gratitude for Sam, written to the personal journal: where it went is said, and the
    // shared journal Sam is in is named.
    let thanks = laptop.ok(&["gratitude", "--person", "sam", "--way", "listened"]);
    assert!(
        thanks.contains("It went to your personal journal; only your devices can read it.")
            && thanks.contains("Sam is in the shared journal `us`: `--journal us` writes there."),
        "{thanks}"
    );
    let shared = laptop.ok(&[
        "--journal",
        "us",
        "gratitude",
        "--person",
        "Sam",
        "--way",
        "showed up",
    ]);
    assert!(
        shared.contains("It went to the journal `us`; you and Sam can read it."),
        "{shared}"
    );

    // Revocation: the laptop revokes the partner's device; its new writes no longer arrive.
    let members: Value =
        serde_json::from_str(&laptop.ok(&["--journal", "us", "members", "--json"])).unwrap();
    let sam = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["person"] == "Sam")
        .unwrap()["device"]
        .as_str()
        .unwrap()
        .to_string();
    // Without a terminal it asks for --yes; a prefix too short to name a device is refused.
    let err = laptop.fails(&["revoke", &sam[..12]]);
    assert!(
        err.contains("needs confirmation") && err.contains("--yes"),
        "{err}"
    );
    let err = laptop.fails(&["revoke", &sam[..2], "--yes"]);
    assert!(err.contains("too short to name a device"), "{err}");
    let revoked = laptop.ok(&["revoke", &sam[..12], "--yes"]);
    assert!(revoked.contains("cannot be taken back"), "{revoked}");
    let again = laptop.ok(&["revoke", &sam[..12], "--yes"]);
    assert!(
        again.contains("already revoked") && again.contains("nothing to do"),
        "{again}"
    );
    partner.ok(&["--journal", "us", "write", "after revocation"]);
    let _ = partner.cmd(&["sync"]).output();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !laptop
            .texts(Some("us"))
            .iter()
            .any(|t| t == "after revocation")
    );

    let _ = d1.kill();
    let _ = d2.kill();
    let _ = d1.wait();
    let _ = d2.wait();

    // Everything sync wrote (address book, sync states, adopted journals) is a known,
    // readable file: doctor finds nothing to quarantine on any device.
    for d in [&laptop, &desktop, &partner] {
        let report = d.ok(&["doctor"]);
        assert!(report.contains("healthy"), "{report}");
    }
}

#[test]
fn tickets_that_are_malformed_truncated_expired_or_used_are_refused() {
    let base = base_port() + 5;
    let a = Device::new("a", "Robin", base);
    let b = Device::new("b", "Robin", base + 1);
    let c = Device::new("c", "Robin", base + 2);
    for (ticket, expected) in [
        ("nonsense", "not a Haven ticket"),
        ("haven1abcd", "truncated or mistyped"),
    ] {
        let out = b.cmd(&["join", ticket]).output().unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expected),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (mut child, ticket) = a.host(&["invite", "--expires", "5m"]);
    let cut = &ticket[..ticket.len() - 8];
    let out = b.cmd(&["join", cut]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated or mistyped"));
    b.ok(&["join", &ticket]);
    assert!(child.wait().unwrap().success());
    // The same ticket again: the inviter is no longer waiting.
    let out = c.cmd(&["join", &ticket]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the inviting device")
            && err.contains("stops once a device joined"),
        "{err}"
    );
    // A ticket that expires before it is used.
    let (mut child, ticket) = a.host(&["invite", "--expires", "1s"]);
    std::thread::sleep(Duration::from_millis(1200));
    let out = c.cmd(&["join", &ticket]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("expired"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = child.wait();
}

#[test]
fn sync_without_peers_is_calm() {
    let a = Device::new("a", "Robin", base_port() + 8);
    a.ok(&["write", "private"]);
    let calm = a.ok(&["sync"]);
    assert!(calm.contains("No peers yet"), "{calm}");
    let json: Value = serde_json::from_str(&a.ok(&["sync", "--json"])).unwrap();
    assert_eq!(json["peers"], serde_json::json!([]));
}

/// A hostile client speaking the wire protocol directly, with a given device key.
mod hostile {
    use std::time::Duration;

    use haven_sync::frame::{Frame, VERSION};
    use haven_sync::net::{self, NetConfig, Relay};
    use iroh::endpoint::{Connection, RecvStream, SendStream};

    pub struct Client {
        pub endpoint: iroh::Endpoint,
    }

    impl Client {
        pub async fn new(secret: [u8; 32]) -> Client {
            let config = NetConfig {
                relay: Relay::Disabled,
                bind: Some("127.0.0.1:0".parse().unwrap()),
                home_port: None,
                step_timeout: Duration::from_secs(5),
                local_discovery: false,
            };
            Client {
                endpoint: net::bind(&secret, &config).await.unwrap(),
            }
        }

        /// Connects to the daemon of `target` on loopback `port` and opens a sync stream.
        async fn open(
            &self,
            target: [u8; 32],
            port: u16,
        ) -> Result<(Connection, SendStream, RecvStream), String> {
            let addr = net::peer_addr(
                &target,
                &[format!("127.0.0.1:{port}").parse().unwrap()],
                None,
            )
            .unwrap();
            net::connect(
                &self.endpoint,
                addr,
                haven_sync::SYNC_ALPN,
                Duration::from_secs(5),
            )
            .await
            .map_err(|e| e.to_string())
        }

        /// Sends a proper hello for `journal`.
        async fn hello(send: &mut SendStream, journal: [u8; 16]) -> Result<(), String> {
            let hello = Frame::Hello {
                version: VERSION,
                journals: vec![journal],
            };
            net::send(send, &hello, Duration::from_secs(5))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }

        /// Opens a sync stream to the target; returns what the target answered to `first`
        /// (raw bytes written as-is), or the error that ended the exchange.
        pub async fn send_raw(
            &self,
            target: [u8; 32],
            port: u16,
            raw: &[u8],
        ) -> Result<Frame, String> {
            let (_conn, mut send, mut recv) = self.open(target, port).await?;
            send.write_all(raw).await.map_err(|e| e.to_string())?;
            net::recv::<Frame>(&mut recv, Duration::from_secs(5))
                .await
                .map_err(|e| e.to_string())
        }

        /// A proper hello for `journal`, then silence: reads (and never answers) until the
        /// target ends the connection; returns how long it stayed open after the hello.
        pub async fn hello_then_silence(
            &self,
            target: [u8; 32],
            port: u16,
            journal: [u8; 16],
        ) -> Result<Duration, String> {
            let (_conn, mut send, mut recv) = self.open(target, port).await?;
            let started = std::time::Instant::now();
            Self::hello(&mut send, journal).await?;
            while net::recv::<Frame>(&mut recv, Duration::from_secs(60))
                .await
                .is_ok()
            {}
            Ok(started.elapsed())
        }

        /// A proper hello for `journal`, then `rounds` rounds of a valid sync message sent
        /// without waiting for answers; returns the first refusal (or error) that comes back.
        pub async fn flood(
            &self,
            target: [u8; 32],
            port: u16,
            journal: [u8; 16],
            rounds: usize,
        ) -> Result<Frame, String> {
            use automerge::sync::SyncDoc;
            use automerge::transaction::Transactable;
            let (_conn, mut send, mut recv) = self.open(target, port).await?;
            let t = Duration::from_secs(5);
            Self::hello(&mut send, journal).await?;
            let _ack: Frame = net::recv(&mut recv, t).await.map_err(|e| e.to_string())?;
            let mut doc = automerge::AutoCommit::new();
            doc.put(automerge::ROOT, "flood", 1).unwrap();
            let generated = doc
                .sync()
                .generate_sync_message(&mut automerge::sync::State::new())
                .unwrap();
            let msg = haven_sync::message::SyncMessage::whole(generated);
            for _ in 0..rounds {
                let round = Frame::Round {
                    messages: vec![(journal, msg.clone())],
                };
                if net::send(&mut send, &round, t).await.is_err() {
                    break;
                }
            }
            loop {
                match net::recv::<Frame>(&mut recv, t).await {
                    Ok(Frame::Refused { reason }) => return Ok(Frame::Refused { reason }),
                    Ok(_) => continue,
                    Err(e) => return Err(e.to_string()),
                }
            }
        }

        /// A proper hello for `journal`, then `round` as the first round.
        pub async fn hello_then(
            &self,
            target: [u8; 32],
            port: u16,
            journal: [u8; 16],
            round: Frame,
        ) -> Result<Frame, String> {
            let (_conn, mut send, mut recv) = self.open(target, port).await?;
            let t = Duration::from_secs(5);
            Self::hello(&mut send, journal).await?;
            let ack: Frame = net::recv(&mut recv, t).await.map_err(|e| e.to_string())?;
            if !matches!(ack, Frame::HelloAck { .. }) {
                return Ok(ack);
            }
            net::send(&mut send, &round, t)
                .await
                .map_err(|e| e.to_string())?;
            net::recv::<Frame>(&mut recv, t)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

#[test]
fn hostile_peers_are_cut_off_and_the_daemon_keeps_serving() {
    let base = base_port() + 3;
    let a = Device::new("laptop", "Robin", base);
    let b = Device::new("desktop", "Robin", base + 1);
    pair(&a, &b, &["invite", "--expires", "5m"]);
    a.ok(&["write", "kept safe"]);
    let status: Value = serde_json::from_str(&a.ok(&["status", "--json"])).unwrap();
    let a_id: [u8; 32] = hex::decode(status["device_id"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    // The member's own key, read from its vault, lets the test speak as that member.
    let b_vault = haven_store::Vault::open(&b.h.home).unwrap();
    let b_keys = b_vault
        .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
        .unwrap();
    let b_secret = *b_keys.secrets.iroh_secret().unwrap();
    let journal_key: [u8; 16] = {
        let view = b_vault.personal().read_recent(&b_keys, 0).unwrap();
        hex::decode(view.key.unwrap()).unwrap().try_into().unwrap()
    };
    let mut daemon = a.daemon();
    std::thread::sleep(Duration::from_millis(700));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use haven_sync::frame::Frame;
        let refused =
            |r: &Result<Frame, String>| matches!(r, Ok(Frame::Refused { .. })) || r.is_err();

        // A stranger: refused before any journal data moves.
        let stranger = hostile::Client::new(rand::random()).await;
        let hello = haven_sync::frame::encode(&Frame::Hello {
            version: 1,
            journals: vec![journal_key],
        });
        let r = stranger.send_raw(a_id, base, &hello).await;
        assert!(
            matches!(&r, Ok(Frame::Refused { reason }) if reason.contains("not a member")),
            "{r:?}"
        );

        let member = hostile::Client::new(b_secret).await;
        // Garbage frame.
        let r = member
            .send_raw(a_id, base, &[0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff])
            .await;
        assert!(refused(&r), "{r:?}");
        // Oversized frame.
        let r = member.send_raw(a_id, base, &u32::MAX.to_be_bytes()).await;
        assert!(refused(&r), "{r:?}");
        // Truncated stream: a prefix announcing more than is sent, then the stream ends.
        let r = member.send_raw(a_id, base, &[0, 0, 0, 100, 1, 2]).await;
        assert!(refused(&r), "{r:?}");
        // A crafted Automerge sync message.
        let r = member
            .hello_then(
                a_id,
                base,
                journal_key,
                Frame::Round {
                    messages: vec![(
                        journal_key,
                        haven_sync::message::SyncMessage {
                            changes: vec![serde_bytes::ByteBuf::from(vec![0x42, 0xff, 0x00, 0x13])],
                            ..Default::default()
                        },
                    )],
                },
            )
            .await;
        assert!(refused(&r), "{r:?}");
        // A flood: hundreds of rounds of a valid message, without listening.
        let r = member.flood(a_id, base, journal_key, 400).await;
        assert!(
            matches!(&r, Ok(Frame::Refused { reason }) if reason.contains("more than 256 rounds")),
            "{r:?}"
        );
        // Changes for a journal it is not a member of.
        let r = member
            .hello_then(
                a_id,
                base,
                journal_key,
                Frame::Round {
                    messages: vec![([7; 16], Default::default())],
                },
            )
            .await;
        assert!(refused(&r), "{r:?}");
    });
    // The daemon still serves its members, and nothing from the hostile sessions was kept.
    b.ok(&["write", "legit"]);
    let synced = b.ok(&["sync"]);
    assert!(synced.contains("synced"), "{synced}");
    let texts = a.texts(None);
    assert_eq!(texts, vec!["kept safe", "legit"]);
    let _ = daemon.kill();
    let _ = daemon.wait();
}

#[test]
fn leaving_a_shared_journal_stops_its_sync_both_ways() {
    let base = base_port() + 5;
    let robin = Device::new("laptop", "Robin", base);
    let sam = Device::new("phone", "Sam", base + 1);
    robin.ok(&["journal", "new", "us"]);
    robin.ok(&["--journal", "us", "write", "robin before"]);

    // The ticket also comes as a QR code that carries it in capitals.
    let (mut host, ticket, rest) = robin.host_with_rest(&["share", "us", "--qr"]);
    sam.ok(&["join", &ticket]);
    assert!(host.wait().unwrap().success());
    let rest = rest.join().unwrap();
    assert!(rest.contains("Or scan it:"), "{rest}");
    let blocks = rest
        .chars()
        .filter(|c| matches!(c, '█' | '▀' | '▄'))
        .count();
    assert!(blocks > 300, "no QR code drawn:\n{rest}");
    assert_eq!(sam.texts(Some("us")), vec!["robin before".to_string()]);

    // Leaving needs a yes, and the personal journal cannot be left.
    let out = sam.cmd(&["journal", "leave", "us"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    let personal = sam.journals()[0].clone();
    let out = sam
        .cmd(&["journal", "leave", &personal, "--yes"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("personal journal"));

    // Sam leaves while Robin's daemon runs: Robin hears of it at once.
    sam.ok(&["--journal", "us", "write", "sam before leaving"]);
    let log = robin.h.scratch().join("robin-daemon.log");
    let mut daemon = robin.daemon_logged(&[], &log);
    let left: Value =
        serde_json::from_str(&sam.ok(&["journal", "leave", "us", "--yes", "--json"])).unwrap();
    assert_eq!(left["told"].as_array().unwrap().len(), 1, "{left}");
    // Its log says who left, once.
    let start = std::time::Instant::now();
    while count_in(&log, "left the journal") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no departure logged:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("person=Sam"), "{logged}");
    let members: Value =
        serde_json::from_str(&robin.ok(&["--journal", "us", "members", "--json"])).unwrap();
    let sams = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["person"] == "Sam")
        .unwrap()
        .clone();
    assert_eq!(sams["revoked"], true, "{members}");
    // Robin's side is told that Sam left, never shown a bare revoked device.
    let shown = robin.ok(&["--journal", "us", "members"]);
    assert!(
        shown.contains(" left") && !shown.contains("revoked"),
        "{shown}"
    );
    let list = robin.ok(&["journal", "list"]);
    assert!(list.contains("(Sam left)"), "{list}");
    let status = robin.ok(&["status"]);
    assert!(status.contains(", Sam left"), "{status}");
    assert!(
        robin
            .texts(Some("us"))
            .contains(&"sam before leaving".to_string()),
        "what Sam wrote before leaving stays"
    );
    let list = sam.ok(&["journal", "list"]);
    assert!(list.contains("left"), "{list}");
    // Leaving again only tells again.
    let again: Value =
        serde_json::from_str(&sam.ok(&["journal", "leave", "us", "--yes", "--json"])).unwrap();
    assert_eq!(again["already_left"], true, "{again}");

    // From now on nothing crosses, either way, even when each side offers `us` itself;
    // Sam's copy stays readable.
    sam.ok(&["--journal", "us", "write", "sam after leaving"]);
    robin.ok(&["--journal", "us", "write", "robin after sam left"]);
    let mut sams_daemon = sam.daemon();
    std::thread::sleep(Duration::from_millis(700));
    let secret_of = |d: &Device| -> ([u8; 32], [u8; 32], [u8; 16]) {
        let vault = haven_store::Vault::open(&d.h.home).unwrap();
        let keys = vault
            .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
            .unwrap();
        let id: [u8; 32] = hex::decode(&vault.config().device_id)
            .unwrap()
            .try_into()
            .unwrap();
        let us = vault.find_journal(&keys, "us").unwrap();
        let key = us.read_recent(&keys, 0).unwrap().key.unwrap();
        (
            *keys.secrets.iroh_secret().unwrap(),
            id,
            hex::decode(key).unwrap().try_into().unwrap(),
        )
    };
    let (robin_secret, robin_id, us_key) = secret_of(&robin);
    let (sam_secret, sam_id, _) = secret_of(&sam);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use haven_sync::frame::Frame;
        // Robin's device asks Sam's daemon for `us`; Sam's device asks Robin's.
        for (secret, target, port) in [
            (robin_secret, sam_id, base + 1),
            (sam_secret, robin_id, base),
        ] {
            let client = hostile::Client::new(secret).await;
            let hello = haven_sync::frame::encode(&Frame::Hello {
                version: haven_sync::frame::VERSION,
                journals: vec![us_key],
            });
            let r = client.send_raw(target, port, &hello).await;
            assert!(
                matches!(&r, Ok(Frame::Refused { reason }) if reason.contains("not a member")),
                "{r:?}"
            );
        }
    });
    let _ = sam.cmd(&["sync"]).output();
    assert!(
        !robin
            .texts(Some("us"))
            .contains(&"sam after leaving".to_string())
    );
    let sams_copy = sam.texts(Some("us"));
    assert!(!sams_copy.contains(&"robin after sam left".to_string()));
    assert!(sams_copy.contains(&"robin before".to_string()));
    daemon.stop();
    let _ = sams_daemon.kill();
    let _ = sams_daemon.wait();
}

#[test]
fn a_silent_member_is_timed_out_holds_nobody_up_and_revoking_it_cuts_it_off() {
    let base = base_port() + 7;
    let a = Device::new("laptop", "Robin", base);
    let b = Device::new("desktop", "Robin", base + 1);
    let c = Device::new("old phone", "Robin", base + 2);
    pair(&a, &b, &["invite"]);
    pair(&a, &c, &["invite"]);
    let status: Value = serde_json::from_str(&a.ok(&["status", "--json"])).unwrap();
    let a_id: [u8; 32] = hex::decode(status["device_id"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let c_vault = haven_store::Vault::open(&c.h.home).unwrap();
    let c_keys = c_vault
        .unlock(&haven_store::Passphrase::new(common::PASSPHRASE.into()).unwrap())
        .unwrap();
    let c_secret = *c_keys.secrets.iroh_secret().unwrap();
    let c_id = c_vault.config().device_id.clone();
    let journal_key: [u8; 16] = {
        let view = c_vault.personal().read_recent(&c_keys, 0).unwrap();
        hex::decode(view.key.unwrap()).unwrap().try_into().unwrap()
    };
    let log = a.h.scratch().join("daemon.log");
    let daemon = a.daemon_logged(&["--for", "120s", "--pull-every", "1"], &log);

    // The old phone opens a session and then says nothing, twice.
    let go_silent = move || {
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = hostile::Client::new(c_secret).await;
                client
                    .hello_then_silence(a_id, base, journal_key)
                    .await
                    .unwrap()
            })
        })
    };
    let silent = go_silent();
    std::thread::sleep(Duration::from_millis(800));

    // Meanwhile the daemon serves the desktop as usual.
    b.ok(&["write", "while the phone is silent"]);
    let synced: Value = serde_json::from_str(&b.ok(&["sync", "--json"])).unwrap();
    let to_laptop = synced["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap().starts_with("laptop"))
        .unwrap()
        .clone();
    assert_eq!(to_laptop["status"], "synced", "{synced}");
    // The laptop keeps what arrived once its side of the session has ended.
    let start = Instant::now();
    while !a
        .texts(None)
        .contains(&"while the phone is silent".to_string())
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the laptop never kept the desktop's entry"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The daemon's step timeout (20 s) cuts the first silent session off, saying why.
    let open_for = silent.join().unwrap();
    assert!(
        open_for >= Duration::from_secs(15) && open_for < Duration::from_secs(40),
        "the silent session was cut off after {open_for:?}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("did not answer in time") && logged.contains("nothing it sent was kept"),
        "{logged}"
    );

    // Revoking the phone closes its second silent session at once, long before the step
    // timeout would have.
    let silent = go_silent();
    std::thread::sleep(Duration::from_millis(800));
    let revoked: Value =
        serde_json::from_str(&a.ok(&["revoke", &c_id[..16], "--json", "--yes"])).unwrap();
    assert_eq!(revoked["connections_closed"], 1, "{revoked}");
    let open_for = silent.join().unwrap();
    assert!(
        open_for < Duration::from_secs(10),
        "the silent session stayed open {open_for:?}"
    );
    drop(daemon);
}

#[test]
fn devices_members_and_revoke_work_in_offline_mode() {
    let laptop = Device::new("laptop", "Robin", base_port() + 40);
    let phone = Device::new("phone", "Robin", base_port() + 41);
    pair(&laptop, &phone, &["invite", "--expires", "5m"]);
    // The phone is off: `-v` logs why on stderr, plain `sync` logs nothing.
    let quiet = laptop.cmd(&["sync"]).output().unwrap();
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    let told = laptop.cmd(&["-v", "sync"]).output().unwrap();
    let log = String::from_utf8_lossy(&told.stderr);
    assert!(
        log.contains("INFO") && log.contains("unreachable") && log.contains("no answer within"),
        "{log}"
    );
    let config = laptop.h.home.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("offline = false"), "{text}");
    std::fs::write(&config, text.replace("offline = false", "offline = true")).unwrap();

    // (Without the tests' HAVEN_RELAY, which overrides offline mode.) Syncing is what
    // offline mode refuses ...
    let refused = laptop.h.cmd(&["sync"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("offline mode"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // ... not reading or changing who is in a journal.
    let devices = laptop.h.ok(&["devices"]);
    assert!(devices.contains("phone"), "{devices}");
    let members = laptop.h.ok(&["members"]);
    assert!(members.contains("phone"), "{members}");
    let phone_id: Value = serde_json::from_str(&phone.ok(&["--json", "status"])).unwrap();
    let id = phone_id["device_id"].as_str().unwrap().to_string();
    let revoked = laptop.h.ok(&["revoke", &id, "--yes"]);
    assert!(revoked.contains("Revoked"), "{revoked}");
    let after: Value = serde_json::from_str(&laptop.h.ok(&["--json", "devices"])).unwrap();
    let row = after
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == id.as_str())
        .unwrap_or_else(|| panic!("{after}"));
    assert_eq!(row["revoked"], true, "{after}");
}

#[test]
fn a_taken_port_is_named_with_its_cause() {
    let blocker = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = blocker.local_addr().unwrap();
    let a = Device::via(Vec::new(), "a", "Robin", taken);
    let out = a.cmd(&["daemon", "--for", "5s"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on {taken}: the port is in use")),
        "{err}"
    );
}

#[test]
fn a_locked_daemon_waits_for_unlock_and_stops_at_lock() {
    let laptop = Device::new("laptop", "Robin", base_port() + 50);
    let phone = Device::new("phone", "Robin", base_port() + 51);
    pair(&laptop, &phone, &["invite", "--expires", "5m"]);
    // No agent and no passphrase: the daemon starts locked.
    let log = laptop.h.home.join("locked-daemon.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut cmd = laptop.cmd(&["daemon", "--for", "60s", "--pull-every", "3600"]);
    cmd.env_remove("HAVEN_PASSPHRASE");
    let _daemon = Running(
        cmd.stdout(std::process::Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap(),
    );
    let status = |device: &Device| -> Value {
        serde_json::from_str(&device.ok(&["--json", "status"])).unwrap()
    };
    let start = Instant::now();
    while status(&laptop)["daemon"]["locked"] != true {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let shown = laptop.ok(&["status"]);
    assert!(shown.contains("locked, so not syncing"), "{shown}");
    let refused = laptop.cmd(&["sync"]).output().unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("haven unlock"),
        "{said}"
    );
    phone.ok(&["write", "written while the laptop's daemon was locked"]);
    let synced = |phone: &Device| -> String {
        let rows: Value = serde_json::from_str(&phone.ok(&["--json", "sync"])).unwrap();
        rows["peers"][0]["status"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        synced(&phone),
        "unreachable",
        "a locked daemon answers nobody"
    );

    // `haven unlock` hands it the key: it binds its endpoint and syncs.
    let unlocked = laptop.ok(&["unlock", "--for", "5m"]);
    assert!(
        unlocked.contains("The running daemon has the key"),
        "{unlocked}"
    );
    assert!(!status(&laptop)["daemon"]["locked"].as_bool().unwrap());
    assert_eq!(synced(&phone), "synced");
    assert!(
        laptop
            .texts(None)
            .iter()
            .any(|t| t.contains("written while the laptop's daemon was locked"))
    );

    // `haven lock` takes it back: it stops syncing and status says why.
    let locked = laptop.ok(&["lock"]);
    assert!(locked.contains("stopped syncing"), "{locked}");
    assert_eq!(status(&laptop)["daemon"]["locked"], true);
    assert_eq!(synced(&phone), "unreachable");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("waiting for the key"), "{logged}");
    assert!(logged.contains("forgot the key"), "{logged}");
}

#[test]
fn pairing_while_both_daemons_run_on_fixed_ports_goes_through_them() {
    let robin = Device::new("laptop", "Robin", base_port() + 60);
    let sam = Device::new("phone", "Sam", base_port() + 61);
    robin.ok(&["journal", "new", "us"]);
    let robin_log = robin.h.home.join("daemon.log");
    let sam_log = sam.h.home.join("daemon.log");
    let daemon = ["--for", "90s", "--pull-every", "3600"];
    let _robin_daemon = robin.daemon_logged(&daemon, &robin_log);
    let _sam_daemon = sam.daemon_logged(&daemon, &sam_log);
    // Each daemon holds its device's one (fixed) port: share and join use the daemons'
    // endpoints through their control sockets instead of binding a second one.
    let joined = pair(&robin, &sam, &["share", "us", "--expires", "5m"]);
    assert!(joined.contains("Joined Robin's laptop"), "{joined}");
    let logged = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        logged(&robin_log).contains("showing a pairing ticket")
            && logged(&robin_log).contains(" paired "),
        "{}",
        logged(&robin_log)
    );
    assert!(
        logged(&sam_log).contains(" joined "),
        "{}",
        logged(&sam_log)
    );
    // And they sync from then on, daemon to daemon, with nobody running `haven sync`.
    sam.ok(&["--journal", "us", "write", "thank you for waiting for me"]);
    let start = Instant::now();
    while !robin
        .texts(Some("us"))
        .iter()
        .any(|t| t.contains("thank you for waiting for me"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}\n{}",
            logged(&robin_log),
            logged(&sam_log)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_admin_removes_a_person_and_everyone_sees_who_did() {
    let robin = Device::new("laptop", "Robin", base_port() + 70);
    let sam = Device::new("phone", "Sam", base_port() + 71);
    robin.ok(&["journal", "new", "us"]);
    robin.ok(&["--journal", "us", "write", "robin in us"]);
    pair(&robin, &sam, &["share", "us", "--expires", "5m"]);
    sam.ok(&["--journal", "us", "write", "sam in us"]);

    // Sam was shared in as a writer: Sam may not remove Robin, nor anyone.
    let refused = sam.fails(&["journal", "remove", "Robin", "--from", "us", "--yes"]);
    assert!(refused.contains("only an admin"), "{refused}");
    // Removing needs a yes, a journal, and a person who is in it.
    assert!(
        robin
            .fails(&["journal", "remove", "Sam", "--from", "us"])
            .contains("--yes")
    );
    assert!(
        robin
            .fails(&["journal", "remove", "Sam", "--yes"])
            .contains("--from JOURNAL")
    );
    let nobody = robin.fails(&["journal", "remove", "Kim", "--from", "us", "--yes"]);
    assert!(
        nobody.contains("nobody in this journal is named `Kim`"),
        "{nobody}"
    );
    let me = robin.fails(&["journal", "remove", "robin", "--from", "us", "--yes"]);
    assert!(me.contains("journal leave"), "{me}");

    // With Sam's daemon up, Robin removes Sam and Sam's device hears of it at once.
    let log = sam.h.scratch().join("daemon.log");
    let _sams_daemon = sam.daemon_logged(&["--for", "120s", "--pull-every", "3600"], &log);
    // Robin holds everything Sam wrote: a change Sam made concurrently with the removal
    // would count for nothing (docs/authorship.md).
    robin.ok(&["sync"]);
    // First Robin makes Sam a reader: Sam's device hears at once, and Sam may not undo it.
    let made: Value = serde_json::from_str(
        &robin.ok(&["journal", "role", "Sam", "reader", "--in", "us", "--json"]),
    )
    .unwrap();
    assert_eq!(
        (&made["role"], &made["told"]),
        (&"reader".into(), &1.into()),
        "{made}"
    );
    let role_of_sam = |d: &Device| {
        let members: Value =
            serde_json::from_str(&d.ok(&["--journal", "us", "members", "--json"])).unwrap();
        let sams = members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["person"] == "Sam");
        sams.unwrap()["role"].as_str().unwrap().to_string()
    };
    assert_eq!(
        (role_of_sam(&robin), role_of_sam(&sam)),
        ("reader".into(), "reader".into())
    );
    let undo = sam.fails(&["journal", "role", "Sam", "writer", "--in", "us"]);
    assert!(undo.contains("only an admin"), "{undo}");
    let again = robin.fails(&["journal", "role", "Sam", "reader", "--in", "us"]);
    assert!(again.contains("a reader already"), "{again}");
    let removed: Value = serde_json::from_str(&robin.ok(&[
        "journal", "remove", "sam", "--from", "us", "--yes", "--json",
    ]))
    .unwrap();
    assert_eq!(removed["devices"].as_array().unwrap().len(), 1, "{removed}");
    assert_eq!(removed["told"].as_array().unwrap().len(), 1, "{removed}");
    let robin_id = haven_store::Vault::open(&robin.h.home)
        .unwrap()
        .config()
        .device_id
        .clone();
    for (who, d) in [("Robin", &robin), ("Sam", &sam)] {
        let members: Value =
            serde_json::from_str(&d.ok(&["--journal", "us", "members", "--json"])).unwrap();
        let sams = members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["person"] == "Sam")
            .cloned()
            .unwrap();
        assert_eq!(sams["ended"]["removed"]["by"], robin_id, "{who}: {sams}");
        let text = d.ok(&["--journal", "us", "members"]);
        let fp = haven_node::fingerprint(&robin_id);
        assert!(
            text.contains(&format!("removed by Robin ({fp})")),
            "{who}: {text}"
        );
    }
    // What Sam wrote stays; what Sam writes now never reaches Robin.
    assert!(robin.texts(Some("us")).contains(&"sam in us".to_string()));
    sam.ok(&["--journal", "us", "write", "sam after removal"]);
    sam.ok(&["sync"]);
    assert!(
        !robin
            .texts(Some("us"))
            .contains(&"sam after removal".to_string())
    );
    let again = robin.fails(&["journal", "remove", "Sam", "--from", "us", "--yes"]);
    assert!(again.contains("no longer in this journal"), "{again}");
}
