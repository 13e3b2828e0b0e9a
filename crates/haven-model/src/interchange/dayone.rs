//! Day One: the `Journal.json` of its JSON export.

use serde_json::Value;

use super::json::{entries_array, opt_bool, opt_str, parse_json, string_list};
use super::{ImportError, ImportOptions, imported_note};
use crate::entry::{Entry, Timestamp};
/// Removes Day One's Markdown escapes: a backslash before ASCII punctuation.
fn unescape_dayone(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && next.is_ascii_punctuation()
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// Reads the `Journal.json` of a Day One JSON export.
///
/// Each entry's `creationDate` (ISO 8601, UTC) is placed in its `timeZone` when jiff
/// knows that zone, else in UTC. Markdown escapes (`\.`) are removed from the text; tags
/// get a `#` (spaces in a tag become `-`); `starred` is kept; a `modifiedDate` later
/// than the creation becomes the edited time.
pub fn import_dayone_json(text: &str, opts: &ImportOptions) -> Result<Vec<Entry>, ImportError> {
    let root = parse_json(text)?;
    let items = entries_array(&root, "a Day One JSON export (Journal.json)")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        out.push(dayone_entry(v, opts).map_err(|m| ImportError::entry(i, m))?);
    }
    out.sort_by_key(|e| e.created.unix_ms);
    Ok(out)
}

fn dayone_time(s: &str, tz: &jiff::tz::TimeZone) -> Option<Timestamp> {
    let instant: jiff::Timestamp = s.parse().ok()?;
    Some(Timestamp {
        unix_ms: instant.as_millisecond(),
        offset_secs: tz.to_offset(instant).seconds(),
    })
}

fn dayone_entry(v: &Value, opts: &ImportOptions) -> Result<Entry, String> {
    let obj = v.as_object().ok_or("not an object")?;
    let tz = opt_str(obj, "timeZone")?
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let date = opt_str(obj, "creationDate")?.ok_or("`creationDate` is missing")?;
    let created = dayone_time(date, &tz)
        .ok_or_else(|| format!("`creationDate` {date:?} is not an ISO 8601 time"))?;
    let text = unescape_dayone(opt_str(obj, "text")?.unwrap_or("").trim_end());
    let tags: Vec<String> = string_list(obj, "tags")?
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|t| {
            let t: String = t
                .chars()
                .map(|c| if c.is_whitespace() { '-' } else { c })
                .collect();
            if t.starts_with('#') {
                t
            } else {
                format!("#{t}")
            }
        })
        .collect();
    let starred = opt_bool(obj, "starred")?;
    let mut e = imported_note(
        "dayone",
        created.unix_ms,
        created,
        text,
        &tags,
        starred,
        opts,
    )?;
    if let Some(modified) = opt_str(obj, "modifiedDate")?.and_then(|s| dayone_time(s, &tz))
        && modified.unix_ms > created.unix_ms + 1000
    {
        e.edited = Some(modified);
    }
    Ok(e)
}
