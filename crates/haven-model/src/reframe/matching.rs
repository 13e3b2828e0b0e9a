//! Matching helpers: the word-by-word tests every pattern is built from. Each looks only at
//! the words of one clause: the word at an index, a phrase from an index, a run of fillers
//! to skip, the words before or ahead. Also the praise check that keeps "you always make me
//! laugh" from being flagged, shared by several patterns.

use super::tokens::Word;

/// The normalised word at `i` if it belongs to `clause`.
pub(super) fn at(words: &[Word], i: usize, clause: usize) -> Option<&str> {
    words
        .get(i)
        .filter(|w| w.clause == clause)
        .map(|w| w.norm.as_str())
}

pub(super) fn is(words: &[Word], i: usize, clause: usize, s: &str) -> bool {
    at(words, i, clause) == Some(s)
}

pub(super) fn is_any(words: &[Word], i: usize, clause: usize, set: &[&str]) -> bool {
    at(words, i, clause).is_some_and(|w| set.contains(&w))
}

/// Whether `phrase` appears word for word from `i` inside `clause`.
pub(super) fn seq(words: &[Word], i: usize, clause: usize, phrase: &[&str]) -> bool {
    phrase
        .iter()
        .enumerate()
        .all(|(k, p)| is(words, i + k, clause, p))
}

/// Skips up to `max` words from `set`, returning the index of the first other word.
pub(super) fn skip(words: &[Word], mut i: usize, clause: usize, set: &[&str], max: usize) -> usize {
    let mut n = 0;
    while n < max && is_any(words, i, clause, set) {
        i += 1;
        n += 1;
    }
    i
}

/// The indices of the rest of the clause from `i` on.
pub(super) fn rest(words: &[Word], i: usize, clause: usize) -> impl Iterator<Item = usize> + '_ {
    (i..words.len()).take_while(move |&k| words[k].clause == clause)
}

/// Whether any word of the clause before `i` is in `set`.
pub(super) fn before_has(words: &[Word], i: usize, clause: usize, set: &[&str]) -> bool {
    (0..i)
        .rev()
        .take_while(|&k| words[k].clause == clause)
        .any(|k| set.contains(&words[k].norm.as_str()))
}

/// Whether any of the next `n` words of the clause from `i` on is in `set`.
pub(super) fn ahead_has(words: &[Word], i: usize, clause: usize, n: usize, set: &[&str]) -> bool {
    rest(words, i, clause)
        .take(n)
        .any(|k| set.contains(&words[k].norm.as_str()))
}

pub(super) const NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "without", "hardly", "barely", "less", "nobody",
];

pub(super) const PRAISE: &[&str] = &[
    "laugh",
    "laughing",
    "smile",
    "smiling",
    "grin",
    "happy",
    "happier",
    "happiest",
    "safe",
    "safer",
    "loved",
    "cherished",
    "special",
    "better",
    "best",
    "good",
    "great",
    "calm",
    "calmer",
    "proud",
    "grateful",
    "thankful",
    "glad",
    "joy",
    "cheer",
    "joyful",
    "lucky",
    "welcome",
    "welcomed",
    "appreciated",
    "valued",
    "understood",
    "beautiful",
    "confident",
    "comfortable",
    "relaxed",
    "hopeful",
    "strong",
    "stronger",
    "brave",
    "warm",
    "alive",
    "excited",
    "kind",
    "sweet",
    "patient",
    "generous",
    "thoughtful",
    "supportive",
    "caring",
    "gentle",
    "helpful",
    "lovely",
    "wonderful",
    "amazing",
    "favourite",
    "favorite",
    "fun",
    "peaceful",
    "cosy",
    "cozy",
];

/// Whether the clause from `i` on reads as praise: a praise word and no negation.
pub(super) fn praise_ahead(words: &[Word], i: usize, clause: usize) -> bool {
    let mut praise = false;
    for k in rest(words, i, clause) {
        let w = words[k].norm.as_str();
        if NEGATORS.contains(&w) {
            return false;
        }
        if PRAISE.contains(&w) || (w == "there" && is(words, k + 1, clause, "for")) {
            praise = true;
        }
    }
    praise
}
