//! Suggestions: the feelings and needs that may sit under a flagged sentence, chosen first
//! from what its phrases are about (their theme: attention, support, respect,
//! reliability), then from their patterns, then from a gentle generic list.

use super::matching::seq;
use super::tokens::{Word, tokenize};
use super::{Analysis, Pattern};

/// Two to four gentle feeling words that may sit under the flagged sentence, chosen from
/// its patterns and what the phrases are about (words from Haven's feelings vocabulary).
pub fn suggest_feelings(a: &Analysis) -> Vec<&'static str> {
    suggest(a, true)
}

/// Two to four needs that may sit under the flagged sentence, chosen from its patterns and
/// what the phrases are about (words from Haven's needs vocabulary).
pub fn suggest_needs(a: &Analysis) -> Vec<&'static str> {
    suggest(a, false)
}

/// What a flagged phrase is about, when its words tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Theme {
    Attention,
    Support,
    Respect,
    Reliability,
}

/// Phrases that name a theme, longest first within each theme.
const THEMES: &[(Theme, &[&[&str]])] = &[
    (
        Theme::Respect,
        &[
            &["put", "me", "down"],
            &["talk", "down"],
            &["interrupt"],
            &["interrupts"],
            &["criticise"],
            &["criticize"],
            &["yell"],
            &["shout"],
            &["judge"],
            &["mock"],
            &["correct"],
            &["blame"],
        ],
    ),
    (
        Theme::Attention,
        &[
            &["pay", "attention"],
            &["spend", "time"],
            &["make", "time"],
            &["have", "time"],
            &["listen"],
            &["listens"],
            &["listening"],
            &["notice"],
            &["call"],
            &["text"],
            &["ask"],
            &["talk"],
            &["care"],
            &["cared"],
            &["hug"],
            &["there"],
            &["home"],
            &["on", "your", "phone"],
        ],
    ),
    (
        Theme::Support,
        &[
            &["pitch", "in"],
            &["do", "anything"],
            &["help"],
            &["helps"],
            &["clean"],
            &["cook"],
            &["share"],
        ],
    ),
    (
        Theme::Reliability,
        &[
            &["keep", "your", "word"],
            &["late"],
            &["forget"],
            &["forgets"],
            &["cancel"],
            &["show", "up"],
        ],
    ),
];

/// The theme phrase starting at word `i` of clause `clause`, as its length in words.
pub(super) fn theme_at(words: &[Word], i: usize, clause: usize) -> Option<(Theme, usize)> {
    for (theme, phrases) in THEMES {
        for phrase in *phrases {
            if seq(words, i, clause, phrase) {
                return Some((*theme, phrase.len()));
            }
        }
    }
    None
}

fn theme_feelings(t: Theme) -> &'static [&'static str] {
    match t {
        Theme::Attention => &["lonely", "unseen", "taken for granted"],
        Theme::Support => &["overwhelmed", "tired", "resentful"],
        Theme::Respect => &["hurt", "small", "dismissed"],
        Theme::Reliability => &["disappointed", "let down", "anxious"],
    }
}

fn theme_needs(t: Theme) -> &'static [&'static str] {
    match t {
        Theme::Attention => &["connection", "being heard", "presence"],
        Theme::Support => &["support", "teamwork", "a shared load"],
        Theme::Respect => &["respect", "being heard", "dignity"],
        Theme::Reliability => &["reliability", "kept promises", "trust"],
    }
}

fn pattern_feelings(p: Pattern) -> &'static [&'static str] {
    match p {
        Pattern::Always | Pattern::Never => &["frustrated", "disappointed"],
        Pattern::YouMakeMe | Pattern::Blame => &["hurt", "overwhelmed"],
        Pattern::MindReading => &["insecure", "lonely"],
        Pattern::Generalisation => &["isolated", "discouraged"],
        Pattern::Label => &["angry", "hurt"],
        Pattern::Demand => &["stressed", "worried"],
    }
}

fn pattern_needs(p: Pattern) -> &'static [&'static str] {
    match p {
        Pattern::Always | Pattern::Never => &["consideration", "understanding"],
        Pattern::YouMakeMe | Pattern::Blame => &["understanding", "a pause"],
        Pattern::MindReading => &["reassurance", "closeness"],
        Pattern::Generalisation => &["belonging", "support"],
        Pattern::Label => &["respect", "consideration"],
        Pattern::Demand => &["support", "collaboration"],
    }
}

const GENERIC_FEELINGS: [&str; 3] = ["hurt", "tired", "worried"];
const GENERIC_NEEDS: [&str; 3] = ["understanding", "connection", "rest"];

fn suggest(a: &Analysis, feelings: bool) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let push = |w: &'static str, out: &mut Vec<&'static str>| {
        if out.len() < 4 && !out.contains(&w) {
            out.push(w);
        }
    };
    // Themes first: they are the most specific.
    for f in &a.findings {
        let words = tokenize(&f.matched);
        for i in 0..words.len() {
            if let Some((t, _)) = theme_at(&words, i, words[i].clause) {
                let list = if feelings {
                    theme_feelings(t)
                } else {
                    theme_needs(t)
                };
                for w in list.iter().take(2) {
                    push(w, &mut out);
                }
            }
        }
    }
    for f in &a.findings {
        let list = if feelings {
            pattern_feelings(f.pattern)
        } else {
            pattern_needs(f.pattern)
        };
        for w in list {
            push(w, &mut out);
        }
    }
    let generic: &[&'static str] = if feelings {
        &GENERIC_FEELINGS
    } else {
        &GENERIC_NEEDS
    };
    let wanted = if a.findings.is_empty() { 3 } else { 2 };
    for w in generic {
        if out.len() >= wanted {
            break;
        }
        push(w, &mut out);
    }
    out
}
