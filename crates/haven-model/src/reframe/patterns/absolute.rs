//! "You always ..." and "you never ...": absolutes about the other person's behaviour, and
//! the idioms ("you never know") and praise ("you always make me laugh") that only look
//! like one.

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::lexicon::lexicon;
use crate::reframe::matching::{at, is, is_any, praise_ahead, seq, skip};
use crate::reframe::suggest::theme_at;
use crate::reframe::tokens::Word;

/// "you [are/will/just ...] always|constantly|never|not ever ...".
pub(super) fn absolute(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let j = skip(words, i + 1, clause, &lexicon().absolute.fillers, 3);
    let (pattern, mut last) = if is_any(words, j, clause, &["always", "constantly"]) {
        (Pattern::Always, j)
    } else if is(words, j, clause, "never") {
        let last = if is(words, j + 1, clause, "ever") {
            j + 1
        } else {
            j
        };
        (Pattern::Never, last)
    } else if seq(words, j, clause, &["not", "ever"]) {
        (Pattern::Never, j + 1)
    } else {
        return None;
    };
    let next = last + 1;
    if pattern == Pattern::Always {
        if praise_ahead(words, next, clause) {
            return None;
        }
        // "Will you always love me?" is handled by the role; a bare "... you always" at
        // the end of a clause ("I'll love you always") has no verb to accuse.
        at(words, next, clause)?;
    } else if never_is_idiom(words, next, clause) {
        return None;
    }
    if let Some((_, len)) = theme_at(words, next, clause) {
        last = next + len - 1;
    }
    Some(m(pattern, i, last))
}

/// "you never know / guess / fail to / cease to / have to / need to" and
/// "you'll never believe what ...": idioms, reassurance or praise.
fn never_is_idiom(words: &[Word], j: usize, clause: usize) -> bool {
    const WH: &[&str] = &[
        "what", "who", "when", "where", "how", "if", "whether", "this", "it",
    ];
    match at(words, j, clause) {
        Some("guess") | Some("cease") | Some("fail") => true,
        Some("have") | Some("need") | Some("has") => is(words, j + 1, clause, "to"),
        Some("believe") => is_any(words, j + 1, clause, WH),
        Some("know") => {
            at(words, j + 1, clause).is_none()
                || (is_any(words, j + 1, clause, WH)
                    && !is_any(words, j + 2, clause, &["i", "me", "my"]))
        }
        Some("can") => is(words, j + 1, clause, "tell"),
        _ => false,
    }
}
