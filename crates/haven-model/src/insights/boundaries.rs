//! Boundaries: boundary events (crossed, kept, a plan cancelled, a reflection) counted per
//! person and per calendar month, the people with the most crossings first.

use std::collections::BTreeMap;

use serde::Serialize;

use super::month_label;

/// Counts of boundary events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BoundaryCounts {
    /// A boundary was crossed.
    pub crossed: usize,
    /// A boundary was kept.
    pub kept: usize,
    /// A plan was cancelled.
    pub cancelled: usize,
    /// A reflection (also entries without an event).
    pub reflection: usize,
    /// An event name this version does not know.
    pub other: usize,
}

impl BoundaryCounts {
    /// All events together.
    pub fn total(&self) -> usize {
        self.crossed + self.kept + self.cancelled + self.reflection + self.other
    }

    pub(super) fn add(&mut self, event: Option<&str>) {
        match event.map(str::trim) {
            Some(e) if e.eq_ignore_ascii_case("crossed") => self.crossed += 1,
            Some(e) if e.eq_ignore_ascii_case("kept") => self.kept += 1,
            Some(e)
                if e.eq_ignore_ascii_case("cancelled") || e.eq_ignore_ascii_case("canceled") =>
            {
                self.cancelled += 1
            }
            None | Some("") => self.reflection += 1,
            Some(e) if e.eq_ignore_ascii_case("reflection") => self.reflection += 1,
            Some(_) => self.other += 1,
        }
    }
}

/// Boundary events about one person (or context when no person was named).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonBoundaries {
    /// The person; entries naming no one are grouped under [`NO_ONE`].
    pub person: String,
    /// Events over the whole range.
    #[serde(flatten)]
    pub counts: BoundaryCounts,
    /// Events per calendar month, oldest first (months without events left out).
    pub months: Vec<MonthBoundaries>,
}

/// The group name for boundary entries that name no person.
pub const NO_ONE: &str = "(no one named)";

/// Boundary events in one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonthBoundaries {
    /// `YYYY-MM`.
    pub month: String,
    /// Events that month.
    #[serde(flatten)]
    pub counts: BoundaryCounts,
}

pub(super) struct BoundaryAcc {
    pub(super) person: String,
    pub(super) counts: BoundaryCounts,
    pub(super) months: BTreeMap<(i16, i8), BoundaryCounts>,
}

pub(super) fn finish_boundaries(accs: Vec<BoundaryAcc>) -> Vec<PersonBoundaries> {
    let mut out: Vec<PersonBoundaries> = accs
        .into_iter()
        .map(|a| PersonBoundaries {
            person: a.person,
            counts: a.counts,
            months: a
                .months
                .into_iter()
                .map(|(m, counts)| MonthBoundaries {
                    month: month_label(m),
                    counts,
                })
                .collect(),
        })
        .collect();
    // Most crossings first: that is the pattern worth seeing.
    out.sort_by(|a, b| {
        b.counts
            .crossed
            .cmp(&a.counts.crossed)
            .then_with(|| b.counts.total().cmp(&a.counts.total()))
            .then_with(|| a.person.cmp(&b.person))
    });
    out
}
