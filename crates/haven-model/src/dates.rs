//! Natural dates for `haven list --from/--to/--on`, and moments for `--at` ([`parse_moment`]).
//!
//! [`parse_day`] turns what a person types into a calendar day, relative to a `today`
//! supplied by the caller (this module never reads the clock). Input is trimmed, matched
//! case-insensitively, and runs of whitespace count as one space. Accepted forms:
//!
//! | form | meaning |
//! |---|---|
//! | `today`, `yesterday`, `tomorrow` | as said |
//! | `monday` … `sunday`, `mon` … `sun` (also `tues`, `thur`, `thurs`) | the most recent such day **on or before** today (so on a Friday, `friday` is today) |
//! | `last monday`, `last mon`, … | the most recent such day **strictly before** today (on a Friday, `last friday` is a week ago; `last thursday` is yesterday) |
//! | `N days ago`, `N weeks ago`, `N months ago`, `N years ago` | today minus that much; `N` is a whole number, or `a`/`an`/`one`; singular or plural unit |
//! | `a week ago`, `last week` | today minus 7 days |
//! | `last month`, `last year` | today minus one month / year |
//! | `YYYY-MM-DD`, `YYYY/MM/DD`, `DD.MM.YYYY` | a calendar date; month and day may have one or two digits |
//!
//! Months are calendar months: going back a month from 31 March gives the last day of
//! February. [`range`] combines the three flags into a [`DayRange`] of whole days.

use jiff::Span;
use jiff::civil::{Date, Weekday};

mod moment;

pub use moment::{MOMENT_FORMS, MomentError, parse_moment};

/// The forms [`parse_day`] accepts, as named in its error messages.
pub const ACCEPTED_FORMS: &str = "today, yesterday, tomorrow, a weekday (monday or mon), \
     last monday, N days ago, N weeks ago, N months ago, a week ago, last week, last month, \
     YYYY-MM-DD, YYYY/MM/DD or DD.MM.YYYY";

/// A date could not be understood, or the date flags do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Nothing was given.
    #[error("no date given; use one of: {forms}", forms = ACCEPTED_FORMS)]
    Empty,
    /// The text is none of the accepted forms.
    #[error("cannot read `{text}` as a day; use one of: {forms}", forms = ACCEPTED_FORMS)]
    Unrecognized {
        /// The text as given (trimmed).
        text: String,
    },
    /// The text has the shape of a date but names no real calendar day (e.g. 2026-13-40).
    #[error(
        "`{text}` is not a day of the calendar; use one of: {forms}",
        forms = ACCEPTED_FORMS
    )]
    NoSuchDay {
        /// The text as given (trimmed).
        text: String,
    },
    /// The day lies outside the supported calendar (years -9999 to 9999).
    #[error(
        "`{text}` is too far away (years -9999 to 9999 only); use one of: {forms}",
        forms = ACCEPTED_FORMS
    )]
    OutOfRange {
        /// The text as given (trimmed).
        text: String,
    },
    /// `--on` was combined with `--from` or `--to`.
    #[error("--on picks a single day and cannot be combined with --from or --to")]
    OnWithRange,
    /// The start of the range is after its end.
    #[error("--from {from} is after --to {to}")]
    FromAfterTo {
        /// The parsed start day.
        from: Date,
        /// The parsed end day.
        to: Date,
    },
}

