//! Repairs: repairs opened, answered and repaired, over the range and per month. An answer
//! may be read before the repair it answers, so both are collected first and matched at
//! the end.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::month_label;

/// Repairs after conflict.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Repairs {
    /// Repairs written in the range.
    pub opened: usize,
    /// Of those, how many have at least one answer.
    pub answered: usize,
    /// Of those, how many are repaired.
    pub repaired: usize,
    /// Repairs neither answered nor repaired.
    pub still_open: usize,
    /// Per month, oldest first: repairs opened that month, first answers written that
    /// month, and repairs closed that month (the close time is the latest answer marking it
    /// repaired, else the repair's last edit, else its creation).
    pub months: Vec<MonthRepairs>,
}

/// Repair activity in one month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MonthRepairs {
    /// `YYYY-MM`.
    pub month: String,
    /// Repairs opened.
    pub opened: usize,
    /// Repairs answered for the first time.
    pub answered: usize,
    /// Repairs closed.
    pub repaired: usize,
}

pub(super) struct RepairAcc {
    pub(super) month: (i16, i8),
    pub(super) repaired_own: bool,
    pub(super) edited: Option<(i16, i8)>,
}

#[derive(Default)]
pub(super) struct AnswerAcc {
    pub(super) first: Option<(i64, (i16, i8))>,
    pub(super) repaired_at: Option<(i64, (i16, i8))>,
}

pub(super) fn finish_repairs(
    repairs: HashMap<String, RepairAcc>,
    mut answers: HashMap<String, AnswerAcc>,
) -> Repairs {
    let mut months: BTreeMap<(i16, i8), MonthRepairs> = BTreeMap::new();
    let mut out = Repairs {
        opened: repairs.len(),
        ..Repairs::default()
    };
    for (id, r) in repairs {
        months.entry(r.month).or_default().opened += 1;
        let answer = answers.remove(&id).unwrap_or_default();
        if let Some((_, m)) = answer.first {
            out.answered += 1;
            months.entry(m).or_default().answered += 1;
        }
        let closed = match answer.repaired_at {
            Some((_, m)) => Some(m),
            None if r.repaired_own => Some(r.edited.unwrap_or(r.month)),
            None => None,
        };
        if let Some(m) = closed {
            out.repaired += 1;
            months.entry(m).or_default().repaired += 1;
        }
        if answer.first.is_none() && closed.is_none() {
            out.still_open += 1;
        }
    }
    out.months = months
        .into_iter()
        .map(|(m, mut row)| {
            row.month = month_label(m);
            row
        })
        .collect();
    out
}
