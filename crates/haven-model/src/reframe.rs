//! The communication-practice analyser behind `haven reframe TEXT`.
//!
//! [`analyze`] reads one sentence (or a short paragraph) written to or about a partner and
//! points at the phrasings that tend to land as an attack: absolutes about the other person
//! ("you never ...", "you always ..."), blame and causation ("you make me ...", "it's your
//! fault"), mind-reading ("you don't care"), sweeping generalisations ("nobody listens to
//! me"), name-calling ("you're so selfish") and demands ("you need to ..."). Each
//! [`Finding`] carries its [`Pattern`] and the byte span of the phrase in the original text,
//! so a caller can underline it. [`need_statement`], [`suggest_feelings`] and
//! [`suggest_needs`] then help the user rebuild the sentence as "I feel ... / I need ... /
//! could we ...?". Everything here is pure: no I/O, no printing, no environment.
//!
//! # How text is read
//!
//! The input is split into *words*: maximal runs of letters, digits and combining marks,
//! where an apostrophe (`'`, `’`, `‘`, `ʼ`) or a hyphen joins two word characters into one
//! word ("don’t", "self-centred", "Zoë"). Words are compared lowercased, and contractions
//! are expanded before matching, with or without the apostrophe: "don't"/"dont"/"do not",
//! "you're"/"youre"/"you are", "doesn't", "I'm", "you've", "gotta" and so on; "u" is read
//! as "you". Offsets of a finding always come from the original text, so they sit on char
//! boundaries and `&sentence[start..end] == matched`.
//!
//! Words of one phrase must be separated by whitespace only. Any other character (a
//! comma, dots, an exclamation mark, a dash, a quote, an emoji) closes a *clause*, and no
//! phrase is matched across it: "You NEVER... listen!!!" is found as "You NEVER", while
//! "you... never listen" and "you—never" are not findings. This is deliberate: punctuation
//! usually means the words no longer belong to one claim ("Thank you, never mind").
//!
//! # What is not flagged
//!
//! Only *you* as the subject is checked, so sentences about oneself ("I always feel better
//! after we talk") or third parties ("she always arrives early") pass. Questions and
//! requests where "you" follows an auxiliary ("do you always take this train?", "could you
//! always text me?") pass unless the clause has a "why". Conditionals ("if you need to
//! rest ...") pass, and so does praise ("you always make me laugh", "it's not your fault").
//! A sentence that opens with "I feel", "I need", "I'd like", "I would like" or "I'm
//! feeling" and contains a request ("could we", "can we", "would you", "will you",
//! "let's", "please", ...) is a *need statement*: it gets no findings at all, unless it also
//! carries name-calling, blame, "you make me" or mind-reading, which are attacks however
//! they are framed. "I feel like you ..." / "I feel that you ..." do not count as a
//! feeling opener, since they introduce a thought about the other person.
//!
//! # Where the parts live
//!
//! The analyser runs in stages, one module each: `tokens` splits the text into words,
//! `matching` holds the small word-by-word tests every pattern is built from, `patterns`
//! finds the phrases (one submodule per family of patterns), `statement` recognises and
//! builds need statements, and `suggest` picks the feelings and needs to offer. The words
//! they look for and the text they offer (explanations, hints, suggestions) are data, in
//! `data/reframe.toml`, read by `lexicon`.

mod lexicon;
mod matching;
mod patterns;
mod statement;
mod suggest;
#[cfg(test)]
mod tests;
mod tokens;

use serde::{Deserialize, Serialize};

pub use statement::need_statement;
pub use suggest::{suggest_feelings, suggest_needs};

use lexicon::lexicon;
use patterns::match_at;
use statement::{has_request, opens_with_feeling};
use tokens::tokenize;