/// Parses a natural day such as `yesterday`, `last monday`, `3 weeks ago` or `2026-11-27`,
/// relative to `today`. See the [module documentation](self) for every accepted form.
pub fn parse_day(text: &str, today: Date) -> Result<Date, DateError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DateError::Empty);
    }
    let lower = trimmed.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let unrecognized = || DateError::Unrecognized {
        text: trimmed.to_owned(),
    };
    let out_of_range = |_| DateError::OutOfRange {
        text: trimmed.to_owned(),
    };

    match words.as_slice() {
        ["today"] => Ok(today),
        ["yesterday"] => minus(today, Span::new().try_days(1)).map_err(out_of_range),
        ["tomorrow"] => today.checked_add(Span::new().days(1)).map_err(out_of_range),
        [day] if weekday(day).is_some() => {
            let wd = weekday(day).ok_or_else(unrecognized)?;
            back_to_weekday(today, wd, false).map_err(out_of_range)
        }
        ["last", day] if weekday(day).is_some() => {
            let wd = weekday(day).ok_or_else(unrecognized)?;
            back_to_weekday(today, wd, true).map_err(out_of_range)
        }
        ["last", unit] => match unit_of(unit) {
            Some(unit @ (Unit::Week(false) | Unit::Month(false) | Unit::Year(false))) => {
                minus(today, unit_span(unit, 1)).map_err(out_of_range)
            }
            _ => Err(unrecognized()),
        },
        [count, unit, "ago"] => {
            let unit_kind = unit_of(unit).ok_or_else(unrecognized)?;
            let n = count_of(count).ok_or_else(unrecognized)?;
            // "1 days ago" and "3 day ago" are tolerated: people type fast.
            minus(today, unit_span(unit_kind, n)).map_err(out_of_range)
        }
        [single] => calendar_date(single, trimmed),
        _ => Err(unrecognized()),
    }
}

/// `today` minus a span that may itself have failed to build.
fn minus(today: Date, span: Result<Span, jiff::Error>) -> Result<Date, jiff::Error> {
    today.checked_sub(span?)
}

/// The weekday named by a full English name or a common abbreviation.
fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Monday,
        "tuesday" | "tue" | "tues" => Weekday::Tuesday,
        "wednesday" | "wed" => Weekday::Wednesday,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thursday,
        "friday" | "fri" => Weekday::Friday,
        "saturday" | "sat" => Weekday::Saturday,
        "sunday" | "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// The most recent `wd` on or before `today`, or strictly before it when `strict`.
fn back_to_weekday(today: Date, wd: Weekday, strict: bool) -> Result<Date, jiff::Error> {
    let behind =
        i64::from(today.weekday().to_monday_zero_offset()) - i64::from(wd.to_monday_zero_offset());
    let mut back = behind.rem_euclid(7);
    if strict && back == 0 {
        back = 7;
    }
    minus(today, Span::new().try_days(back))
}

/// A unit of relative time, remembering whether it was written in the plural.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// `day` / `days`.
    Day(bool),
    /// `week` / `weeks`.
    Week(bool),
    /// `month` / `months`.
    Month(bool),
    /// `year` / `years`.
    Year(bool),
}

/// Reads a unit word.
fn unit_of(word: &str) -> Option<Unit> {
    Some(match word {
        "day" => Unit::Day(false),
        "days" => Unit::Day(true),
        "week" => Unit::Week(false),
        "weeks" => Unit::Week(true),
        "month" => Unit::Month(false),
        "months" => Unit::Month(true),
        "year" => Unit::Year(false),
        "years" => Unit::Year(true),
        _ => return None,
    })
}

/// `n` units as a span; fails when `n` is beyond what a span can hold.
fn unit_span(unit: Unit, n: i64) -> Result<Span, jiff::Error> {
    match unit {
        Unit::Day(_) => Span::new().try_days(n),
        Unit::Week(_) => Span::new().try_weeks(n),
        Unit::Month(_) => Span::new().try_months(n),
        Unit::Year(_) => Span::new().try_years(n),
    }
}

/// Reads the count of `N days ago`: ASCII digits, or `a` / `an` / `one`.
fn count_of(word: &str) -> Option<i64> {
    match word {
        "a" | "an" | "one" => Some(1),
        _ if !word.is_empty() && word.len() <= 18 && word.bytes().all(|b| b.is_ascii_digit()) => {
            word.parse().ok()
        }
        _ => None,
    }
}

