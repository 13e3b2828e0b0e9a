//! Haven's words: the feelings and needs vocabularies, the affirmations and the prompt
//! questions of each practice.
//!
//! All of this text is our own and lives as TOML data files in `crates/haven-model/data/`,
//! embedded into the binary with `include_str!`:
//!
//! - `feelings.toml` and `needs.toml`: a list of `[[group]]` tables, each with a `name` and
//!   its `words` (lowercase single words or short phrases; a word belongs to one group only,
//!   and a group's own name is one of its words);
//! - `affirmations.toml`: one `affirmations` array of first-person sentences;
//! - `prompts.toml`: what each practice says and asks on a terminal, a table per entry
//!   kind with one sentence per question ([`question`]).
//!
//! Users extend the vocabularies with their own words. The store keeps those in the journal
//! document's `meta` map, one key per word built by [`custom_key`] (`vocab/feelings/<word>`
//! or `vocab/needs/<word>`) with the group as value; [`parse_custom_key`] and
//! [`custom_words`] read them back, and [`Vocabulary::with_custom`] merges them in.
//!
//! The affirmation of the day ([`affirmation_of_the_day`]) is a deterministic pick: the
//! date is turned into a day number and stepped through the pool with a fixed prime
//! stride, so a given day always shows the same sentence, two consecutive days never show
//! the same one (when there are at least two), and every sentence comes round once per
//! cycle.

use std::sync::LazyLock;

use serde::Deserialize;

/// The embedded feelings data file.
const FEELINGS_TOML: &str = include_str!("../data/feelings.toml");
/// The embedded needs data file.
const NEEDS_TOML: &str = include_str!("../data/needs.toml");
/// The embedded affirmations data file.
const AFFIRMATIONS_TOML: &str = include_str!("../data/affirmations.toml");
/// The embedded prompts data file.
const PROMPTS_TOML: &str = include_str!("../data/prompts.toml");

/// The name of the feelings list, as used in custom-word keys.
pub const FEELINGS: &str = "feelings";
/// The name of the needs list, as used in custom-word keys.
pub const NEEDS: &str = "needs";
/// The prefix of every custom-word key in a journal's `meta` map.
pub const CUSTOM_KEY_PREFIX: &str = "vocab/";
/// The group a custom word lands in when it is added without a group.
pub const DEFAULT_CUSTOM_GROUP: &str = "my words";

/// A vocabulary data file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// The text is not valid TOML of the expected shape.
    #[error("vocabulary data is not valid: {0}")]
    Parse(#[from] toml::de::Error),
}

/// One named group of words, such as "anxious" with "worried", "on edge", ...
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Group {
    /// The group's name, lowercase.
    pub name: String,
    /// The words of the group, lowercase, without duplicates.
    pub words: Vec<String>,
}

/// A grouped list of words: the feelings or the needs vocabulary.
///
/// Lookups are case-insensitive and ignore surrounding whitespace. A word belongs to at
/// most one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Vocabulary {
    /// The groups, in the order of the data file (custom groups come last).
    #[serde(rename = "group", default)]
    pub groups: Vec<Group>,
}

