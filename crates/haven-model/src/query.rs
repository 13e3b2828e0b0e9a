//! Entry queries: which entries `haven list` (or any other front end) shows.
//!
//! A [`Query`] is built from what a person typed and matches entries; every condition
//! given must hold. Tags and people compare without their `#`/`@` and in any case; text
//! is searched in the entry's text and its text and list fields; days are whole days in
//! the reader's zone.

use crate::dates::DayRange;
use crate::entry::{Entry, EntryKind, FieldValue};

/// What to select.
#[derive(Clone, Debug, Default)]
pub struct Query {
    kinds: Vec<EntryKind>,
    tag: Option<String>,
    person: Option<String>,
    contains: Option<String>,
    starred: bool,
    days: DayRange,
}

impl Query {
    /// Everything.
    pub fn new() -> Self {
        Query::default()
    }

    /// Only these kinds (none given: every kind).
    pub fn kinds(mut self, kinds: &[EntryKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// Only entries with this tag (`#calm`, `@Sam` or `calm`).
    pub fn tag(mut self, tag: Option<&str>) -> Self {
        self.tag = tag.map(|t| t.trim().trim_start_matches(['#', '@']).to_lowercase());
        self
    }

    /// Only entries naming this person, as one of its people or an `@` tag.
    pub fn person(mut self, person: Option<&str>) -> Self {
        self.person = person.map(|p| p.trim().trim_start_matches('@').to_lowercase());
        self
    }

    /// Only entries whose text or fields contain this, in any case.
    pub fn contains(mut self, needle: Option<&str>) -> Self {
        self.contains = needle.map(str::to_lowercase);
        self
    }

    /// Only starred entries.
    pub fn starred(mut self, starred: bool) -> Self {
        self.starred = starred;
        self
    }

    /// Only entries written on these days.
    pub fn days(mut self, days: DayRange) -> Self {
        self.days = days;
        self
    }

    /// Whether it selects every entry.
    pub fn is_everything(&self) -> bool {
        self.kinds.is_empty()
            && self.tag.is_none()
            && self.person.is_none()
            && self.contains.is_none()
            && !self.starred
            && self.days.is_unbounded()
    }

    /// Whether `e` is selected, its day read in `tz`.
    pub fn matches(&self, e: &Entry, tz: &jiff::tz::TimeZone) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&e.kind) {
            return false;
        }
        if self.starred && !e.starred {
            return false;
        }
        if let Some(tag) = &self.tag
            && !e
                .tags
                .iter()
                .any(|t| t.trim_start_matches(['#', '@']).to_lowercase() == *tag)
        {
            return false;
        }
        if let Some(person) = &self.person
            && !e
                .people
                .iter()
                .chain(e.tags.iter().filter(|t| t.starts_with('@')))
                .any(|p| p.trim().trim_start_matches('@').to_lowercase() == *person)
        {
            return false;
        }
        if let Some(needle) = &self.contains {
            let in_fields = e.fields.values().any(|v| match v {
                FieldValue::Text(t) => t.to_lowercase().contains(needle),
                FieldValue::List(l) => l.iter().any(|t| t.to_lowercase().contains(needle)),
                _ => false,
            });
            if !in_fields && !e.text.to_lowercase().contains(needle) {
                return false;
            }
        }
        if !self.days.is_unbounded() {
            let Some(day) = e.created.instant().map(|t| t.to_zoned(tz.clone()).date()) else {
                return false;
            };
            if !self.days.contains(day) {
                return false;
            }
        }
        true
    }

    /// The selected entries of `entries` (oldest first, as a view holds them), newest
    /// first, at most `limit`.
    pub fn select<'a>(
        &self,
        entries: &'a [Entry],
        tz: &jiff::tz::TimeZone,
        limit: usize,
    ) -> Vec<&'a Entry> {
        entries
            .iter()
            .rev()
            .filter(|e| self.matches(e, tz))
            .take(limit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{EntryId, Timestamp};
    use jiff::civil::date;

    fn entry(n: u64, day: i8, kind: EntryKind, text: &str) -> Entry {
        let at = date(2026, 11, day)
            .at(23, 30, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond();
        Entry::new(
            kind,
            EntryId::from_parts(at as u64, u128::from(n)),
            Timestamp {
                unix_ms: at,
                offset_secs: 0,
            },
            "dev".into(),
            text.into(),
        )
    }

    fn sample() -> Vec<Entry> {
        let mut a = entry(1, 20, EntryKind::Note, "Walked with @Sam #Calm");
        a.starred = true;
        let mut b = entry(2, 21, EntryKind::Gratitude, "");
        b.people = vec!["Alex".into()];
        b.fields
            .insert("ways".into(), FieldValue::List(vec!["Listened".into()]));
        let c = entry(3, 22, EntryKind::Checkin, "tired today");
        vec![a, b, c]
    }

    #[test]
    fn each_condition_selects_and_they_combine() {
        let utc = jiff::tz::TimeZone::UTC;
        let all = sample();
        let ids = |q: Query| -> Vec<usize> {
            q.select(&all, &utc, usize::MAX)
                .iter()
                .map(|e| all.iter().position(|a| a.id == e.id).unwrap())
                .collect()
        };
        assert_eq!(ids(Query::new()), [2, 1, 0], "newest first");
        assert!(Query::new().is_everything());
        assert_eq!(
            ids(Query::new().kinds(&[EntryKind::Gratitude, EntryKind::Note])),
            [1, 0]
        );
        assert_eq!(ids(Query::new().tag(Some("#calm"))), [0]);
        assert_eq!(ids(Query::new().tag(Some("CALM"))), [0]);
        assert_eq!(
            ids(Query::new().person(Some("sam"))),
            [0],
            "an @ tag names a person"
        );
        assert_eq!(ids(Query::new().person(Some("@alex"))), [1]);
        assert_eq!(
            ids(Query::new().contains(Some("LISTEN"))),
            [1],
            "list fields are searched"
        );
        assert_eq!(ids(Query::new().contains(Some("tired"))), [2]);
        assert_eq!(ids(Query::new().starred(true)), [0]);
        let days = DayRange {
            from: Some(date(2026, 11, 21)),
            to: Some(date(2026, 11, 21)),
        };
        assert_eq!(ids(Query::new().days(days)), [1]);
        assert_eq!(
            ids(Query::new().days(days).kinds(&[EntryKind::Note])),
            Vec::<usize>::new()
        );
        assert!(!Query::new().days(days).is_everything());
        // Days are the reader's: 23:30 UTC on the 21st is the 22nd in Berlin.
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let hits: Vec<_> = all
            .iter()
            .filter(|e| Query::new().days(days).matches(e, &berlin))
            .collect();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].kind, EntryKind::Note);
        assert_eq!(Query::new().select(&all, &utc, 2).len(), 2, "the limit");
    }
}
