//! The patterns: [`match_at`] tries each one at a word of the text. Which patterns apply at
//! a "you" depends on how it is used in its clause (its [`Role`]): a question, a condition
//! or an object is not an accusation. Each family of patterns has its own module.

mod absolute;
mod blame;
mod demand;
mod generalisation;
mod labels;
mod mind_reading;

use absolute::absolute;
use blame::{blame_phrase, blame_you, you_make_me};
use demand::demand;
use generalisation::generalisation;
use labels::{label_copular, label_direct, label_stop_being};
use mind_reading::mind_reading;

use super::Pattern;
use super::lexicon::lexicon;
use super::matching::{at, before_has, in_list};
use super::tokens::Word;

/// How a "you" is used in its clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// "You ..." as the subject of a statement.
    Subject,
    /// "... love you", "... for you": the object.
    Object,
    /// "Do you ...", "could you ...": a question or request (no "why" before it).
    Question,
    /// "If you ...", "unless you ...".
    Conditional,
    /// "When you ...", "whatever you ...".
    Temporal,
}

fn role_of_you(words: &[Word], i: usize) -> Role {
    let clause = words[i].clause;
    let Some(prev) = i.checked_sub(1).and_then(|p| at(words, p, clause)) else {
        return Role::Subject;
    };
    if in_list(prev, &lexicon().object_before) {
        return Role::Object;
    }
    let q = if prev == "not" {
        i.checked_sub(2).and_then(|p| at(words, p, clause))
    } else {
        Some(prev)
    };
    let Some(q) = q else {
        return Role::Subject;
    };
    if in_list(q, &lexicon().inverters) {
        if before_has(words, i, clause, &["why"]) {
            Role::Subject
        } else {
            Role::Question
        }
    } else if ["if", "unless", "whether"].contains(&q) {
        Role::Conditional
    } else if [
        "when", "whenever", "whatever", "anything", "wherever", "what",
    ]
    .contains(&q)
    {
        Role::Temporal
    } else {
        Role::Subject
    }
}

/// One match: the pattern and the first and last word indices (inclusive).
pub(super) struct Match {
    pub(super) pattern: Pattern,
    pub(super) first: usize,
    pub(super) last: usize,
}

fn m(pattern: Pattern, first: usize, last: usize) -> Match {
    Match {
        pattern,
        first,
        last,
    }
}

/// Every match whose first word is word `i`.
pub(super) fn match_at(words: &[Word], i: usize) -> Vec<Match> {
    let mut out = Vec::new();
    let clause = words[i].clause;
    if words[i].norm == "you" {
        let role = role_of_you(words, i);
        if role == Role::Subject || role == Role::Temporal {
            out.extend(absolute(words, i, clause));
            out.extend(you_make_me(words, i, clause));
            out.extend(mind_reading(words, i, clause));
            out.extend(label_copular(words, i, clause));
            out.extend(blame_you(words, i, clause));
        }
        if role == Role::Subject {
            out.extend(demand(words, i, clause));
        }
        out.extend(label_direct(words, i, clause));
    }
    out.extend(label_stop_being(words, i, clause));
    out.extend(blame_phrase(words, i, clause));
    out.extend(generalisation(words, i, clause));
    out
}
