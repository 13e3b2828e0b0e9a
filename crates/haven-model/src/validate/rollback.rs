//! Rolling a journal that already broke on disk back to its last valid state.
//!
//! Older versions kept whatever a peer sent. A journal whose structure a peer broke (its
//! root replaced, its identity changed) no longer reads. [`last_valid`] finds the changes
//! that broke it and rebuilds the document without them and without every change that
//! depends on them; changes made concurrently by honest devices stay.

use std::collections::{BTreeSet, HashMap};

use automerge::{AutoCommit, ChangeHash};

use super::{Baseline, Violation, check_structure};
use crate::schema::{self, SchemaError};

/// A journal rebuilt without the changes that broke it.
pub struct Rollback {
    /// The document of every remaining change.
    pub doc: AutoCommit,
    /// The changes left out (those that broke a rule, and those that depend on them).
    pub dropped: Vec<ChangeHash>,
    /// The first rule found broken.
    pub reason: Violation,
}

/// The baseline a journal had once it was created: its identity as its first changes set
/// it.
fn creation_baseline(order: &[automerge::Change]) -> Baseline {
    let Ok(mut scratch) = AutoCommit::load(schema::genesis_bytes()) else {
        return Baseline::default();
    };
    for change in order.iter().take(1000) {
        if scratch.apply_changes([change.clone()]).is_err() {
            break;
        }
        let base = Baseline::of(&scratch, BTreeSet::new());
        if base.kind.is_some() && base.created.is_some() && base.key.is_some() {
            return base;
        }
    }
    Baseline::of(&scratch, BTreeSet::new())
}

/// The heads of a set of changes closed under dependencies.
fn heads_of(changes: &[&automerge::Change]) -> Vec<ChangeHash> {
    let mut is_dep = BTreeSet::new();
    for c in changes {
        is_dep.extend(c.deps().iter().copied());
    }
    changes
        .iter()
        .map(|c| c.hash())
        .filter(|h| !is_dep.contains(h))
        .collect()
}

/// `None` when `doc` is structurally valid; otherwise the document rebuilt without the
/// changes that broke it.
pub fn last_valid(doc: &mut AutoCommit) -> Result<Option<Rollback>, SchemaError> {
    let order = doc.get_changes(&[]);
    let baseline = creation_baseline(&order);
    let first_reason = match check_structure(doc, &baseline) {
        Ok(()) => return Ok(None),
        Err(v) => v,
    };
    let position: HashMap<ChangeHash, usize> = order
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash(), i))
        .collect();
    let mut excluded: BTreeSet<usize> = BTreeSet::new();
    let valid = |doc: &mut AutoCommit, kept: &[&automerge::Change]| -> Result<bool, SchemaError> {
        let prefix = doc.fork_at(&heads_of(kept))?;
        Ok(check_structure(&prefix, &baseline).is_ok())
    };
    // Each pass finds one change that breaks the journal (the first prefix, in causal
    // order, that no longer validates) and leaves it and its descendants out.
    for _ in 0..order.len() {
        let kept: Vec<&automerge::Change> = order
            .iter()
            .enumerate()
            .filter(|(i, _)| !excluded.contains(i))
            .map(|(_, c)| c)
            .collect();
        if valid(doc, &kept)? {
            let rebuilt = doc.fork_at(&heads_of(&kept))?;
            let dropped = excluded.iter().map(|i| order[*i].hash()).collect();
            return Ok(Some(Rollback {
                doc: rebuilt,
                dropped,
                reason: first_reason,
            }));
        }
        let (mut lo, mut hi) = (0usize, kept.len());
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if valid(doc, &kept[..mid])? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let bad = position[&kept[hi - 1].hash()];
        excluded.insert(bad);
        for (i, c) in order.iter().enumerate().skip(bad + 1) {
            if c.deps().iter().any(|d| excluded.contains(&position[d])) {
                excluded.insert(i);
            }
        }
    }
    Err(SchemaError::MissingRoot("entries"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members;
    use crate::schema::{JournalKind, JournalMeta};
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};

    fn note(n: u64) -> crate::Entry {
        crate::Entry::note(
            crate::EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
            crate::Timestamp {
                unix_ms: 1_700_000_000_000 + n as i64,
                offset_secs: 0,
            },
            String::new(),
            format!("entry {n}"),
        )
    }

    #[test]
    fn a_broken_journal_rolls_back_and_keeps_honest_concurrent_changes() {
        let mut doc = schema::new_document(ActorId::random()).unwrap();
        let meta = JournalMeta {
            name: "us".into(),
            kind: JournalKind::Shared,
            created_ms: 1,
        };
        schema::set_meta(&mut doc, &meta).unwrap();
        members::set_journal_key(&mut doc, &"ab".repeat(16)).unwrap();
        schema::put_entry(&mut doc, &note(1)).unwrap();
        doc.commit();
        assert!(last_valid(&mut doc).unwrap().is_none());

        // A member replaces `members`, then writes on top of that; meanwhile an honest
        // device writes an entry.
        let mut hostile = doc.fork().with_actor(ActorId::random());
        hostile.put(ROOT, "members", 42).unwrap();
        hostile.commit();
        schema::put_entry(&mut hostile, &note(2)).unwrap();
        hostile.commit();
        let mut honest = doc.fork().with_actor(ActorId::random());
        schema::put_entry(&mut honest, &note(3)).unwrap();
        honest.commit();
        doc.merge(&mut hostile).unwrap();
        doc.merge(&mut honest).unwrap();
        assert!(check_structure(&doc, &Baseline::default()).is_err());

        let rolled = last_valid(&mut doc).unwrap().unwrap();
        assert_eq!(
            rolled.dropped.len(),
            2,
            "the breaking change and its descendant"
        );
        assert_eq!(rolled.reason, Violation::Root("members".into()));
        let texts: Vec<String> = schema::read_entries(&rolled.doc)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(texts, vec!["entry 1", "entry 3"]);
    }
}