/// Reads `YYYY-MM-DD`, `YYYY/MM/DD` or `DD.MM.YYYY`.
fn calendar_date(word: &str, original: &str) -> Result<Date, DateError> {
    let unrecognized = || DateError::Unrecognized {
        text: original.to_owned(),
    };
    let (sep, year_first) = if word.contains('-') {
        ('-', true)
    } else if word.contains('/') {
        ('/', true)
    } else if word.contains('.') {
        ('.', false)
    } else {
        return Err(unrecognized());
    };
    let parts: Vec<&str> = word.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(unrecognized());
    };
    let (year, month, day) = if year_first { (a, b, c) } else { (c, b, a) };
    let digits = |s: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(year, 4, 4) && digits(month, 1, 2) && digits(day, 1, 2)) {
        return Err(unrecognized());
    }
    let year: i16 = year.parse().map_err(|_| unrecognized())?;
    let month: i8 = month.parse().map_err(|_| unrecognized())?;
    let day: i8 = day.parse().map_err(|_| unrecognized())?;
    Date::new(year, month, day).map_err(|_| DateError::NoSuchDay {
        text: original.to_owned(),
    })
}

/// A range of whole days, each end inclusive and optional (open-ended when `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRange {
    /// The first day included, if bounded below.
    pub from: Option<Date>,
    /// The last day included, if bounded above.
    pub to: Option<Date>,
}

impl DayRange {
    /// Whether `date` falls within the range (both ends included).
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|from| from <= date) && self.to.is_none_or(|to| date <= to)
    }

    /// Whether the range has no bound at all (every day is in it).
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

