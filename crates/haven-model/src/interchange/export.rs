//! Export: Haven's JSON (a superset of jrnl's) and a Markdown document grouped by day.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::split_title;
use crate::fields::{display_value, fields_of, label_of};

use crate::entry::{Entry, FieldValue, Fields, Timestamp};
fn oldest_first(entries: &[Entry]) -> Vec<&Entry> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.created.unix_ms, e.id));
    sorted
}

/// The entry's time on the writer's clock, or in `tz` when its offset is unusable.
fn local(ts: &Timestamp, tz: &jiff::tz::TimeZone) -> Option<jiff::Zoned> {
    ts.writer_local()
        .or_else(|| Some(ts.instant()?.to_zoned(tz.clone())))
}

/// Structured fields as a JSON object (ints, bools, strings, string arrays).
pub fn fields_to_json(fields: &Fields) -> Value {
    let map = fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                FieldValue::Int(i) => json!(i),
                FieldValue::Bool(b) => json!(b),
                FieldValue::Text(t) => json!(t),
                FieldValue::List(l) => json!(l),
            };
            (k.clone(), v)
        })
        .collect::<Map<_, _>>();
    Value::Object(map)
}

/// One entry in the export's shape.
fn entry_to_json(e: &Entry, tz: &jiff::tz::TimeZone) -> Value {
    // jrnl reads each entry back from its file with a trailing newline, so its export
    // takes the whole first line as the title; do the same so the two exports agree.
    let (title, body) = split_title(&format!("{}\n", e.text));
    let when = local(&e.created, tz);
    let date = when
        .as_ref()
        .map(|z| z.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let time = when
        .as_ref()
        .map(|z| z.strftime("%H:%M").to_string())
        .unwrap_or_default();
    json!({
        "title": title,
        "body": body,
        "date": date,
        "time": time,
        "tags": e.tags,
        "starred": e.starred,
        "id": e.id.to_string(),
        "kind": e.kind.as_str(),
        "created": e.created.to_rfc3339(),
        "edited": e.edited.map(|t| t.to_rfc3339()),
        "author": e.author,
        "device": e.device,
        "people": e.people,
        "text": e.text,
        "fields": fields_to_json(&e.fields),
    })
}

/// The journal as JSON: a superset of `jrnl --export json`.
///
/// `{"tags": {"#calm": 2, ...}, "entries": [...]}` with entries oldest first. `title` is
/// the text's first line and `body` the rest, as jrnl exports the same entry. `date` and
/// `time` are the writer's own wall-clock time (`tz` is only used for an entry whose
/// stored offset is unusable). A tag's count is the number of entries carrying it, as in
/// jrnl.
pub fn export_json(entries: &[Entry], tz: &jiff::tz::TimeZone) -> Value {
    let sorted = oldest_first(entries);
    let mut tags: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &sorted {
        let mut seen: Vec<&str> = Vec::new();
        for t in &e.tags {
            if !seen.contains(&t.as_str()) {
                seen.push(t);
                *tags.entry(t).or_default() += 1;
            }
        }
    }
    json!({
        "tags": tags,
        "entries": sorted.iter().map(|e| entry_to_json(e, tz)).collect::<Vec<_>>(),
    })
}

/// Writes the same JSON as [`export_json`] entry by entry into `out`, without building the
/// whole document in memory first (an export of 100,000 entries stays small and fast).
pub fn write_json(
    entries: &[Entry],
    tz: &jiff::tz::TimeZone,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let sorted = oldest_first(entries);
    let mut tags: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &sorted {
        let mut seen: Vec<&str> = Vec::new();
        for t in &e.tags {
            if !seen.contains(&t.as_str()) {
                seen.push(t);
                *tags.entry(t).or_default() += 1;
            }
        }
    }
    out.write_all(b"{\n  \"tags\": ")?;
    serde_json::to_writer(&mut *out, &tags)?;
    out.write_all(b",\n  \"entries\": [")?;
    for (i, e) in sorted.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &entry_to_json(e, tz))?;
    }
    out.write_all(b"\n  ]\n}\n")
}

/// A field key as a label: `needs_respected` -> `Needs respected`.
/// The journal as Markdown: a heading per day, one per entry (time, kind, a star), the
/// text, then the structured fields, tags and people as short labelled lines.
///
/// Times are the writer's own; when the writer's offset differs from `tz`'s at that
/// moment it is shown next to the time.
pub fn export_markdown(entries: &[Entry], tz: &jiff::tz::TimeZone) -> String {
    let sorted = oldest_first(entries);
    let repair_states: std::collections::HashMap<_, _> = crate::repair::repairs(entries)
        .into_iter()
        .map(|r| (r.entry.id, r.state))
        .collect();
    let mut out = String::from("# Haven journal\n");
    let mut day = String::new();
    for e in sorted {
        let when = local(&e.created, tz);
        let this_day = when
            .as_ref()
            .map(|z| z.strftime("%A %-d %B %Y").to_string())
            .unwrap_or_else(|| "Unknown date".to_string());
        if this_day != day {
            out.push_str(&format!("\n## {this_day}\n"));
            day = this_day;
        }
        let mut time = when
            .as_ref()
            .map(|z| z.strftime("%H:%M").to_string())
            .unwrap_or_else(|| "??:??".to_string());
        if let (Some(z), Some(instant)) = (&when, e.created.instant())
            && tz.to_offset(instant) != z.offset()
        {
            time.push_str(&format!(" ({})", z.strftime("%:z")));
        }
        let star = if e.starred { " ★" } else { "" };
        out.push_str(&format!("\n### {time} · {}{star}\n\n", e.kind.as_str()));
        let text = e.text.trim_end();
        if !text.is_empty() {
            out.push_str(text);
            out.push_str("\n\n");
        }
        let mut lines: Vec<String> = Vec::new();
        // The practice's own order and labels (`data/fields.toml`); a repair's state as
        // the one rule reads it, answers included.
        for (spec, key, value) in fields_of(e.kind).ordered(&e.fields) {
            let shown = match repair_states.get(&e.id) {
                Some(state) if key == crate::fields::key::STATE => state.as_str().to_string(),
                _ => display_value(spec, value, tz),
            };
            lines.push(format!("- **{}:** {shown}", label_of(spec, key)));
        }
        if !e.people.is_empty() {
            lines.push(format!("- **People:** {}", e.people.join(", ")));
        }
        if !e.tags.is_empty() {
            lines.push(format!("- **Tags:** {}", e.tags.join(" ")));
        }
        if !e.author.is_empty() {
            lines.push(format!("- **By:** {}", e.author));
        }
        if let Some(edited) = e.edited.and_then(|t| local(&t, tz)) {
            lines.push(format!(
                "- **Edited:** {}",
                edited.strftime("%Y-%m-%d %H:%M")
            ));
        }
        lines.push(format!("- **Id:** `{}`", e.id));
        out.push_str(&lines.join("\n"));
        out.push('\n');
    }
    out
}
