//! jrnl's `timeformat`: the strftime forms its journal files are written in, and telling
//! which one a journal uses when nobody says.
//!
//! jrnl formats and parses dates with Python's `strftime`/`strptime`. Most directives mean
//! the same here; the few that Python spells out from the C locale (`%r`, `%X`, `%x`, `%c`)
//! are expanded to what that locale writes before parsing.

use jiff::civil::{Date, DateTime};

/// jrnl 4's default `timeformat`: `[2026-10-01 11:59:00 PM] Title`.
pub const JRNL_TIME_FORMAT: &str = "%F %r";

/// The formats tried, in this order, on a journal whose format is not given: jrnl's
/// default first, then the ones people commonly set `timeformat` to. Day-first and
/// month-first dates that both read a whole journal go to the earlier one here.
pub const COMMON_TIME_FORMATS: &[&str] = &[
    "%F %r",
    "%Y-%m-%d %H:%M",
    "%F %T",
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%c",
    "%F",
];

/// A `timeformat` that cannot be used to read dates.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the time format `{format}` cannot be read: {reason}")]
pub struct TimeFormatError {
    /// The format as given.
    pub format: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A jrnl `timeformat`, as written and as parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeFormat {
    written: String,
    parse: String,
    /// Whether it holds a time of day (else dates are at jrnl's default 09:00).
    has_time: bool,
}

impl TimeFormat {
    /// Checks `written` and spells out the directives only Python's C locale knows.
    pub fn new(written: &str) -> Result<Self, TimeFormatError> {
        let fail = |reason: String| TimeFormatError {
            format: written.to_string(),
            reason,
        };
        if written.trim().is_empty() {
            return Err(fail("it is empty".into()));
        }
        let mut parse = String::with_capacity(written.len() + 16);
        let mut chars = written.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                parse.push(c);
                continue;
            }
            let flag = chars.next_if(|f| matches!(f, '-' | '_' | '0' | '^' | '#'));
            let Some(d) = chars.next() else {
                return Err(fail("it ends with a lone `%`".into()));
            };
            let expanded = match d {
                'r' => "%I:%M:%S %p",
                'X' => "%H:%M:%S",
                'x' => "%m/%d/%y",
                'c' => "%a %b %e %H:%M:%S %Y",
                'z' | 'Z' | 'Q' | 's' => {
                    return Err(fail(format!(
                        "`%{d}` is not a directive jrnl's zone-less dates use"
                    )));
                }
                _ => "",
            };
            if expanded.is_empty() {
                parse.push('%');
                parse.extend(flag);
                parse.push(d);
            } else {
                parse.push_str(expanded);
            }
        }
        // A directive jiff does not know fails here, not on the first line of a journal.
        let late = DateTime::constant(2026, 10, 1, 23, 59, 0, 0);
        let early = DateTime::constant(2026, 10, 1, 1, 2, 3, 0);
        let format = |dt| jiff::fmt::strtime::format(&parse, dt).map_err(|e| fail(format!("{e}")));
        let has_time = format(late)? != format(early)?;
        Ok(TimeFormat {
            written: written.to_string(),
            parse,
            has_time,
        })
    }

    /// The format as jrnl's configuration spells it.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// A date blob read in this format; a date alone is at jrnl's default 09:00.
    pub fn parse(&self, blob: &str) -> Option<DateTime> {
        if self.has_time {
            return DateTime::strptime(&self.parse, blob).ok();
        }
        let date = Date::strptime(&self.parse, blob).ok()?;
        Some(date.at(9, 0, 0, 0))
    }

    /// How many characters a date takes in this format: jrnl 1's journals, whose dates
    /// have no brackets, are cut at that length.
    pub fn written_len(&self) -> usize {
        let sample = DateTime::constant(2026, 10, 1, 23, 59, 0, 0);
        jiff::fmt::strtime::format(&self.parse, sample).map_or(0, |s| s.chars().count())
    }

    /// Of [`COMMON_TIME_FORMATS`], the one that reads the first blob and the most of the
    /// others (the earlier one on a tie). `None` when none reads the first.
    pub fn detect(blobs: &[&str]) -> Option<TimeFormat> {
        let first = blobs.first()?;
        Self::detect_by(|format| {
            format.parse(first)?;
            Some(blobs.iter().filter(|b| format.parse(b).is_some()).count())
        })
    }

    /// Of [`COMMON_TIME_FORMATS`], the one that `score`s highest (the earlier one on a
    /// tie); `score` is `None` for a format that cannot be the one.
    pub fn detect_by(score: impl Fn(&TimeFormat) -> Option<usize>) -> Option<TimeFormat> {
        let mut best: Option<(usize, TimeFormat)> = None;
        for written in COMMON_TIME_FORMATS {
            let Ok(format) = TimeFormat::new(written) else {
                continue;
            };
            let Some(read) = score(&format) else {
                continue;
            };
            if best.as_ref().is_none_or(|(n, _)| read > *n) {
                best = Some((read, format));
            }
        }
        best.map(|(_, format)| format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(format: &str, blob: &str) -> Option<String> {
        TimeFormat::new(format)
            .unwrap()
            .parse(blob)
            .map(|dt| dt.to_string())
    }

    #[test]
    fn reads_the_forms_jrnl_writes() {
        assert_eq!(
            read("%F %r", "2026-10-01 11:59:00 PM").as_deref(),
            Some("2026-10-01T23:59:00")
        );
        assert_eq!(
            read("%F %r", "2026-10-01 09:05:30 AM").as_deref(),
            Some("2026-10-01T09:05:30")
        );
        assert_eq!(
            read("%F %T", "2026-10-01 23:59:07").as_deref(),
            Some("2026-10-01T23:59:07")
        );
        assert_eq!(
            read("%F %R", "2026-10-01 23:59").as_deref(),
            Some("2026-10-01T23:59:00")
        );
        assert_eq!(
            read("%c", "Thu Oct  1 23:59:00 2026").as_deref(),
            Some("2026-10-01T23:59:00")
        );
        assert_eq!(
            read("%x %X", "10/01/26 23:59:00").as_deref(),
            Some("2026-10-01T23:59:00")
        );
        assert_eq!(
            read("%F", "2026-10-01").as_deref(),
            Some("2026-10-01T09:00:00")
        );
        assert_eq!(read("%F %r", "2026-10-01 23:59"), None);
    }

    #[test]
    fn refuses_formats_that_cannot_read_a_date() {
        for bad in ["", "  ", "%F %", "%F %z", "%Ez %F"] {
            assert!(TimeFormat::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn detects_the_format_of_a_journal() {
        let detect = |blobs: &[&str]| TimeFormat::detect(blobs).map(|f| f.as_str().to_string());
        assert_eq!(
            detect(&["2026-10-01 11:59:00 PM", "2026-10-02 08:00:00 AM"]).as_deref(),
            Some("%F %r")
        );
        assert_eq!(
            detect(&["2026-10-01 23:59", "2026-10-02 08:00"]).as_deref(),
            Some("%Y-%m-%d %H:%M")
        );
        assert_eq!(detect(&["2026-10-01 23:59:07"]).as_deref(), Some("%F %T"));
        // Both read the first line; only month-first reads the second.
        assert_eq!(
            detect(&["01/02/2026 10:00", "02/13/2026 10:00"]).as_deref(),
            Some("%m/%d/%Y %H:%M")
        );
        assert_eq!(
            detect(&["01/02/2026 10:00", "13/02/2026 10:00"]).as_deref(),
            Some("%d/%m/%Y %H:%M")
        );
        assert_eq!(detect(&["yesterday at noon"]), None);
        assert_eq!(detect(&[]), None);
    }
}
