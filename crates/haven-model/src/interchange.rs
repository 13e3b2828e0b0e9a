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

use crate::entry::{Entry, EntryId, Timestamp};

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
    /// No common time format reads the first date line of a plain-text journal.
    #[error("line {line}: cannot tell which date format `[{blob}]` is in")]
    UnknownTimeFormat {
        /// 1-based line number.
        line: usize,
        /// The text between the brackets (its first 40 characters).
        blob: String,
    },
    /// The time format given cannot read dates.
    #[error(transparent)]
    TimeFormat(#[from] TimeFormatError),
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

mod dayone;
mod export;
mod jrnl;
mod json;
#[cfg(test)]
mod tests;

pub use dayone::import_dayone_json;
pub use export::{export_json, export_markdown, fields_to_json, write_json};
pub use jrnl::{
    COMMON_TIME_FORMATS, DecryptError, JRNL_TIME_FORMAT, JrnlEncryption, JrnlText, TimeFormat,
    TimeFormatError, decrypt_jrnl, import_jrnl_json, import_jrnl_legacy_text, import_jrnl_text,
    time_format_in_config,
};

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
pub(super) fn sentence_end(chars: &[char]) -> Option<usize> {
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
        // No sentence end: all of it is the title (none at all for blank text, such as a
        // practice entry's).
        None => (text.trim().to_string(), String::new()),
    }
}

/// The text jrnl would show for a title and body: the title, a newline, the body.
pub(super) fn join_title(title: &str, body: &str) -> String {
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
// Import helpers
// ---------------------------------------------------------------------------------------

/// The tags of `text`, then those of `extra` not already there (case-insensitively).
pub(super) fn merge_tags(text: &str, extra: &[String]) -> Vec<String> {
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
pub(super) fn imported_note(
    source: &str,
    id_ms: i64,
    created: Timestamp,
    text: String,
    source_tags: &[String],
    starred: bool,
    opts: &ImportOptions,
) -> Result<Entry, String> {
    let id = import_id(source, id_ms, &text)
        .ok_or_else(|| "dates before 1970 cannot be stored".to_string())?;
    let tags = merge_tags(&text, source_tags);
    let mut e = Entry::note(id, created, opts.device.clone(), text);
    e.tags = tags;
    e.author = opts.author.clone();
    e.starred = starred;
    Ok(e)
}

/// A civil date and time read in `tz`, with the offset in force then.
pub(super) fn in_zone(
    dt: jiff::civil::DateTime,
    tz: &jiff::tz::TimeZone,
) -> Result<Timestamp, String> {
    let z = dt
        .to_zoned(tz.clone())
        .map_err(|e| format!("{dt} cannot be placed in the time zone: {e}"))?;
    Ok(Timestamp {
        unix_ms: z.timestamp().as_millisecond(),
        offset_secs: z.offset().seconds(),
    })
}

/// RFC 3339 text (as Haven exports it) back to a timestamp with its offset.
pub(super) fn parse_rfc3339(s: &str) -> Option<Timestamp> {
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
