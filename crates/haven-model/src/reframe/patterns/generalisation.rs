//! Generalisations: "nobody cares", "everyone hates me", "nothing ever changes", "every
//! single time": a hard moment made permanent and universal. Only claims about me or you
//! count; "everyone arrived on time" is left alone.

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::lexicon::lexicon;
use crate::reframe::matching::{ahead_has, at, in_list, is, is_any, praise_ahead, seq, skip};
use crate::reframe::tokens::Word;

const PERSONAL: &[&str] = &["me", "my", "myself", "mine", "you", "your", "yourself", "i"];
const PERSONAL_OBJECT: &[&str] = &["me", "myself", "us"];

/// "nobody cares", "everyone hates me", "nothing ever changes", "nothing I do ...",
/// "every single time".
pub(super) fn generalisation(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let w = at(words, i, clause)?;
    let lex = lexicon();
    let as_subject = i
        .checked_sub(1)
        .and_then(|p| at(words, p, clause))
        .is_none_or(|p| in_list(p, &lex.generalisation.before_subject));
    match w {
        "nobody" | "no" => {
            let last = if w == "no" {
                if !is(words, i + 1, clause, "one") {
                    return None;
                }
                i + 1
            } else {
                i
            };
            if !as_subject {
                return None;
            }
            let v = skip(
                words,
                last + 1,
                clause,
                &[
                    "ever", "really", "even", "actually", "else", "truly", "seems", "seem",
                ],
                2,
            );
            let v = skip(words, v, clause, &["to"], 1);
            let verb_claim = is_any(words, v, clause, &lex.generalisation.nobody_verbs)
                && (at(words, v + 1, clause).is_none()
                    || is_any(words, v + 1, clause, &["anymore", "about", "ever", "at"])
                    || ahead_has(words, v + 1, clause, 6, PERSONAL));
            let about_me = ahead_has(words, last + 1, clause, 6, PERSONAL_OBJECT);
            (verb_claim || about_me).then(|| m(Pattern::Generalisation, i, last))
        }
        "everyone" => {
            if !as_subject {
                return None;
            }
            let v = skip(
                words,
                i + 1,
                clause,
                &["always", "else", "just", "ever", "still", "really"],
                2,
            );
            (is_any(words, v, clause, &lex.generalisation.everyone_verbs)
                && ahead_has(words, v + 1, clause, 6, PERSONAL)
                && !praise_ahead(words, v, clause))
            .then(|| m(Pattern::Generalisation, i, i))
        }
        "nothing" => {
            if is(words, i + 1, clause, "ever") {
                let claim = is_any(
                    words,
                    i + 2,
                    clause,
                    &[
                        "changes",
                        "change",
                        "works",
                        "helps",
                        "improves",
                        "gets",
                        "goes",
                        "is",
                        "pleases",
                        "satisfies",
                        "feels",
                        "makes",
                        "seems",
                    ],
                ) || ahead_has(words, i + 2, clause, 6, PERSONAL);
                return claim.then(|| m(Pattern::Generalisation, i, i + 1));
            }
            if is(words, i + 1, clause, "i")
                && is_any(words, i + 2, clause, &["do", "did", "say", "said", "try"])
            {
                return Some(m(Pattern::Generalisation, i, i + 2));
            }
            None
        }
        "every" if seq(words, i + 1, clause, &["single", "time"]) => {
            (ahead_has(words, i + 3, clause, 8, &["you"]) && !praise_ahead(words, i + 3, clause))
                .then(|| m(Pattern::Generalisation, i, i + 2))
        }
        _ => None,
    }
}
