//! Need statements: recognising one ("I feel ... could we ...?") in analysed text, and
//! building one from the parts the user typed ([`need_statement`]).

use super::lexicon::lexicon;
use super::matching::{is, is_any, seq, skip};
use super::tokens::{Word, tokenize};

/// Builds "I feel {feel}. I need {need}. Could we {request}?".
///
/// Each part is trimmed of surrounding whitespace and of trailing punctuation (so "lonely."
/// does not become "lonely.."), inner runs of whitespace become one space, and a leading
/// "I feel" / "I'm feeling" / "I am" (for `feel`), "I need" / "I'd like" / "I would like"
/// (for `need`) or "could we" / "can we" / "would we" / "shall we" / "let's" (for
/// `request`) that the user may have typed is removed, case-insensitively. Nothing else is
/// lowercased. An empty part is left out; when all three are empty the result is empty.
pub fn need_statement(feel: &str, need: &str, request: &str) -> String {
    let feel = clean_part(
        feel,
        &[
            &["i", "am", "feeling"],
            &["i", "have", "been", "feeling"],
            &["i", "feel"],
            &["i", "am"],
        ],
    );
    let need = clean_part(
        need,
        &[
            &["i", "really", "need"],
            &["i", "need"],
            &["i", "would", "really", "like"],
            &["i", "would", "like"],
            &["i", "would", "love"],
        ],
    );
    let request = clean_part(
        request,
        &[
            &["could", "we"],
            &["can", "we"],
            &["would", "we"],
            &["shall", "we"],
            &["let", "us"],
            &["lets"],
        ],
    );
    let mut parts = Vec::new();
    if !feel.is_empty() {
        parts.push(format!("I feel {feel}."));
    }
    if !need.is_empty() {
        parts.push(format!("I need {need}."));
    }
    if !request.is_empty() {
        parts.push(format!("Could we {request}?"));
    }
    parts.join(" ")
}

/// Whether the text opens with an I-feeling or I-need phrase ("I feel", "I'm feeling",
/// "I need", "I'd like", "I would like"), not followed by a thought about "you".
pub(super) fn opens_with_feeling(words: &[Word]) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    let c = first.clause;
    if !is(words, 0, c, "i") {
        return false;
    }
    let j = skip(
        words,
        1,
        c,
        &["really", "just", "honestly", "sometimes", "often", "do"],
        1,
    );
    let after = if is_any(words, j, c, &["feel", "need"]) {
        j + 1
    } else if seq(words, j, c, &["am", "feeling"])
        || seq(words, j, c, &["am", "needing"])
        || seq(words, j, c, &["would", "like"])
        || seq(words, j, c, &["would", "love"])
    {
        j + 2
    } else if seq(words, j, c, &["have", "been", "feeling"]) {
        j + 3
    } else {
        return false;
    };
    // "I feel (like / that / as if) you ...": a thought, not a feeling.
    let k = if is_any(words, after, c, &["like", "that"]) {
        after + 1
    } else if seq(words, after, c, &["as", "if"]) || seq(words, after, c, &["as", "though"]) {
        after + 2
    } else {
        after
    };
    !(is_any(words, k, c, &["you", "your"]) && is_any(words, j, c, &["feel", "am", "have"]))
}

/// Whether the text contains a request ("could we", "can we", "would you", "let's", ...).
pub(super) fn has_request(words: &[Word]) -> bool {
    let requests = &lexicon().requests;
    (0..words.len()).any(|i| requests.iter().any(|r| seq(words, i, words[i].clause, r)))
}

/// Trims a user-typed part of a need statement and removes one leading phrase from
/// `prefixes` (compared as normalised words).
fn clean_part(part: &str, prefixes: &[&[&str]]) -> String {
    let collapsed = part.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s = collapsed.as_str();
    let words = tokenize(s);
    for prefix in prefixes {
        if words.len() >= prefix.len()
            && words.first().is_some_and(|w| w.start == 0)
            && seq(words.as_slice(), 0, words[0].clause, prefix)
        {
            // The last normalised word may be one half of a source word ("I'm" gives
            // "i", "am"); cut after the source word that holds it.
            let end = words[prefix.len() - 1].end;
            if let Some(after) = s.get(end..) {
                s = after;
            }
            break;
        }
    }
    let trim_lead = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '\u{2014}');
    let trim_tail =
        |c: char| c.is_whitespace() || matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\u{2026}');
    s.trim_start_matches(trim_lead)
        .trim_end_matches(trim_tail)
        .to_string()
}
