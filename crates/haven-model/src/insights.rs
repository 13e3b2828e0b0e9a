//! Insights: the journal turned into numbers that can be drawn.
//!
//! [`compute`] reads a slice of entries once and returns an [`Insights`]: feelings per ISO
//! week, needs, who shows up (from gratitude), boundary events per person, repairs, and the
//! evening gratitude streak. It does no I/O and knows nothing about terminals or HTML; the
//! CLI renders the result.
//!
//! Reading conventions, so that the numbers mean one thing:
//!
//! - An entry belongs to the **local day** (in the time zone passed in) of its creation
//!   time. The `from`/`to` range is inclusive on local days and applies to every section.
//! - Feelings and needs are compared case-insensitively, trimmed and lower-cased.
//! - A need named in a **check-in** is a need the person felt was not met at that moment
//!   (the check-in asks "what do you need right now?"). So "most often unmet" ranks the needs
//!   of check-ins by how often they were named. Co-regulation needs count towards overall
//!   need frequency but not towards "unmet": they are a request, often answered at once.
//! - People are grouped case-insensitively; the first spelling seen is shown.
//! - Repairs follow the one rule of [`crate::repair`]: a repair is a `repair` entry without
//!   an `answers` field; an entry of any kind whose `answers` field is its id answers it;
//!   it is repaired when its own `state` is `repaired` or an answer carries that state.
//!
//! This module holds [`compute`], the one pass, and the types every section shares. Each
//! section has its own module with its output types, the accumulator the pass fills and
//! the step that turns that into output: `feelings` (feelings per week, and needs),
//! `support` (who shows up), `boundaries`, `repairs` and `streak`. `counting` holds the
//! case-insensitive counters they use.

mod boundaries;
mod counting;
mod feelings;
mod repairs;
mod streak;
mod support;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::entry::{Entry, EntryKind};
use crate::fields::key;

pub use boundaries::{BoundaryCounts, MonthBoundaries, NO_ONE, PersonBoundaries};
pub use feelings::{Feelings, Needs, Week};
pub use repairs::{MonthRepairs, Repairs};
pub use streak::{Day, Streak};
pub use support::{Person, Support};

use crate::repair;
use boundaries::{BoundaryAcc, finish_boundaries};
use counting::{Counter, People, list};
use feelings::{WeekAcc, average, finish_weeks};
use repairs::{AnswerAcc, RepairAcc, finish_repairs};
use streak::finish_streak;
use support::{PersonAcc, finish_support};

/// Everything `haven insights` shows, computed by [`compute`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Insights {
    /// First local day included, if limited.
    #[serde(serialize_with = "ser_opt_date")]
    pub from: Option<Date>,
    /// Last local day included, if limited.
    #[serde(serialize_with = "ser_opt_date")]
    pub to: Option<Date>,
    /// The day the insights were computed on (streaks count up to it).
    #[serde(serialize_with = "ser_date")]
    pub today: Date,
    /// How many entries fell in the range.
    pub entries: usize,
    /// Entries in the range per kind, in [`EntryKind::ALL`] order, kinds with none left out.
    pub kinds: Vec<KindCount>,
    /// Feelings and intensity per ISO week.
    pub feelings: Feelings,
    /// How often each need was named.
    pub needs: Needs,
    /// Who shows up, from gratitude entries.
    pub support: Support,
    /// Boundary events per person.
    pub boundaries: Vec<PersonBoundaries>,
    /// Repairs opened, answered and repaired.
    pub repairs: Repairs,
    /// The gratitude habit.
    pub streak: Streak,
}

/// How many entries of one kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindCount {
    /// The kind.
    pub kind: EntryKind,
    /// How many entries.
    pub count: usize,
}

/// A name (feeling, need, way, person) and how often it came up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The name.
    pub name: String,
    /// How often.
    pub count: usize,
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

