//! Blame and causation: "you make me ...", "you drive me crazy", "you ruined ...", "it's
//! your fault", "because of you", "I blame you", with the reassurance ("it's not your
//! fault") and praise ("I'm happier because of you") that are left alone.

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::lexicon::lexicon;
use crate::reframe::matching::{at, before_has, is, is_any, praise_ahead, seq, skip};
use crate::reframe::tokens::Word;

/// "you [always/really/keep] make|made|making me|us ..." and "you drive me crazy".
pub(super) fn you_make_me(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let lex = lexicon();
    let j = skip(words, i + 1, clause, &lex.you_make_me.fillers, 3);
    let verb = at(words, j, clause)?;
    if !is_any(words, j + 1, clause, &["me", "us"]) {
        return None;
    }
    let after = j + 2;
    match verb {
        "make" | "makes" | "made" | "making" => {
            if is_any(words, after, clause, &lex.you_make_me.made_for_me)
                || praise_ahead(words, after, clause)
            {
                return None;
            }
            Some(m(Pattern::YouMakeMe, i, j + 1))
        }
        "drive" | "drove" | "driving" => {
            if is_any(
                words,
                after,
                clause,
                &["crazy", "nuts", "mad", "insane", "up", "bananas"],
            ) {
                Some(m(Pattern::YouMakeMe, i, after))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// "you ruined ...", "you caused ...", "you're the reason ...", "you're to blame",
/// "you started it".
pub(super) fn blame_you(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let j = skip(words, i + 1, clause, &lexicon().blame.fillers, 2);
    let verb = at(words, j, clause)?;
    match verb {
        "ruined" | "ruin" | "ruins" | "ruining" | "wrecked" | "destroyed" | "caused" => {
            if praise_ahead(words, j + 1, clause) {
                return None;
            }
            Some(m(Pattern::Blame, i, j))
        }
        "started" if is_any(words, j + 1, clause, &["it", "this", "that"]) => {
            Some(m(Pattern::Blame, i, j + 1))
        }
        "to" if is(words, j + 1, clause, "blame") && is(words, i + 1, clause, "are") => {
            Some(m(Pattern::Blame, i, j + 1))
        }
        "the" if is(words, j + 1, clause, "reason") && is(words, i + 1, clause, "are") => {
            if praise_ahead(words, j + 2, clause) {
                return None;
            }
            Some(m(Pattern::Blame, i, j + 1))
        }
        _ => None,
    }
}

/// "because of you", "(it's) your fault", "I blame you".
pub(super) fn blame_phrase(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    if seq(words, i, clause, &["because", "of", "you"]) {
        if praise_ahead(words, i + 3, clause) || before_praise(words, i, clause) {
            return None;
        }
        let first = if i > 0 && is(words, i - 1, clause, "all") {
            i - 1
        } else {
            i
        };
        return Some(m(Pattern::Blame, first, i + 2));
    }
    if seq(words, i, clause, &["your", "fault"]) {
        // "it's not your fault", "never your fault": reassurance.
        let negated = (1..=3).any(|d| {
            i.checked_sub(d)
                .is_some_and(|k| is_any(words, k, clause, &["not", "never", "no"]))
        });
        if negated {
            return None;
        }
        let mut first = i;
        if first > 0 && is_any(words, first - 1, clause, &["all", "entirely", "totally"]) {
            first -= 1;
        }
        if first >= 2
            && is(words, first - 1, clause, "is")
            && is_any(words, first - 2, clause, &["it", "this", "that"])
        {
            first -= 2;
        } else if first >= 1 && is(words, first - 1, clause, "its") {
            first -= 1;
        }
        return Some(m(Pattern::Blame, first, i + 1));
    }
    if seq(words, i, clause, &["blame", "you"]) {
        let negated = (1..=3).any(|d| {
            i.checked_sub(d)
                .is_some_and(|k| is_any(words, k, clause, &["not", "never", "no"]))
        });
        if negated || (is(words, i + 2, clause, "for") && praise_ahead(words, i + 3, clause)) {
            return None;
        }
        let first = if i > 0 && is(words, i - 1, clause, "i") {
            i - 1
        } else {
            i
        };
        return Some(m(Pattern::Blame, first, i + 1));
    }
    None
}

/// Whether the clause before `i` has a praise word ("I'm happier because of you").
fn before_praise(words: &[Word], i: usize, clause: usize) -> bool {
    let lex = lexicon();
    before_has(words, i, clause, &lex.praise) && !before_has(words, i, clause, &lex.negators)
}
