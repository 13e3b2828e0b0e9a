//! A daemon without the key: it answers the control socket (status says it is locked) and
//! waits for `haven unlock` to hand it the vault's identity. Nothing is decrypted, no
//! endpoint is bound, and no journal is read until then.

use std::time::Instant;

use haven_store::{Keys, Vault};

use super::Stop;
use crate::ipc::control::{self, DaemonStatus, Reply, Request};

/// Answers control clients until one hands over an identity that unlocks `vault`; `None`
/// when the daemon is stopped first.
pub(super) async fn wait_for_key(
    control: &tokio::net::UnixListener,
    vault: &Vault,
    started: Instant,
    stop: &mut Stop<'_>,
) -> Option<Keys> {
    loop {
        let mut stream = tokio::select! {
            () = &mut *stop => return None,
            client = control.accept() => match client {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        // One client at a time: only this user's processes reach the socket, and each read
        // has its own deadline.
        let Some(request) = control::read_request(&mut stream).await else {
            continue;
        };
        let (reply, keys) = match request {
            Request::Unlock { identity } => {
                match tokio::task::block_in_place(|| vault.keys_from_secret(identity.expose())) {
                    Ok(keys) => (Reply::Unlocked, Some(keys)),
                    Err(e) => (
                        Reply::Error {
                            message: format!("the daemon could not unlock the vault: {e}"),
                            hint: None,
                        },
                        None,
                    ),
                }
            }
            Request::Status => (Reply::Status(status(started)), None),
            // Locking a locked daemon, and everything that needs the key, say it is locked.
            _ => (Reply::Locked, None),
        };
        let _ = control::write_reply(&mut stream, &reply).await;
        if keys.is_some() {
            return keys;
        }
    }
}

/// What status says of a locked daemon.
fn status(started: Instant) -> DaemonStatus {
    DaemonStatus {
        pid: std::process::id(),
        up_secs: started.elapsed().as_secs(),
        locked: true,
        addrs: Vec::new(),
        peers: Vec::new(),
        relays: Vec::new(),
    }
}