fn ser_opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// Computes the insights of `entries` written on local days `from..=to` (either end open)
/// in `tz`; `today` anchors the current gratitude streak. One pass over the entries.
pub fn compute(
    entries: &[Entry],
    from: Option<Date>,
    to: Option<Date>,
    tz: &TimeZone,
    today: Date,
) -> Insights {
    let mut kinds = [0usize; EntryKind::ALL.len()];
    let mut total = 0usize;

    let mut weeks: BTreeMap<(i16, i8), WeekAcc> = BTreeMap::new();
    let mut feelings_total = Counter::default();
    let mut intensity_sum = 0i64;
    let mut intensity_n = 0usize;
    let mut checkins = 0usize;

    let mut needs_all = Counter::default();
    let mut needs_unmet = Counter::default();

    let mut gratitude_entries = 0usize;
    let mut people = People::default();
    let mut supporters: Vec<PersonAcc> = Vec::new();
    let mut ways_total = Counter::default();
    let mut gratitude_days: BTreeMap<Date, usize> = BTreeMap::new();

    let mut bpeople = People::default();
    let mut boundaries: Vec<BoundaryAcc> = Vec::new();

    let mut repairs: HashMap<String, RepairAcc> = HashMap::new();
    let mut answers: HashMap<String, AnswerAcc> = HashMap::new();

    // Entries are mostly in time order, so consecutive ones often share a local day.
    let mut last_day: Option<(i64, i64, Date)> = None;

    for e in entries {
        let Some(instant) = e.created.instant() else {
            continue;
        };
        let date = match last_day {
            Some((lo, hi, d)) if (lo..hi).contains(&e.created.unix_ms) => d,
            _ => {
                let dt = tz.to_datetime(instant);
                let d = dt.date();
                // The span of this local day in ms, to reuse for the next entries.
                let span = d
                    .to_zoned(tz.clone())
                    .ok()
                    .and_then(|start| {
                        let end = start.tomorrow().ok()?;
                        Some((
                            start.timestamp().as_millisecond(),
                            end.timestamp().as_millisecond(),
                        ))
                    })
                    .unwrap_or((e.created.unix_ms, e.created.unix_ms));
                last_day = Some((span.0, span.1, d));
                d
            }
        };
        if from.is_some_and(|f| date < f) || to.is_some_and(|t| date > t) {
            continue;
        }
        total += 1;
        if let Some(i) = EntryKind::ALL.iter().position(|k| *k == e.kind) {
            kinds[i] += 1;
        }
        let month = (date.year(), date.month());

        match e.kind {
            EntryKind::Checkin => {
                checkins += 1;
                let iso = date.iso_week_date();
                let w = weeks.entry((iso.year(), iso.week())).or_default();
                w.checkins += 1;
                if let Some(i) = e.int_field(key::INTENSITY) {
                    let i = i.clamp(0, 10);
                    w.intensity_sum += i;
                    w.intensity_n += 1;
                    intensity_sum += i;
                    intensity_n += 1;
                }
                for f in list(e, key::FEELINGS) {
                    w.feelings.add_folded(f);
                    feelings_total.add_folded(f);
                }
                for n in list(e, key::NEEDS) {
                    needs_all.add_folded(n);
                    needs_unmet.add_folded(n);
                }
            }
            EntryKind::Coreg => {
                for n in list(e, key::NEEDS) {
                    needs_all.add_folded(n);
                }
            }
            EntryKind::Gratitude => {
                gratitude_entries += 1;
                *gratitude_days.entry(date).or_default() += 1;
                let ways = list(e, key::WAYS);
                for w in ways {
                    ways_total.add_folded(w);
                }
                for p in &e.people {
                    let Some((i, new)) = people.slot(p, supporters.len()) else {
                        continue;
                    };
                    if new {
                        supporters.push(PersonAcc {
                            name: p.trim().to_string(),
                            count: 0,
                            ways: Counter::default(),
                        });
                    }
                    let acc = &mut supporters[i];
                    acc.count += 1;
                    for w in ways {
                        acc.ways.add_folded(w);
                    }
                }
            }
            EntryKind::Boundary => {
                let event = e.text_field(key::EVENT);
                let mut named = false;
                for p in &e.people {
                    let Some((i, new)) = bpeople.slot(p, boundaries.len()) else {
                        continue;
                    };
                    named = true;
                    if new {
                        boundaries.push(BoundaryAcc {
                            person: p.trim().to_string(),
                            counts: BoundaryCounts::default(),
                            months: BTreeMap::new(),
                        });
                    }
                    let acc = &mut boundaries[i];
                    acc.counts.add(event);
                    acc.months.entry(month).or_default().add(event);
                }
                if !named {
                    let (i, new) = bpeople
                        .slot(NO_ONE, boundaries.len())
                        .unwrap_or((boundaries.len(), true));
                    if new {
                        boundaries.push(BoundaryAcc {
                            person: NO_ONE.to_string(),
                            counts: BoundaryCounts::default(),
                            months: BTreeMap::new(),
                        });
                    }
                    let acc = &mut boundaries[i];
                    acc.counts.add(event);
                    acc.months.entry(month).or_default().add(event);
                }
            }
            _ => {}
        }

        // Answers can be of any kind (a "received" note, the partner's own repair).
        // Which entries are repairs and answers, and what says repaired, is the one rule of
        // `crate::repair`.
        if let Some(target) = repair::answered_id(e) {
            let acc = answers.entry(target).or_default();
            let at = (e.created.unix_ms, month);
            if acc.first.is_none_or(|(t, _)| at.0 < t) {
                acc.first = Some(at);
            }
            if repair::says_repaired(e) && acc.repaired_at.is_none_or(|(t, _)| at.0 > t) {
                acc.repaired_at = Some(at);
            }
        } else if repair::is_repair(e) {
            let edited = e
                .edited
                .and_then(|t| t.instant())
                .map(|i| tz.to_datetime(i).date())
                .map(|d| (d.year(), d.month()));
            repairs.insert(
                e.id.to_string(),
                RepairAcc {
                    month,
                    repaired_own: repair::says_repaired(e),
                    edited,
                },
            );
        }
    }

    let kinds = EntryKind::ALL
        .iter()
        .zip(kinds)
        .filter(|(_, n)| *n > 0)
        .map(|(k, count)| KindCount { kind: *k, count })
        .collect();

    Insights {
        from,
        to,
        today,
        entries: total,
        kinds,
        feelings: Feelings {
            checkins,
            average_intensity: average(intensity_sum, intensity_n),
            totals: feelings_total.into_sorted(),
            weeks: finish_weeks(weeks),
        },
        needs: Needs {
            all: needs_all.into_sorted(),
            most_often_unmet: needs_unmet.into_sorted(),
        },
        support: finish_support(gratitude_entries, supporters, ways_total),
        boundaries: finish_boundaries(boundaries),
        repairs: finish_repairs(repairs, answers),
        streak: finish_streak(gratitude_days, today),
    }
}

fn month_label((y, m): (i16, i8)) -> String {
    format!("{y:04}-{m:02}")
}
