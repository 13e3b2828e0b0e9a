//! The unlock agent: a small background process that holds the decrypted identity in
//! memory for a limited time and hands it to `haven` commands of the same user over a
//! Unix socket in the vault (mode 0600, peer uid checked). The key never touches disk.
//!
//! One request line, one reply line ([`Request`], [`Reply`]): `identity` ->
//! `ok AGE-SECRET-KEY-1...`; `status` -> `ok <seconds left>`; `lock` -> `ok`, after which
//! the agent forgets the key and [`serve`] returns. Anything else -> `error ...`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// How long a client waits for the agent.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the agent looks at its deadline and its socket file while nobody asks.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// The longest request or reply line read.
const MAX_LINE: u64 = 256;

/// What a client asks the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The identity it holds.
    Identity,
    /// How long it stays up.
    Status,
    /// Forget the key and exit.
    Lock,
}

impl Request {
    /// The request as sent (without the line break).
    pub fn as_str(self) -> &'static str {
        match self {
            Request::Identity => "identity",
            Request::Status => "status",
            Request::Lock => "lock",
        }
    }

    /// Reads a request line.
    pub fn parse(line: &str) -> Option<Request> {
        [Request::Identity, Request::Status, Request::Lock]
            .into_iter()
            .find(|r| r.as_str() == line.trim())
    }
}

/// What the agent answers.
#[derive(Debug)]
pub enum Reply {
    /// The identity (`ok AGE-SECRET-KEY-1...`).
    Identity(SecretString),
    /// Seconds left before it forgets the key (`ok 42`).
    SecondsLeft(u64),
    /// The key is forgotten (`ok`).
    Locked,
    /// The request was not understood (`error ...`).
    Refused(String),
}

impl Reply {
    /// The reply line, line break included (zeroized when dropped: it may hold the key).
    pub fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(match self {
            Reply::Identity(id) => format!("ok {}\n", id.expose_secret()),
            Reply::SecondsLeft(n) => format!("ok {n}\n"),
            Reply::Locked => "ok\n".to_string(),
            Reply::Refused(why) => format!("error {}\n", why.replace('\n', " ")),
        })
    }

    /// Reads the reply line to `request`; `None` if it is not one.
    pub fn parse(request: Request, line: &str) -> Option<Reply> {
        let line = line.trim_end();
        if let Some(why) = line.strip_prefix("error ") {
            return Some(Reply::Refused(why.to_string()));
        }
        let rest = line.strip_prefix("ok")?.trim_start();
        match request {
            Request::Identity if rest.starts_with("AGE-SECRET-KEY-") => {
                Some(Reply::Identity(SecretString::from(rest.to_string())))
            }
            Request::Status => rest.parse().ok().map(Reply::SecondsLeft),
            Request::Lock if rest.is_empty() => Some(Reply::Locked),
            _ => None,
        }
    }
}

/// Sends `request` to the agent at `socket`; `None` if no agent answers sensibly.
pub fn ask(socket: &Path, request: Request) -> Option<Reply> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT)).ok()?;
    stream
        .write_all(format!("{}\n", request.as_str()).as_bytes())
        .ok()?;
    let mut line = Zeroizing::new(String::new());
    BufReader::new(stream.take(MAX_LINE))
        .read_line(&mut line)
        .ok()?;
    Reply::parse(request, &line)
}

/// The identity held by a running agent, if any.
pub fn fetch_identity(socket: &Path) -> Option<SecretString> {
    match ask(socket, Request::Identity)? {
        Reply::Identity(id) => Some(id),
        _ => None,
    }
}

/// Seconds left on a running agent, if any.
pub fn seconds_left(socket: &Path) -> Option<u64> {
    match ask(socket, Request::Status)? {
        Reply::SecondsLeft(n) => Some(n),
        _ => None,
    }
}

/// Asks a running agent to forget the key and exit. Returns whether one was running.
pub fn stop(socket: &Path) -> bool {
    matches!(ask(socket, Request::Lock), Some(Reply::Locked))
}

/// Why [`serve`] returned (the key is forgotten in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Its time was up.
    Expired,
    /// A client asked it to lock.
    Locked,
    /// Its socket file was removed or replaced (the vault went away).
    SocketGone,
}

