//! Counting names: a counter of names folded to lower case, the grouping of people by name
//! (case-insensitive, first spelling kept), and the items of an entry's list field.

use std::collections::HashMap;

use super::Count;
use crate::entry::{Entry, FieldValue};

/// A counter keyed by normalised names that allocates only for names not seen before.
#[derive(Default)]
pub(super) struct Counter {
    counts: HashMap<String, usize>,
}

impl Counter {
    /// Counts `raw` lower-cased and trimmed; blank names are ignored.
    pub(super) fn add_folded(&mut self, raw: &str) {
        let name = raw.trim();
        if name.is_empty() {
            return;
        }
        let bump = |counts: &mut HashMap<String, usize>, k: &str| {
            if let Some(c) = counts.get_mut(k) {
                *c += 1;
            } else {
                counts.insert(k.to_string(), 1);
            }
        };
        if name.chars().any(char::is_uppercase) {
            bump(&mut self.counts, &name.to_lowercase());
        } else {
            bump(&mut self.counts, name);
        }
    }

    pub(super) fn into_sorted(self) -> Vec<Count> {
        let mut v: Vec<Count> = self
            .counts
            .into_iter()
            .map(|(name, count)| Count { name, count })
            .collect();
        sort_counts(&mut v);
        v
    }
}

/// Most frequent first, then by name, so output is stable.
fn sort_counts(v: &mut [Count]) {
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
}

/// The items of a list field (a single text counts as one item), borrowed.
pub(super) fn list<'a>(e: &'a Entry, k: &str) -> &'a [String] {
    match e.fields.get(k) {
        Some(FieldValue::List(l)) => l,
        Some(FieldValue::Text(t)) => std::slice::from_ref(t),
        _ => &[],
    }
}

/// Groups people case-insensitively, keeping the first spelling.
#[derive(Default)]
pub(super) struct People {
    index: HashMap<String, usize>,
}

impl People {
    /// The slot of `raw`, and whether it is new; `None` for a blank name.
    pub(super) fn slot(&mut self, raw: &str, next: usize) -> Option<(usize, bool)> {
        let name = raw.trim();
        if name.is_empty() {
            return None;
        }
        let folded = name.to_lowercase();
        if let Some(&i) = self.index.get(&folded) {
            return Some((i, false));
        }
        self.index.insert(folded, next);
        Some((next, true))
    }
}
