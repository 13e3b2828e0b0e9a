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
//! - A repair is a `repair` entry without an `answers` field. An entry (of any kind) whose
//!   `answers` field equals a repair's id answers it. A repair is repaired when its own
//!   `state` is `repaired`, or when one of its answers carries `state = repaired`.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::entry::{Entry, EntryKind, FieldValue};
use crate::fields::key;

/// Weeks between the first and last check-in beyond which empty weeks are not filled in.
const MAX_FILLED_WEEKS: i64 = 1100;

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

/// Feelings from check-ins.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Feelings {
    /// Check-ins in the range.
    pub checkins: usize,
    /// Average intensity (0-10) over check-ins that gave one.
    pub average_intensity: Option<f64>,
    /// Each feeling over the whole range, most frequent first.
    pub totals: Vec<Count>,
    /// One row per ISO week from the first check-in's week to the last one's, oldest first;
    /// weeks without check-ins are present with zero counts.
    pub weeks: Vec<Week>,
}

/// One ISO week of check-ins.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Week {
    /// ISO week label, e.g. `2026-W48`.
    pub week: String,
    /// The Monday of that week.
    #[serde(serialize_with = "ser_date")]
    pub start: Date,
    /// Check-ins written that week.
    pub checkins: usize,
    /// Average intensity over the week's check-ins that gave one.
    pub average_intensity: Option<f64>,
    /// Each feeling named that week, most frequent first.
    pub feelings: Vec<Count>,
}

/// Needs from check-ins and co-regulation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Needs {
    /// Every need named in a check-in or co-regulation entry, most frequent first.
    pub all: Vec<Count>,
    /// Needs named in check-ins (felt as not met at the time), most frequent first.
    pub most_often_unmet: Vec<Count>,
}

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

    fn add(&mut self, event: Option<&str>) {
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

/// The evening gratitude habit.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Streak {
    /// Consecutive days with gratitude ending today, or yesterday when today has none yet.
    pub current: usize,
    /// The longest run of consecutive days with gratitude.
    pub longest: usize,
    /// The last day of the longest run (the latest one on a tie).
    #[serde(serialize_with = "ser_opt_date")]
    pub longest_end: Option<Date>,
    /// Every local day with gratitude and how many entries, oldest first.
    pub days: Vec<Day>,
}

/// One local day with gratitude.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Day {
    /// The day.
    #[serde(serialize_with = "ser_date")]
    pub date: Date,
    /// Gratitude entries that day.
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

/// A counter keyed by normalised names that allocates only for names not seen before.
#[derive(Default)]
struct Counter {
    counts: HashMap<String, usize>,
}