/// Serves `identity` on `socket` until `ttl` passes, `lock` is asked, or the socket file
/// disappears. `ready` is called once the socket is listening.
pub fn serve(
    socket: PathBuf,
    identity: SecretString,
    ttl: Duration,
    ready: impl FnOnce(),
) -> std::io::Result<Ended> {
    if socket.exists() {
        if UnixStream::connect(&socket).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "an agent is already running",
            ));
        }
        std::fs::remove_file(&socket)?;
    }
    let listener = UnixListener::bind(&socket)?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
    let inode = std::fs::metadata(&socket).map(|m| std::os::unix::fs::MetadataExt::ino(&m))?;
    let deadline = Instant::now() + ttl;
    let mut held = Some(identity);
    ready();
    let uid = rustix::process::getuid();
    let ended = loop {
        if Instant::now() >= deadline {
            break Ended::Expired;
        }
        let same = std::fs::metadata(&socket)
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m) == inode)
            .unwrap_or(false);
        if !same {
            // Dropping the SecretString zeroizes it.
            drop(held.take());
            return Ok(Ended::SocketGone);
        }
        if !readable_within(&listener, WATCH_EVERY.min(deadline - Instant::now())) {
            continue;
        }
        let Ok((stream, _)) = listener.accept() else {
            continue;
        };
        let allowed = rustix::net::sockopt::socket_peercred(&stream)
            .map(|c| c.uid == uid)
            .unwrap_or(false);
        if allowed && answer(stream, &mut held, deadline) == Some(Request::Lock) {
            break Ended::Locked;
        }
    };
    drop(held.take());
    let _ = std::fs::remove_file(&socket);
    Ok(ended)
}

/// Whether a connection waits on `listener` within `wait`.
fn readable_within(listener: &UnixListener, wait: Duration) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::new(listener, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: wait.as_secs() as i64,
        tv_nsec: i64::from(wait.subsec_nanos()),
    };
    poll(&mut fds, Some(&timeout)).is_ok_and(|n| n > 0)
}

/// Answers one client; returns what it asked, if it asked anything understood.
fn answer(
    mut stream: UnixStream,
    held: &mut Option<SecretString>,
    deadline: Instant,
) -> Option<Request> {
    let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = stream.set_write_timeout(Some(CLIENT_TIMEOUT));
    let mut line = String::new();
    BufReader::new((&stream).take(MAX_LINE))
        .read_line(&mut line)
        .ok()?;
    let request = Request::parse(&line);
    let reply = match request {
        Some(Request::Identity) => match held.as_ref() {
            Some(id) => Reply::Identity(id.clone()),
            None => Reply::Refused("no key held".into()),
        },
        Some(Request::Status) => {
            Reply::SecondsLeft(deadline.saturating_duration_since(Instant::now()).as_secs())
        }
        Some(Request::Lock) => {
            // Forget first, so that the key is gone when the client hears back.
            drop(held.take());
            Reply::Locked
        }
        None => Reply::Refused("unknown request".into()),
    };
    let _ = stream.write_all(reply.encode().as_bytes());
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_read_back_as_written() {
        for r in [Request::Identity, Request::Status, Request::Lock] {
            assert_eq!(Request::parse(&format!("{}\n", r.as_str())), Some(r));
        }
        assert_eq!(Request::parse("identity please"), None);
        let id = Reply::Identity(SecretString::from("AGE-SECRET-KEY-1ABC".to_string()));
        match Reply::parse(Request::Identity, &id.encode()) {
            Some(Reply::Identity(s)) => assert_eq!(s.expose_secret(), "AGE-SECRET-KEY-1ABC"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Reply::parse(Request::Status, &Reply::SecondsLeft(42).encode()),
            Some(Reply::SecondsLeft(42))
        ));
        assert!(matches!(
            Reply::parse(Request::Lock, &Reply::Locked.encode()),
            Some(Reply::Locked)
        ));
        assert!(matches!(
            Reply::parse(Request::Identity, "error no key held\n"),
            Some(Reply::Refused(_))
        ));
        // A status answer is not an identity, and nothing unasked-for is read as one.
        assert!(Reply::parse(Request::Identity, "ok 42\n").is_none());
        assert!(Reply::parse(Request::Status, "ok soon\n").is_none());
    }

    #[test]
    fn the_agent_hands_out_the_key_and_forgets_it_when_locked() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("agent.sock");
        let (tx, rx) = std::sync::mpsc::channel();
        let serving = {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let id = SecretString::from("AGE-SECRET-KEY-1XYZ".to_string());
                serve(socket, id, Duration::from_secs(60), || tx.send(()).unwrap())
            })
        };
        rx.recv().unwrap();
        assert_eq!(
            fetch_identity(&socket).unwrap().expose_secret(),
            "AGE-SECRET-KEY-1XYZ"
        );
        assert!(seconds_left(&socket).unwrap() > 50);
        assert!(stop(&socket));
        assert_eq!(serving.join().unwrap().unwrap(), Ended::Locked);
        assert!(!socket.exists());
        assert!(fetch_identity(&socket).is_none());
    }

    #[test]
    fn the_agent_ends_at_its_deadline_and_when_its_socket_goes() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("agent.sock");
        let id = SecretString::from("AGE-SECRET-KEY-1XYZ".to_string());
        let ended = serve(socket.clone(), id.clone(), Duration::from_millis(50), || {}).unwrap();
        assert_eq!(ended, Ended::Expired);
        let (tx, rx) = std::sync::mpsc::channel();
        let serving = {
            let socket = socket.clone();
            std::thread::spawn(move || {
                serve(socket, id, Duration::from_secs(60), || tx.send(()).unwrap())
            })
        };
        rx.recv().unwrap();
        std::fs::remove_file(&socket).unwrap();
        assert_eq!(serving.join().unwrap().unwrap(), Ended::SocketGone);
    }
}
