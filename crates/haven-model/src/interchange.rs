//! Moving entries in and out of Haven: export to JSON or Markdown, import from jrnl and
//! Day One.
//!
//! Everything here is pure: text in, entries out (or entries in, text out). The CLI reads
//! and writes the files.
//!
//! * [`export_json`] writes a superset of jrnl's JSON export (`jrnl --export json`): a
//!   top-level `tags` object (tag to number of entries) and an `entries` array, oldest
//!   first. Each entry has jrnl's keys (`title`, `body`, `date`, `time`, `tags`,
//!   `starred`) and Haven's own (`id`, `kind`, `created`, `edited`, `author`, `device`,
//!   `people`, `text`, `fields`).
//! * [`export_markdown`] writes a readable document grouped by day.
//! * [`import_jrnl_json`] reads jrnl's JSON export, and Haven's own export losslessly (an
//!   entry carrying Haven's `id` keeps its id, kind, times, text and fields).
//! * [`import_jrnl_text`] reads jrnl's plain-text journal file.
//! * [`import_dayone_json`] reads the `Journal.json` of a Day One export.
//!
//! Imported entries get deterministic ids ([`import_id`]): the ULID's time part is the
//! entry's time and its random part a hash of the source, the time and the text. Importing
//! the same file twice therefore adds nothing the second time.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::entry::{Entry, EntryId, EntryKind, FieldValue, Fields, Timestamp};

/// jrnl's default `timeformat`, used by its plain-text journal files.
pub const JRNL_TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

/// What every importer needs to know about the importing device.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The importing device's id (hex); becomes each entry's `device`.
    pub device: String,
    /// The importing person's name; becomes each entry's `author`.
    pub author: String,
    /// The zone that jrnl's zone-less dates and times are read in (the importer's zone).
    pub tz: jiff::tz::TimeZone,
}

