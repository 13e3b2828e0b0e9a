//! How long a running daemon takes to refuse a stranger (a device in none of its journals)
//! with 1 and with 50 journals in the vault: the refusal comes from the in-memory
//! membership index, so it should not grow with the vault. For comparison, the check the
//! daemon made before the index (reading every journal's member list) is timed too.
//!
//! ```text
//! cargo bench -p haven-node --bench stranger
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use haven_model::{Entry, EntryId, JournalKind, JournalMeta, Timestamp, schema};
use haven_node::daemon::{DaemonOptions, Start};
use haven_node::{Clock, Node, NodeConfig};
use haven_store::{InitOptions, Passphrase, Vault};
use haven_sync::frame::Frame;

type Error = Box<dyn std::error::Error + Send + Sync>;

const NOW_MS: i64 = 1_780_272_000_000;
/// Entries in each journal.
const ENTRIES: u64 = 200;
/// Refusals timed per vault size.
const ROUNDS: usize = 30;

fn node(dir: &std::path::Path, journals: usize) -> Result<(Node, SocketAddr), Error> {
    let (vault, keys) = Vault::init(
        dir,
        InitOptions {
            passphrase: Passphrase::new("bench".into())?,
            device_name: "laptop".into(),
            person_name: "Robin".into(),
            work_factor: 10,
            created: "2026-06-01T00:00:00Z".into(),
            created_ms: NOW_MS,
        },
    )?;
    let mut stores = vec![vault.personal()];
    for n in 1..journals {
        let meta = JournalMeta {
            name: format!("shared{n}"),
            kind: JournalKind::Shared,
            created_ms: NOW_MS,
        };
        stores.push(vault.create_journal(&keys, &meta)?);
    }
    for store in &stores {
        store.change(&keys, |doc| {
            for i in 0..ENTRIES {
                let at = NOW_MS + i as i64 * 60_000;
                let entry = Entry::note(
                    EntryId::from_parts(at as u64, u128::from(i) + 1),
                    Timestamp {
                        unix_ms: at,
                        offset_secs: 0,
                    },
                    vault.config().device_id.clone(),
                    format!("entry {i}: a walk, a call, tea with a friend"),
                );
                schema::put_entry(doc, &entry)?;
            }
            Ok(())
        })?;
    }
    let clock: Clock = Arc::new(|| NOW_MS);
    let port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut config = NodeConfig::loopback(clock);
    config.net.bind = Some(addr);
    Ok((Node::new(vault, keys, config), addr))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn measure(journals: usize) -> Result<(Duration, Duration, Duration), Error> {
    let dir = tempfile::tempdir()?;
    let (node, addr) = node(dir.path(), journals)?;
    let node = Arc::new(node);
    let stranger_dir = tempfile::tempdir()?;
    let (stranger, _) = self::node(stranger_dir.path(), 1)?;
    let stranger_id = stranger.me().to_string();

    // The check before the index: every journal's member list, decrypted.
    let mut decrypting = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let shared = node.journals_for(&stranger_id)?;
        decrypting.push(t.elapsed());
        assert!(shared.is_empty());
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (up, is_up) = tokio::sync::oneshot::channel();
    let options = DaemonOptions {
        socket: dir.path().join("daemon.sock"),
        lock: dir.path().join("daemon.lock"),
        stop_after: None,
        pull_every: Duration::from_secs(3600),
    };
    let mut up = Some(up);
    let daemon = tokio::spawn(haven_node::daemon::run(
        Start::Unlocked(Arc::clone(&node)),
        options,
        async move {
            let _ = stopped.await;
        },
        move |_: &[SocketAddr]| {
            if let Some(up) = up.take() {
                let _ = up.send(());
            }
        },
    ));
    is_up.await?;

    let mut config = stranger.config.clone();
    config.bind = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    let secret = stranger.secret()?;
    let endpoint = haven_sync::net::bind(&secret, &config).await?;
    let id = haven_node::node::device_bytes(node.me()).ok_or("bad id")?;
    let step = Duration::from_secs(5);
    let mut refusals = Vec::new();
    for _ in 0..=ROUNDS {
        let target = haven_sync::net::peer_addr(&id, &[addr], None)?;
        let t = Instant::now();
        let (conn, mut send, mut recv) =
            haven_sync::net::connect(&endpoint, target, haven_sync::SYNC_ALPN, step).await?;
        let hello = Frame::Hello {
            version: haven_sync::frame::VERSION,
            journals: vec![[7; 16]],
        };
        haven_sync::net::send(&mut send, &hello, step).await?;
        let answer: Frame = haven_sync::net::recv(&mut recv, step).await?;
        refusals.push(t.elapsed());
        if !matches!(answer, Frame::Refused { .. }) {
            return Err("the stranger was not refused".into());
        }
        conn.close(0u32.into(), b"");
    }
    endpoint.close().await;
    let _ = stop.send(());
    daemon.await??;
    // The first refusal built the index; the rest are what a flood of strangers costs.
    let first = refusals.remove(0);
    Ok((median(decrypting), first, median(refusals)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    println!(
        "| journals ({ENTRIES} entries each) | member lists decrypted (old check) | first refusal (builds the index) | refusal, median of {ROUNDS} |"
    );
    println!("|---|---|---|---|");
    for journals in [1, 50] {
        let (decrypting, first, refusal) = measure(journals).await?;
        println!(
            "| {journals} | {:.2} ms | {:.2} ms | {:.2} ms |",
            decrypting.as_secs_f64() * 1000.0,
            first.as_secs_f64() * 1000.0,
            refusal.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
