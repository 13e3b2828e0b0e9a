//! Admission of the sessions peers open: one per peer, a few in all.
//!
//! Every session holds its journals in memory while it runs, so their number is bounded.
//! A peer that opens a session while its previous one still runs (it reconnected after a
//! dropped connection, or it is flooding) has the previous one closed: a device never has
//! two sessions here at once, and an honest reconnect is never turned away.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::endpoint::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Sessions peers may have open with this daemon at once, in all.
pub const MAX_SESSIONS: usize = 8;
/// How long a new session from a peer waits for its previous one to end once closed.
const REPLACE_WAIT: Duration = Duration::from_secs(5);

/// For each peer: room for one session, and that session's connection.
type Slots = BTreeMap<String, (Arc<Semaphore>, Option<Connection>)>;

/// Who may open a session now.
pub struct Admission {
    slots: Mutex<Slots>,
    room: Arc<Semaphore>,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            slots: Mutex::default(),
            room: Arc::new(Semaphore::new(MAX_SESSIONS)),
        }
    }
}

/// Why a session was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The peer's previous session did not end in time after being closed.
    #[error("a session with this device is still ending; try again shortly")]
    StillEnding,
    /// The daemon holds as many sessions as it may.
    #[error("too many sessions at once; try again shortly")]
    Full,
}

/// A session that was let in, counted until it is dropped.
pub struct Admitted {
    _room: OwnedSemaphorePermit,
    _slot: OwnedSemaphorePermit,
}

impl Admission {
    /// Lets `peer`'s session on `conn` in, or says why not.
    pub async fn admit(&self, peer: &str, conn: &Connection) -> Result<Admitted, Refusal> {
        // The peer's own slot first, so that a flooding peer holds at most one place in
        // the whole daemon while its other sessions wait (or are refused).
        let (slot, previous) = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let entry = slots
                .entry(peer.to_string())
                .or_insert_with(|| (Arc::new(Semaphore::new(1)), None));
            (Arc::clone(&entry.0), entry.1.replace(conn.clone()))
        };
        let slot = match Arc::clone(&slot).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(old) = previous {
                    old.close(6u32.into(), b"replaced by a newer session");
                }
                tokio::time::timeout(REPLACE_WAIT, slot.acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .ok_or(Refusal::StillEnding)?
            }
        };
        let room = Arc::clone(&self.room)
            .try_acquire_owned()
            .map_err(|_| Refusal::Full)?;
        Ok(Admitted {
            _room: room,
            _slot: slot,
        })
    }
}
