//! The reframe vocabulary: every word list the analyser recognises phrases by, and the text
//! it offers back (each pattern's explanation, hint, feelings and needs; the themes).
//!
//! All of it lives in `crates/haven-model/data/reframe.toml`, embedded with `include_str!`
//! and parsed once, on first use, into a [`Lexicon`]. The matching code reads the lists by
//! field, so a lookup costs what a constant slice did. Words are lowercase and are compared
//! with the normalised words of the text (contractions expanded, so "don't" arrives as
//! "do", "not"); a phrase is written as one string and split into its words when the file
//! is read.

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer};

use super::Pattern;

/// The embedded reframe data file.
const REFRAME_TOML: &str = include_str!("../../data/reframe.toml");

/// The parsed reframe data file.
static LEXICON: LazyLock<Lexicon> =
    LazyLock::new(|| toml::from_str(REFRAME_TOML).unwrap_or_default());

/// The reframe vocabulary, parsed from the embedded data file on first use.
///
/// The embedded data is checked by this module's tests; should it ever fail to parse, the
/// result is empty lists (nothing is flagged, nothing suggested) rather than a panic.
pub(super) fn lexicon() -> &'static Lexicon {
    &LEXICON
}

/// The layout of `data/reframe.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Lexicon {
    /// Words that undo praise: a clause with one of these is not read as praise.
    pub(super) negators: Vec<String>,
    /// Words that make the rest of a clause praise ("you always make me laugh").
    pub(super) praise: Vec<String>,
    /// Words after which "you" is an object, not the subject ("I love you", "for you").
    pub(super) object_before: Vec<String>,
    /// Auxiliaries that make "do you ...", "could you ..." a question or request.
    pub(super) inverters: Vec<String>,
    /// Phrases that make the text a request ("could we", "would you", "please").
    #[serde(deserialize_with = "phrases")]
    pub(super) requests: Vec<Vec<String>>,
    /// The words of "you always / never ...".
    pub(super) absolute: AbsoluteWords,
    /// The words of "you make me ...".
    pub(super) you_make_me: YouMakeMeWords,
    /// The words of "you ruined ...", "you're the reason ...".
    pub(super) blame: BlameWords,
    /// The words of "you don't care", "you don't love me".
    pub(super) mind_reading: MindReadingWords,
    /// The words of name-calling.
    pub(super) label: LabelWords,
    /// The words of "you should ...", "you need to ...".
    pub(super) demand: DemandWords,
    /// The words of "nobody cares", "everyone hates me".
    pub(super) generalisation: GeneralisationWords,
    /// What a flagged phrase may be about, in the order they are tried.
    pub(super) theme: Vec<Theme>,
    /// Each pattern's explanation, hint and suggestions.
    pub(super) pattern: PatternTexts,
    /// Feelings and needs to fill up the suggestions with.
    pub(super) generic: Suggestions,
}

/// The words of "you always / never ...".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AbsoluteWords {
    /// Words that may stand between "you" and "always" / "never".
    pub(super) fillers: Vec<String>,
}

/// The words of "you make me ...".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct YouMakeMeWords {
    /// Words that may stand between "you" and "make me".
    pub(super) fillers: Vec<String>,
    /// Words after "make me" that show "made" means "cooked / built for me".
    pub(super) made_for_me: Vec<String>,
}

/// The words of "you ruined ...", "you're the reason ...".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BlameWords {
    /// Words that may stand between "you" and the blaming verb.
    pub(super) fillers: Vec<String>,
}

/// The words of "you don't care", "you don't love me".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MindReadingWords {
    /// Words that may stand between "you" and the claim.
    pub(super) adverbs: Vec<String>,
    /// Verbs of "you don't ... me" that claim to know a feeling.
    pub(super) objects: Vec<String>,
}

/// The words of name-calling.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LabelWords {
    /// Adjectives that label the person rather than describe an act.
    pub(super) adjectives: Vec<String>,
    /// Nouns that call the person names.
    pub(super) nouns: Vec<String>,
    /// Words a label may be wrapped in ("you're such a total ...").
    pub(super) fillers: Vec<String>,
    /// Verbs that link "you" to a label ("you are", "you sound").
    pub(super) copulas: Vec<String>,
}

/// The words of "you should ...", "you need to ...".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemandWords {
    /// Words that may stand between "you" and "should" / "need to".
    pub(super) adverbs: Vec<String>,
    /// Verbs that make "you should ..." an invitation ("you should see the sunset").
    pub(super) friendly: Vec<String>,
}

/// The words of "nobody cares", "everyone hates me".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GeneralisationWords {
    /// Verbs that make "nobody / no one ..." a claim about being uncared for.
    pub(super) nobody_verbs: Vec<String>,
    /// Verbs that make "everyone ..." a sweeping claim when it is about me or you.
    pub(super) everyone_verbs: Vec<String>,
    /// Words that may stand before a subject quantifier ("it feels like nobody ...").
    pub(super) before_subject: Vec<String>,
}

/// What a flagged phrase is about, when its words tell.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Theme {
    /// Phrases that name the theme, longest first.
    #[serde(deserialize_with = "phrases")]
    pub(super) phrases: Vec<Vec<String>>,
    /// Feelings that may sit under it, the most likely first.
    pub(super) feelings: Vec<String>,
    /// Needs that may sit under it, the most likely first.
    pub(super) needs: Vec<String>,
}

/// One pattern's text, as [`Pattern::explanation`], [`Pattern::hint`] and the suggestions
/// give it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PatternText {
    /// Why the phrasing tends to land as an attack and what to say instead.
    pub(super) explanation: String,
    /// A one-line hint for rewording.
    pub(super) hint: String,
    /// Feelings that may sit under the pattern.
    pub(super) feelings: Vec<String>,
    /// Needs that may sit under the pattern.
    pub(super) needs: Vec<String>,
}

