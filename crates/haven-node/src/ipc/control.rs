//! The daemon's control socket, `<vault>/daemon.sock` (mode 0600, peer uid checked).
//!
//! While `haven daemon` runs it owns the device's endpoint, so `haven sync`, `haven status`
//! and `haven watch` ask it instead of opening a second one. The client writes one JSON
//! request line; the daemon answers with JSON lines: one reply, or for `watch` a stream of
//! arrivals until either side hangs up.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The longest request line the daemon reads.
const MAX_REQUEST: u64 = 4096;

/// The vault's identity on its way to a daemon: zeroized when dropped, never printed.
#[derive(Clone)]
pub struct Identity(zeroize::Zeroizing<String>);

impl Identity {
    /// Wraps the identity's text.
    pub fn new(text: zeroize::Zeroizing<String>) -> Identity {
        Identity(text)
    }

    /// The identity's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity([redacted])")
    }
}

impl Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Identity(zeroize::Zeroizing::new(String::deserialize(d)?)))
    }
}

/// What a client asks of the daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The daemon's endpoint and what it knows of each peer now.
    Status,
    /// Sync now with every peer, or those matching `peer`.
    Sync {
        /// A device id prefix or a device name prefix.
        peer: Option<String>,
        /// Keys (hex) of journals to offer beyond membership: one being left.
        #[serde(default)]
        offer: Vec<String>,
        /// Only these devices, members or not (one just removed must hear of it).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        devices: Vec<String>,
    },
    /// Stream an [`Arrival`] each time entries arrive from a peer.
    Watch,
    /// Show a ticket on the daemon's endpoint and pair with the device that presents it:
    /// replies [`Reply::Ticket`], then [`Reply::Paired`] or [`Reply::PairFailed`]. Hanging
    /// up withdraws the ticket.
    Invite {
        /// The shared journal's key (hex), or none to pair one of this person's devices.
        journal: Option<String>,
        /// The role a partner joining a shared journal gets.
        #[serde(default = "writer")]
        role: haven_model::members::Role,
        /// When the ticket expires (ms since the epoch).
        expires_at_ms: i64,
    },
    /// Join with a ticket from the daemon's endpoint: replies [`Reply::Joined`] or
    /// [`Reply::PairFailed`].
    Join {
        /// The ticket, as text.
        ticket: String,
    },
    /// Hand the vault's identity to a locked daemon, which then syncs.
    Unlock {
        /// The identity (an age secret key).
        identity: Identity,
    },
    /// Take the key back: the daemon stops syncing and forgets it until the next unlock.
    Lock,
    /// A journal changed on disk (sent by the process that committed it): push it now.
    Changed,
    /// Close every open sync connection with a device that was just revoked.
    Cut {
        /// The revoked device's id.
        device: String,
    },
}

/// One peer's outcome in a sync, as `haven sync` prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerRow {
    /// The device id.
    pub device: String,
    /// Its short fingerprint.
    pub fingerprint: String,
    /// "device (person)".
    pub name: String,
    /// How it went.
    pub status: PeerStatus,
    /// What happened, in words.
    pub detail: String,
    /// Entries that arrived here.
    pub arrived: usize,
    /// What moved, and on which path (the fields appear at the row's top level).
    #[serde(flatten)]
    pub traffic: crate::node::Traffic,
}

/// How a sync with one peer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerStatus {
    /// The session ran to the end.
    Synced,
    /// No journal in common.
    Skipped,
    /// It could not be reached.
    Unreachable,
    /// The session failed (nothing from it was kept).
    Failed,
}

impl PeerStatus {
    /// The word for it, as `haven sync` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerStatus::Synced => "synced",
            PeerStatus::Skipped => "skipped",
            PeerStatus::Unreachable => "unreachable",
            PeerStatus::Failed => "failed",
        }
    }
}

/// What a running daemon is doing with a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// A session runs now.
    Syncing,
    /// The last attempt failed; it tries again after a backoff.
    Retrying,
    /// The last session succeeded.
    Synced,
    /// Not reached yet since the daemon started.
    Waiting,
}

