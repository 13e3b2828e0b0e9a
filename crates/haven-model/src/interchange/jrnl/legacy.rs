//! jrnl 1's journal text, which the v1 encrypted files hold: an entry starts at a line
//! whose first characters are a date in the `timeformat`, with no brackets around it.
//!
//! As jrnl 4's `LegacyJournal` reads it: a date line ending in `*` is starred and the
//! star dropped; the text after the date and one space is the first line; other lines
//! are the body, a line that opens with `[...]` getting a space in front.

use super::time_format::TimeFormat;
use super::{JrnlText, jrnl_note, jrnl_star};
use crate::interchange::{ImportError, ImportOptions, in_zone, join_title, split_title};

/// The first `n` characters of `line`, and the rest after one more.
fn cut(line: &str, n: usize) -> (&str, &str) {
    let mut chars = line.char_indices().map(|(i, _)| i).chain([line.len()]);
    let end = chars.nth(n).unwrap_or(line.len());
    let rest = line[end..]
        .char_indices()
        .nth(1)
        .map_or("", |(i, _)| &line[end + i..]);
    (&line[..end], rest)
}

/// Reads jrnl 1's journal text: dates without brackets, in the `timeformat`; a date line
/// ending in `*` is starred.
pub fn import_jrnl_legacy_text(
    text: &str,
    time_format: Option<&TimeFormat>,
    opts: &ImportOptions,
) -> Result<JrnlText, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let reads = |format: &TimeFormat, line: &str| format.parse(cut(line, format.written_len()).0);
    let format = match (time_format, first) {
        (Some(format), _) => format.clone(),
        (None, None) => TimeFormat::new(super::JRNL_TIME_FORMAT)?,
        (None, Some(first)) => TimeFormat::detect_by(|format| {
            reads(format, lines[first])?;
            Some(
                lines
                    .iter()
                    .take(2000)
                    .filter(|l| reads(format, l).is_some())
                    .count(),
            )
        })
        .ok_or_else(|| ImportError::UnknownTimeFormat {
            line: first + 1,
            blob: lines[first].chars().take(40).collect(),
        })?,
    };
    let n = format.written_len();
    // (line, date, text, starred by the date line)
    let mut found: Vec<(usize, jiff::civil::DateTime, String, bool)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let (head, rest) = cut(line, n);
        if let Some(dt) = format.parse(head) {
            let (rest, starred) = match line.strip_suffix('*') {
                Some(_) => (cut(&line[..line.len() - 1], n).1, true),
                None => (rest, false),
            };
            found.push((index + 1, dt, format!("{rest}\n"), starred));
            continue;
        }
        match found.last_mut() {
            Some((_, _, body, _)) => {
                if line.starts_with('[') && line.get(2..).is_some_and(|l| l.contains(']')) {
                    body.push(' ');
                }
                body.push_str(line);
                body.push('\n');
            }
            None if !line.is_empty() => {
                return Err(ImportError::Line {
                    line: index + 1,
                    message: format!(
                        "text before the first line that starts with a date in the format `{}`",
                        format.as_str()
                    ),
                });
            }
            None => {}
        }
    }
    let mut entries = Vec::with_capacity(found.len());
    for (line, dt, raw, starred_line) in found {
        let (raw, starred_title) = jrnl_star(&raw);
        let (title, body) = split_title(&raw);
        let err = |message: String| ImportError::Line { line, message };
        let created = in_zone(dt, &opts.tz).map_err(err)?;
        let text = join_title(&title, &body);
        entries
            .push(jrnl_note(created, text, &[], starred_line || starred_title, opts).map_err(err)?);
    }
    entries.sort_by_key(|e| e.created.unix_ms);
    Ok(JrnlText {
        entries,
        time_format: format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_without_brackets_stars_and_bodies() {
        let opts = ImportOptions {
            device: "dev1".into(),
            author: "Robin".into(),
            tz: jiff::tz::TimeZone::UTC,
        };
        let text = "2024-01-02 09:15 Morning. Coffee #calm *\nBody line\n[link] kept\n2024-01-03 21:00 Evening\n";
        let read = import_jrnl_legacy_text(text, None, &opts).unwrap();
        assert_eq!(read.time_format.as_str(), "%Y-%m-%d %H:%M");
        assert_eq!(read.entries.len(), 2);
        assert!(read.entries[0].starred);
        assert_eq!(
            read.entries[0].text,
            "Morning. Coffee #calm\nBody line\n [link] kept"
        );
        assert_eq!(read.entries[1].text, "Evening");
        assert!(!read.entries[1].starred);
        let err = import_jrnl_legacy_text("prose\n2024-01-02 09:15 A\n", None, &opts).unwrap_err();
        assert!(
            matches!(err, ImportError::UnknownTimeFormat { line: 1, .. }),
            "{err}"
        );
        assert_eq!(cut("2024-01-02 09:15 Äb", 16), ("2024-01-02 09:15", "Äb"));
        assert_eq!(cut("short", 16), ("short", ""));
    }
}
