//! Feelings and needs: check-ins per ISO week with their feelings and average intensity
//! (empty weeks filled in), and how often each need was named.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::counting::Counter;
use super::{Count, ser_date};

/// Weeks between the first and last check-in beyond which empty weeks are not filled in.
const MAX_FILLED_WEEKS: i64 = 1100;

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

#[derive(Default)]
pub(super) struct WeekAcc {
    pub(super) checkins: usize,
    pub(super) intensity_sum: i64,
    pub(super) intensity_n: usize,
    pub(super) feelings: Counter,
}

pub(super) fn average(sum: i64, n: usize) -> Option<f64> {
    (n > 0).then(|| sum as f64 / n as f64)
}

fn week_monday(year: i16, week: i8) -> Option<Date> {
    jiff::civil::ISOWeekDate::new(year, week, jiff::civil::Weekday::Monday)
        .ok()
        .map(|w| w.date())
}

pub(super) fn finish_weeks(weeks: BTreeMap<(i16, i8), WeekAcc>) -> Vec<Week> {
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