impl LiveState {
    /// The word for it, as `haven status` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Syncing => "syncing",
            LiveState::Retrying => "retrying",
            LiveState::Synced => "synced",
            LiveState::Waiting => "waiting",
        }
    }
}

/// A peer as the running daemon sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LivePeer {
    /// The device id.
    pub device: String,
    /// What the daemon is doing with it.
    pub state: LiveState,
    /// When the daemon last synced with it (ms since the epoch).
    pub last_ok_ms: Option<i64>,
    /// Seconds until the next attempt, while retrying.
    pub retry_in_secs: Option<u64>,
    /// Whether the last session's connection was direct or relayed.
    #[serde(default)]
    pub path: Option<haven_sync::net::PathKind>,
}

/// The running daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DaemonStatus {
    /// Its process id.
    pub pid: u32,
    /// Whether it is waiting for the key (`haven unlock`) and so not syncing.
    #[serde(default)]
    pub locked: bool,
    /// Seconds since it started.
    pub up_secs: u64,
    /// The addresses its endpoint listens on.
    pub addrs: Vec<String>,
    /// Every peer it syncs with.
    pub peers: Vec<LivePeer>,
    /// Its home relays, each connected or failing (none with relays off).
    #[serde(default)]
    pub relays: Vec<haven_sync::net::RelayState>,
}

/// Entries that arrived in one journal from one peer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Arrival {
    /// The journal's name (as received: untrusted text).
    pub journal: String,
    /// How many entries arrived.
    pub arrived: usize,
    /// The sending device's id.
    pub from: String,
}

/// What the daemon answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// For [`Request::Status`].
    Status(DaemonStatus),
    /// For [`Request::Sync`].
    Synced {
        /// One row per peer.
        peers: Vec<PeerRow>,
        /// The endpoint's home relays after the sync, each connected or failing (none
        /// with relays off).
        #[serde(default)]
        relays: Vec<haven_sync::net::RelayState>,
    },
    /// For [`Request::Watch`], before any arrival.
    Watching,
    /// Streamed after [`Reply::Watching`].
    Arrived(Arrival),
    /// For [`Request::Cut`]: how many connections were closed.
    Cut {
        /// Connections closed.
        closed: usize,
    },
    /// For [`Request::Changed`]: a push is under way.
    Noted,
    /// For [`Request::Unlock`]: the daemon holds the key now.
    Unlocked,
    /// For [`Request::Lock`], and for what needs the key while the daemon has none.
    Locked,
    /// For [`Request::Invite`]: the ticket to show.
    Ticket {
        /// The ticket, as text.
        ticket: String,
    },
    /// For [`Request::Invite`]: a device joined.
    Paired(crate::pairing::Paired),
    /// For [`Request::Join`]: joined.
    Joined(crate::pairing::Joined),
    /// For [`Request::Invite`] and [`Request::Join`]: pairing failed.
    PairFailed {
        /// What went wrong.
        message: String,
        /// Its kind.
        kind: crate::PairFailure,
    },
    /// For [`Request::Sync`]: no known peer matches what was asked for.
    NoPeerMatches {
        /// What was asked for.
        wanted: String,
    },
    /// The request could not be served.
    Error {
        /// What went wrong.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
}

/// A client connection to a running daemon.
pub struct Client {
    reader: BufReader<UnixStream>,
}

impl Client {
    /// Connects and sends `request`; `None` when no daemon is listening on `socket`.
    pub fn open(socket: &Path, request: &Request, timeout: Option<Duration>) -> Option<Client> {
        let mut stream = UnixStream::connect(socket).ok()?;
        stream.set_read_timeout(timeout).ok()?;
        stream
            .set_write_timeout(Some(Duration::from_secs(2)))
            .ok()?;
        // The line may carry the identity: it is wiped once sent.
        let mut line = zeroize::Zeroizing::new(serde_json::to_vec(request).ok()?);
        line.push(b'\n');
        stream.write_all(&line).ok()?;
        Some(Client {
            reader: BufReader::new(stream),
        })
    }

    /// The next reply; `None` when the daemon hung up, timed out or sent nonsense.
    pub fn next_reply(&mut self) -> Option<Reply> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => serde_json::from_str(&line).ok(),
        }
    }
}

