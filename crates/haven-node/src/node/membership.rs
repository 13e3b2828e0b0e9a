//! Who may sync with this device, in memory: for each other device that is an active
//! member of a journal this device is an active member of too, which journals. Built by
//! reading every journal's member list once, and again only after something changed, so a
//! device that is in none is refused without decrypting anything.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use haven_sync::JournalKey;

/// The membership of the journals as of the last build.
#[derive(Debug, Default)]
pub struct MembershipIndex {
    peers: BTreeMap<String, BTreeSet<JournalKey>>,
}

impl MembershipIndex {
    /// An index from `(journal key, its active members)` of every journal `me` is an active
    /// member of.
    pub fn build<'a>(
        me: &str,
        journals: impl IntoIterator<Item = (JournalKey, Vec<&'a str>)>,
    ) -> Self {
        let mut peers: BTreeMap<String, BTreeSet<JournalKey>> = BTreeMap::new();
        for (key, members) in journals {
            if !members.contains(&me) {
                continue;
            }
            for device in members.into_iter().filter(|d| *d != me) {
                peers.entry(device.to_string()).or_default().insert(key);
            }
        }
        MembershipIndex { peers }
    }

    /// Whether `device` shares at least one journal with this device.
    pub fn shares_any(&self, device: &str) -> bool {
        self.peers.contains_key(device)
    }

    /// The journals `device` shares with this device.
    pub fn shared_with(&self, device: &str) -> Option<&BTreeSet<JournalKey>> {
        self.peers.get(device)
    }
}

/// The index, built on demand and dropped whenever membership may have changed.
#[derive(Debug, Default)]
pub struct CachedIndex(RwLock<Option<Arc<MembershipIndex>>>);

impl CachedIndex {
    /// The index now, building it with `build` if it was dropped.
    pub fn get<E>(
        &self,
        build: impl FnOnce() -> Result<MembershipIndex, E>,
    ) -> Result<Arc<MembershipIndex>, E> {
        if let Some(index) = self.0.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Ok(Arc::clone(index));
        }
        let index = Arc::new(build()?);
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&index));
        Ok(index)
    }

    /// Drops the index: the next lookup builds it again.
    pub fn invalidate(&self) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_journals_this_device_is_in_count() {
        let index = MembershipIndex::build(
            "me",
            [
                ([1; 16], vec!["me", "sam"]),
                ([2; 16], vec!["sam", "eve"]),
                ([3; 16], vec!["me", "sam", "kim"]),
            ],
        );
        assert!(index.shares_any("sam"));
        assert!(index.shares_any("kim"));
        assert!(!index.shares_any("eve"), "eve is only in a journal I left");
        assert!(!index.shares_any("me"));
        let shared: Vec<_> = index.shared_with("sam").into_iter().flatten().collect();
        assert_eq!(shared, [&[1; 16], &[3; 16]]);
    }

    #[test]
    fn a_dropped_index_is_built_again() {
        let cache = CachedIndex::default();
        let mut builds = 0;
        for _ in 0..3 {
            let _ = cache.get(|| {
                builds += 1;
                Ok::<_, ()>(MembershipIndex::default())
            });
        }
        assert_eq!(builds, 1);
        cache.invalidate();
        let _ = cache.get(|| {
            builds += 1;
            Ok::<_, ()>(MembershipIndex::default())
        });
        assert_eq!(builds, 2);
    }
}
