//! Suggestions: the feelings and needs that may sit under a flagged sentence, chosen first
//! from what its phrases are about (their theme: attention, support, respect,
//! reliability), then from their patterns, then from a gentle generic list.

use super::Analysis;
use super::lexicon::{Theme, lexicon};
use super::matching::seq;
use super::tokens::{Word, tokenize};

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

/// The theme phrase starting at word `i` of clause `clause`, as its length in words.
pub(super) fn theme_at(words: &[Word], i: usize, clause: usize) -> Option<(&'static Theme, usize)> {
    for theme in &lexicon().theme {
        for phrase in &theme.phrases {
            if seq(words, i, clause, phrase) {
                return Some((theme, phrase.len()));
            }
        }
    }
    None
}

fn suggest(a: &Analysis, feelings: bool) -> Vec<&'static str> {
    let lex = lexicon();
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
                let list = if feelings { &t.feelings } else { &t.needs };
                for w in list.iter().take(2) {
                    push(w, &mut out);
                }
            }
        }
    }
    for f in &a.findings {
        let text = lex.pattern.of(f.pattern);
        let list = if feelings {
            &text.feelings
        } else {
            &text.needs
        };
        for w in list {
            push(w, &mut out);
        }
    }
    let generic = if feelings {
        &lex.generic.feelings
    } else {
        &lex.generic.needs
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
