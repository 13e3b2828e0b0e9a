//! Mind-reading: telling the other person what they feel, think or want ("you don't care",
//! "you think I'm stupid", "you just want me to fail", "you did that on purpose").

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::lexicon::lexicon;
use crate::reframe::matching::{before_has, is, is_any, rest, seq, skip};
use crate::reframe::tokens::Word;

/// "you don't care", "you think I'm ...", "you only care about yourself", ...
pub(super) fn mind_reading(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let lex = lexicon();
    let j = skip(words, i + 1, clause, &lex.mind_reading.adverbs, 2);
    // "you do not / did not / never [even] care | love me | ..."
    let neg_end =
        if is_any(words, j, clause, &["do", "does", "did"]) && is(words, j + 1, clause, "not") {
            Some(j + 2)
        } else if is(words, j, clause, "never") {
            Some(j + 1)
        } else if seq(words, j, clause, &["could", "not", "care", "less"]) {
            return Some(m(Pattern::MindReading, i, j + 3));
        } else {
            None
        };
    if let Some(k) = neg_end {
        let k = skip(
            words,
            k,
            clause,
            &["even", "really", "actually", "ever", "just"],
            2,
        );
        if is_any(words, k, clause, &["care", "cared", "give"]) {
            if is(words, k, clause, "give") && !is(words, k + 1, clause, "a") {
                return None;
            }
            return Some(m(Pattern::MindReading, i, k));
        }
        if is_any(words, k, clause, &lex.mind_reading.objects) && is(words, k + 1, clause, "me") {
            // "you don't want me to drive?" is a question about a plan, not a verdict.
            if is(words, k + 2, clause, "to") {
                return None;
            }
            return Some(m(Pattern::MindReading, i, k + 1));
        }
        return None;
    }
    // "you only care about yourself", "you only think about yourself".
    if is_any(words, j, clause, &["care", "cares", "think", "thinks"])
        && is(words, j + 1, clause, "about")
        && is_any(words, j + 2, clause, &["yourself", "you"])
        && before_has(words, j, clause, &["only", "just"])
    {
        return Some(m(Pattern::MindReading, i, j + 2));
    }
    // "you think (that) I'm / I am / I don't ..."
    if is(words, j, clause, "think") {
        let k = if is(words, j + 1, clause, "that") {
            j + 2
        } else {
            j + 1
        };
        if is(words, k, clause, "i")
            && !is_any(
                words,
                k + 1,
                clause,
                &["should", "could", "can", "might", "would", "may", "will"],
            )
        {
            let last = if is_any(words, k + 1, clause, &["am", "was", "do", "did"]) {
                k + 1
            } else {
                k
            };
            return Some(m(Pattern::MindReading, i, last));
        }
        return None;
    }
    // "you (just) want me to fail", "you want to hurt me".
    if is(words, j, clause, "want") {
        let intensified = before_has(
            words,
            j,
            clause,
            &[
                "just",
                "only",
                "obviously",
                "clearly",
                "secretly",
                "probably",
                "actually",
            ],
        );
        if seq(words, j + 1, clause, &["me", "to"]) {
            let k = j + 3;
            let bad_outcome = is_any(
                words,
                k,
                clause,
                &[
                    "fail",
                    "suffer",
                    "disappear",
                    "beg",
                    "grovel",
                    "cry",
                    "hurt",
                    "quit",
                ],
            ) || (is_any(words, k, clause, &["feel", "look"])
                && is_any(
                    words,
                    k + 1,
                    clause,
                    &[
                        "bad",
                        "guilty",
                        "stupid",
                        "small",
                        "worthless",
                        "terrible",
                        "awful",
                        "foolish",
                        "crazy",
                    ],
                ));
            if intensified || bad_outcome {
                return Some(m(Pattern::MindReading, i, j + 2));
            }
            return None;
        }
        if is(words, j + 1, clause, "to")
            && is_any(
                words,
                j + 2,
                clause,
                &["hurt", "punish", "control", "humiliate"],
            )
        {
            return Some(m(Pattern::MindReading, i, j + 2));
        }
        return None;
    }
    // "you're trying to hurt me", "you did that on purpose".
    let k = skip(words, j, clause, &["are", "were", "is"], 1);
    if is(words, k, clause, "trying")
        && is(words, k + 1, clause, "to")
        && is_any(
            words,
            k + 2,
            clause,
            &[
                "hurt",
                "upset",
                "punish",
                "control",
                "provoke",
                "manipulate",
                "annoy",
                "humiliate",
            ],
        )
    {
        return Some(m(Pattern::MindReading, i, k + 2));
    }
    for p in rest(words, i + 1, clause).take(5) {
        if seq(words, p, clause, &["on", "purpose"]) {
            return Some(m(Pattern::MindReading, i, p + 1));
        }
    }
    None
}