/// Lowercases and trims a word or group name, and folds runs of whitespace into one space.
fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Vocabulary {
    /// Parses a vocabulary from TOML text laid out like `data/feelings.toml`.
    ///
    /// Words and group names are normalised (trimmed, lowercased); empty words are dropped,
    /// and a word seen a second time (in the same or another group) is ignored. Groups with
    /// the same name are merged.
    pub fn from_toml(text: &str) -> Result<Vocabulary, VocabError> {
        let raw: Vocabulary = toml::from_str(text)?;
        let pairs: Vec<(String, String)> = raw
            .groups
            .iter()
            .flat_map(|g| g.words.iter().map(|w| (g.name.clone(), w.clone())))
            .collect();
        Ok(Vocabulary::default().with_custom(&pairs))
    }

    /// Whether `word` is in any group (case-insensitive).
    pub fn contains(&self, word: &str) -> bool {
        self.group_of(word).is_some()
    }

    /// The name of the group `word` belongs to (case-insensitive), if any.
    pub fn group_of(&self, word: &str) -> Option<&str> {
        let word = normalize(word);
        if word.is_empty() {
            return None;
        }
        self.groups
            .iter()
            .find(|g| g.words.contains(&word))
            .map(|g| g.name.as_str())
    }

    /// The group called `name` (case-insensitive), if any.
    pub fn group(&self, name: &str) -> Option<&Group> {
        let name = normalize(name);
        self.groups.iter().find(|g| g.name == name)
    }

    /// The names of all groups, in order.
    pub fn group_names(&self) -> Vec<&str> {
        self.groups.iter().map(|g| g.name.as_str()).collect()
    }

    /// Every word of every group, in group order.
    pub fn all_words(&self) -> Vec<&str> {
        self.groups
            .iter()
            .flat_map(|g| g.words.iter().map(String::as_str))
            .collect()
    }

    /// A copy of this vocabulary with the user's own words merged in.
    ///
    /// Each pair is `(group, word)`. Words and group names are trimmed and lowercased. A
    /// word already in the vocabulary (in any group) is ignored, as are empty words. A word
    /// whose group does not exist yet starts a new group at the end; an empty group name
    /// means [`DEFAULT_CUSTOM_GROUP`].
    pub fn with_custom(&self, custom: &[(String, String)]) -> Vocabulary {
        let mut merged = self.clone();
        for (group, word) in custom {
            let word = normalize(word);
            if word.is_empty() || merged.contains(&word) {
                continue;
            }
            let mut group = normalize(group);
            if group.is_empty() {
                group = DEFAULT_CUSTOM_GROUP.to_owned();
            }
            match merged.groups.iter_mut().find(|g| g.name == group) {
                Some(existing) => existing.words.push(word),
                None => merged.groups.push(Group {
                    name: group,
                    words: vec![word],
                }),
            }
        }
        merged
    }
}

/// The parsed feelings data file.
static BUILTIN_FEELINGS: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::from_toml(FEELINGS_TOML).unwrap_or_default());
/// The parsed needs data file.
static BUILTIN_NEEDS: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::from_toml(NEEDS_TOML).unwrap_or_default());

/// Haven's built-in feelings vocabulary (13 groups, from "calm" to "confused").
///
/// The embedded data is checked by this module's tests; should it ever fail to parse, the
/// result is an empty vocabulary rather than a panic.
pub fn builtin_feelings() -> Vocabulary {
    BUILTIN_FEELINGS.clone()
}

/// Haven's built-in needs vocabulary (11 groups, from "comfort" to "support").
///
/// The embedded data is checked by this module's tests; should it ever fail to parse, the
/// result is an empty vocabulary rather than a panic.
pub fn builtin_needs() -> Vocabulary {
    BUILTIN_NEEDS.clone()
}

/// The layout of `data/affirmations.toml`.
#[derive(Debug, Default, Deserialize)]
struct AffirmationsFile {
    /// The sentences.
    #[serde(default)]
    affirmations: Vec<String>,
}

/// The parsed affirmations data file.
static BUILTIN_AFFIRMATIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    toml::from_str::<AffirmationsFile>(AFFIRMATIONS_TOML)
        .map(|f| {
            f.affirmations
                .into_iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect()
        })
        .unwrap_or_default()
});

/// Haven's built-in affirmations of secure attachment, in the order of the data file.
pub fn affirmations() -> Vec<String> {
    BUILTIN_AFFIRMATIONS.clone()
}

