//! Entries: the unit of a journal, with a stable id, a kind, times and text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stable entry id: a ULID, so that key order in the journal map is time order.
///
/// Serialised as its 26-character text in human-readable formats (JSON) and as 16 bytes
/// in binary ones (the read cache).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(ulid::Ulid);

impl Serialize for EntryId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.0.to_string())
        } else {
            serializer.serialize_u128(self.0.0)
        }
    }
}

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            Ok(EntryId(ulid::Ulid(u128::deserialize(deserializer)?)))
        }
    }
}

/// An entry id that is not a valid ULID.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an entry id (expected 26 characters of Crockford base32)")]
pub struct EntryIdError(String);

impl EntryId {
    /// An id for an entry created at `unix_ms`, with the given random bits.
    pub fn from_parts(unix_ms: u64, random: u128) -> Self {
        Self(ulid::Ulid::from_parts(unix_ms, random))
    }

    /// The millisecond timestamp encoded in the id.
    pub fn unix_ms(&self) -> u64 {
        self.0.timestamp_ms()
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryId({})", self.0)
    }
}

impl FromStr for EntryId {
    type Err = EntryIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ulid::Ulid::from_string(s)
            .map(Self)
            .map_err(|_| EntryIdError(s.chars().take(40).collect()))
    }
}

/// A moment with the writer's UTC offset, so a journal written in two time zones sorts
/// by instant but still shows each entry's own wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch, UTC.
    pub unix_ms: i64,
    /// The writer's offset from UTC in seconds at that moment.
    pub offset_secs: i32,
}

impl Timestamp {
    /// The instant as a `jiff::Timestamp`, or `None` when out of range.
    pub fn instant(&self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_millisecond(self.unix_ms).ok()
    }

    /// The time as the writer saw it on their clock.
    pub fn writer_local(&self) -> Option<jiff::Zoned> {
        let offset = jiff::tz::Offset::from_seconds(self.offset_secs).ok()?;
        Some(self.instant()?.to_zoned(jiff::tz::TimeZone::fixed(offset)))
    }

    /// RFC 3339 text with the writer's offset, e.g. `2026-11-27T18:40:00.000+01:00`.
    pub fn to_rfc3339(&self) -> String {
        match self.writer_local() {
            Some(z) => z.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
            None => format!("@{}ms", self.unix_ms),
        }
    }
}

/// What practice an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// Free journaling.
    Note,
    /// An emotion check-in.
    Checkin,
    /// Connection gratitude.
    Gratitude,
    /// An affirmation of one's own.
    Affirmation,
    /// A blame sentence turned into a need statement.
    Reframe,
    /// A boundary reflection or event.
    Boundary,
    /// A repair after conflict.
    Repair,
    /// Co-regulation.
    Coreg,
}

impl EntryKind {
    /// Every kind, in display order.
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Note,
        EntryKind::Checkin,
        EntryKind::Gratitude,
        EntryKind::Affirmation,
        EntryKind::Reframe,
        EntryKind::Boundary,
        EntryKind::Repair,
        EntryKind::Coreg,
    ];

    /// The name stored in documents and typed by users.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Checkin => "checkin",
            EntryKind::Gratitude => "gratitude",
            EntryKind::Affirmation => "affirmation",
            EntryKind::Reframe => "reframe",
            EntryKind::Boundary => "boundary",
            EntryKind::Repair => "repair",
            EntryKind::Coreg => "coreg",
        }
    }

    /// How people count entries of this kind: "1 check-in", "2 check-ins".
    pub fn count(&self, n: usize) -> String {
        let (one, many) = match self {
            EntryKind::Note => ("note", "notes"),
            EntryKind::Checkin => ("check-in", "check-ins"),
            EntryKind::Gratitude => ("gratitude entry", "gratitude entries"),
            EntryKind::Affirmation => ("affirmation", "affirmations"),
            EntryKind::Reframe => ("reframe", "reframes"),
            EntryKind::Boundary => ("boundary entry", "boundary entries"),
            EntryKind::Repair => ("repair entry", "repair entries"),
            EntryKind::Coreg => ("co-regulation entry", "co-regulation entries"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown entry kind `{s}`; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// One journal entry, as read out of a document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable id; its timestamp part is the creation time.
    pub id: EntryId,
    /// The practice this entry records.
    pub kind: EntryKind,
    /// When it was written, with the writer's offset.
    pub created: Timestamp,
    /// When its content was last changed, if ever.
    pub edited: Option<Timestamp>,
    /// The device id of the writer (hex).
    pub device: String,
    /// The writer's person name (empty until known, e.g. for entries sealed while locked).
    pub author: String,
    /// Free text.
    pub text: String,
    /// Tags, each with its sigil (`#calm`, `@work`), in first-seen order.
    pub tags: Vec<String>,
    /// People named in the entry.
    pub people: Vec<String>,
    /// Starred by the user.
    pub starred: bool,
    /// Other versions of the text written concurrently on other devices: `(device, text)`.
    pub conflicts: Vec<(String, String)>,
    /// The practice's structured fields (see [`crate::fields`] for each kind's keys).
    pub fields: Fields,
}

/// Structured fields of an entry: a small map of named values.
pub type Fields = std::collections::BTreeMap<String, FieldValue>;

/// One structured field value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FieldValue {
    /// A whole number (intensity, a time in ms, ...).
    Int(i64),
    /// A yes/no answer.
    Bool(bool),
    /// Free text or one choice.
    Text(String),
    /// Several choices (feelings, needs, ...).
    List(Vec<String>),
}

impl Entry {
    /// A new entry of `kind` with tags taken from its text.
    pub fn new(
        kind: EntryKind,
        id: EntryId,
        created: Timestamp,
        device: String,
        text: String,
    ) -> Self {
        let mut e = Entry::note(id, created, device, text);
        e.kind = kind;
        e
    }

    /// A text field, if set.
    pub fn text_field(&self, key: &str) -> Option<&str> {
        match self.fields.get(key)? {
            FieldValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// A number field, if set.
    pub fn int_field(&self, key: &str) -> Option<i64> {
        match self.fields.get(key)? {
            FieldValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A list field (a single text counts as a one-item list); empty if unset.
    pub fn list_field(&self, key: &str) -> Vec<String> {
        match self.fields.get(key) {
            Some(FieldValue::List(l)) => l.clone(),
            Some(FieldValue::Text(t)) => vec![t.clone()],
            _ => Vec::new(),
        }
    }

    /// A new note with tags taken from its text.
    pub fn note(id: EntryId, created: Timestamp, device: String, text: String) -> Self {
        let tags = crate::tags::extract(&text);
        Entry {
            id,
            kind: EntryKind::Note,
            created,
            edited: None,
            device,
            author: String::new(),
            text,
            tags,
            people: Vec::new(),
            starred: false,
            conflicts: Vec::new(),
            fields: Fields::new(),
        }
    }

    /// The first line of the text, for one-line listings.
    pub fn title(&self) -> &str {
        self.text.lines().next().unwrap_or("").trim()
    }
}