/// A phrasing that tends to be heard as an attack rather than as a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// "You always ...": an absolute about the other person's behaviour.
    Always,
    /// "You never ...": an absolute about what the other person does not do.
    Never,
    /// "You make me ...": the other person is held responsible for my feelings.
    YouMakeMe,
    /// "It's your fault", "because of you", "you ruined ...": assigning blame.
    Blame,
    /// "You don't care", "you think I'm ...": claiming to know the other's mind.
    MindReading,
    /// "Nobody listens to me", "everyone hates me", "nothing ever changes".
    Generalisation,
    /// "You're so selfish", "you idiot": a label on the person instead of the act.
    Label,
    /// "You should ...", "you need to ...", "you have to ...": an order, not a request.
    Demand,
}

impl Pattern {
    /// Every pattern, in a stable order.
    pub const ALL: [Pattern; 8] = [
        Pattern::Always,
        Pattern::Never,
        Pattern::YouMakeMe,
        Pattern::Blame,
        Pattern::MindReading,
        Pattern::Generalisation,
        Pattern::Label,
        Pattern::Demand,
    ];

    /// The stable lowercase id of the pattern (also its serde name), e.g. `"you-make-me"`.
    pub fn id(self) -> &'static str {
        match self {
            Pattern::Always => "always",
            Pattern::Never => "never",
            Pattern::YouMakeMe => "you-make-me",
            Pattern::Blame => "blame",
            Pattern::MindReading => "mind-reading",
            Pattern::Generalisation => "generalisation",
            Pattern::Label => "label",
            Pattern::Demand => "demand",
        }
    }

    /// The pattern with the given id, if there is one.
    pub fn from_id(id: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.id() == id)
    }

    /// A short plain-language explanation: why the phrasing tends to land as an attack and
    /// what to say instead.
    pub fn explanation(self) -> &'static str {
        &lexicon().pattern.of(self).explanation
    }

    /// A one-line hint for rewording, e.g. what kind of sentence to try instead.
    pub fn hint(self) -> &'static str {
        &lexicon().pattern.of(self).hint
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One flagged phrase of an analysed sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Which pattern the phrase follows.
    pub pattern: Pattern,
    /// The phrase exactly as written, equal to `&sentence[start..end]`.
    pub matched: String,
    /// Byte offset of the phrase's start in the original sentence (a char boundary).
    pub start: usize,
    /// Byte offset just past the phrase's end in the original sentence (a char boundary).
    pub end: usize,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// The flagged phrases, ordered by start offset (then by pattern).
    pub findings: Vec<Finding>,
    /// True when the sentence already is an I-statement with a request; then `findings`
    /// is empty.
    pub is_need_statement: bool,
}

/// Analyses one sentence (or a short paragraph) for phrasings that tend to land as an
/// attack. Never panics, whatever the input.
pub fn analyze(sentence: &str) -> Analysis {
    let words = tokenize(sentence);
    let mut findings = Vec::new();
    for i in 0..words.len() {
        for m in match_at(&words, i) {
            let (start, end) = (words[m.first].start, words[m.last].end);
            findings.push(Finding {
                pattern: m.pattern,
                matched: sentence[start..end].to_string(),
                start,
                end,
            });
        }
    }
    findings.sort_by(|a, b| (a.start, a.pattern, b.end).cmp(&(b.start, b.pattern, a.end)));
    // Drop a finding that overlaps an earlier one of the same pattern.
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        let overlaps = kept
            .iter()
            .any(|k| k.pattern == f.pattern && f.start < k.end && k.start < f.end);
        if !overlaps {
            kept.push(f);
        }
    }
    let attacks = kept.iter().any(|f| {
        matches!(
            f.pattern,
            Pattern::Label | Pattern::Blame | Pattern::YouMakeMe | Pattern::MindReading
        )
    });
    let is_need_statement = !attacks && opens_with_feeling(&words) && has_request(&words);
    if is_need_statement {
        kept.clear();
    }
    Analysis {
        findings: kept,
        is_need_statement,
    }
}