/// Builds the day range of `haven list --from/--to/--on` relative to `today`.
///
/// `on` gives the single day `on..=on` and cannot be combined with `from` or `to`
/// ([`DateError::OnWithRange`]); `from` after `to` is [`DateError::FromAfterTo`]. With no
/// flag at all the range is unbounded.
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    on: Option<&str>,
    today: Date,
) -> Result<DayRange, DateError> {
    if let Some(on) = on {
        if from.is_some() || to.is_some() {
            return Err(DateError::OnWithRange);
        }
        let day = parse_day(on, today)?;
        return Ok(DayRange {
            from: Some(day),
            to: Some(day),
        });
    }
    let from = from.map(|t| parse_day(t, today)).transpose()?;
    let to = to.map(|t| parse_day(t, today)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(DateError::FromAfterTo { from: f, to: t });
    }
    Ok(DayRange { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A Friday.
    const TODAY: Date = date(2026, 11, 27);

    fn day(text: &str) -> Date {
        parse_day(text, TODAY).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn today_is_a_friday() {
        assert_eq!(TODAY.weekday(), Weekday::Friday);
    }

    #[test]
    fn simple_words() {
        assert_eq!(day("today"), TODAY);
        assert_eq!(day("  ToDay \n"), TODAY);
        assert_eq!(day("yesterday"), date(2026, 11, 26));
        assert_eq!(day("YESTERDAY"), date(2026, 11, 26));
        assert_eq!(day("tomorrow"), date(2026, 11, 28));
    }

    #[test]
    fn weekdays_are_on_or_before_today() {
        assert_eq!(day("friday"), TODAY);
        assert_eq!(day("fri"), TODAY);
        assert_eq!(day("thursday"), date(2026, 11, 26));
        assert_eq!(day("thu"), date(2026, 11, 26));
        assert_eq!(day("thurs"), date(2026, 11, 26));
        assert_eq!(day("wednesday"), date(2026, 11, 25));
        assert_eq!(day("wed"), date(2026, 11, 25));
        assert_eq!(day("tuesday"), date(2026, 11, 24));
        assert_eq!(day("tue"), date(2026, 11, 24));
        assert_eq!(day("tues"), date(2026, 11, 24));
        assert_eq!(day("Monday"), date(2026, 11, 23));
        assert_eq!(day("mon"), date(2026, 11, 23));
        assert_eq!(day("sunday"), date(2026, 11, 22));
        assert_eq!(day("sun"), date(2026, 11, 22));
        assert_eq!(day("saturday"), date(2026, 11, 21));
        assert_eq!(day("SAT"), date(2026, 11, 21));
    }

    #[test]
    fn last_weekday_is_strictly_before_today() {
        assert_eq!(day("last monday"), date(2026, 11, 23));
        assert_eq!(day("last  Mon"), date(2026, 11, 23));
        assert_eq!(day("last thursday"), date(2026, 11, 26));
        assert_eq!(day("last friday"), date(2026, 11, 20));
        assert_eq!(day("last fri"), date(2026, 11, 20));
        assert_eq!(day("last saturday"), date(2026, 11, 21));
        // From a Monday, "last monday" is the one a week before.
        assert_eq!(
            parse_day("last monday", date(2026, 11, 23)),
            Ok(date(2026, 11, 16))
        );
        assert_eq!(
            parse_day("monday", date(2026, 11, 23)),
            Ok(date(2026, 11, 23))
        );
    }

    #[test]
    fn relative_amounts() {
        assert_eq!(day("0 days ago"), TODAY);
        assert_eq!(day("1 day ago"), date(2026, 11, 26));
        assert_eq!(day("3 days ago"), date(2026, 11, 24));
        assert_eq!(day("30 days ago"), date(2026, 10, 28));
        assert_eq!(day("a day ago"), date(2026, 11, 26));
        assert_eq!(day("2 weeks ago"), date(2026, 11, 13));
        assert_eq!(day("a week ago"), date(2026, 11, 20));
        assert_eq!(day("one week ago"), date(2026, 11, 20));
        assert_eq!(day("last week"), date(2026, 11, 20));
        assert_eq!(day("1 month ago"), date(2026, 10, 27));
        assert_eq!(day("an month ago"), date(2026, 10, 27));
        assert_eq!(day("3 months ago"), date(2026, 8, 27));
        assert_eq!(day("last month"), date(2026, 10, 27));
        assert_eq!(day("last year"), date(2025, 11, 27));
        assert_eq!(day("2 years ago"), date(2024, 11, 27));
        // Months clamp to the end of a shorter month.
        assert_eq!(
            parse_day("last month", date(2026, 3, 31)),
            Ok(date(2026, 2, 28))
        );
        assert_eq!(
            parse_day("1 month ago", date(2024, 3, 31)),
            Ok(date(2024, 2, 29))
        );
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(day("2026-11-01"), date(2026, 11, 1));
        assert_eq!(day("2026-1-5"), date(2026, 1, 5));
        assert_eq!(day("2026/11/01"), date(2026, 11, 1));
        assert_eq!(day("01.11.2026"), date(2026, 11, 1));
        assert_eq!(day("1.2.2027"), date(2027, 2, 1));
        assert_eq!(day("2024-02-29"), date(2024, 2, 29));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(parse_day("", TODAY), Err(DateError::Empty));
        assert_eq!(parse_day("   \t", TODAY), Err(DateError::Empty));
        for text in [
            "next blursday",
            "blursday",
            "32 days ago ago",
            "days ago",
            "-3 days ago",
            "+3 days ago",
            "3 fortnights ago",
            "last days",
            "last day",
            "last weeks",
            "last",
            "last blursday",
            "2026-11",
            "2026-11-27-01",
            "26-11-27",
            "2026.11.27",
            "27/11/2026",
            "2026-11-27T10:00",
            "2026-11-27 extra",
            "in 3 days",
        ] {
            assert!(
                matches!(parse_day(text, TODAY), Err(DateError::Unrecognized { .. })),
                "{text:?} gave {:?}",
                parse_day(text, TODAY)
            );
        }
        for text in ["2026-13-40", "2026-02-29", "31.04.2026", "2026/00/10"] {
            assert!(
                matches!(parse_day(text, TODAY), Err(DateError::NoSuchDay { .. })),
                "{text:?}"
            );
        }
        for text in [
            "999999999999999999 days ago",
            "99999 years ago",
            "9999999 months ago",
        ] {
            assert!(
                matches!(parse_day(text, TODAY), Err(DateError::OutOfRange { .. })),
                "{text:?} gave {:?}",
                parse_day(text, TODAY)
            );
        }
        assert!(matches!(
            parse_day("tomorrow", date(9999, 12, 31)),
            Err(DateError::OutOfRange { .. })
        ));
        assert!(matches!(
            parse_day("last monday", Date::MIN),
            Err(DateError::OutOfRange { .. })
        ));
    }

    #[test]
    fn error_messages_name_the_accepted_forms() {
        let message = parse_day("next blursday", TODAY).unwrap_err().to_string();
        assert!(message.contains("next blursday"), "{message}");
        assert!(message.contains("last monday"), "{message}");
        assert!(message.contains("YYYY-MM-DD"), "{message}");
        assert!(
            DateError::Empty.to_string().contains("yesterday"),
            "{}",
            DateError::Empty
        );
    }

    #[test]
    fn odd_unicode_does_not_panic() {
        for text in [
            "ｔｏｄａｙ",
            "٣ days ago",
            "３ days ago",
            "2026-１１-27",
            "mönday",
            "İ",
            "ǅ",
            "🙂",
            "last 🙂",
            "\u{200b}today",
            "\u{0}",
            "ß days ago",
            "2026-11-27\u{301}",
            "ΣΑΒΒΑΤΟ",
            "...",
            "--",
            "///",
        ] {
            assert!(parse_day(text, TODAY).is_err(), "{text:?}");
        }
        // Non-breaking and other Unicode spaces are ordinary whitespace.
        assert_eq!(
            parse_day("\u{a0}last\u{3000}monday ", TODAY),
            Ok(date(2026, 11, 23))
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(range(None, None, None, TODAY), Ok(DayRange::default()));
        assert!(DayRange::default().is_unbounded());
        assert!(DayRange::default().contains(date(1900, 1, 1)));

        let on = range(None, None, Some("yesterday"), TODAY).unwrap();
        assert_eq!(on.from, Some(date(2026, 11, 26)));
        assert_eq!(on.to, Some(date(2026, 11, 26)));
        assert!(on.contains(date(2026, 11, 26)));
        assert!(!on.contains(date(2026, 11, 25)));
        assert!(!on.contains(TODAY));

        let week = range(Some("last monday"), Some("today"), None, TODAY).unwrap();
        assert!(week.contains(date(2026, 11, 23)));
        assert!(week.contains(TODAY));
        assert!(!week.contains(date(2026, 11, 22)));
        assert!(!week.contains(date(2026, 11, 28)));

        let since = range(Some("2 weeks ago"), None, None, TODAY).unwrap();
        assert_eq!(since.to, None);
        assert!(since.contains(date(2030, 1, 1)));
        assert!(!since.contains(date(2026, 11, 12)));

        let until = range(None, Some("2026-01-01"), None, TODAY).unwrap();
        assert!(until.contains(date(2026, 1, 1)));
        assert!(!until.contains(date(2026, 1, 2)));

        assert_eq!(
            range(Some("today"), Some("today"), None, TODAY),
            Ok(DayRange {
                from: Some(TODAY),
                to: Some(TODAY)
            })
        );
    }

    #[test]
    fn range_errors() {
        assert_eq!(
            range(Some("monday"), None, Some("today"), TODAY),
            Err(DateError::OnWithRange)
        );
        assert_eq!(
            range(None, Some("monday"), Some("today"), TODAY),
            Err(DateError::OnWithRange)
        );
        assert_eq!(
            range(Some("today"), Some("yesterday"), None, TODAY),
            Err(DateError::FromAfterTo {
                from: TODAY,
                to: date(2026, 11, 26)
            })
        );
        let message = range(Some("today"), Some("yesterday"), None, TODAY)
            .unwrap_err()
            .to_string();
        assert!(message.contains("2026-11-27") && message.contains("2026-11-26"));
        assert!(matches!(
            range(Some("blursday"), None, None, TODAY),
            Err(DateError::Unrecognized { .. })
        ));
        assert!(matches!(
            range(None, None, Some(""), TODAY),
            Err(DateError::Empty)
        ));
    }
}