impl Counter {
    /// Counts `raw` lower-cased and trimmed; blank names are ignored.
    fn add_folded(&mut self, raw: &str) {
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

    fn into_sorted(self) -> Vec<Count> {
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
fn list<'a>(e: &'a Entry, k: &str) -> &'a [String] {
    match e.fields.get(k) {
        Some(FieldValue::List(l)) => l,
        Some(FieldValue::Text(t)) => std::slice::from_ref(t),
        _ => &[],
    }
}

/// Groups people case-insensitively, keeping the first spelling.
#[derive(Default)]
struct People {
    index: HashMap<String, usize>,
}

impl People {
    /// The slot of `raw`, and whether it is new; `None` for a blank name.
    fn slot(&mut self, raw: &str, next: usize) -> Option<(usize, bool)> {
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

#[derive(Default)]
struct WeekAcc {
    checkins: usize,
    intensity_sum: i64,
    intensity_n: usize,
    feelings: Counter,
}

struct PersonAcc {
    name: String,
    count: usize,
    ways: Counter,
}

struct BoundaryAcc {
    person: String,
    counts: BoundaryCounts,
    months: BTreeMap<(i16, i8), BoundaryCounts>,
}

struct RepairAcc {
    month: (i16, i8),
    repaired_own: bool,
    edited: Option<(i16, i8)>,
}

#[derive(Default)]
struct AnswerAcc {
    first: Option<(i64, (i16, i8))>,
    repaired_at: Option<(i64, (i16, i8))>,
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
        if let Some(target) = e.text_field(key::ANSWERS).map(str::trim) {
            let acc = answers.entry(target.to_ascii_uppercase()).or_default();
            let at = (e.created.unix_ms, month);
            if acc.first.is_none_or(|(t, _)| at.0 < t) {
                acc.first = Some(at);
            }
            if is_repaired(e) && acc.repaired_at.is_none_or(|(t, _)| at.0 > t) {
                acc.repaired_at = Some(at);
            }
        } else if e.kind == EntryKind::Repair {
            let edited = e
                .edited
                .and_then(|t| t.instant())
                .map(|i| tz.to_datetime(i).date())
                .map(|d| (d.year(), d.month()));
            repairs.insert(
                e.id.to_string(),
                RepairAcc {
                    month,
                    repaired_own: is_repaired(e),
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

fn is_repaired(e: &Entry) -> bool {
    e.text_field(key::STATE)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("repaired"))
}

fn average(sum: i64, n: usize) -> Option<f64> {
    (n > 0).then(|| sum as f64 / n as f64)
}

fn month_label((y, m): (i16, i8)) -> String {
    format!("{y:04}-{m:02}")
}

fn week_monday(year: i16, week: i8) -> Option<Date> {
    jiff::civil::ISOWeekDate::new(year, week, jiff::civil::Weekday::Monday)
        .ok()
        .map(|w| w.date())
}

fn finish_weeks(weeks: BTreeMap<(i16, i8), WeekAcc>) -> Vec<Week> {
    let first = weeks.keys().next().and_then(|&(y, w)| week_monday(y, w));
    let last = weeks
        .keys()
        .next_back()
        .and_then(|&(y, w)| week_monday(y, w));
    let fill = match (first, last) {
        (Some(a), Some(b)) => a
            .until(b)
            .ok()
            .is_some_and(|span| i64::from(span.get_days()) / 7 <= MAX_FILLED_WEEKS),
        _ => false,
    };
    let mut out = Vec::with_capacity(weeks.len());
    let mut expected = first;
    for ((y, w), acc) in weeks {
        let Some(start) = week_monday(y, w) else {
            continue;
        };
        if fill {
            while let Some(gap) = expected.filter(|d| *d < start) {
                let iso = gap.iso_week_date();
                out.push(Week {
                    week: format!("{:04}-W{:02}", iso.year(), iso.week()),
                    start: gap,
                    checkins: 0,
                    average_intensity: None,
                    feelings: Vec::new(),
                });
                expected = gap.checked_add(jiff::Span::new().days(7)).ok();
            }
        }
        out.push(Week {
            week: format!("{y:04}-W{w:02}"),
            start,
            checkins: acc.checkins,
            average_intensity: average(acc.intensity_sum, acc.intensity_n),
            feelings: acc.feelings.into_sorted(),
        });
        expected = start.checked_add(jiff::Span::new().days(7)).ok();
    }
    out
}

fn finish_support(gratitude_entries: usize, people: Vec<PersonAcc>, ways: Counter) -> Support {
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

fn finish_boundaries(accs: Vec<BoundaryAcc>) -> Vec<PersonBoundaries> {
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

fn finish_repairs(
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

fn finish_streak(days: BTreeMap<Date, usize>, today: Date) -> Streak {
    let mut longest = 0usize;
    let mut longest_end = None;
    let mut run = 0usize;
    let mut prev: Option<Date> = None;
    for &d in days.keys() {
        run = match prev {
            Some(p) if p.tomorrow().ok() == Some(d) => run + 1,
            _ => 1,
        };
        if run >= longest {
            longest = run;
            longest_end = Some(d);
        }
        prev = Some(d);
    }
    // `run` is now the run ending on the last day with gratitude.
    let yesterday = today.yesterday().ok();
    let current = match prev {
        Some(last) if last == today || Some(last) == yesterday => run,
        _ => 0,
    };
    Streak {
        current,
        longest,
        longest_end,
        days: days
            .into_iter()
            .map(|(date, count)| Day { date, count })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::entry::{EntryId, Timestamp};
    use jiff::civil::date;

    fn at(d: Date, hour: i8) -> Timestamp {
        let ts = d
            .at(hour, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        Timestamp {
            unix_ms: ts.as_millisecond(),
            offset_secs: 0,
        }
    }

    fn entry(kind: EntryKind, d: Date, hour: i8, n: u128) -> Entry {
        let created = at(d, hour);
        let id = EntryId::from_parts(created.unix_ms as u64, n);
        Entry::new(kind, id, created, "dev".into(), String::new())
    }

    fn list_of(items: &[&str]) -> FieldValue {
        FieldValue::List(items.iter().map(|s| s.to_string()).collect())
    }

    fn checkin(d: Date, feelings: &[&str], intensity: i64, needs: &[&str]) -> Entry {
        let mut e = entry(EntryKind::Checkin, d, 9, 1);
        e.fields.insert(key::FEELINGS.into(), list_of(feelings));
        e.fields
            .insert(key::INTENSITY.into(), FieldValue::Int(intensity));
        e.fields.insert(key::NEEDS.into(), list_of(needs));
        e
    }

    fn gratitude(d: Date, people: &[&str], ways: &[&str]) -> Entry {
        let mut e = entry(EntryKind::Gratitude, d, 21, 2);
        e.people = people.iter().map(|s| s.to_string()).collect();
        e.fields.insert(key::WAYS.into(), list_of(ways));
        e
    }

    fn boundary(d: Date, person: &str, event: &str) -> Entry {
        let mut e = entry(EntryKind::Boundary, d, 12, 3);
        if !person.is_empty() {
            e.people = vec![person.to_string()];
        }
        e.fields
            .insert(key::EVENT.into(), FieldValue::Text(event.into()));
        e
    }

    fn count(v: &[Count], name: &str) -> usize {
        v.iter().find(|c| c.name == name).map_or(0, |c| c.count)
    }

    const TODAY: Date = date(2026, 11, 27);

    fn run(entries: &[Entry]) -> Insights {
        compute(entries, None, None, &TimeZone::UTC, TODAY)
    }

    #[test]
    fn empty_journal_gives_empty_insights() {
        let ins = run(&[]);
        assert_eq!(ins.entries, 0);
        assert!(ins.feelings.weeks.is_empty());
        assert_eq!(ins.feelings.average_intensity, None);
        assert_eq!(ins.streak.current, 0);
        assert_eq!(ins.streak.longest, 0);
        assert_eq!(ins.repairs, Repairs::default());
    }

    #[test]
    fn feelings_are_counted_per_iso_week_with_average_intensity() {
        // 2026-11-16 is a Monday (W47); 2026-11-23 starts W48; W46 is left empty between.
        let entries = vec![
            checkin(date(2026, 11, 2), &["calm"], 2, &[]), // W45
            checkin(date(2026, 11, 16), &["Anxious", "tired"], 8, &[]),
            checkin(date(2026, 11, 22), &["anxious"], 5, &[]), // Sunday, still W47
            checkin(date(2026, 11, 23), &["calm"], 3, &[]),
        ];
        let ins = run(&entries);
        let f = &ins.feelings;
        assert_eq!(f.checkins, 4);
        assert_eq!(f.average_intensity, Some(4.5));
        assert_eq!(count(&f.totals, "anxious"), 2);
        assert_eq!(count(&f.totals, "calm"), 2);
        assert_eq!(count(&f.totals, "tired"), 1);
        let labels: Vec<&str> = f.weeks.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(labels, ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]);
        assert_eq!(f.weeks[1].checkins, 0);
        assert_eq!(f.weeks[1].average_intensity, None);
        assert_eq!(f.weeks[2].start, date(2026, 11, 16));
        assert_eq!(f.weeks[2].checkins, 2);
        assert_eq!(f.weeks[2].average_intensity, Some(6.5));
        assert_eq!(count(&f.weeks[2].feelings, "anxious"), 2);
        assert_eq!(f.weeks[2].feelings[0].name, "anxious");
        assert_eq!(f.weeks[3].average_intensity, Some(3.0));
    }

    #[test]
    fn needs_from_checkins_are_unmet_and_coreg_needs_only_count_overall() {
        let mut coreg = entry(EntryKind::Coreg, date(2026, 11, 20), 20, 4);
        coreg
            .fields
            .insert(key::NEEDS.into(), list_of(&["space", "Hug"]));
        let entries = vec![
            checkin(date(2026, 11, 18), &["sad"], 4, &["reassurance", "rest"]),
            checkin(date(2026, 11, 19), &["sad"], 4, &["Reassurance "]),
            coreg,
        ];
        let ins = run(&entries);
        assert_eq!(count(&ins.needs.all, "reassurance"), 2);
        assert_eq!(count(&ins.needs.all, "rest"), 1);
        assert_eq!(count(&ins.needs.all, "space"), 1);
        assert_eq!(count(&ins.needs.all, "hug"), 1);
        assert_eq!(ins.needs.most_often_unmet[0].name, "reassurance");
        assert_eq!(ins.needs.most_often_unmet[0].count, 2);
        assert_eq!(count(&ins.needs.most_often_unmet, "space"), 0);
        assert_eq!(ins.needs.most_often_unmet.len(), 2);
    }

    #[test]
    fn who_shows_up_counts_people_and_ways() {
        let entries = vec![
            gratitude(date(2026, 11, 20), &["Sam", "Alex"], &["listened"]),
            gratitude(date(2026, 11, 21), &["sam"], &["showed up", "listened"]),
            gratitude(date(2026, 11, 22), &[], &["showed care"]),
        ];
        let s = run(&entries).support;
        assert_eq!(s.gratitude_entries, 3);
        assert_eq!(s.people.len(), 2);
        assert_eq!(s.people[0].name, "Sam");
        assert_eq!(s.people[0].count, 2);
        assert_eq!(count(&s.people[0].ways, "listened"), 2);
        assert_eq!(count(&s.people[0].ways, "showed up"), 1);
        assert_eq!(s.people[1].name, "Alex");
        assert_eq!(s.people[1].count, 1);
        assert_eq!(count(&s.ways, "listened"), 2);
        assert_eq!(count(&s.ways, "showed care"), 1);
    }

    #[test]
    fn boundary_events_per_person_and_month() {
        let mut reflection = boundary(date(2026, 11, 3), "Jordan", "");
        reflection.fields.remove(key::EVENT);
        let entries = vec![
            boundary(date(2026, 10, 30), "Jordan", "crossed"),
            boundary(date(2026, 11, 2), "jordan", "crossed"),
            boundary(date(2026, 11, 4), "Jordan", "kept"),
            reflection,
            boundary(date(2026, 11, 5), "Mia", "cancelled"),
            boundary(date(2026, 11, 6), "", "kept"),
        ];
        let b = run(&entries).boundaries;
        assert_eq!(b.len(), 3);
        let j = &b[0];
        assert_eq!(j.person, "Jordan");
        assert_eq!(
            j.counts,
            BoundaryCounts {
                crossed: 2,
                kept: 1,
                cancelled: 0,
                reflection: 1,
                other: 0
            }
        );
        assert_eq!(j.months.len(), 2);
        assert_eq!(j.months[0].month, "2026-10");
        assert_eq!(j.months[0].counts.crossed, 1);
        assert_eq!(j.months[1].month, "2026-11");
        assert_eq!(j.months[1].counts.crossed, 1);
        assert_eq!(j.months[1].counts.kept, 1);
        assert_eq!(j.months[1].counts.reflection, 1);
        let mia = b.iter().find(|p| p.person == "Mia").unwrap();
        assert_eq!(mia.counts.cancelled, 1);
        let none = b.iter().find(|p| p.person == NO_ONE).unwrap();
        assert_eq!(none.counts.kept, 1);
    }

    #[test]
    fn repairs_opened_answered_repaired() {
        let r1 = entry(EntryKind::Repair, date(2026, 10, 10), 10, 10);
        let mut r2 = entry(EntryKind::Repair, date(2026, 11, 1), 10, 11);
        r2.fields
            .insert(key::STATE.into(), FieldValue::Text("repaired".into()));
        r2.edited = Some(at(date(2026, 11, 3), 10));
        let r3 = entry(EntryKind::Repair, date(2026, 11, 5), 10, 12);
        // r1 answered in November with "received"; r3 answered and closed by the answer.
        let mut a1 = entry(EntryKind::Repair, date(2026, 11, 2), 10, 13);
        a1.fields
            .insert(key::ANSWERS.into(), FieldValue::Text(r1.id.to_string()));
        a1.fields
            .insert(key::RECEIVED.into(), FieldValue::Bool(true));
        let mut a3 = entry(EntryKind::Repair, date(2026, 11, 6), 10, 14);
        a3.fields
            .insert(key::ANSWERS.into(), FieldValue::Text(r3.id.to_string()));
        a3.fields
            .insert(key::STATE.into(), FieldValue::Text("repaired".into()));
        // An answer to something that is not a repair in range is ignored.
        let mut stray = entry(EntryKind::Note, date(2026, 11, 7), 10, 15);
        stray.fields.insert(
            key::ANSWERS.into(),
            FieldValue::Text("01XXXXXXXXXXXXXXXXXXXXXXXX".into()),
        );
        // Answers may arrive before the repair they answer (sync order): a3 first.
        let entries = vec![a3, r1, r2, a1, r3, stray];
        let r = run(&entries).repairs;
        assert_eq!(r.opened, 3);
        assert_eq!(r.answered, 2);
        assert_eq!(r.repaired, 2);
        assert_eq!(r.still_open, 0);
        assert_eq!(
            r.months,
            vec![
                MonthRepairs {
                    month: "2026-10".into(),
                    opened: 1,
                    answered: 0,
                    repaired: 0
                },
                MonthRepairs {
                    month: "2026-11".into(),
                    opened: 2,
                    answered: 2,
                    repaired: 2
                },
            ]
        );
    }

    #[test]
    fn gratitude_streaks_current_and_longest() {
        let days = [
            date(2026, 11, 1),
            date(2026, 11, 2),
            date(2026, 11, 3),
            date(2026, 11, 4),
            date(2026, 11, 10),
            date(2026, 11, 25),
            date(2026, 11, 26),
            date(2026, 11, 26), // two the same day count once
        ];
        let entries: Vec<Entry> = days.iter().map(|d| gratitude(*d, &["Sam"], &[])).collect();
        let s = run(&entries).streak;
        assert_eq!(s.longest, 4);
        assert_eq!(s.longest_end, Some(date(2026, 11, 4)));
        // Today (27th) has none yet, yesterday has: the streak is still alive.
        assert_eq!(s.current, 2);
        assert_eq!(s.days.len(), 7);
        assert_eq!(s.days[6].count, 2);
        let later = compute(&entries, None, None, &TimeZone::UTC, date(2026, 11, 28));
        assert_eq!(later.streak.current, 0);
        let mut with_today = entries.clone();
        with_today.push(gratitude(TODAY, &["Sam"], &[]));
        assert_eq!(run(&with_today).streak.current, 3);
    }

    #[test]
    fn range_and_time_zone_decide_the_local_day() {
        // 23:30 UTC on the 9th is already the 10th in Berlin.
        let mut late = entry(EntryKind::Note, date(2026, 11, 9), 23, 20);
        late.created.unix_ms += 30 * 60 * 1000;
        let early = entry(EntryKind::Note, date(2026, 11, 12), 9, 21);
        let entries = vec![late, early];
        let utc = compute(
            &entries,
            Some(date(2026, 11, 10)),
            Some(date(2026, 11, 11)),
            &TimeZone::UTC,
            TODAY,
        );
        assert_eq!(utc.entries, 0);
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let local = compute(
            &entries,
            Some(date(2026, 11, 10)),
            Some(date(2026, 11, 11)),
            &berlin,
            TODAY,
        );
        assert_eq!(local.entries, 1);
        assert_eq!(
            local.kinds,
            vec![KindCount {
                kind: EntryKind::Note,
                count: 1
            }]
        );
        let all = compute(&entries, None, None, &berlin, TODAY);
        assert_eq!(all.entries, 2);
    }

    #[test]
    fn hundred_thousand_entries_in_one_pass() {
        let start = date(2024, 1, 1);
        let mut entries = Vec::with_capacity(100_000);
        for i in 0..100_000u32 {
            let d = start
                .checked_add(jiff::Span::new().days(i64::from(i / 40)))
                .unwrap();
            let e = match i % 5 {
                0 => checkin(d, &["calm", "hopeful"], i64::from(i % 11), &["rest"]),
                1 => gratitude(d, &["Sam", "Alex"], &["listened"]),
                2 => boundary(d, "Jordan", "kept"),
                3 => entry(EntryKind::Repair, d, 10, u128::from(i)),
                _ => entry(EntryKind::Note, d, 10, u128::from(i)),
            };
            entries.push(e);
        }
        // How fast is the benchmarks' business (`.bench/run`, "insights"), not a test's.
        let ins = compute(&entries, None, None, &TimeZone::UTC, TODAY);
        assert_eq!(ins.entries, 100_000);
        assert_eq!(ins.feelings.checkins, 20_000);
        assert_eq!(ins.support.people[0].count, 20_000);
        assert_eq!(ins.repairs.opened, 20_000);
        assert_eq!(ins.streak.longest, 2500);
    }
}
