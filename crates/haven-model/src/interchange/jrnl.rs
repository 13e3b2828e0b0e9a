//! jrnl: its JSON export, its plain-text journal file (in whichever `timeformat`), and
//! its encrypted journals.

use serde_json::{Map, Value};

use super::json::{entries_array, fields_from_json, opt_bool, opt_str, parse_json, string_list};
use super::{
    ImportError, ImportOptions, imported_note, in_zone, join_title, parse_rfc3339, split_title,
};
use crate::entry::{Entry, EntryId, EntryKind, Timestamp};

mod config;
mod encrypted;
mod legacy;
mod time_format;

pub use config::time_format_in_config;
pub use encrypted::{DecryptError, JrnlEncryption, decrypt as decrypt_jrnl};
pub use legacy::import_jrnl_legacy_text;
pub use time_format::{COMMON_TIME_FORMATS, JRNL_TIME_FORMAT, TimeFormat, TimeFormatError};

// ---------------------------------------------------------------------------------------
// jrnl JSON
// ---------------------------------------------------------------------------------------

/// Reads jrnl's JSON export (`jrnl --export json`), or Haven's own JSON export.
///
/// A jrnl entry's `date` and `time` are read in `opts.tz`; its text is the title, a
/// newline and the body (as jrnl writes them to its journal file). An entry that carries
/// Haven's `id` (from [`export_json`](super::export_json)) is restored as it was: id, kind, times, author,
/// device, text, tags, people and fields.
pub fn import_jrnl_json(text: &str, opts: &ImportOptions) -> Result<Vec<Entry>, ImportError> {
    let root = parse_json(text)?;
    let items = entries_array(&root, "a jrnl JSON export (`jrnl --export json`)")?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| jrnl_json_entry(v, opts).map_err(|m| ImportError::entry(i, m)))
        .collect()
}

fn jrnl_json_entry(v: &Value, opts: &ImportOptions) -> Result<Entry, String> {
    let obj = v.as_object().ok_or("not an object")?;
    if obj.contains_key("id") {
        return haven_json_entry(obj, opts);
    }
    let title = opt_str(obj, "title")?.unwrap_or("");
    let body = opt_str(obj, "body")?.unwrap_or("");
    let date = opt_str(obj, "date")?.ok_or("`date` is missing")?;
    let time = opt_str(obj, "time")?.unwrap_or("09:00");
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", format!("{date} {time}"))
        .map_err(|_| format!("`date` {date:?} and `time` {time:?} are not YYYY-MM-DD and HH:MM"))?;
    let created = in_zone(dt, &opts.tz)?;
    let tags = string_list(obj, "tags")?;
    let starred = opt_bool(obj, "starred")?;
    jrnl_note(created, join_title(title, body), &tags, starred, opts)
}

/// An entry of Haven's own export, restored as it was.
fn haven_json_entry(obj: &Map<String, Value>, opts: &ImportOptions) -> Result<Entry, String> {
    let id_text = opt_str(obj, "id")?.ok_or("`id` must be a string")?;
    let id: EntryId = id_text.parse().map_err(|e| format!("{e}"))?;
    let kind: EntryKind = opt_str(obj, "kind")?.unwrap_or("note").parse()?;
    let created_text = opt_str(obj, "created")?.ok_or("`created` is missing")?;
    let created = parse_rfc3339(created_text)
        .ok_or_else(|| format!("`created` {created_text:?} is not an RFC 3339 time"))?;
    let edited = match opt_str(obj, "edited")? {
        None => None,
        Some(s) => Some(
            parse_rfc3339(s).ok_or_else(|| format!("`edited` {s:?} is not an RFC 3339 time"))?,
        ),
    };
    let text = match opt_str(obj, "text")? {
        Some(t) => t.to_string(),
        None => join_title(
            opt_str(obj, "title")?.unwrap_or(""),
            opt_str(obj, "body")?.unwrap_or(""),
        ),
    };
    let tags = string_list(obj, "tags")?;
    // The importing device writes (and signs) the entry, so it is its device, whatever
    // the file says: an entry names its signer (`docs/authorship.md`).
    let device = opts.device.clone();
    let author = opt_str(obj, "author")?.unwrap_or(&opts.author).to_string();
    let mut e = Entry::new(kind, id, created, device, text);
    if !tags.is_empty() {
        e.tags = tags;
    }
    e.edited = edited;
    e.author = author;
    e.people = string_list(obj, "people")?;
    e.starred = opt_bool(obj, "starred")?;
    e.fields = fields_from_json(obj.get("fields"))?;
    Ok(e)
}

// ---------------------------------------------------------------------------------------
// jrnl plain text
// ---------------------------------------------------------------------------------------

/// How many date lines the time format is told from.
const DETECT_FROM: usize = 500;

/// A jrnl plain-text journal, read.
#[derive(Clone, Debug, PartialEq)]
pub struct JrnlText {
    /// Its entries, oldest first.
    pub entries: Vec<Entry>,
    /// The `timeformat` its dates were read in: the one given, or the one detected.
    pub time_format: TimeFormat,
}

/// A line that may start an entry: `[blob] ` at the start of a line.
struct DateLine<'a> {
    /// Byte offset of the `[`.
    at: usize,
    /// Byte offset where the entry's text starts, past `] `.
    text_at: usize,
    /// 1-based line number.
    line: usize,
    /// What is between the brackets.
    blob: &'a str,
}

