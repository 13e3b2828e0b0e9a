//! Natural moments for `--at` on the writing commands: a day and a time of day, as jrnl
//! takes them (`yesterday 21:00`, `monday 9am`, `2026-11-27 21:00`, `3 hours ago`).
//!
//! [`parse_moment`] reads the text relative to a `now` supplied by the caller (this module
//! never reads the clock). Accepted forms, matched case-insensitively:
//!
//! | form | meaning |
//! |---|---|
//! | `now` | now |
//! | a day of [`parse_day`] (`yesterday`, `last monday`, `2026-11-27`, …) | that day at 09:00, jrnl's default hour |
//! | a time (`21:00`, `9:30`, `9pm`, `9:30 pm`, `noon`, `midnight`) | today at that time |
//! | a day and a time, with or without `at` (`yesterday 21:00`, `friday at 9pm`) | as said |
//! | `N minutes ago`, `N hours ago` (also `min`, `mins`, `hr`, `hrs`; `an hour ago`) | now minus that much |
//! | RFC 3339 (`2026-11-27T21:00:00+01:00`) or `YYYY-MM-DDTHH:MM[:SS]` | that instant, or that wall time here |
//!
//! A moment in the future is refused: an entry records what happened.

use jiff::civil::Time;
use jiff::{Span, Zoned};

use super::{DateError, parse_day};

/// The forms [`parse_moment`] accepts, as named in its error messages.
pub const MOMENT_FORMS: &str = "now, a day (yesterday, last monday, 2026-11-27), a time \
     (21:00, 9pm, noon), a day and a time (yesterday 21:00, friday at 9pm), N hours ago, \
     or 2026-11-27T21:00";

/// A moment could not be understood, or lies ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MomentError {
    /// The text is none of the accepted forms.
    #[error("cannot read `{text}` as a moment; use one of: {forms}", forms = MOMENT_FORMS)]
    Unrecognized {
        /// The text as given (trimmed).
        text: String,
    },
    /// The day part names no real day, or is out of range.
    #[error(transparent)]
    Day(#[from] DateError),
    /// The moment is after now.
    #[error("`{text}` is in the future ({at}); an entry records what already happened")]
    Future {
        /// The text as given (trimmed).
        text: String,
        /// The moment it reads as.
        at: String,
    },
}

/// Reads `text` as a moment relative to `now` (in `now`'s zone): now, a day (at 09:00), a
/// time (today), both, `N hours ago` or an ISO form ([`MOMENT_FORMS`]); one in the future
/// is refused.
pub fn parse_moment(text: &str, now: &Zoned) -> Result<Zoned, MomentError> {
    let trimmed = text.trim();
    let unrecognized = || MomentError::Unrecognized {
        text: trimmed.to_owned(),
    };
    let lower = trimmed.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let at = match words.as_slice() {
        [] => return Err(unrecognized()),
        ["now"] => now.clone(),
        [count, unit, "ago"] if clock_unit(unit).is_some() => {
            let n = super::count_of(count).ok_or_else(unrecognized)?;
            let span = match clock_unit(unit) {
                Some(ClockUnit::Minute) => Span::new().try_minutes(n),
                _ => Span::new().try_hours(n),
            }
            .map_err(|_| unrecognized())?;
            now.checked_sub(span).map_err(|_| unrecognized())?
        }
        [single] if single.contains('t') && single.starts_with(|c: char| c.is_ascii_digit()) => {
            instant(trimmed, now).ok_or_else(unrecognized)?
        }
        _ => day_and_time(&words, now, trimmed)?,
    };
    if at.timestamp() > now.timestamp() + Span::new().minutes(1) {
        return Err(MomentError::Future {
            text: trimmed.to_owned(),
            at: at.strftime("%Y-%m-%d %H:%M").to_string(),
        });
    }
    Ok(at)
}

/// `2026-11-27T21:00:00+01:00` (an instant) or `2026-11-27T21:00` (a wall time here).
fn instant(text: &str, now: &Zoned) -> Option<Zoned> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.to_zoned(now.time_zone().clone()));
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil.to_zoned(now.time_zone().clone()).ok()
}

#[derive(Clone, Copy)]
enum ClockUnit {
    Minute,
    Hour,
}

fn clock_unit(word: &str) -> Option<ClockUnit> {
    match word {
        "minute" | "minutes" | "min" | "mins" => Some(ClockUnit::Minute),
        "hour" | "hours" | "hr" | "hrs" => Some(ClockUnit::Hour),
        _ => None,
    }
}

