//! Says when a journal changes on disk: a filesystem watcher on journal directories, so that
//! an entry written by any process (a `haven write`, an import, a copy made by hand) wakes
//! the daemon, which pushes it at once, and `haven watch`, which prints it, without either
//! reading the disk on a timer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// How long a wake-up waits for the writes that come with it (a commit writes its chunk,
/// then may compact), so that one commit starts one push.
const SETTLE: Duration = Duration::from_millis(10);

/// A running watcher; dropping it stops watching.
pub struct DiskEvents {
    _watcher: notify::RecommendedWatcher,
}

impl DiskEvents {
    /// Watches `dir` (a journal, or every journal with those added later) and calls `wake`
    /// with the paths of each change to entries under it.
    pub fn start(
        dir: &Path,
        wake: impl Fn(&[PathBuf]) + Send + 'static,
    ) -> notify::Result<DiskEvents> {
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if let Ok(e) = event
                    && matters(&e.kind, &e.paths)
                {
                    wake(&e.paths);
                }
            })?;
        watcher.watch(dir, RecursiveMode::Recursive)?;
        Ok(DiskEvents { _watcher: watcher })
    }
}

/// Wake-ups for async code: a burst of changes is one wake-up, naming the journals that
/// changed.
pub struct Changes {
    _events: DiskEvents,
    changed: Arc<Notify>,
    journals: Arc<Mutex<BTreeSet<String>>>,
}

impl Changes {
    /// Watches the directory of every journal, `dir`, as [`DiskEvents::start`] does.
    pub fn start(dir: &Path) -> notify::Result<Changes> {
        let changed = Arc::new(Notify::new());
        let journals: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let (wake, seen) = (Arc::clone(&changed), Arc::clone(&journals));
        // `notify_one` stores at most one wake-up.
        let events = DiskEvents::start(dir, move |paths| {
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.extend(paths.iter().filter_map(|p| journal_of(p)));
            drop(seen);
            wake.notify_one();
        })?;
        Ok(Changes {
            _events: events,
            changed,
            journals,
        })
    }

    /// Waits for the next change, and for its writes to settle; returns the directory
    /// names of the journals that changed since the last call.
    pub async fn next(&self) -> BTreeSet<String> {
        self.changed.notified().await;
        tokio::time::sleep(SETTLE).await;
        std::mem::take(&mut *self.journals.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The journal directory name of a content file (`<journal>/chunks/<file>`).
fn journal_of(path: &Path) -> Option<String> {
    let journal = path.parent()?.parent()?.file_name()?.to_str()?;
    Some(journal.to_string())
}

/// Whether an event is a change to a journal's content: a chunk or an inbox entry put in
/// place or removed. Temporary files (a write in progress) and what the daemon keeps per
/// peer (sync states, caches) do not count, or every session would wake it again.
fn matters(kind: &EventKind, paths: &[PathBuf]) -> bool {
    if matches!(kind, EventKind::Access(_)) {
        return false;
    }
    paths.iter().any(|path| {
        let in_content = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|dir| dir == "chunks" || dir == "inbox");
        let finished = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with(haven_store::durable::TEMP_PREFIX));
        in_content && finished
    })
}

#[cfg(test)]
mod tests {
    use notify::event::{AccessKind, CreateKind, ModifyKind, RenameMode};

    use super::*;

    #[test]
    fn only_finished_content_files_count() {
        let chunk = PathBuf::from("/v/journals/j1/chunks/0001.age");
        let temp = PathBuf::from("/v/journals/j1/chunks/.tmp-42-0001.age");
        let state = PathBuf::from("/v/journals/j1/peers/abc.age");
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert!(matters(&renamed, std::slice::from_ref(&chunk)));
        assert!(matters(
            &EventKind::Create(CreateKind::File),
            &[PathBuf::from("/v/journals/j1/inbox/e.age")]
        ));
        assert!(!matters(&renamed, &[temp]));
        assert!(!matters(&renamed, &[state]));
        assert!(!matters(
            &EventKind::Access(AccessKind::Any),
            std::slice::from_ref(&chunk)
        ));
        assert_eq!(journal_of(&chunk).as_deref(), Some("j1"));
    }
}
