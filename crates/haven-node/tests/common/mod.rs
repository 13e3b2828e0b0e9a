//! What the engine tests share: devices with real vaults in temporary directories, each a
//! `Node` on loopback with a port of its own, and a fixed clock.

#![allow(clippy::unwrap_used, dead_code, missing_docs)]

pub mod client;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use haven_model::{Entry, EntryId, JournalKind, JournalMeta, Timestamp};
use haven_node::daemon::DaemonOptions;
use haven_node::pairing::{self, Joined, Paired};
use haven_node::{Clock, Node, NodeConfig, PairError};
use haven_store::{InitOptions, JournalStore, Passphrase, Vault};
use haven_sync::ticket::Scope;
use tokio::sync::oneshot;

/// The fixed time of every test: 2026-06-01T00:00:00Z.
pub const NOW_MS: i64 = 1_780_272_000_000;

/// A clock that always says [`NOW_MS`].
pub fn clock() -> Clock {
    Arc::new(|| NOW_MS)
}

/// One device: its vault directory and its node.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub node: Arc<Node>,
    pub addr: SocketAddr,
}

/// A loopback port nobody uses now.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Device {
    /// A new vault for `person`'s `device_name`, and its node on a loopback port of its own
    /// (every endpoint of the device binds it, as the home port does on a real network).
    pub fn new(device_name: &str, person: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keys) = Vault::init(
            dir.path(),
            InitOptions {
                passphrase: Passphrase::new("pass".into()).unwrap(),
                device_name: device_name.into(),
                person_name: person.into(),
                work_factor: 10,
                created: "2026-06-01T00:00:00Z".into(),
                created_ms: NOW_MS,
            },
        )
        .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut config = NodeConfig::loopback(clock());
        config.net.bind = Some(addr);
        config.net.step_timeout = Duration::from_secs(10);
        Device {
            dir,
            node: Arc::new(Node::new(vault, keys, config)),
            addr,
        }
    }

    pub fn id(&self) -> String {
        self.node.me().to_string()
    }

    /// Creates a shared journal called `name`.
    pub fn new_shared(&self, name: &str) -> JournalStore {
        let meta = JournalMeta {
            name: name.into(),
            kind: JournalKind::Shared,
            created_ms: NOW_MS,
        };
        self.node
            .vault()
            .create_journal(&self.node.keys, &meta)
            .unwrap()
    }

    /// The journal this device calls `alias`.
    pub fn journal(&self, alias: &str) -> JournalStore {
        self.node
            .vault()
            .find_journal(&self.node.keys, alias)
            .unwrap()
    }

    /// Writes note number `n` with `text` into `store`.
    pub fn write(&self, store: &JournalStore, n: u64, text: &str) {
        let entry = Entry::note(
            EntryId::from_parts((NOW_MS as u64) + n, u128::from(n)),
            Timestamp {
                unix_ms: NOW_MS + n as i64,
                offset_secs: 0,
            },
            self.id(),
            text.into(),
        );
        store
            .change(&self.node.keys, |doc| {
                haven_model::schema::put_entry(doc, &entry)?;
                Ok(())
            })
            .unwrap();
    }

    /// The texts of the entries of `store`, sorted.
    pub fn texts(&self, store: &JournalStore) -> Vec<String> {
        let mut texts: Vec<String> = store
            .read(&self.node.keys)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.text)
            .collect();
        texts.sort();
        texts
    }

    /// The local aliases of every journal here, sorted.
    pub fn aliases(&self) -> Vec<String> {
        let mut aliases: Vec<String> = self
            .node
            .vault()
            .journals(&self.node.keys)
            .unwrap()
            .into_iter()
            .filter_map(|j| j.alias)
            .collect();
        aliases.sort();
        aliases
    }

    /// The shared key of the journal `store`.
    pub fn key_of(&self, store: &JournalStore) -> haven_sync::JournalKey {
        let view = store.read_recent(&self.node.keys, 0).unwrap();
        haven_node::node::key_bytes(view.key.as_deref().unwrap()).unwrap()
    }

    /// How this device's daemon runs in a test: its socket and lock in the vault, and no
    /// pull timer to speak of (events drive it).
    pub fn daemon_options(&self) -> DaemonOptions {
        DaemonOptions {
            socket: self.socket(),
            lock: self.dir.path().join("daemon.lock"),
            stop_after: None,
            pull_every: Duration::from_secs(3600),
        }
    }

    /// The control socket of this device's daemon.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("daemon.sock")
    }
}

/// `host` shows a ticket for `scope` and `joiner` joins with it; both halves run in this
/// process on their own endpoints.
pub async fn pair(
    host: &Device,
    joiner: &Device,
    scope: Scope,
) -> (Result<Paired, PairError>, Result<Joined, PairError>) {
    pair_as(host, joiner, scope, haven_model::members::Role::Writer).await
}

/// [`pair`], the joiner (a new person) given `role`.
pub async fn pair_as(
    host: &Device,
    joiner: &Device,
    scope: Scope,
    role: haven_model::members::Role,
) -> (Result<Paired, PairError>, Result<Joined, PairError>) {
    let (tx, rx) = oneshot::channel();
    let hosting = pairing::host_pairing(&host.node, scope, role, NOW_MS + 3_600_000, move |t| {
        let _ = tx.send(t.clone());
    });
    let joining = async {
        let ticket = rx.await.unwrap();
        pairing::join(&joiner.node, &ticket).await
    };
    tokio::join!(hosting, joining)
}

/// A running daemon of a device, stopped when dropped.
pub struct Daemon {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Daemon {
    /// Starts `device`'s daemon and waits until its control socket answers.
    pub async fn start(device: &Device) -> Daemon {
        let (stop, stopped) = oneshot::channel::<()>();
        let options = device.daemon_options();
        let node = Arc::clone(&device.node);
        let (up, is_up) = oneshot::channel();
        let task = tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.await;
            };
            let mut up = Some(up);
            let ready = move |_: &[SocketAddr]| {
                if let Some(up) = up.take() {
                    let _ = up.send(());
                }
            };
            haven_node::daemon::run(
                haven_node::daemon::Start::Unlocked(node),
                options,
                stop,
                ready,
            )
            .await
            .unwrap();
        });
        is_up.await.expect("the daemon stopped before it was up");
        Daemon {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the daemon and waits for it to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Daemon {
    /// Starts `device`'s daemon without the key: it waits for [`control_ask`] to hand it over.
    pub async fn start_locked(device: &Device) -> Daemon {
        let (stop, stopped) = oneshot::channel::<()>();
        let options = device.daemon_options();
        let start = haven_node::daemon::Start::Locked {
            vault: device.node.vault(),
            config: device.node.node_config(),
        };
        let task = tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.await;
            };
            haven_node::daemon::run(start, options, stop, |_| {})
                .await
                .unwrap();
        });
        // Locked, it binds no endpoint: its control socket answering is the sign it is up.
        let daemon = Daemon {
            stop: Some(stop),
            task: Some(task),
        };
        let socket = device.socket();
        for _ in 0..200 {
            if socket.exists() {
                return daemon;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the locked daemon's control socket never appeared");
    }
}

/// Asks `device`'s daemon one question on its control socket (off the async workers, as
/// the client is blocking).
pub async fn control_ask(
    device: &Device,
    request: haven_node::ipc::control::Request,
) -> Option<haven_node::ipc::control::Reply> {
    let socket = device.socket();
    tokio::task::spawn_blocking(move || {
        haven_node::ipc::control::ask(&socket, &request, Duration::from_secs(30))
    })
    .await
    .unwrap()
}
