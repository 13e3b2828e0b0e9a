//! Labels: name-calling, a verdict on the person instead of the act ("you're so selfish",
//! "you idiot", "stop being so lazy"), and the word lists it is recognised by.

use super::{Match, m};
use crate::reframe::Pattern;
use crate::reframe::matching::{at, is, is_any, skip};
use crate::reframe::tokens::Word;

const LABEL_ADJECTIVES: &[&str] = &[
    "selfish",
    "lazy",
    "stupid",
    "dumb",
    "useless",
    "pathetic",
    "crazy",
    "insane",
    "dramatic",
    "overdramatic",
    "childish",
    "immature",
    "heartless",
    "cold-hearted",
    "cruel",
    "mean",
    "rude",
    "narcissistic",
    "controlling",
    "manipulative",
    "toxic",
    "impossible",
    "hopeless",
    "worthless",
    "ridiculous",
    "clueless",
    "inconsiderate",
    "irresponsible",
    "unreliable",
    "careless",
    "thoughtless",
    "ungrateful",
    "needy",
    "clingy",
    "annoying",
    "boring",
    "hysterical",
    "paranoid",
    "jealous",
    "weak",
    "fake",
    "arrogant",
    "stingy",
    "neurotic",
    "self-centred",
    "self-centered",
    "self-absorbed",
    "spoiled",
    "spoilt",
    "disgusting",
    "unbearable",
    "incompetent",
    "psycho",
    "evil",
    "abusive",
    "cheap",
    "hypocritical",
    "ignorant",
    "nasty",
    "petty",
    "pushy",
    "bossy",
    "sloppy",
    "dishonest",
    "untrustworthy",
    "impossible",
];

const LABEL_NOUNS: &[&str] = &[
    "idiot",
    "jerk",
    "moron",
    "loser",
    "liar",
    "narcissist",
    "failure",
    "mess",
    "disaster",
    "nightmare",
    "hypocrite",
    "bully",
    "slob",
    "coward",
    "child",
    "brat",
    "fool",
    "pig",
    "monster",
    "joke",
    "psycho",
    "snob",
    "control-freak",
];

/// The last label word of a run of label words and fillers starting at `from`.
fn label_walk(words: &[Word], from: usize, clause: usize) -> Option<usize> {
    const FILLERS: &[&str] = &[
        "are",
        "being",
        "acting",
        "so",
        "such",
        "a",
        "an",
        "the",
        "really",
        "very",
        "just",
        "totally",
        "completely",
        "always",
        "constantly",
        "most",
        "absolutely",
        "absolute",
        "total",
        "complete",
        "utter",
        "utterly",
        "incredibly",
        "truly",
        "seriously",
        "literally",
        "honestly",
        "kind",
        "of",
        "kinda",
        "sort",
        "bit",
        "little",
        "pretty",
        "too",
        "way",
        "like",
        "still",
    ];
    // Walk over fillers; the last label word before a non-filler wins, so that "you're
    // such a selfish jerk" spans to "jerk" and "you're so selfish" to "selfish".
    let mut k = from;
    let mut last = None;
    let mut n = 0;
    while n < 6 {
        let Some(w) = at(words, k, clause) else { break };
        if LABEL_ADJECTIVES.contains(&w) || LABEL_NOUNS.contains(&w) {
            last = Some(k);
        } else if !FILLERS.contains(&w) {
            break;
        }
        k += 1;
        n += 1;
    }
    last
}

/// "you are (so / such a / being ...) selfish", "you sound crazy".
pub(super) fn label_copular(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    const COPULAS: &[&str] = &[
        "are", "were", "sound", "look", "seem", "act", "acting", "being", "behave", "behaving",
    ];
    if !is_any(words, i + 1, clause, COPULAS) {
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
    let j = skip(words, i + 1, clause, LABEL_ADJECTIVES, 2);
    let j = skip(words, j, clause, &["little", "big", "stupid"], 1);
    if is_any(words, j, clause, LABEL_NOUNS) {
        return Some(m(Pattern::Label, i, j));
    }
    None
}
