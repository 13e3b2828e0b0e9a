//! The evening gratitude habit: the current and the longest run of consecutive days with
//! gratitude, and every day that had some.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::{ser_date, ser_opt_date};

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

pub(super) fn finish_streak(days: BTreeMap<Date, usize>, today: Date) -> Streak {
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