/// The pool the affirmation of the day is drawn from: the built-in affirmations followed by
/// the user's own, trimmed, with empty ones and exact repeats left out.
pub fn affirmation_pool(own: &[String]) -> Vec<String> {
    let mut pool = affirmations();
    for text in own {
        let text = text.trim();
        if !text.is_empty() && !pool.iter().any(|a| a == text) {
            pool.push(text.to_owned());
        }
    }
    pool
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (negative before it).
fn day_number(date: jiff::civil::Date) -> i64 {
    // Howard Hinnant's days_from_civil: plain integer arithmetic, no failure cases.
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The stride of the daily pick: a prime larger than any realistic pool, so it is coprime
/// with the pool size and consecutive days always land on different sentences.
const DAILY_STRIDE: i64 = 7_919;
/// A fixed offset so that day zero does not simply start at the first sentence.
const DAILY_OFFSET: i64 = 1_013;

/// The affirmation for `date`, drawn from the built-in affirmations plus `own`.
///
/// The pick is deterministic: the same date and the same pool always give the same
/// sentence, with no randomness involved. Consecutive days give different sentences when
/// the pool has at least two, and each sentence comes back once every pool-size days.
/// Adding an affirmation of one's own changes the pool and therefore the sequence.
pub fn affirmation_of_the_day(date: jiff::civil::Date, own: &[String]) -> String {
    let pool = affirmation_pool(own);
    let len = i64::try_from(pool.len()).unwrap_or(i64::MAX);
    if len == 0 {
        return String::new();
    }
    let index = (day_number(date)
        .wrapping_mul(DAILY_STRIDE)
        .wrapping_add(DAILY_OFFSET))
    .rem_euclid(len);
    usize::try_from(index)
        .ok()
        .and_then(|i| pool.get(i))
        .cloned()
        .unwrap_or_default()
}

/// Today's affirmation given one's own affirmation entries: only those written before
/// `date` (in `tz`) join the pool, so that one added today leaves today's pick as it was
/// and joins from tomorrow.
pub fn affirmation_of_the_day_from(
    date: jiff::civil::Date,
    own: &[crate::entry::Entry],
    tz: &jiff::tz::TimeZone,
) -> String {
    let earlier: Vec<String> = own
        .iter()
        .filter(|e| e.kind == crate::entry::EntryKind::Affirmation)
        .filter(|e| {
            e.created
                .instant()
                .is_some_and(|t| t.to_zoned(tz.clone()).date() < date)
        })
        .map(|e| e.text.clone())
        .collect();
    affirmation_of_the_day(date, &earlier)
}

/// The parsed prompts data file: per practice, its questions by name.
static BUILTIN_PROMPTS: LazyLock<
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
> = LazyLock::new(|| toml::from_str(PROMPTS_TOML).unwrap_or_default());

/// What practice `kind` says or asks as `name` (`question("checkin", "feelings")` is "What
/// are you feeling?"). A name the file lacks comes back as itself, so that a gap shows
/// rather than hides; a unit test checks every name the CLI asks.
pub fn question(kind: &str, name: &'static str) -> &'static str {
    BUILTIN_PROMPTS
        .get(kind)
        .and_then(|q| q.get(name))
        .map_or(name, String::as_str)
}

/// The `meta` key under which a custom word of `list` (`"feelings"` or `"needs"`) is kept:
/// `vocab/<list>/<word>`, with the list and the word trimmed and lowercased.
pub fn custom_key(list: &str, word: &str) -> String {
    format!("{CUSTOM_KEY_PREFIX}{}/{}", normalize(list), normalize(word))
}

/// Splits a custom-word key made by [`custom_key`] back into `(list, word)`.
///
/// Returns `None` for any key that is not of the form `vocab/<list>/<word>` with a
/// non-empty list and word. The word may itself contain `/`.
pub fn parse_custom_key(key: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix(CUSTOM_KEY_PREFIX)?;
    let (list, word) = rest.split_once('/')?;
    let (list, word) = (normalize(list), normalize(word));
    if list.is_empty() || word.is_empty() {
        return None;
    }
    Some((list, word))
}

/// Collects the custom words of one list from a journal's `meta` entries.
///
/// `entries` yields `(key, value)` pairs; keys that are not custom-word keys of `list` are
/// skipped. The result is `(group, word)` pairs ready for [`Vocabulary::with_custom`].
pub fn custom_words<'a, I>(entries: I, list: &str) -> Vec<(String, String)>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let list = normalize(list);
    entries
        .into_iter()
        .filter_map(|(key, group)| {
            let (l, word) = parse_custom_key(key)?;
            (l == list).then(|| (normalize(group), word))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use std::collections::BTreeSet;

    fn check_vocabulary(text: &str, min_groups: usize, min_words: usize, max_words: usize) {
        let raw: Vocabulary = toml::from_str(text).unwrap();
        let parsed = Vocabulary::from_toml(text).unwrap();
        // Normalising must not have dropped anything: the file is already clean.
        assert_eq!(raw, parsed, "data file is not normalised or has duplicates");
        assert!(parsed.groups.len() >= min_groups);
        let mut seen = BTreeSet::new();
        for group in &parsed.groups {
            assert!(!group.name.is_empty());
            assert!(
                (min_words..=max_words).contains(&group.words.len()),
                "group {} has {} words",
                group.name,
                group.words.len()
            );
            assert!(
                group.words.contains(&group.name),
                "group {} does not list its own name",
                group.name
            );
            for word in &group.words {
                assert_eq!(word, &word.trim().to_lowercase());
                assert!(seen.insert(word.clone()), "duplicate word {word}");
            }
        }
    }

    #[test]
    fn feelings_file_parses_without_duplicates_or_empty_groups() {
        check_vocabulary(FEELINGS_TOML, 12, 6, 10);
        assert_eq!(builtin_feelings().groups.len(), 13);
    }

    #[test]
    fn needs_file_parses_without_duplicates_or_empty_groups() {
        check_vocabulary(NEEDS_TOML, 8, 4, 8);
        for need in ["comfort", "space", "reassurance", "connection", "rest"] {
            assert_eq!(builtin_needs().group_of(need), Some(need));
        }
    }

    #[test]
    fn affirmations_file_parses() {
        let raw: AffirmationsFile = toml::from_str(AFFIRMATIONS_TOML).unwrap();
        assert_eq!(raw.affirmations.len(), affirmations().len());
        assert!(affirmations().len() >= 40);
        let unique: BTreeSet<_> = affirmations().into_iter().collect();
        assert_eq!(unique.len(), affirmations().len());
        // Every sentence is in the first person.
        for a in affirmations() {
            let first_person = a
                .split(|c: char| !c.is_alphabetic())
                .any(|w| matches!(w, "I" | "my" | "My" | "me"));
            assert!(first_person, "not first person: {a}");
        }
    }

    #[test]
    fn prompts_file_holds_every_question_the_practices_ask() {
        let raw: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
            toml::from_str(PROMPTS_TOML).unwrap();
        let asked: &[(&str, &[&str])] = &[
            (
                "checkin",
                &["intro", "feelings", "intensity", "needs", "response"],
            ),
            ("gratitude", &["intro", "person", "ways", "meaning"]),
            ("reframe", &["sentence", "intro", "feel", "need", "request"]),
            ("boundary", &["person", "respected", "honouring", "action"]),
            (
                "repair",
                &[
                    "with",
                    "intro",
                    "my_part",
                    "their_experience",
                    "path_forward",
                ],
            ),
            ("coreg", &["mode", "need", "overwhelm", "break", "here"]),
        ];
        assert_eq!(raw.len(), asked.len());
        for (kind, names) in asked {
            let questions = &raw[*kind];
            assert_eq!(questions.len(), names.len(), "{kind}: no question unused");
            for name in *names {
                let q = question(kind, name);
                assert!(q != *name && !q.trim().is_empty(), "{kind}.{name}");
            }
        }
        assert_eq!(question("checkin", "nonsense"), "nonsense");
        assert_eq!(
            question("reframe", "feel"),
            "I feel ... (perhaps: {feelings})"
        );
    }

    #[test]
    fn lookups_are_case_insensitive() {
        let feelings = builtin_feelings();
        assert!(feelings.contains("Anxious"));
        assert!(feelings.contains("  ON   EDGE "));
        assert_eq!(feelings.group_of("Worried"), Some("anxious"));
        assert_eq!(feelings.group_of("held"), Some("connected"));
        assert_eq!(feelings.group_of("blursed"), None);
        assert_eq!(feelings.group_of(""), None);
        assert!(!feelings.contains("   "));
        assert_eq!(feelings.all_words().len(), {
            feelings.groups.iter().map(|g| g.words.len()).sum::<usize>()
        });
        assert!(feelings.group("CALM").is_some());
        assert_eq!(feelings.group_names().first(), Some(&"calm"));
    }

    #[test]
    fn custom_words_merge() {
        let feelings = builtin_feelings();
        let custom = vec![
            ("Anxious".to_owned(), "Jittery".to_owned()),
            ("awe".to_owned(), "wonderstruck".to_owned()),
            ("awe".to_owned(), "small before the sea".to_owned()),
            ("sad".to_owned(), "worried".to_owned()), // already in "anxious": ignored
            ("awe".to_owned(), "WONDERSTRUCK".to_owned()), // repeat: ignored
            ("".to_owned(), "meh".to_owned()),
            ("awe".to_owned(), "   ".to_owned()), // empty: ignored
        ];
        let merged = feelings.with_custom(&custom);
        assert_eq!(merged.group_of("jittery"), Some("anxious"));
        assert_eq!(merged.group_of("worried"), Some("anxious"));
        assert_eq!(merged.group_of("wonderstruck"), Some("awe"));
        assert_eq!(merged.group_of("meh"), Some(DEFAULT_CUSTOM_GROUP));
        let awe = merged.group("awe").unwrap();
        assert_eq!(awe.words, vec!["wonderstruck", "small before the sea"]);
        assert_eq!(merged.groups.len(), feelings.groups.len() + 2);
        assert_eq!(merged.all_words().len(), feelings.all_words().len() + 4);
        // The original is untouched.
        assert!(!feelings.contains("jittery"));
    }

    #[test]
    fn custom_keys_round_trip() {
        let key = custom_key(FEELINGS, " Jittery ");
        assert_eq!(key, "vocab/feelings/jittery");
        assert_eq!(
            parse_custom_key(&key),
            Some(("feelings".to_owned(), "jittery".to_owned()))
        );
        assert_eq!(
            parse_custom_key(&custom_key(NEEDS, "and/or")),
            Some(("needs".to_owned(), "and/or".to_owned()))
        );
        assert_eq!(parse_custom_key("name"), None);
        assert_eq!(parse_custom_key("vocab/feelings"), None);
        assert_eq!(parse_custom_key("vocab/feelings/"), None);
        assert_eq!(parse_custom_key("vocab//word"), None);

        let meta = [
            ("name", "personal"),
            ("vocab/feelings/jittery", "anxious"),
            ("vocab/needs/a walk", "rest"),
            ("vocab/feelings/wonderstruck", "Awe"),
        ];
        let words = custom_words(meta.iter().copied(), FEELINGS);
        assert_eq!(
            words,
            vec![
                ("anxious".to_owned(), "jittery".to_owned()),
                ("awe".to_owned(), "wonderstruck".to_owned()),
            ]
        );
        let needs = builtin_needs().with_custom(&custom_words(meta.iter().copied(), NEEDS));
        assert_eq!(needs.group_of("a walk"), Some("rest"));
    }

    #[test]
    fn day_number_matches_jiff() {
        let epoch = date(1970, 1, 1);
        for d in [
            date(1970, 1, 1),
            date(2026, 11, 27),
            date(2000, 2, 29),
            date(1969, 12, 31),
            date(1, 1, 1),
            date(-9999, 1, 1),
            date(9999, 12, 31),
        ] {
            let expected = epoch.until((jiff::Unit::Day, d)).unwrap().get_days();
            assert_eq!(day_number(d), i64::from(expected), "{d}");
        }
    }

    #[test]
    fn affirmation_of_the_day_is_stable_and_changes() {
        let day = date(2026, 11, 27);
        let first = affirmation_of_the_day(day, &[]);
        assert!(!first.is_empty());
        assert_eq!(first, affirmation_of_the_day(day, &[]));
        assert!(affirmations().contains(&first));

        // Consecutive days differ, and a full cycle shows every sentence once.
        let pool_len = affirmations().len();
        let mut seen = BTreeSet::new();
        let mut previous = None;
        for offset in 0..pool_len {
            let d = day
                .checked_add(jiff::Span::new().days(offset as i64))
                .unwrap();
            let pick = affirmation_of_the_day(d, &[]);
            assert_ne!(Some(&pick), previous.as_ref());
            seen.insert(pick.clone());
            previous = Some(pick);
        }
        assert_eq!(seen.len(), pool_len);

        // Own affirmations join the pool and can be picked.
        let own = vec!["  I am learning to stay.  ".to_owned(), String::new()];
        assert_eq!(affirmation_pool(&own).len(), pool_len + 1);
        let found = (0..=pool_len as i64).any(|offset| {
            let d = day.checked_add(jiff::Span::new().days(offset)).unwrap();
            affirmation_of_the_day(d, &own) == "I am learning to stay."
        });
        assert!(found);

        // Extreme dates do not panic.
        assert!(!affirmation_of_the_day(date(-9999, 1, 1), &own).is_empty());
        assert!(!affirmation_of_the_day(date(9999, 12, 31), &own).is_empty());
    }
}