/// A file that could not be imported. Nothing of it should be kept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// The text is not JSON at all.
    #[error("not valid JSON (line {line}, column {column}): {message}")]
    Json {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The JSON is valid but not shaped like the expected export.
    #[error("{0}")]
    Shape(String),
    /// One entry of a JSON export is malformed.
    #[error("entry {number} (entries[{index}]): {message}")]
    Entry {
        /// 0-based index into the `entries` array.
        index: usize,
        /// 1-based entry number, for people.
        number: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A line of a plain-text journal is malformed.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

impl ImportError {
    fn entry(index: usize, message: impl Into<String>) -> Self {
        ImportError::Entry {
            index,
            number: index + 1,
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Title and body, the way jrnl splits them
// ---------------------------------------------------------------------------------------

/// Sentence terminals that need whitespace after them (jrnl's `SENTENCE_SPLITTER`).
const TERMINALS: &[char] = &[
    '.', '!', '?', '\u{2026}', '\u{203C}', '\u{203D}', '\u{2047}', '\u{2048}', '\u{2049}',
    '\u{22EF}', '\u{FE52}', '\u{FE57}',
];
/// CJK terminals that end a sentence on their own.
const CJK_TERMINALS: &[char] = &['\u{FF01}', '\u{FF0E}', '\u{FF1F}', '\u{FF61}', '\u{3002}'];
const RIGHT_QUOTES: &[char] = &['\'', '\u{2019}', '"', '\u{201D}'];

/// Where jrnl's sentence splitter first matches in `chars`: the index just past the match.
fn sentence_end(chars: &[char]) -> Option<usize> {
    for (p, c) in chars.iter().enumerate() {
        if CJK_TERMINALS.contains(c) {
            return Some(p + 1);
        }
        if !TERMINALS.contains(c) {
            continue;
        }
        let mut j = p + 1;
        if chars.get(j).is_some_and(|q| RIGHT_QUOTES.contains(q)) {
            j += 1;
        }
        while chars.get(j).is_some_and(|b| *b == ']' || *b == ')') {
            j += 1;
        }
        let ws_start = j;
        while chars.get(j).is_some_and(|w| w.is_whitespace()) {
            j += 1;
        }
        if j > ws_start {
            return Some(j);
        }
    }
    None
}

/// Splits text into a title and a body exactly as jrnl 4 does (`split_title`): up to the
/// first newline when there is one, else the first sentence; both trimmed.
pub fn split_title(text: &str) -> (String, String) {
    let chars: Vec<char> = text.chars().collect();
    let lead = chars.iter().take_while(|c| c.is_whitespace()).count();
    // jrnl searches the left-trimmed text but cuts the untrimmed one at that index.
    let end = match chars[lead..].iter().position(|c| *c == '\n') {
        Some(i) => Some(i + 1),
        None => sentence_end(&chars),
    };
    match end {
        Some(end) => {
            let end = end.min(chars.len());
            let title: String = chars[..end].iter().collect();
            let body: String = chars[end..].iter().collect();
            (title.trim().to_string(), body.trim().to_string())
        }
        None => (text.to_string(), String::new()),
    }
}

/// The text jrnl would show for a title and body: the title, a newline, the body.
fn join_title(title: &str, body: &str) -> String {
    let (title, body) = (title.trim_end(), body.trim_end());
    if body.is_empty() {
        title.to_string()
    } else {
        format!("{title}\n{body}")
    }
}

// ---------------------------------------------------------------------------------------
// Deterministic ids
// ---------------------------------------------------------------------------------------

/// A 128-bit FNV-1a hash of length-prefixed parts, finished with a multiply-xorshift mix
/// so that every bit of the result depends on every input byte.
fn stable_hash(parts: &[&[u8]]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u128::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for part in parts {
        feed(&(part.len() as u64).to_le_bytes());
        feed(part);
    }
    // Finaliser: FNV's high bits mix poorly on short inputs.
    h ^= h >> 67;
    h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
    h ^= h >> 61;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9_94d0_49bb_1331_11eb);
    h ^ (h >> 64)
}

/// The id an imported entry gets: a ULID whose time part is `unix_ms` and whose 80
/// random bits are a stable hash of `(source, unix_ms, text)`. The same entry imported
/// twice gets the same id. `None` for times before 1970, which a ULID cannot hold.
pub fn import_id(source: &str, unix_ms: i64, text: &str) -> Option<EntryId> {
    let ms = u64::try_from(unix_ms).ok()?;
    let hash = stable_hash(&[
        source.as_bytes(),
        unix_ms.to_string().as_bytes(),
        text.as_bytes(),
    ]);
    Some(EntryId::from_parts(ms, hash & ((1u128 << 80) - 1)))
}

// ---------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------

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
fn label(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn field_text(key: &str, value: &FieldValue, tz: &jiff::tz::TimeZone) -> String {
    match value {
        FieldValue::Int(ms) if key == crate::fields::key::RETURN_AT => {
            match jiff::Timestamp::from_millisecond(*ms) {
                Ok(t) => t
                    .to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string(),
                Err(_) => ms.to_string(),
            }
        }
        FieldValue::Int(i) => i.to_string(),
        FieldValue::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        FieldValue::Text(t) => t.replace('\n', " "),
        FieldValue::List(l) => l.join(", "),
    }
}

/// The journal as Markdown: a heading per day, one per entry (time, kind, a star), the
/// text, then the structured fields, tags and people as short labelled lines.
///
/// Times are the writer's own; when the writer's offset differs from `tz`'s at that
/// moment it is shown next to the time.
pub fn export_markdown(entries: &[Entry], tz: &jiff::tz::TimeZone) -> String {
    let sorted = oldest_first(entries);
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
        for (key, value) in &e.fields {
            lines.push(format!(
                "- **{}:** {}",
                label(key),
                field_text(key, value, tz)
            ));
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

// ---------------------------------------------------------------------------------------
// Import helpers
// ---------------------------------------------------------------------------------------

/// The tags of `text`, then those of `extra` not already there (case-insensitively).
fn merge_tags(text: &str, extra: &[String]) -> Vec<String> {
    let mut tags = crate::tags::extract(text);
    for t in extra {
        let t = t.trim();
        if t.chars().count() >= 2 && !tags.iter().any(|k| k.to_lowercase() == t.to_lowercase()) {
            tags.push(t.to_string());
        }
    }
    tags
}

/// A note from an outside source, with its deterministic id.
fn imported_note(
    source: &str,
    created: Timestamp,
    text: String,
    source_tags: &[String],
    starred: bool,
    opts: &ImportOptions,
) -> Result<Entry, String> {
    let id = import_id(source, created.unix_ms, &text)
        .ok_or_else(|| "dates before 1970 cannot be stored".to_string())?;
    let tags = merge_tags(&text, source_tags);
    let mut e = Entry::note(id, created, opts.device.clone(), text);
    e.tags = tags;
    e.author = opts.author.clone();
    e.starred = starred;
    Ok(e)
}

/// A civil date and time read in `tz`, with the offset in force then.
fn in_zone(dt: jiff::civil::DateTime, tz: &jiff::tz::TimeZone) -> Result<Timestamp, String> {
    let z = dt
        .to_zoned(tz.clone())
        .map_err(|e| format!("{dt} cannot be placed in the time zone: {e}"))?;
    Ok(Timestamp {
        unix_ms: z.timestamp().as_millisecond(),
        offset_secs: z.offset().seconds(),
    })
}

/// RFC 3339 text (as Haven exports it) back to a timestamp with its offset.
fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let instant: jiff::Timestamp = s.parse().ok()?;
    let offset_secs = if s.ends_with('Z') || s.ends_with('z') {
        0
    } else {
        let tail = s.get(s.len().checked_sub(6)?..)?;
        let sign = match tail.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hours: i32 = tail.get(1..3)?.parse().ok()?;
        let minutes: i32 = tail.get(4..6)?.parse().ok()?;
        sign * (hours * 3600 + minutes * 60)
    };
    Some(Timestamp {
        unix_ms: instant.as_millisecond(),
        offset_secs,
    })
}

fn parse_json(text: &str) -> Result<Value, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| ImportError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

fn entries_array<'a>(root: &'a Value, what: &str) -> Result<&'a Vec<Value>, ImportError> {
    root.get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ImportError::Shape(format!(
                "no `entries` array at the top level; is this {what}?"
            ))
        })
}

/// A list of strings, or an error naming the key.
fn string_list(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{key}` must be a list of strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be a list of strings")),
    }
}

fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

fn fields_from_json(value: Option<&Value>) -> Result<Fields, String> {
    let mut fields = Fields::new();
    let obj = match value {
        None | Some(Value::Null) => return Ok(fields),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err("`fields` must be an object".into()),
    };
    for (key, v) in obj {
        let value = match v {
            Value::Bool(b) => FieldValue::Bool(*b),
            Value::Number(n) => FieldValue::Int(
                n.as_i64()
                    .ok_or_else(|| format!("field `{key}` must be a whole number"))?,
            ),
            Value::String(s) => FieldValue::Text(s.clone()),
            Value::Array(items) => FieldValue::List(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("field `{key}` must be a list of strings"))?,
            ),
            _ => return Err(format!("field `{key}` has an unsupported value")),
        };
        fields.insert(key.clone(), value);
    }
    Ok(fields)
}

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

// ---------------------------------------------------------------------------------------
// Day One
// ---------------------------------------------------------------------------------------

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
    let mut e = imported_note("dayone", created, text, &tags, starred, opts)?;
    if let Some(modified) = opt_str(obj, "modifiedDate")?.and_then(|s| dayone_time(s, &tz))
        && modified.unix_ms > created.unix_ms + 1000
    {
        e.edited = Some(modified);
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ImportOptions {
        ImportOptions {
            device: "dev1".into(),
            author: "Robin".into(),
            tz: jiff::tz::TimeZone::get("Europe/Berlin").unwrap(),
        }
    }

    fn note(ms: i64, offset: i32, text: &str, starred: bool) -> Entry {
        let created = Timestamp {
            unix_ms: ms,
            offset_secs: offset,
        };
        let mut e = imported_note("test", created, text.into(), &[], starred, &opts()).unwrap();
        e.device = "dev0".into();
        e
    }

    fn samples() -> Vec<Entry> {
        let mut checkin = note(
            1_700_000_100_000,
            3600,
            "Tight chest before the call.",
            false,
        );
        checkin.kind = EntryKind::Checkin;
        checkin
            .fields
            .insert("feelings".into(), FieldValue::List(vec!["anxious".into()]));
        checkin
            .fields
            .insert("intensity".into(), FieldValue::Int(6));
        checkin
            .fields
            .insert("received".into(), FieldValue::Bool(true));
        checkin.people = vec!["Sam".into()];
        vec![
            note(
                1_700_000_000_000,
                3600,
                "Über den Tag: ruhig. #ruhe\nZweite Zeile mit @Sam\n\nund 日本語。",
                true,
            ),
            note(1_700_003_600_000, -5 * 3600, "One line only #calm", false),
            note(
                1_700_007_200_000,
                0,
                "First sentence. Second one #calm #work",
                false,
            ),
            checkin,
        ]
    }

    #[test]
    fn split_title_matches_jrnl() {
        assert_eq!(
            split_title("Hello there. More text"),
            ("Hello there.".into(), "More text".into())
        );
        assert_eq!(
            split_title("Line one\nline two. x"),
            ("Line one".into(), "line two. x".into())
        );
        assert_eq!(
            split_title("no terminal"),
            ("no terminal".into(), "".into())
        );
        assert_eq!(
            split_title("Quoted!\" then)"),
            ("Quoted!\"".into(), "then)".into())
        );
        assert_eq!(
            split_title("日本語。続き"),
            ("日本語。".into(), "続き".into())
        );
        assert_eq!(
            split_title("v1.2 is out"),
            ("v1.2 is out".into(), "".into())
        );
    }

    #[test]
    fn export_json_has_jrnl_keys_and_tag_counts() {
        let v = export_json(&samples(), &jiff::tz::TimeZone::UTC);
        assert_eq!(v["tags"]["#calm"], 2);
        assert_eq!(v["tags"]["#ruhe"], 1);
        let first = &v["entries"][0];
        assert_eq!(first["title"], "Über den Tag: ruhig. #ruhe");
        assert_eq!(first["body"], "Zweite Zeile mit @Sam\n\nund 日本語。");
        // 1_700_000_000_000 ms is 2023-11-14 22:13:20 UTC; the writer was at +01:00.
        assert_eq!(first["date"], "2023-11-14");
        assert_eq!(first["time"], "23:13");
        assert_eq!(first["starred"], true);
        assert_eq!(first["created"], "2023-11-14T23:13:20.000+01:00");
        assert_eq!(v["entries"][1]["kind"], "checkin");
        assert_eq!(v["entries"][1]["fields"]["intensity"], 6);
        let third = &v["entries"][3];
        assert_eq!(third["title"], "First sentence. Second one #calm #work");
        assert_eq!(third["body"], "");
        for key in [
            "title", "body", "date", "time", "tags", "starred", "id", "kind", "created", "edited",
            "author", "device", "people", "text", "fields",
        ] {
            assert!(first.get(key).is_some(), "missing {key}");
        }
    }

    #[test]
    fn haven_json_round_trips_losslessly_but_for_the_importing_device() {
        let entries = samples();
        let text = serde_json::to_string(&export_json(&entries, &jiff::tz::TimeZone::UTC)).unwrap();
        let mut back = import_jrnl_json(&text, &opts()).unwrap();
        back.sort_by_key(|e| e.id);
        let mut want = entries.clone();
        want.sort_by_key(|e| e.id);
        // The device that imports writes and signs them: they are its entries now.
        for e in &mut want {
            e.device = opts().device;
        }
        assert_eq!(back, want);
    }

    /// Haven's export with only jrnl's keys left, as jrnl itself would have it.
    fn strip_to_jrnl(v: &Value) -> String {
        let mut v = v.clone();
        for e in v["entries"].as_array_mut().unwrap() {
            let obj = e.as_object_mut().unwrap();
            obj.retain(|k, _| {
                ["title", "body", "date", "time", "tags", "starred"].contains(&k.as_str())
            });
        }
        serde_json::to_string_pretty(&v).unwrap()
    }

    #[test]
    fn jrnl_json_import_rebuilds_text_tags_and_stars() {
        let utc = ImportOptions {
            tz: jiff::tz::TimeZone::fixed(jiff::tz::offset(1)),
            ..opts()
        };
        let v = export_json(&samples()[..1], &jiff::tz::TimeZone::UTC);
        let back = import_jrnl_json(&strip_to_jrnl(&v), &utc).unwrap();
        assert_eq!(back.len(), 1);
        let e = &back[0];
        assert_eq!(
            e.text,
            "Über den Tag: ruhig. #ruhe\nZweite Zeile mit @Sam\n\nund 日本語。"
        );
        assert_eq!(e.created.unix_ms, 1_699_999_980_000); // minutes only
        assert_eq!(e.created.offset_secs, 3600);
        assert!(e.starred);
        assert_eq!(e.tags, vec!["#ruhe", "@Sam"]);
        assert_eq!(e.kind, EntryKind::Note);
        assert_eq!(e.author, "Robin");
        assert_eq!(e.device, "dev1");
    }

    #[test]
    fn jrnl_text_import_reads_stars_bodies_and_unicode() {
        let journal = "[2024-01-02 09:15] Morgen mit Kaffee. #ruhe *\nZweite Zeile.\n\nDritte — ok @Sam\n\n[2024-01-03 21:00] Only a title\n\n[2024-01-04 07:05] 日本語のタイトル。本文\n";
        let entries = import_jrnl_text(journal, JRNL_TIME_FORMAT, &opts()).unwrap();
        assert_eq!(entries.len(), 3);
        assert!(entries[0].starred);
        assert_eq!(
            entries[0].text,
            "Morgen mit Kaffee. #ruhe\nZweite Zeile.\n\nDritte — ok @Sam"
        );
        assert_eq!(entries[0].tags, vec!["#ruhe", "@Sam"]);
        assert_eq!(
            entries[0].created.writer_local().unwrap().to_string(),
            "2024-01-02T09:15:00+01:00[+01:00]"
        );
        assert!(!entries[1].starred);
        assert_eq!(entries[1].text, "Only a title");
        // The trailing newline makes jrnl take the whole line as the title.
        assert_eq!(entries[2].text, "日本語のタイトル。本文");
    }

    #[test]
    fn jrnl_text_and_json_of_one_journal_get_the_same_ids() {
        let journal =
            "[2024-01-02 09:15] Title here. #a *\nBody line\n\n[2024-01-03 21:00] Second\n";
        let from_text = import_jrnl_text(journal, JRNL_TIME_FORMAT, &opts()).unwrap();
        let json = r##"{"tags": {"#a": 1}, "entries": [
          {"title": "Title here. #a", "body": "Body line", "date": "2024-01-02", "time": "09:15", "tags": ["#a"], "starred": true},
          {"title": "Second", "body": "", "date": "2024-01-03", "time": "21:00", "tags": [], "starred": false}]}"##;
        let from_json = import_jrnl_json(json, &opts()).unwrap();
        assert_eq!(from_text, from_json);
    }

    #[test]
    fn ids_are_deterministic() {
        let a = import_id("jrnl", 1_700_000_000_000, "same text").unwrap();
        assert_eq!(
            a,
            import_id("jrnl", 1_700_000_000_000, "same text").unwrap()
        );
        assert_eq!(a.unix_ms(), 1_700_000_000_000);
        assert_ne!(
            a,
            import_id("jrnl", 1_700_000_000_000, "same text!").unwrap()
        );
        assert_ne!(
            a,
            import_id("dayone", 1_700_000_000_000, "same text").unwrap()
        );
        assert_ne!(
            a,
            import_id("jrnl", 1_700_000_000_001, "same text").unwrap()
        );
        assert!(import_id("jrnl", -1, "before 1970").is_none());
        let journal = "[2024-01-02 09:15] A\n\n[2024-01-02 09:15] B\n";
        let once = import_jrnl_text(journal, JRNL_TIME_FORMAT, &opts()).unwrap();
        let twice = import_jrnl_text(journal, JRNL_TIME_FORMAT, &opts()).unwrap();
        assert_eq!(once, twice);
        assert_ne!(once[0].id, once[1].id);
    }

    #[test]
    fn malformed_jrnl_text_names_the_line() {
        let err = import_jrnl_text(
            "preamble\n[2024-01-02 09:15] A\n",
            JRNL_TIME_FORMAT,
            &opts(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: text before the first `[date] title` line"
        );
        let err = import_jrnl_text(
            "[2024-01-02 09:15] A\nbody\n\n[2024-13-40 09:15] B\n",
            JRNL_TIME_FORMAT,
            &opts(),
        )
        .unwrap_err();
        assert!(matches!(err, ImportError::Line { line: 4, .. }), "{err}");
        let err = import_jrnl_text("\n\njust prose", JRNL_TIME_FORMAT, &opts()).unwrap_err();
        assert!(matches!(err, ImportError::Line { line: 3, .. }), "{err}");
        assert!(
            import_jrnl_text("", JRNL_TIME_FORMAT, &opts())
                .unwrap()
                .is_empty()
        );
        // A bracketed word that is not a date is body text, as in jrnl.
        let ok = import_jrnl_text(
            "[2024-01-02 09:15] A\n[link] here\n",
            JRNL_TIME_FORMAT,
            &opts(),
        )
        .unwrap();
        assert_eq!(ok[0].text, "A\n[link] here");
    }

    #[test]
    fn malformed_json_names_the_entry() {
        let err = import_jrnl_json("{\"entries\": [", &opts()).unwrap_err();
        assert!(matches!(err, ImportError::Json { line: 1, .. }), "{err}");
        let err = import_jrnl_json("{\"tags\": {}}", &opts()).unwrap_err();
        assert!(matches!(err, ImportError::Shape(_)), "{err}");
        let json = r#"{"entries": [{"title": "ok", "date": "2024-01-02", "time": "10:00"},
                       {"title": "bad", "date": "2024-02-30", "time": "10:00"}]}"#;
        let err = import_jrnl_json(json, &opts()).unwrap_err();
        assert!(
            err.to_string().starts_with("entry 2 (entries[1]): `date`"),
            "{err}"
        );
        let json = r#"{"entries": [{"creationDate": "2024-01-02T03:04:05Z", "text": "x"}, 7]}"#;
        let err = import_dayone_json(json, &opts()).unwrap_err();
        assert_eq!(err.to_string(), "entry 2 (entries[1]): not an object");
        let json = r#"{"entries": [{"text": "no date"}]}"#;
        let err = import_dayone_json(json, &opts()).unwrap_err();
        assert!(err.to_string().contains("creationDate"), "{err}");
        let json = r#"{"entries": [{"id": "nope", "created": "2024-01-02T03:04:05Z"}]}"#;
        assert!(matches!(
            import_jrnl_json(json, &opts()).unwrap_err(),
            ImportError::Entry { index: 0, .. }
        ));
    }

    #[test]
    fn dayone_import_reads_zone_escapes_tags_and_stars() {
        let json = r#"{"metadata": {"version": "1.0"}, "entries": [
          {"uuid": "A1", "creationDate": "2024-01-02T03:04:05Z", "timeZone": "Europe/Paris",
           "text": "Ein Tag\\. Gut\\! \\#nope\n\nzweite Zeile", "starred": true, "tags": ["calm", "long tag"]},
          {"uuid": "B2", "creationDate": "2023-06-01T12:00:00Z", "timeZone": "Mars/Olympus",
           "text": "Unknown zone"}]}"#;
        let entries = import_dayone_json(json, &opts()).unwrap();
        assert_eq!(entries.len(), 2);
        let (old, new) = (&entries[0], &entries[1]);
        assert_eq!(old.created.offset_secs, 0);
        assert_eq!(new.created.offset_secs, 3600);
        assert_eq!(new.created.unix_ms, 1_704_164_645_000);
        assert_eq!(new.text, "Ein Tag. Gut! #nope\n\nzweite Zeile");
        assert_eq!(new.tags, vec!["#nope", "#calm", "#long-tag"]);
        assert!(new.starred && !old.starred);
        let again = import_dayone_json(json, &opts()).unwrap();
        assert_eq!(entries, again);
    }

    #[test]
    fn markdown_groups_by_day_with_labelled_fields() {
        let md = export_markdown(&samples(), &jiff::tz::TimeZone::UTC);
        assert!(md.starts_with("# Haven journal\n"), "{md}");
        assert!(md.contains("\n## Tuesday 14 November 2023\n"), "{md}");
        assert!(md.contains("### 23:13 (+01:00) · note ★"), "{md}");
        assert!(md.contains("- **Feelings:** anxious"), "{md}");
        assert!(md.contains("- **Intensity:** 6"), "{md}");
        assert!(md.contains("- **Received:** yes"), "{md}");
        assert!(md.contains("- **People:** Sam"), "{md}");
        assert!(md.contains("- **Tags:** #calm #work"), "{md}");
        assert_eq!(md.matches("\n## ").count(), 2, "{md}");
    }

    #[test]
    fn streamed_json_equals_the_value_form() {
        let tz = jiff::tz::TimeZone::UTC;
        let mut entries = Vec::new();
        for n in 0..3u64 {
            let mut e = Entry::note(
                EntryId::from_parts(1_700_000_000_000 + n, u128::from(n)),
                Timestamp {
                    unix_ms: 1_700_000_000_000 + n as i64,
                    offset_secs: 0,
                },
                "dev".into(),
                format!("entry {n} #tag{}", n % 2),
            );
            e.starred = n == 1;
            entries.push(e);
        }
        let mut buf = Vec::new();
        write_json(&entries, &tz, &mut buf).unwrap();
        let streamed: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(streamed, export_json(&entries, &tz));
        let mut empty = Vec::new();
        write_json(&[], &tz, &mut empty).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&empty).unwrap(),
            export_json(&[], &tz)
        );
    }
}