/// The text of every pattern, one field each, keyed in the file by [`Pattern::id`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct PatternTexts {
    always: PatternText,
    never: PatternText,
    you_make_me: PatternText,
    blame: PatternText,
    mind_reading: PatternText,
    generalisation: PatternText,
    label: PatternText,
    demand: PatternText,
}

impl PatternTexts {
    /// The text of `pattern`.
    pub(super) fn of(&self, pattern: Pattern) -> &PatternText {
        match pattern {
            Pattern::Always => &self.always,
            Pattern::Never => &self.never,
            Pattern::YouMakeMe => &self.you_make_me,
            Pattern::Blame => &self.blame,
            Pattern::MindReading => &self.mind_reading,
            Pattern::Generalisation => &self.generalisation,
            Pattern::Label => &self.label,
            Pattern::Demand => &self.demand,
        }
    }
}

/// Feelings and needs to suggest.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Suggestions {
    /// Feeling words.
    pub(super) feelings: Vec<String>,
    /// Needs.
    pub(super) needs: Vec<String>,
}

/// Reads a list of phrases, each one string, as the words of each phrase.
fn phrases<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Vec<String>>, D::Error> {
    let raw = Vec::<String>::deserialize(deserializer)?;
    Ok(raw
        .iter()
        .map(|p| p.split_whitespace().map(str::to_owned).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The word lists the text is matched against, with their names.
    fn matched_lists(lex: &Lexicon) -> Vec<(&'static str, &Vec<String>)> {
        vec![
            ("negators", &lex.negators),
            ("praise", &lex.praise),
            ("object_before", &lex.object_before),
            ("inverters", &lex.inverters),
            ("absolute.fillers", &lex.absolute.fillers),
            ("you_make_me.fillers", &lex.you_make_me.fillers),
            ("you_make_me.made_for_me", &lex.you_make_me.made_for_me),
            ("blame.fillers", &lex.blame.fillers),
            ("mind_reading.adverbs", &lex.mind_reading.adverbs),
            ("mind_reading.objects", &lex.mind_reading.objects),
            ("label.adjectives", &lex.label.adjectives),
            ("label.nouns", &lex.label.nouns),
            ("label.fillers", &lex.label.fillers),
            ("label.copulas", &lex.label.copulas),
            ("demand.adverbs", &lex.demand.adverbs),
            ("demand.friendly", &lex.demand.friendly),
            (
                "generalisation.nobody_verbs",
                &lex.generalisation.nobody_verbs,
            ),
            (
                "generalisation.everyone_verbs",
                &lex.generalisation.everyone_verbs,
            ),
            (
                "generalisation.before_subject",
                &lex.generalisation.before_subject,
            ),
        ]
    }

    /// The lists of feelings and needs offered back, with their names.
    fn suggested_lists(lex: &Lexicon) -> Vec<(&'static str, &Vec<String>)> {
        let mut lists = vec![
            ("generic.feelings", &lex.generic.feelings),
            ("generic.needs", &lex.generic.needs),
        ];
        for theme in &lex.theme {
            lists.push(("theme.feelings", &theme.feelings));
            lists.push(("theme.needs", &theme.needs));
        }
        for p in Pattern::ALL {
            lists.push(("pattern.feelings", &lex.pattern.of(p).feelings));
            lists.push(("pattern.needs", &lex.pattern.of(p).needs));
        }
        lists
    }

    #[test]
    fn reframe_file_parses_into_clean_lists() {
        let lex: Lexicon = toml::from_str(REFRAME_TOML).expect("data/reframe.toml parses");
        let (matched, suggested) = (matched_lists(&lex), suggested_lists(&lex));
        for &(name, list) in matched.iter().chain(&suggested) {
            assert!(!list.is_empty(), "{name} is empty");
            let mut seen = BTreeSet::new();
            for word in list {
                assert!(!word.is_empty(), "{name} has an empty word");
                assert_eq!(word, &word.trim().to_lowercase(), "{name}: {word:?}");
                assert!(seen.insert(word), "{name} lists {word:?} twice");
            }
        }
        // Matched words are single words: the tokeniser never yields a space.
        for &(name, list) in &matched {
            assert!(list.iter().all(|w| !w.contains(' ')), "{name}");
        }
        for phrases in lex.theme.iter().map(|t| &t.phrases).chain([&lex.requests]) {
            assert!(!phrases.is_empty());
            for phrase in phrases {
                assert!(!phrase.is_empty());
                assert!(phrase.iter().all(|w| w == &w.to_lowercase()), "{phrase:?}");
            }
        }
        assert_eq!(lex.theme.len(), 4);
        for p in Pattern::ALL {
            let text = lex.pattern.of(p);
            assert!(!text.explanation.trim().is_empty(), "{p}");
            assert!(
                !text.explanation.contains("  "),
                "{p}: {:?}",
                text.explanation
            );
            assert!(!text.hint.trim().is_empty(), "{p}");
        }
        // The lazily parsed copy is the same file.
        assert_eq!(lexicon().praise, lex.praise);
        assert_eq!(lexicon().theme.len(), lex.theme.len());
    }

    #[test]
    fn reframe_phrases_are_split_into_words() {
        let lex = lexicon();
        assert_eq!(lex.theme[0].phrases[0], ["put", "me", "down"]);
        assert!(
            lex.requests
                .contains(&vec!["let".to_owned(), "us".to_owned()])
        );
        assert!(lex.requests.contains(&vec!["please".to_owned()]));
    }
}
