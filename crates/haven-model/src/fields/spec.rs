//! The field schema of each kind, as data: `data/fields.toml` lists every practice's
//! fields in display order, with their labels, types, ranges and choices.
//!
//! It is the one place these rules live: the CLI's parsers and prompts take their ranges
//! and choices from it, `edit --set` parses and checks values with [`KindFields::parse`],
//! and `show` and the exports list fields with [`KindFields::ordered`].

use std::sync::LazyLock;

use serde::Deserialize;

use crate::entry::{EntryKind, FieldValue, Fields};

const FIELDS_TOML: &str = include_str!("../../data/fields.toml");

/// What a field holds.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum FieldType {
    /// Free text.
    Text,
    /// A whole number in `min..=max`.
    Int {
        /// The least value.
        min: i64,
        /// The greatest value.
        max: i64,
    },
    /// Several words (commas separate them when typed).
    List,
    /// Yes or no.
    Bool,
    /// One of a few words.
    Choice {
        /// The words, in the order offered.
        choices: Vec<String>,
    },
    /// The id of another entry.
    Entry,
    /// A moment, in milliseconds since 1970.
    Moment,
}

/// One field of a kind.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FieldSpec {
    /// Its key in the entry's `fields` map.
    pub key: String,
    /// How it is named to people.
    pub label: String,
    /// What it holds.
    #[serde(flatten)]
    pub ty: FieldType,
    /// Whether people may set it (`false` for what Haven derives).
    #[serde(default = "yes")]
    pub editable: bool,
    /// Words a prompt offers for a list (people may always use their own).
    #[serde(default)]
    pub suggestions: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The fields of one kind, in display order.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct KindFields {
    /// The kind, as `EntryKind::as_str` spells it.
    pub kind: String,
    /// Its fields.
    pub fields: Vec<FieldSpec>,
}

#[derive(Deserialize)]
struct FieldsFile {
    kind: Vec<KindFields>,
}

/// A value that does not fit a kind's schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The kind has no field of that name.
    #[error("{kind} entries have no field `{key}`; their fields are: {allowed}")]
    Unknown {
        /// The kind.
        kind: String,
        /// The key given.
        key: String,
        /// The keys people may set, comma-separated.
        allowed: String,
    },
    /// Haven derives the field itself.
    #[error("`{key}` is set by Haven itself and cannot be changed")]
    NotEditable {
        /// The key given.
        key: String,
    },
    /// Not a whole number in the range.
    #[error("`{key}` takes a whole number from {min} to {max}, not `{value}`")]
    OutOfRange {
        /// The key.
        key: String,
        /// The least value.
        min: i64,
        /// The greatest value.
        max: i64,
        /// The value given.
        value: String,
    },
    /// Not one of the choices.
    #[error("`{key}` is one of {choices}, not `{value}`")]
    NotAChoice {
        /// The key.
        key: String,
        /// The choices, comma-separated.
        choices: String,
        /// The value given.
        value: String,
    },
    /// Not yes or no.
    #[error("`{key}` is yes or no, not `{value}`")]
    NotYesOrNo {
        /// The key.
        key: String,
        /// The value given.
        value: String,
    },
    /// Nothing given where something is needed.
    #[error("`{key}` needs a value (use --unset {key} to remove it)")]
    Empty {
        /// The key.
        key: String,
    },
}

static SCHEMA: LazyLock<Vec<KindFields>> = LazyLock::new(|| {
    // Compiled in and parsed by a unit test, so this cannot fail at run time.
    let file: FieldsFile = toml::from_str(FIELDS_TOML).unwrap_or(FieldsFile { kind: Vec::new() });
    file.kind
});

static NO_FIELDS: KindFields = KindFields {
    kind: String::new(),
    fields: Vec::new(),
};

/// The fields of `kind` (none for a note).
pub fn fields_of(kind: EntryKind) -> &'static KindFields {
    SCHEMA
        .iter()
        .find(|k| k.kind == kind.as_str())
        .unwrap_or(&NO_FIELDS)
}

