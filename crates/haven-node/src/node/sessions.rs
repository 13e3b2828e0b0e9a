//! How many sessions a node runs now, and a wake-up when none is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The count of running sessions.
#[derive(Default)]
pub(super) struct Sessions {
    running: AtomicUsize,
    idle: tokio::sync::Notify,
}

/// A running session, counted until dropped (see [`super::Node::session_begins`]).
pub struct InSession<'a>(&'a Sessions);

impl Drop for InSession<'_> {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Sessions {
    /// Counts one more session until the guard drops.
    pub(super) fn begin(&self) -> InSession<'_> {
        self.running.fetch_add(1, Ordering::SeqCst);
        InSession(self)
    }

    /// Waits until no session runs, at most `within`; returns whether none does.
    pub(super) async fn idle(&self, within: Duration) -> bool {
        let idle = self.idle.notified();
        tokio::pin!(idle);
        idle.as_mut().enable();
        if self.running.load(Ordering::SeqCst) == 0 {
            return true;
        }
        tokio::time::timeout(within, idle).await.is_ok()
    }
}