/// A day (all words but the time), a time (the last one or two words), or both.
fn day_and_time(words: &[&str], now: &Zoned, original: &str) -> Result<Zoned, MomentError> {
    let unrecognized = || MomentError::Unrecognized {
        text: original.to_owned(),
    };
    // The time is the last word, or the last two (`9:30 pm`).
    let (day_words, time) = match words {
        [rest @ .., a, b] if time_of_day(&format!("{a}{b}")).is_some() => {
            (rest, time_of_day(&format!("{a}{b}")))
        }
        [rest @ .., last] if time_of_day(last).is_some() => (rest, time_of_day(last)),
        all => (all, None),
    };
    let day_words = match day_words {
        [rest @ .., "at"] => rest,
        rest => rest,
    };
    let today = now.date();
    let day = if day_words.is_empty() {
        if time.is_none() {
            return Err(unrecognized());
        }
        today
    } else {
        parse_day(&day_words.join(" "), today).map_err(|e| match e {
            DateError::Unrecognized { .. } | DateError::Empty => unrecognized(),
            other => MomentError::Day(other),
        })?
    };
    let time = time.unwrap_or(Time::constant(9, 0, 0, 0));
    day.to_datetime(time)
        .to_zoned(now.time_zone().clone())
        .map_err(|_| unrecognized())
}

/// `21:00`, `21:00:30`, `9:30`, `9pm`, `9:30pm`, `21h`, `noon`, `midnight`.
fn time_of_day(word: &str) -> Option<Time> {
    match word {
        "noon" | "midday" => return Some(Time::constant(12, 0, 0, 0)),
        "midnight" => return Some(Time::constant(0, 0, 0, 0)),
        _ => {}
    }
    let (clock, half) = if let Some(c) = word.strip_suffix("am").or(word.strip_suffix("a.m.")) {
        (c, Some(false))
    } else if let Some(c) = word.strip_suffix("pm").or(word.strip_suffix("p.m.")) {
        (c, Some(true))
    } else if let Some(c) = word.strip_suffix('h') {
        (c, None)
    } else {
        (word, None)
    };
    let mut parts = clock.split(':');
    let number = |s: Option<&str>, max: i8| -> Option<i8> {
        let s = s?;
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|n| *n <= max)
    };
    let hour = number(parts.next(), 23)?;
    let minute = match parts.next() {
        Some(m) if m.len() == 2 => number(Some(m), 59)?,
        Some(_) => return None,
        // A bare number is a time only with am/pm or `h` (else it is a day, or nothing).
        None if half.is_some() || word.ends_with('h') => 0,
        None => return None,
    };
    let second = match parts.next() {
        Some(s) if s.len() == 2 => number(Some(s), 59)?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let hour = match half {
        Some(pm) if (1..=12).contains(&hour) => (hour % 12) + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => hour,
    };
    Time::new(hour, minute, second, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Friday 27 November 2026, 18:30 in Berlin.
    fn now() -> Zoned {
        "2026-11-27T18:30:00+01:00[Europe/Berlin]".parse().unwrap()
    }

    fn at(text: &str) -> String {
        parse_moment(text, &now())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .strftime("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    }

    #[test]
    fn reads_days_times_and_both() {
        assert_eq!(at("now"), "2026-11-27 18:30:00 +01:00");
        assert_eq!(at("yesterday 21:00"), "2026-11-26 21:00:00 +01:00");
        assert_eq!(at("Yesterday at 9pm"), "2026-11-26 21:00:00 +01:00");
        assert_eq!(at("monday 9:30 am"), "2026-11-23 09:30:00 +01:00");
        assert_eq!(at("last friday noon"), "2026-11-20 12:00:00 +01:00");
        assert_eq!(at("2026-11-02 07:05"), "2026-11-02 07:05:00 +01:00");
        assert_eq!(at("2026-11-02 07:05:09"), "2026-11-02 07:05:09 +01:00");
        assert_eq!(at("yesterday"), "2026-11-26 09:00:00 +01:00");
        assert_eq!(at("8:15"), "2026-11-27 08:15:00 +01:00");
        assert_eq!(at("12am"), "2026-11-27 00:00:00 +01:00");
        assert_eq!(at("3 hours ago"), "2026-11-27 15:30:00 +01:00");
        assert_eq!(at("an hour ago"), "2026-11-27 17:30:00 +01:00");
        assert_eq!(at("45 mins ago"), "2026-11-27 17:45:00 +01:00");
        assert_eq!(at("2 days ago 23:59"), "2026-11-25 23:59:00 +01:00");
        // Summer time: the offset in force on that day.
        assert_eq!(at("2026-07-01 10:00"), "2026-07-01 10:00:00 +02:00");
        assert_eq!(at("2026-07-01T10:00"), "2026-07-01 10:00:00 +02:00");
        assert_eq!(at("2026-11-27T08:00:00Z"), "2026-11-27 09:00:00 +01:00");
    }

    #[test]
    fn refuses_nonsense_and_the_future() {
        for bad in [
            "",
            "soon",
            "25:00",
            "9",
            "13pm",
            "9:5",
            "yesterday 21:00:00:00",
            "at",
        ] {
            assert!(
                matches!(
                    parse_moment(bad, &now()),
                    Err(MomentError::Unrecognized { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_moment("2026-13-40 10:00", &now()),
            Err(MomentError::Day(DateError::NoSuchDay { .. }))
        ));
        let err = parse_moment("tomorrow 9am", &now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`tomorrow 9am` is in the future (2026-11-28 09:00); an entry records what already happened"
        );
        assert!(matches!(
            parse_moment("23:00", &now()),
            Err(MomentError::Future { .. })
        ));
    }
}