/// Every `[blob] ` at the start of a line, as jrnl 4's parser finds them.
fn date_lines(text: &str) -> Vec<DateLine<'_>> {
    let mut found = Vec::new();
    let mut pos = 0;
    for (index, line_text) in text.split_inclusive('\n').enumerate() {
        if let Some(after) = line_text.strip_prefix('[')
            && let Some(close) = after.find(']')
            && close > 0
            && after[close + 1..].starts_with(' ')
        {
            found.push(DateLine {
                at: pos,
                text_at: pos + close + 3,
                line: index + 1,
                blob: &after[..close],
            });
        }
        pos += line_text.len();
    }
    found
}

/// Reads a jrnl plain-text journal file, as jrnl 4's `Journal._parse` does.
///
/// An entry starts at a line `[<date in the time format>] Title`; a title line ending in
/// `*` marks it starred; the lines up to the next date line are its body. Dates are read
/// in `opts.tz`, in `time_format` when given, else in the one of
/// [`COMMON_TIME_FORMATS`](super::COMMON_TIME_FORMATS) that reads the journal
/// ([`TimeFormat::detect`]). Text before the first entry, or a bracketed line that starts
/// like a date but does not parse, is an error naming the line.
pub fn import_jrnl_text(
    text: &str,
    time_format: Option<&TimeFormat>,
    opts: &ImportOptions,
) -> Result<JrnlText, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let candidates = date_lines(text);
    let format = match time_format {
        Some(format) => format.clone(),
        None => {
            // The first date lines tell the format; a long journal is not read 13 times.
            let dated: Vec<&str> = candidates
                .iter()
                .map(|c| c.blob)
                .filter(|b| b.starts_with(|c: char| c.is_ascii_alphanumeric()))
                .take(DETECT_FROM)
                .collect();
            match TimeFormat::detect(&dated) {
                Some(format) => format,
                None => match candidates.iter().find(|c| Some(&c.blob) == dated.first()) {
                    Some(first) => {
                        return Err(ImportError::UnknownTimeFormat {
                            line: first.line,
                            blob: first.blob.chars().take(40).collect(),
                        });
                    }
                    // No date line at all: reported below as text before the first entry.
                    None => TimeFormat::new(JRNL_TIME_FORMAT)?,
                },
            }
        }
    };
    // (where the date line starts, where its text starts, line, date); an entry's text
    // runs to the newline that precedes the next date line.
    let mut starts: Vec<(usize, usize, usize, jiff::civil::DateTime)> = Vec::new();
    for c in &candidates {
        match format.parse(c.blob) {
            Some(dt) => starts.push((c.at, c.text_at, c.line, dt)),
            None if c.blob.starts_with(|c: char| c.is_ascii_digit()) => {
                return Err(ImportError::Line {
                    line: c.line,
                    message: format!(
                        "`[{}]` is not a date in the format `{}`",
                        c.blob.chars().take(40).collect::<String>(),
                        format.as_str()
                    ),
                });
            }
            None => {}
        }
    }
    let first = starts.first().map_or(text.len(), |s| s.0);
    if !text[..first].trim().is_empty() {
        let skip = text[..first].len() - text[..first].trim_start().len();
        let line = text[..skip].matches('\n').count() + 1;
        return Err(ImportError::Line {
            line,
            message: if starts.is_empty() {
                "no `[date] title` line found; is this a jrnl journal file?".to_string()
            } else {
                "text before the first `[date] title` line".to_string()
            },
        });
    }
    let mut entries = Vec::with_capacity(starts.len());
    for (i, &(_, body_start, line, dt)) in starts.iter().enumerate() {
        let end = match starts.get(i + 1) {
            Some(next) => next.0.saturating_sub(1).max(body_start),
            None => text.len(),
        };
        let raw = &text[body_start..end];
        let (raw, starred) = jrnl_star(raw);
        let (title, body) = split_title(&raw);
        let err = |message: String| ImportError::Line { line, message };
        let created = in_zone(dt, &opts.tz).map_err(err)?;
        entries
            .push(jrnl_note(created, join_title(&title, &body), &[], starred, opts).map_err(err)?);
    }
    entries.sort_by_key(|e| e.created.unix_ms);
    Ok(JrnlText {
        entries,
        time_format: format,
    })
}

/// A note imported from jrnl. Its id is made from the time to the minute, the precision
/// of jrnl's JSON export, so that a journal file written with seconds and its export give
/// each entry one id.
pub(super) fn jrnl_note(
    created: Timestamp,
    text: String,
    tags: &[String],
    starred: bool,
    opts: &ImportOptions,
) -> Result<Entry, String> {
    let minute = created.unix_ms - created.unix_ms.rem_euclid(60_000);
    imported_note("jrnl", minute, created, text, tags, starred, opts)
}

/// jrnl's star rule: a first line ending in `*` marks the entry starred, and the first
/// line loses its surrounding spaces, newlines and asterisks.
pub(super) fn jrnl_star(raw: &str) -> (String, bool) {
    let mut lines = raw.lines();
    let first = lines.next().unwrap_or("");
    if !first.trim().ends_with('*') {
        return (raw.to_string(), false);
    }
    let rest: Vec<&str> = lines.collect();
    let first = first.trim_matches(|c| c == '\n' || c == ' ' || c == '*');
    (format!("{first}\n{}", rest.join("\n")), true)
}
