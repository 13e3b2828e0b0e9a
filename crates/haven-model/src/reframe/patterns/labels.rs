//! Labels: name-calling, a verdict on the person instead of the act ("you're so selfish",
//! "you idiot", "stop being so lazy").

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::lexicon::lexicon;
use crate::reframe::matching::{at, in_list, is, is_any, skip};
use crate::reframe::tokens::Word;

/// The last label word of a run of label words and fillers starting at `from`.
fn label_walk(words: &[Word], from: usize, clause: usize) -> Option<usize> {
    // Walk over fillers; the last label word before a non-filler wins, so that "you're
    // such a selfish jerk" spans to "jerk" and "you're so selfish" to "selfish".
    let lex = lexicon();
    let mut k = from;
    let mut last = None;
    let mut n = 0;
    while n < 6 {
        let Some(w) = at(words, k, clause) else { break };
        if in_list(w, &lex.label.adjectives) || in_list(w, &lex.label.nouns) {
            last = Some(k);
        } else if !in_list(w, &lex.label.fillers) {
            break;
        }
        k += 1;
        n += 1;
    }
    last
}

/// "you are (so / such a / being ...) selfish", "you sound crazy".
pub(super) fn label_copular(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    if !is_any(words, i + 1, clause, &lexicon().label.copulas) {
        return None;
    }
    label_walk(words, i + 2, clause).map(|l| m(Pattern::Label, i, l))
}

/// "stop being so selfish": a label with the "you" left out.
pub(super) fn label_stop_being(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let prev = i.checked_sub(1).and_then(|p| at(words, p, clause))?;
    if !["stop", "quit"].contains(&prev) || !is(words, i, clause, "being") {
        return None;
    }
    label_walk(words, i + 1, clause).map(|l| m(Pattern::Label, i - 1, l))
}

/// "you idiot", "you selfish jerk": name-calling in direct address.
pub(super) fn label_direct(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let lex = lexicon();
    let j = skip(words, i + 1, clause, &lex.label.adjectives, 2);
    let j = skip(words, j, clause, &["little", "big", "stupid"], 1);
    if is_any(words, j, clause, &lex.label.nouns) {
        return Some(m(Pattern::Label, i, j));
    }
    None
}