impl KindFields {
    /// The field named `key`.
    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The keys people may set, comma-separated (or "none").
    pub fn editable_keys(&self) -> String {
        let keys: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.editable)
            .map(|f| f.key.as_str())
            .collect();
        if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        }
    }

    /// Reads `text` as a value people set for `key` (as `edit --set key=text` gives it).
    pub fn parse(&self, key: &str, text: &str) -> Result<FieldValue, FieldError> {
        let spec = self.field(key).ok_or_else(|| FieldError::Unknown {
            kind: self.kind_name(),
            key: key.to_string(),
            allowed: self.editable_keys(),
        })?;
        if !spec.editable {
            return Err(FieldError::NotEditable {
                key: key.to_string(),
            });
        }
        spec.parse(text)
    }

    fn kind_name(&self) -> String {
        if self.kind.is_empty() {
            "note".into()
        } else {
            self.kind.clone()
        }
    }

    /// The entry's fields in this kind's order, each with its spec; fields the schema
    /// does not know (from a newer version) follow, by key.
    pub fn ordered<'a>(
        &'a self,
        fields: &'a Fields,
    ) -> Vec<(Option<&'a FieldSpec>, &'a str, &'a FieldValue)> {
        let mut out: Vec<_> = self
            .fields
            .iter()
            .filter_map(|f| fields.get(&f.key).map(|v| (Some(f), f.key.as_str(), v)))
            .collect();
        out.extend(
            fields
                .iter()
                .filter(|(k, _)| self.field(k).is_none())
                .map(|(k, v)| (None, k.as_str(), v)),
        );
        out
    }
}

impl FieldSpec {
    /// Reads `text` as this field's value.
    pub fn parse(&self, text: &str) -> Result<FieldValue, FieldError> {
        let text = text.trim();
        let key = || self.key.clone();
        match &self.ty {
            FieldType::Text | FieldType::Entry if text.is_empty() => {
                Err(FieldError::Empty { key: key() })
            }
            FieldType::Text | FieldType::Entry => Ok(FieldValue::Text(text.to_string())),
            FieldType::Int { min, max } => match text.parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => Ok(FieldValue::Int(n)),
                _ => Err(FieldError::OutOfRange {
                    key: key(),
                    min: *min,
                    max: *max,
                    value: text.chars().take(40).collect(),
                }),
            },
            FieldType::Moment => text
                .parse::<i64>()
                .map(FieldValue::Int)
                .map_err(|_| FieldError::Empty { key: key() }),
            FieldType::List => {
                let mut words: Vec<String> = Vec::new();
                for w in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                    if !words.iter().any(|o| o.eq_ignore_ascii_case(w)) {
                        words.push(w.to_string());
                    }
                }
                if words.is_empty() {
                    return Err(FieldError::Empty { key: key() });
                }
                Ok(FieldValue::List(words))
            }
            FieldType::Bool => match text.to_lowercase().as_str() {
                "yes" | "true" | "y" | "1" => Ok(FieldValue::Bool(true)),
                "no" | "false" | "n" | "0" => Ok(FieldValue::Bool(false)),
                _ => Err(FieldError::NotYesOrNo {
                    key: key(),
                    value: text.chars().take(40).collect(),
                }),
            },
            FieldType::Choice { choices } => choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(text))
                .map(|c| FieldValue::Text(c.clone()))
                .ok_or_else(|| FieldError::NotAChoice {
                    key: key(),
                    choices: choices.join(", "),
                    value: text.chars().take(40).collect(),
                }),
        }
    }

    /// The value as people read it: a moment as `YYYY-MM-DD HH:MM` in `tz`, yes or no,
    /// a list joined with commas, text on one line.
    pub fn display(&self, value: &FieldValue, tz: &jiff::tz::TimeZone) -> String {
        display_value(Some(self), value, tz)
    }

    /// The range of an int field.
    pub fn range(&self) -> Option<(i64, i64)> {
        match self.ty {
            FieldType::Int { min, max } => Some((min, max)),
            _ => None,
        }
    }

    /// The choices of a choice field.
    pub fn choices(&self) -> &[String] {
        match &self.ty {
            FieldType::Choice { choices } => choices,
            _ => &[],
        }
    }
}

