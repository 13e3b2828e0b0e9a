//! Demands: "you should / must / need to / have to ...", an order rather than a request,
//! with the encouragement ("you should see the sunset") and disbelief ("you've got to be
//! kidding") that are left alone.

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::lexicon::lexicon;
use crate::reframe::matching::{is, is_any, praise_ahead, seq, skip};
use crate::reframe::tokens::Word;

/// "you should / must / need to / have to / have got to / had better / ought to ...".
pub(super) fn demand(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let lex = lexicon();
    let j = skip(words, i + 1, clause, &lex.demand.adverbs, 2);
    let last = if is_any(words, j, clause, &["should", "must"]) {
        j
    } else if is_any(words, j, clause, &["need", "needs", "have", "has", "ought"])
        && is(words, j + 1, clause, "to")
    {
        j + 1
    } else if is_any(words, j, clause, &["have", "had", "has"])
        && seq(words, j + 1, clause, &["got", "to"])
    {
        j + 2
    } else if seq(words, j, clause, &["got", "to"])
        || (is_any(words, j, clause, &["would", "had"]) && is(words, j + 1, clause, "better"))
    {
        j + 1
    } else if is(words, j, clause, "better") {
        j
    } else {
        return None;
    };
    let next = skip(
        words,
        last + 1,
        clause,
        &["really", "just", "definitely", "totally"],
        1,
    );
    // "you should be proud of yourself" is encouragement.
    if is_any(words, next, clause, &lex.demand.friendly)
        || (is(words, next, clause, "be") && praise_ahead(words, next, clause))
    {
        return None;
    }
    // "you should not have to ..." is on their side; "you've got to be kidding" is
    // disbelief, not an order.
    if seq(words, next, clause, &["not", "have", "to"])
        || seq(words, next, clause, &["never", "have", "to"])
        || seq(words, next, clause, &["be", "kidding"])
        || seq(words, next, clause, &["be", "joking"])
    {
        return None;
    }
    Some(m(Pattern::Demand, i, last))
}
