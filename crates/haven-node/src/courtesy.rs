//! How many refusals may take their time at once.
//!
//! A connection that is refused politely (a stranger's session, a pairing connection while
//! no ticket is shown) is held until the peer opens its stream, so that the reason reaches
//! it: up to several seconds. Beyond [`POLITE_AT_ONCE`] such connections at a time, the next
//! is closed at once without a word, so that a flood of connections holds a bounded number
//! of tasks however many arrive.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Polite refusals (or pairing knocks) that may wait on their peer at once.
pub const POLITE_AT_ONCE: usize = 16;

/// Room for polite refusals, shared by one protocol handler's connections.
#[derive(Debug, Clone)]
pub struct Courtesy(Arc<Semaphore>);

impl Default for Courtesy {
    fn default() -> Self {
        Courtesy(Arc::new(Semaphore::new(POLITE_AT_ONCE)))
    }
}

impl Courtesy {
    /// Room for one more polite refusal, held until the permit is dropped; `None` when
    /// [`POLITE_AT_ONCE`] are waiting already (close the connection at once instead).
    pub fn room(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.0).try_acquire_owned().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_runs_out_and_comes_back() {
        let courtesy = Courtesy::default();
        let held: Vec<_> = (0..POLITE_AT_ONCE)
            .map(|_| courtesy.room().unwrap())
            .collect();
        assert!(courtesy.room().is_none());
        drop(held);
        assert!(courtesy.room().is_some());
    }
}
