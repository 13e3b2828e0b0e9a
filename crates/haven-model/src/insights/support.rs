//! Who shows up: the people thanked in gratitude entries, how often, and the ways they
//! showed up.

use serde::Serialize;

use super::Count;
use super::counting::Counter;

/// Who shows up, from gratitude.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Support {
    /// Gratitude entries in the range.
    pub gratitude_entries: usize,
    /// Each person thanked, most often first.
    pub people: Vec<Person>,
    /// Each way of showing up over all gratitude entries, most frequent first.
    pub ways: Vec<Count>,
}

/// One person named in gratitude.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Person {
    /// The name as first written.
    pub name: String,
    /// Gratitude entries naming them.
    pub count: usize,
    /// The ways they showed up, most frequent first.
    pub ways: Vec<Count>,
}

pub(super) struct PersonAcc {
    pub(super) name: String,
    pub(super) count: usize,
    pub(super) ways: Counter,
}

pub(super) fn finish_support(
    gratitude_entries: usize,
    people: Vec<PersonAcc>,
    ways: Counter,
) -> Support {
    let mut people: Vec<Person> = people
        .into_iter()
        .map(|p| Person {
            name: p.name,
            count: p.count,
            ways: p.ways.into_sorted(),
        })
        .collect();
    people.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Support {
        gratitude_entries,
        people,
        ways: ways.into_sorted(),
    }
}
