//! jrnl: its JSON export and its plain-text journal file.

use serde_json::{Map, Value};

use super::json::{entries_array, fields_from_json, opt_bool, opt_str, parse_json, string_list};
use super::{
    ImportError, ImportOptions, imported_note, in_zone, join_title, parse_rfc3339, split_title,
};
use crate::entry::{Entry, EntryId, EntryKind};
// ---------------------------------------------------------------------------------------
// jrnl JSON
// ---------------------------------------------------------------------------------------

/// Reads jrnl's JSON export (`jrnl --export json`), or Haven's own JSON export.
///
/// A jrnl entry's `date` and `time` are read in `opts.tz`; its text is the title, a
/// newline and the body (as jrnl writes them to its journal file). An entry that carries
/// Haven's `id` (from [`export_json`]) is restored as it was: id, kind, times, author,
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
    imported_note(
        "jrnl",
        created,
        join_title(title, body),
        &tags,
        starred,
        opts,
    )
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

/// Parses a jrnl date blob: `time_format`, or its date part alone at jrnl's default 09:00.
fn parse_jrnl_date(blob: &str, time_format: &str) -> Option<jiff::civil::DateTime> {
    if let Ok(dt) = jiff::civil::DateTime::strptime(time_format, blob) {
        return Some(dt);
    }
    let date = jiff::civil::Date::strptime(time_format, blob).ok()?;
    Some(date.at(9, 0, 0, 0))
}

/// Reads a jrnl plain-text journal file, as jrnl 4's `Journal._parse` does.
///
/// An entry starts at a line `[<date in time_format>] Title`; a title line ending in `*`
/// marks it starred; the lines up to the next date line are its body. Dates are read in
/// `opts.tz`. Text before the first entry, or a bracketed line that starts like a date
/// but does not parse, is an error naming the line.
pub fn import_jrnl_text(
    text: &str,
    time_format: &str,
    opts: &ImportOptions,
) -> Result<Vec<Entry>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // (byte offset where the entry text starts, line, date); an entry's text runs to the
    // newline that precedes the next date line.
    let mut starts: Vec<(usize, usize, usize, jiff::civil::DateTime)> = Vec::new();
    let mut line = 1;
    let mut pos = 0;
    while pos <= text.len() {
        let rest = &text[pos..];
        if let Some(after) = rest.strip_prefix('[')
            && let Some(close) = after.find(']')
            && close > 0
            && !after[..close].contains('\n')
            && after[close + 1..].starts_with(' ')
        {
            let blob = &after[..close];
            match parse_jrnl_date(blob, time_format) {
                Some(dt) => starts.push((pos, pos + close + 3, line, dt)),
                None if blob.starts_with(|c: char| c.is_ascii_digit()) => {
                    return Err(ImportError::Line {
                        line,
                        message: format!(
                            "`[{}]` is not a date in the format `{time_format}`",
                            blob.chars().take(40).collect::<String>()
                        ),
                    });
                }
                None => {}
            }
        }
        match rest.find('\n') {
            Some(nl) => {
                pos += nl + 1;
                line += 1;
            }
            None => break,
        }
    }
    let first = starts.first().map_or(text.len(), |s| s.0);
    if !text[..first].trim().is_empty() {
        let skip = text[..first].len() - text[..first].trim_start().len();
        let line = text[..skip].matches('\n').count() + 1;
        return Err(ImportError::Line {
            line,
            message: if starts.is_empty() {
                format!(
                    "no `[date] title` line found (dates in the format `{time_format}`); is this a jrnl journal file?"
                )
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
        entries.push(
            imported_note(
                "jrnl",
                created,
                join_title(&title, &body),
                &[],
                starred,
                opts,
            )
            .map_err(err)?,
        );
    }
    entries.sort_by_key(|e| e.created.unix_ms);
    Ok(entries)
}

/// jrnl's star rule: a first line ending in `*` marks the entry starred, and the first
/// line loses its surrounding spaces, newlines and asterisks.
fn jrnl_star(raw: &str) -> (String, bool) {
    let mut lines = raw.lines();
    let first = lines.next().unwrap_or("");
    if !first.trim().ends_with('*') {
        return (raw.to_string(), false);
    }
    let rest: Vec<&str> = lines.collect();
    let first = first.trim_matches(|c| c == '\n' || c == ' ' || c == '*');
    (format!("{first}\n{}", rest.join("\n")), true)
}
