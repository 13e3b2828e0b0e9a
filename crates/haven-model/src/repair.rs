//! The one rule for a repair's state, used by `repair list`, `insights` and the exports.
//!
//! A repair is a `repair` entry without an `answers` field. An answer is any entry whose
//! `answers` field is the repair's id (compared trimmed and case-insensitively, as ids
//! are): a "received" note, or the other person's own three steps. A repair is
//!
//! * **repaired** when its own `state` is `repaired`, or an answer carries
//!   `state = repaired` (the other person closed it on their side);
//! * else **answered** when it has at least one answer;
//! * else **open**.

use std::collections::HashMap;

use crate::entry::{Entry, EntryKind};
use crate::fields::key;

/// Where a repair stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RepairState {
    /// Nobody has answered it yet.
    Open,
    /// Someone answered it.
    Answered,
    /// It is closed as repaired.
    Repaired,
}

impl RepairState {
    /// The state's name, as `repair list --json` and the exports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RepairState::Open => "open",
            RepairState::Answered => "answered",
            RepairState::Repaired => "repaired",
        }
    }
}

impl std::fmt::Display for RepairState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A repair with its answers and its state.
#[derive(Clone, Debug)]
pub struct Repair<'a> {
    /// The repair entry.
    pub entry: &'a Entry,
    /// Every answer to it, oldest first.
    pub answers: Vec<&'a Entry>,
    /// Where it stands.
    pub state: RepairState,
}

impl Repair<'_> {
    /// Whether someone other than the repair's writer answered it.
    pub fn answered_by_other(&self) -> bool {
        self.answers.iter().any(|a| a.author != self.entry.author)
    }
}

/// Whether `e` is a repair (not an answer to one).
pub fn is_repair(e: &Entry) -> bool {
    e.kind == EntryKind::Repair && e.text_field(key::ANSWERS).is_none()
}

/// The repair id `e` answers, normalised, if it answers one.
pub fn answered_id(e: &Entry) -> Option<String> {
    e.text_field(key::ANSWERS)
        .map(|id| id.trim().to_ascii_uppercase())
}

/// Whether `e` says `state = repaired` (in any case, spaces around ignored).
pub fn says_repaired(e: &Entry) -> bool {
    e.text_field(key::STATE)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("repaired"))
}

/// Every repair among `entries`, in their order, with its answers and state; one pass
/// over the entries, whatever their number.
pub fn repairs(entries: &[Entry]) -> Vec<Repair<'_>> {
    let mut answers: HashMap<String, Vec<&Entry>> = HashMap::new();
    for e in entries {
        if let Some(id) = answered_id(e) {
            answers.entry(id).or_default().push(e);
        }
    }
    entries
        .iter()
        .filter(|e| is_repair(e))
        .map(|entry| {
            let mut answers = answers.remove(&entry.id.to_string()).unwrap_or_default();
            answers.sort_by_key(|a| (a.created.unix_ms, a.id));
            let state = state_from(entry, &answers);
            Repair {
                entry,
                answers,
                state,
            }
        })
        .collect()
}

/// The state of `repair` given its answers.
pub fn state_from(repair: &Entry, answers: &[&Entry]) -> RepairState {
    if says_repaired(repair) || answers.iter().any(|a| says_repaired(a)) {
        RepairState::Repaired
    } else if answers.is_empty() {
        RepairState::Open
    } else {
        RepairState::Answered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{EntryId, FieldValue, Timestamp};

    fn entry(n: u64, author: &str, fields: &[(&str, &str)]) -> Entry {
        let at = Timestamp {
            unix_ms: 1_700_000_000_000 + n as i64,
            offset_secs: 0,
        };
        let mut e = Entry::new(
            EntryKind::Repair,
            EntryId::from_parts(at.unix_ms as u64, u128::from(n)),
            at,
            "dev".into(),
            String::new(),
        );
        e.author = author.into();
        for (k, v) in fields {
            e.fields.insert((*k).into(), FieldValue::Text((*v).into()));
        }
        e
    }

    #[test]
    fn open_answered_and_repaired_by_either_side() {
        let open = entry(1, "Robin", &[("state", "open")]);
        let answered = entry(2, "Robin", &[("state", "open")]);
        let closed_here = entry(3, "Robin", &[("state", "Repaired ")]);
        let closed_there = entry(4, "Robin", &[("state", "open")]);
        let a = answered.id.to_string().to_lowercase();
        let b = closed_there.id.to_string();
        let answer = entry(5, "Sam", &[("answers", &format!(" {a} "))]);
        let closing = entry(6, "Sam", &[("answers", &b), ("state", "repaired")]);
        let note = {
            let mut n = entry(7, "Sam", &[("answers", &b)]);
            n.kind = EntryKind::Note;
            n
        };
        let all = vec![
            open,
            answered,
            closed_here,
            closed_there,
            answer,
            closing,
            note,
        ];
        let found = repairs(&all);
        let states: Vec<RepairState> = found.iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            [
                RepairState::Open,
                RepairState::Answered,
                RepairState::Repaired,
                RepairState::Repaired
            ]
        );
        assert_eq!(
            found[1].answers.len(),
            1,
            "ids compare trimmed, in any case"
        );
        assert_eq!(found[3].answers.len(), 2, "an answer may be of any kind");
        assert!(found[1].answered_by_other());
        assert!(!found[0].answered_by_other());
        assert_eq!(RepairState::Answered.to_string(), "answered");
    }

    #[test]
    fn an_answer_by_the_writer_alone_is_not_the_other_persons() {
        let r = entry(1, "Robin", &[]);
        let own = entry(2, "Robin", &[("answers", &r.id.to_string())]);
        let all = vec![r, own];
        let found = repairs(&all);
        assert_eq!(found[0].state, RepairState::Answered);
        assert!(!found[0].answered_by_other());
    }
}