/// A field's value as people read it; `spec` is `None` for a field the schema does not
/// know, shown as its raw value.
pub fn display_value(
    spec: Option<&FieldSpec>,
    value: &FieldValue,
    tz: &jiff::tz::TimeZone,
) -> String {
    match value {
        FieldValue::Int(ms) if spec.is_some_and(|s| s.ty == FieldType::Moment) => {
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

/// A field's label: the schema's, or for one it does not know the key with spaces and a
/// capital (`sleep_hours` is "Sleep hours").
pub fn label_of<'a>(spec: Option<&'a FieldSpec>, key: &'a str) -> std::borrow::Cow<'a, str> {
    match spec {
        Some(s) => std::borrow::Cow::Borrowed(s.label.as_str()),
        None => {
            let spaced = key.replace('_', " ");
            let mut chars = spaced.chars();
            std::borrow::Cow::Owned(match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schema_parses_and_names_real_kinds() {
        let file: FieldsFile = toml::from_str(FIELDS_TOML).expect("data/fields.toml parses");
        assert_eq!(
            file.kind.len(),
            EntryKind::ALL.len() - 1,
            "every kind but note"
        );
        for k in &file.kind {
            let kind: EntryKind = k.kind.parse().expect("a real kind");
            assert_eq!(fields_of(kind), k);
            let mut keys: Vec<&str> = k.fields.iter().map(|f| f.key.as_str()).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), k.fields.len(), "{}: keys are unique", k.kind);
            for f in &k.fields {
                if let FieldType::Int { min, max } = f.ty {
                    assert!(min <= max, "{}", f.key);
                }
                assert!(!f.label.is_empty());
            }
        }
        assert!(fields_of(EntryKind::Note).fields.is_empty());
    }

    #[test]
    fn values_are_parsed_and_checked_against_the_schema() {
        let checkin = fields_of(EntryKind::Checkin);
        assert_eq!(checkin.parse("intensity", " 7 "), Ok(FieldValue::Int(7)));
        assert_eq!(checkin.parse("pleasantness", "-5"), Ok(FieldValue::Int(-5)));
        assert!(matches!(
            checkin.parse("intensity", "11"),
            Err(FieldError::OutOfRange {
                min: 0,
                max: 10,
                ..
            })
        ));
        assert!(matches!(
            checkin.parse("intensity", "high"),
            Err(FieldError::OutOfRange { .. })
        ));
        assert_eq!(
            checkin.parse("feelings", "calm, tired,Calm"),
            Ok(FieldValue::List(vec!["calm".into(), "tired".into()]))
        );
        let err = checkin.parse("mood", "3").unwrap_err();
        assert_eq!(
            err.to_string(),
            "checkin entries have no field `mood`; their fields are: feelings, intensity, pleasantness, energy, needs, response"
        );
        let boundary = fields_of(EntryKind::Boundary);
        assert_eq!(
            boundary.parse("needs_respected", "Partly"),
            Ok(FieldValue::Text("partly".into()))
        );
        assert_eq!(
            boundary
                .parse("event", "sometimes")
                .unwrap_err()
                .to_string(),
            "`event` is one of reflection, crossed, kept, cancelled, not `sometimes`"
        );
        let repair = fields_of(EntryKind::Repair);
        assert_eq!(repair.parse("received", "yes"), Ok(FieldValue::Bool(true)));
        assert!(matches!(
            repair.parse("answers", "01ABC"),
            Err(FieldError::NotEditable { .. })
        ));
        assert!(matches!(
            repair.parse("my_part", "  "),
            Err(FieldError::Empty { .. })
        ));
        assert!(matches!(
            fields_of(EntryKind::Note).parse("anything", "x"),
            Err(FieldError::Unknown { allowed, .. }) if allowed == "none"
        ));
    }

    #[test]
    fn fields_are_listed_in_the_kinds_order_then_unknown_ones() {
        let mut fields = Fields::new();
        fields.insert("needs".into(), FieldValue::List(vec!["rest".into()]));
        fields.insert("zeta".into(), FieldValue::Int(1));
        fields.insert("feelings".into(), FieldValue::List(vec!["calm".into()]));
        fields.insert("intensity".into(), FieldValue::Int(3));
        let order: Vec<&str> = fields_of(EntryKind::Checkin)
            .ordered(&fields)
            .into_iter()
            .map(|(_, k, _)| k)
            .collect();
        assert_eq!(order, ["feelings", "intensity", "needs", "zeta"]);
    }
}
