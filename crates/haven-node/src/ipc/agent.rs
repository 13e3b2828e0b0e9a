//! The unlock agent: a small background process that holds the decrypted identity in
//! memory for a limited time and hands it to `haven` commands of the same user over a
//! Unix socket in the vault (mode 0600, peer uid checked). The key never touches disk.
//!
//! Protocol, one line each way: `identity` -> `ok AGE-SECRET-KEY-1...`; `status` ->
//! `ok <seconds left>`; `lock` -> `ok`, and the agent exits.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

/// How long a client waits for the agent.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

fn request(socket: &Path, line: &str) -> Option<String> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT)).ok()?;
    stream.write_all(format!("{line}\n").as_bytes()).ok()?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).ok()?;
    let reply = reply.trim_end().strip_prefix("ok")?;
    Some(reply.trim_start().to_string())
}

/// The identity held by a running agent, if any.
pub fn fetch_identity(socket: &Path) -> Option<String> {
    request(socket, "identity").filter(|s| !s.is_empty())
}

/// Seconds left on a running agent, if any.
pub fn seconds_left(socket: &Path) -> Option<u64> {
    request(socket, "status")?.parse().ok()
}

/// Asks a running agent to forget the key and exit. Returns whether one was running.
pub fn stop(socket: &Path) -> bool {
    request(socket, "lock").is_some()
}

/// Serves `identity` on `socket` until `ttl` passes, `lock` is asked, or the socket file
/// disappears (the vault was removed). `ready` is called once the socket is listening.
pub fn serve(
    socket: PathBuf,
    identity: SecretString,
    ttl: Duration,
    ready: impl FnOnce(),
) -> std::io::Result<()> {
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
    let held = Arc::new(Mutex::new(Some(identity)));
    let deadline = Instant::now() + ttl;
    ready();

    // Watchdog: forget the key and exit at the deadline or when the socket is gone.
    {
        let held = Arc::clone(&held);
        let socket = socket.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let same = std::fs::metadata(&socket)
                    .map(|m| std::os::unix::fs::MetadataExt::ino(&m) == inode)
                    .unwrap_or(false);
                if Instant::now() >= deadline || !same {
                    forget_and_exit(&held, &socket, same);
                }
            }
        });
    }

    let uid = rustix::process::getuid();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let allowed = rustix::net::sockopt::socket_peercred(&stream)
            .map(|c| c.uid == uid)
            .unwrap_or(false);
        if !allowed {
            continue;
        }
        let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
        let mut line = String::new();
        if BufReader::new(&stream).read_line(&mut line).is_err() {
            continue;
        }
        match line.trim() {
            "identity" => {
                let guard = held.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(id) = guard.as_ref() {
                    let mut reply = zeroize::Zeroizing::new(format!("ok {}\n", id.expose_secret()));
                    let _ = stream.write_all(reply.as_bytes());
                    zeroize::Zeroize::zeroize(&mut *reply);
                }
            }
            "status" => {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                let _ = stream.write_all(format!("ok {left}\n").as_bytes());
            }
            "lock" => {
                // Forget first, so that the key is gone when the client hears back.
                drop(held.lock().unwrap_or_else(|p| p.into_inner()).take());
                let _ = std::fs::remove_file(&socket);
                let _ = stream.write_all(b"ok\n");
                forget_and_exit(&held, &socket, false);
            }
            _ => {
                let _ = stream.write_all(b"error unknown request\n");
            }
        }
    }
    Ok(())
}

fn forget_and_exit(held: &Mutex<Option<SecretString>>, socket: &Path, remove_socket: bool) -> ! {
    // Dropping the SecretString zeroizes it.
    drop(held.lock().unwrap_or_else(|p| p.into_inner()).take());
    if remove_socket {
        let _ = std::fs::remove_file(socket);
    }
    std::process::exit(0)
}