/// What asking the daemon gave.
#[derive(Debug)]
pub enum Asked {
    /// No daemon is listening: the caller may do the work itself.
    NoDaemon,
    /// The daemon's answer.
    Reply(Reply),
    /// A daemon took the request but gave no answer in time (or hung up): it may be busy
    /// with it, so the caller must not start the same work beside it.
    Silent,
}

/// Asks a running daemon one question.
pub fn ask_daemon(socket: &Path, request: &Request, timeout: Duration) -> Asked {
    match Client::open(socket, request, Some(timeout)) {
        None => Asked::NoDaemon,
        Some(mut client) => match client.next_reply() {
            Some(reply) => Asked::Reply(reply),
            None => Asked::Silent,
        },
    }
}

/// Asks a running daemon one question; `None` when none answers.
pub fn ask(socket: &Path, request: &Request, timeout: Duration) -> Option<Reply> {
    match ask_daemon(socket, request, timeout) {
        Asked::Reply(reply) => Some(reply),
        Asked::NoDaemon | Asked::Silent => None,
    }
}

/// Tells a running daemon that this process committed a change, without waiting for an
/// answer beyond a moment; nothing happens when no daemon listens.
pub fn tell_changed(socket: &Path) {
    let _ = Client::open(socket, &Request::Changed, Some(Duration::from_millis(500)))
        .map(|mut client| client.next_reply());
}

/// Binds the control socket, replacing a stale one left by a daemon that died. Fails with
/// `AddrInUse` when another daemon answers on it.
pub fn bind(socket: &Path) -> std::io::Result<tokio::net::UnixListener> {
    if socket.exists() {
        if UnixStream::connect(socket).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "a daemon is already running for this vault",
            ));
        }
        std::fs::remove_file(socket)?;
    }
    let listener = tokio::net::UnixListener::bind(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Reads a client's request, after checking that it runs as the same user. `None` for
/// anyone else, a line that is too long, or one that does not parse.
pub async fn read_request(stream: &mut tokio::net::UnixStream) -> Option<Request> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let uid = rustix::process::getuid().as_raw();
    if stream.peer_cred().ok()?.uid() != uid {
        return None;
    }
    // The line may carry the identity: it is wiped once read.
    let mut line = zeroize::Zeroizing::new(String::new());
    let mut limited = tokio::io::BufReader::new(stream.take(MAX_REQUEST));
    tokio::time::timeout(Duration::from_secs(5), limited.read_line(&mut line))
        .await
        .ok()?
        .ok()?;
    serde_json::from_str(&line).ok()
}

/// Writes one reply line.
pub async fn write_reply(
    stream: &mut tokio::net::UnixStream,
    reply: &Reply,
) -> std::io::Result<()> {
    write_reply_to(stream, reply).await
}

/// Writes one reply line to any writer (such as the write half of a split stream).
pub async fn write_reply_to(
    to: &mut (impl tokio::io::AsyncWrite + Unpin),
    reply: &Reply,
) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut line = serde_json::to_vec(reply)?;
    line.push(b'\n');
    to.write_all(&line).await
}

/// The role a partner gets when a request names none.
fn writer() -> haven_model::members::Role {
    haven_model::members::Role::Writer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_are_one_json_line_each() {
        let req = serde_json::to_string(&Request::Sync {
            peer: Some("ab".into()),
            offer: Vec::new(),
            devices: Vec::new(),
        })
        .unwrap_or_default();
        assert_eq!(req, r#"{"op":"sync","peer":"ab","offer":[]}"#);
        let reply = Reply::Arrived(Arrival {
            journal: "us\nfake".into(),
            arrived: 2,
            from: "00".into(),
        });
        let text = serde_json::to_string(&reply).unwrap_or_default();
        assert!(!text.contains('\n'), "{text}");
        let back: Reply = serde_json::from_str(&text).unwrap_or(Reply::Watching);
        assert!(matches!(back, Reply::Arrived(a) if a.arrived == 2 && a.journal == "us\nfake"));
    }
}
