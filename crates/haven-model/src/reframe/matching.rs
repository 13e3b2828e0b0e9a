//! Matching helpers: the word-by-word tests every pattern is built from. Each looks only at
//! the words of one clause: the word at an index, a phrase from an index, a run of fillers
//! to skip, the words before or ahead. Also the praise check that keeps "you always make me
//! laugh" from being flagged, shared by several patterns.
//!
//! A set of words is a slice of `&str` (a short list written in the rule itself) or of
//! `String` (a word list of the vocabulary file, see the `lexicon` module).

use super::lexicon::lexicon;
use super::tokens::Word;

/// Whether `word` is one of `set`.
pub(super) fn in_list<S: AsRef<str>>(word: &str, set: &[S]) -> bool {
    set.iter().any(|s| s.as_ref() == word)
}

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

pub(super) fn is_any<S: AsRef<str>>(words: &[Word], i: usize, clause: usize, set: &[S]) -> bool {
    at(words, i, clause).is_some_and(|w| in_list(w, set))
}

/// Whether `phrase` appears word for word from `i` inside `clause`.
pub(super) fn seq<S: AsRef<str>>(words: &[Word], i: usize, clause: usize, phrase: &[S]) -> bool {
    phrase
        .iter()
        .enumerate()
        .all(|(k, p)| is(words, i + k, clause, p.as_ref()))
}

/// Skips up to `max` words from `set`, returning the index of the first other word.
pub(super) fn skip<S: AsRef<str>>(
    words: &[Word],
    mut i: usize,
    clause: usize,
    set: &[S],
    max: usize,
) -> usize {
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
pub(super) fn before_has<S: AsRef<str>>(
    words: &[Word],
    i: usize,
    clause: usize,
    set: &[S],
) -> bool {
    (0..i)
        .rev()
        .take_while(|&k| words[k].clause == clause)
        .any(|k| in_list(&words[k].norm, set))
}

/// Whether any of the next `n` words of the clause from `i` on is in `set`.
pub(super) fn ahead_has<S: AsRef<str>>(
    words: &[Word],
    i: usize,
    clause: usize,
    n: usize,
    set: &[S],
) -> bool {
    rest(words, i, clause)
        .take(n)
        .any(|k| in_list(&words[k].norm, set))
}

/// Whether the clause from `i` on reads as praise: a praise word and no negation.
pub(super) fn praise_ahead(words: &[Word], i: usize, clause: usize) -> bool {
    let lex = lexicon();
    let mut praise = false;
    for k in rest(words, i, clause) {
        let w = words[k].norm.as_str();
        if in_list(w, &lex.negators) {
            return false;
        }
        if in_list(w, &lex.praise) || (w == "there" && is(words, k + 1, clause, "for")) {
            praise = true;
        }
    }
    praise
}
