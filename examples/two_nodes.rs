//! Two devices in one process: a vault each, paired through a real iroh endpoint on
//! loopback, then an entry written on one reaches the other through the first one's
//! daemon.
//!
//! ```text
//! cargo run -p haven-node --example two_nodes
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use haven_model::{Entry, EntryId, Timestamp, schema};
use haven_node::daemon::DaemonOptions;
use haven_node::{Clock, Node, NodeConfig, PeerOutcome, pairing};
use haven_store::{InitOptions, Passphrase, Vault};
use haven_sync::ticket::Scope;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A device: a new vault in `dir`, opened as a node on a loopback port of its own.
fn device(dir: &std::path::Path, name: &str, clock: &Clock) -> Result<Node, Error> {
    let now = clock();
    let (vault, keys) = Vault::init(
        dir,
        InitOptions {
            passphrase: Passphrase::new("example passphrase".into())?,
            device_name: name.into(),
            person_name: "Robin".into(),
            // A cheap key derivation, for an example; real vaults use the default.
            work_factor: 10,
            created: "2026-01-01T00:00:00Z".into(),
            created_ms: now,
        },
    )?;
    let port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut config = NodeConfig::loopback(Arc::clone(clock));
    config.net.bind = Some(SocketAddr::from(([127, 0, 0, 1], port)));
    Ok(Node::new(vault, keys, config))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let clock: Clock = Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    });
    let laptop_dir = tempfile::tempdir()?;
    let phone_dir = tempfile::tempdir()?;
    let laptop = Arc::new(device(laptop_dir.path(), "laptop", &clock)?);
    let phone = device(phone_dir.path(), "phone", &clock)?;

    // The laptop shows a ticket; the phone joins with it.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let expires = clock() + 600_000;
    let hosting = pairing::host_pairing(
        &laptop,
        Scope::Devices,
        haven_model::members::Role::Admin,
        expires,
        move |ticket| {
            let _ = tx.send(ticket.clone());
        },
    );
    let joining = async {
        let ticket = rx.await.map_err(|_| "no ticket")?;
        Ok::<_, Error>(pairing::join(&phone, &ticket).await?)
    };
    let (paired, joined) = tokio::join!(hosting, joining);
    let (paired, joined) = (paired?, joined?);
    println!(
        "paired: the laptop added {} ({}); the phone joined {:?}",
        paired.device_name,
        haven_node::fingerprint(&paired.device),
        joined.journals
    );

    // The laptop's daemon stays online where it paired.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (up, is_up) = tokio::sync::oneshot::channel();
    let options = DaemonOptions {
        socket: laptop_dir.path().join("daemon.sock"),
        lock: laptop_dir.path().join("daemon.lock"),
        stop_after: None,
        pull_every: Duration::from_secs(3600),
    };
    let daemon = tokio::spawn(haven_node::daemon::run(
        haven_node::daemon::Start::Unlocked(Arc::clone(&laptop)),
        options,
        async move {
            let _ = stopped.await;
        },
        {
            let mut up = Some(up);
            move |addrs: &[SocketAddr]| {
                if let Some(up) = up.take() {
                    let _ = up.send(addrs.to_vec());
                }
            }
        },
    ));
    println!("the laptop's daemon listens on {:?}", is_up.await?);

    // The phone writes an entry into the personal journal they now share, and syncs.
    let now = clock();
    let entry = Entry::note(
        EntryId::from_parts(now as u64, rand::random()),
        Timestamp {
            unix_ms: now,
            offset_secs: 0,
        },
        phone.me().to_string(),
        "Called my sister; we laughed about the old kitchen.".into(),
    );
    phone.vault().personal().change(&phone.keys, |doc| {
        schema::put_entry(doc, &entry)?;
        Ok(())
    })?;
    let targets = phone.sync_targets(None)?;
    for (row, outcome) in haven_node::node::sync_alone(&phone, &targets, &[])
        .await?
        .rows
    {
        let ok = matches!(outcome, PeerOutcome::Synced(..));
        println!(
            "phone -> {}: {} ({})",
            row.name,
            row.status.as_str(),
            row.detail
        );
        if !ok {
            return Err("the sync did not complete".into());
        }
    }
    let _ = stop.send(());
    daemon.await??;

    // The entry is on the laptop now, decrypted from its own vault.
    let view = laptop.vault().personal().read(&laptop.keys)?;
    for e in &view.entries {
        println!("on the laptop: {}", e.text);
    }
    if !view.entries.iter().any(|e| e.id == entry.id) {
        return Err("the entry did not reach the laptop".into());
    }
    Ok(())
}
