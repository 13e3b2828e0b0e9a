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

use serde::{Deserialize, Serialize};

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
        match self {
            Pattern::Always => {
                "\"Always\" turns one moment into a verdict on the whole person. They will \
                 hunt for the one time it wasn't true instead of hearing you. Name the \
                 specific moment and how it felt."
            }
            Pattern::Never => {
                "\"Never\" erases every time they did show up, so it invites a defence \
                 rather than closeness. Talk about this time, and about what you long for."
            }
            Pattern::YouMakeMe => {
                "\"You make me ...\" hands the other person the controls of your feelings, \
                 which sounds like an accusation. Own the feeling: \"I feel ... when ...\"."
            }
            Pattern::Blame => {
                "Blame asks who is guilty, and the other person will argue the verdict. \
                 Describe what happened and what it cost you, then what would help now."
            }
            Pattern::MindReading => {
                "Telling someone what they think or feel leaves them nothing to do but deny \
                 it. Say what you fear or notice, and ask what is true for them."
            }
            Pattern::Generalisation => {
                "Words like \"everyone\", \"nobody\" and \"nothing ever\" make a hard moment \
                 feel permanent and universal. Bring it back to this person and this time."
            }
            Pattern::Label => {
                "A label judges who someone is, not what they did, and people defend their \
                 identity hard. Describe the action and its effect on you instead."
            }
            Pattern::Demand => {
                "\"You should / need to / have to\" sounds like an order, and orders invite \
                 resistance. Turn it into a request they are free to say yes to."
            }
        }
    }

    /// A one-line hint for rewording, e.g. what kind of sentence to try instead.
    pub fn hint(self) -> &'static str {
        match self {
            Pattern::Always => "Try: \"Last night when ..., I felt ...\"",
            Pattern::Never => "Try: \"I miss it when ...; could we ...?\"",
            Pattern::YouMakeMe => "Try: \"I feel ... when ..., because I need ...\"",
            Pattern::Blame => "Try: \"When ... happened, I felt ...; can we ...?\"",
            Pattern::MindReading => "Try: \"I'm afraid that ...; is that how it is for you?\"",
            Pattern::Generalisation => "Try naming one person and one moment.",
            Pattern::Label => "Try: \"When you ..., I felt ...\"",
            Pattern::Demand => "Try: \"Would you be willing to ...?\"",
        }
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

// ---------------------------------------------------------------------------------------
// Suggestions

/// What a flagged phrase is about, when its words tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Theme {
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
fn theme_at(words: &[Word], i: usize, clause: usize) -> Option<(Theme, usize)> {
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

// ---------------------------------------------------------------------------------------
// Tokenising

/// One normalised word with the byte span of the source word it came from.
#[derive(Debug, Clone)]
struct Word {
    /// Lowercased, apostrophes normalised, contraction expanded (one part of it).
    norm: String,
    /// Byte span of the whole source word in the input.
    start: usize,
    end: usize,
    /// Clause number; punctuation between words starts a new clause.
    clause: usize,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}')
}

fn is_combining(c: char) -> bool {
    matches!(
        c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining(c)
}

fn tokenize(s: &str) -> Vec<Word> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut words = Vec::new();
    let mut clause = 0usize;
    let mut pending_break = false;
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !is_word_char(c) {
            if !c.is_whitespace() {
                pending_break = true;
            }
            i += 1;
            continue;
        }
        let mut raw = String::new();
        let mut j = i;
        while let Some(&(_, cj)) = chars.get(j) {
            if is_word_char(cj) {
                raw.extend(cj.to_lowercase());
                j += 1;
                continue;
            }
            let joiner = is_apostrophe(cj) || cj == '-';
            let next_is_word = chars.get(j + 1).is_some_and(|&(_, n)| is_word_char(n));
            if joiner && next_is_word {
                raw.push(if cj == '-' { '-' } else { '\'' });
                j += 1;
                continue;
            }
            break;
        }
        let end = chars.get(j).map_or(s.len(), |&(p, _)| p);
        if pending_break {
            clause += 1;
            pending_break = false;
        }
        for norm in expand(&raw) {
            words.push(Word {
                norm,
                start,
                end,
                clause,
            });
        }
        i = j;
    }
    words
}

/// Expands a lowercased word into its canonical words ("don't" -> "do", "not").
fn expand(w: &str) -> Vec<String> {
    const TABLE: &[(&str, &[&str])] = &[
        ("dont", &["do", "not"]),
        ("doesnt", &["does", "not"]),
        ("didnt", &["did", "not"]),
        ("wont", &["will", "not"]),
        ("cant", &["can", "not"]),
        ("cannot", &["can", "not"]),
        ("isnt", &["is", "not"]),
        ("arent", &["are", "not"]),
        ("wasnt", &["was", "not"]),
        ("werent", &["were", "not"]),
        ("havent", &["have", "not"]),
        ("hasnt", &["has", "not"]),
        ("hadnt", &["had", "not"]),
        ("shouldnt", &["should", "not"]),
        ("wouldnt", &["would", "not"]),
        ("couldnt", &["could", "not"]),
        ("youre", &["you", "are"]),
        ("youve", &["you", "have"]),
        ("youll", &["you", "will"]),
        ("youd", &["you", "would"]),
        ("u", &["you"]),
        ("im", &["i", "am"]),
        ("ive", &["i", "have"]),
        ("thats", &["that", "is"]),
        ("whats", &["what", "is"]),
        ("gotta", &["got", "to"]),
        ("gonna", &["going", "to"]),
        ("wanna", &["want", "to"]),
        ("noone", &["nobody"]),
        ("no-one", &["nobody"]),
        ("everybody", &["everyone"]),
        ("can't", &["can", "not"]),
        ("won't", &["will", "not"]),
        ("shan't", &["shall", "not"]),
        ("ain't", &["is", "not"]),
        ("let's", &["let", "us"]),
        ("it's", &["it", "is"]),
        ("that's", &["that", "is"]),
        ("what's", &["what", "is"]),
        ("he's", &["he", "is"]),
        ("she's", &["she", "is"]),
        ("there's", &["there", "is"]),
        ("who's", &["who", "is"]),
    ];
    if let Some((_, parts)) = TABLE.iter().find(|(k, _)| *k == w) {
        return parts.iter().map(|p| (*p).to_string()).collect();
    }
    const SUFFIXES: &[(&str, &str)] = &[
        ("n't", "not"),
        ("'re", "are"),
        ("'ve", "have"),
        ("'ll", "will"),
        ("'d", "would"),
        ("'m", "am"),
    ];
    for (suffix, word) in SUFFIXES {
        if let Some(stem) = w.strip_suffix(suffix)
            && !stem.is_empty()
        {
            return vec![stem.to_string(), (*word).to_string()];
        }
    }
    vec![w.to_string()]
}

// ---------------------------------------------------------------------------------------
// Matching helpers

/// The normalised word at `i` if it belongs to `clause`.
fn at(words: &[Word], i: usize, clause: usize) -> Option<&str> {
    words
        .get(i)
        .filter(|w| w.clause == clause)
        .map(|w| w.norm.as_str())
}

fn is(words: &[Word], i: usize, clause: usize, s: &str) -> bool {
    at(words, i, clause) == Some(s)
}

fn is_any(words: &[Word], i: usize, clause: usize, set: &[&str]) -> bool {
    at(words, i, clause).is_some_and(|w| set.contains(&w))
}

/// Whether `phrase` appears word for word from `i` inside `clause`.
fn seq(words: &[Word], i: usize, clause: usize, phrase: &[&str]) -> bool {
    phrase
        .iter()
        .enumerate()
        .all(|(k, p)| is(words, i + k, clause, p))
}

/// Skips up to `max` words from `set`, returning the index of the first other word.
fn skip(words: &[Word], mut i: usize, clause: usize, set: &[&str], max: usize) -> usize {
    let mut n = 0;
    while n < max && is_any(words, i, clause, set) {
        i += 1;
        n += 1;
    }
    i
}

/// The indices of the rest of the clause from `i` on.
fn rest(words: &[Word], i: usize, clause: usize) -> impl Iterator<Item = usize> + '_ {
    (i..words.len()).take_while(move |&k| words[k].clause == clause)
}

/// Whether any word of the clause before `i` is in `set`.
fn before_has(words: &[Word], i: usize, clause: usize, set: &[&str]) -> bool {
    (0..i)
        .rev()
        .take_while(|&k| words[k].clause == clause)
        .any(|k| set.contains(&words[k].norm.as_str()))
}

/// Whether any of the next `n` words of the clause from `i` on is in `set`.
fn ahead_has(words: &[Word], i: usize, clause: usize, n: usize, set: &[&str]) -> bool {
    rest(words, i, clause)
        .take(n)
        .any(|k| set.contains(&words[k].norm.as_str()))
}

const NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "without", "hardly", "barely", "less", "nobody",
];

const PRAISE: &[&str] = &[
    "laugh",
    "laughing",
    "smile",
    "smiling",
    "grin",
    "happy",
    "happier",
    "happiest",
    "safe",
    "safer",
    "loved",
    "cherished",
    "special",
    "better",
    "best",
    "good",
    "great",
    "calm",
    "calmer",
    "proud",
    "grateful",
    "thankful",
    "glad",
    "joy",
    "cheer",
    "joyful",
    "lucky",
    "welcome",
    "welcomed",
    "appreciated",
    "valued",
    "understood",
    "beautiful",
    "confident",
    "comfortable",
    "relaxed",
    "hopeful",
    "strong",
    "stronger",
    "brave",
    "warm",
    "alive",
    "excited",
    "kind",
    "sweet",
    "patient",
    "generous",
    "thoughtful",
    "supportive",
    "caring",
    "gentle",
    "helpful",
    "lovely",
    "wonderful",
    "amazing",
    "favourite",
    "favorite",
    "fun",
    "peaceful",
    "cosy",
    "cozy",
];

/// Whether the clause from `i` on reads as praise: a praise word and no negation.
fn praise_ahead(words: &[Word], i: usize, clause: usize) -> bool {
    let mut praise = false;
    for k in rest(words, i, clause) {
        let w = words[k].norm.as_str();
        if NEGATORS.contains(&w) {
            return false;
        }
        if PRAISE.contains(&w) || (w == "there" && is(words, k + 1, clause, "for")) {
            praise = true;
        }
    }
    praise
}

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

const OBJECT_BEFORE: &[&str] = &[
    "love",
    "loved",
    "miss",
    "missed",
    "adore",
    "thank",
    "thanks",
    "cherish",
    "trust",
    "trusted",
    "need",
    "needed",
    "want",
    "wanted",
    "choose",
    "chose",
    "tell",
    "told",
    "ask",
    "asked",
    "remind",
    "reminded",
    "call",
    "called",
    "text",
    "texted",
    "hug",
    "kiss",
    "meet",
    "met",
    "help",
    "helped",
    "support",
    "supported",
    "forgive",
    "forgave",
    "blame",
    "bless",
    "with",
    "for",
    "to",
    "about",
    "at",
    "by",
    "from",
    "of",
    "without",
    "beside",
    "around",
    "near",
    "behind",
    "against",
    "than",
];

const INVERTERS: &[&str] = &[
    "do", "does", "did", "are", "were", "have", "has", "had", "will", "would", "can", "could",
    "shall", "should", "may", "might",
];

fn role_of_you(words: &[Word], i: usize) -> Role {
    let clause = words[i].clause;
    let Some(prev) = i.checked_sub(1).and_then(|p| at(words, p, clause)) else {
        return Role::Subject;
    };
    if OBJECT_BEFORE.contains(&prev) {
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
    if INVERTERS.contains(&q) {
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
struct Match {
    pattern: Pattern,
    first: usize,
    last: usize,
}

fn m(pattern: Pattern, first: usize, last: usize) -> Match {
    Match {
        pattern,
        first,
        last,
    }
}

/// Every match whose first word is word `i`.
fn match_at(words: &[Word], i: usize) -> Vec<Match> {
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

// ---------------------------------------------------------------------------------------
// The patterns

const ABSOLUTE_FILLERS: &[&str] = &[
    "are",
    "were",
    "have",
    "had",
    "will",
    "would",
    "just",
    "literally",
    "seriously",
    "really",
    "do",
    "did",
    "does",
    "still",
    "also",
    "basically",
    "honestly",
    "almost",
    "practically",
    "truly",
    "obviously",
    "clearly",
    "pretty",
    "much",
];

/// "you [are/will/just ...] always|constantly|never|not ever ...".
fn absolute(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let j = skip(words, i + 1, clause, ABSOLUTE_FILLERS, 3);
    let (pattern, mut last) = if is_any(words, j, clause, &["always", "constantly"]) {
        (Pattern::Always, j)
    } else if is(words, j, clause, "never") {
        let last = if is(words, j + 1, clause, "ever") {
            j + 1
        } else {
            j
        };
        (Pattern::Never, last)
    } else if seq(words, j, clause, &["not", "ever"]) {
        (Pattern::Never, j + 1)
    } else {
        return None;
    };
    let next = last + 1;
    if pattern == Pattern::Always {
        if praise_ahead(words, next, clause) {
            return None;
        }
        // "Will you always love me?" is handled by the role; a bare "... you always" at
        // the end of a clause ("I'll love you always") has no verb to accuse.
        at(words, next, clause)?;
    } else if never_is_idiom(words, next, clause) {
        return None;
    }
    if let Some((_, len)) = theme_at(words, next, clause) {
        last = next + len - 1;
    }
    Some(m(pattern, i, last))
}

/// "you never know / guess / fail to / cease to / have to / need to" and
/// "you'll never believe what ...": idioms, reassurance or praise.
fn never_is_idiom(words: &[Word], j: usize, clause: usize) -> bool {
    const WH: &[&str] = &[
        "what", "who", "when", "where", "how", "if", "whether", "this", "it",
    ];
    match at(words, j, clause) {
        Some("guess") | Some("cease") | Some("fail") => true,
        Some("have") | Some("need") | Some("has") => is(words, j + 1, clause, "to"),
        Some("believe") => is_any(words, j + 1, clause, WH),
        Some("know") => {
            at(words, j + 1, clause).is_none()
                || (is_any(words, j + 1, clause, WH)
                    && !is_any(words, j + 2, clause, &["i", "me", "my"]))
        }
        Some("can") => is(words, j + 1, clause, "tell"),
        _ => false,
    }
}

/// Words after "make me" that show "made" means "cooked / built for me".
const MADE_FOR_ME: &[&str] = &[
    "a",
    "an",
    "the",
    "some",
    "this",
    "breakfast",
    "lunch",
    "dinner",
    "coffee",
    "tea",
    "cake",
    "food",
    "soup",
    "something",
    "one",
    "another",
];

/// "you [always/really/keep] make|made|making me|us ..." and "you drive me crazy".
fn you_make_me(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    const FILLERS: &[&str] = &[
        "are",
        "were",
        "always",
        "really",
        "just",
        "constantly",
        "seriously",
        "literally",
        "totally",
        "have",
        "had",
        "keep",
        "kept",
        "actually",
        "honestly",
        "sometimes",
        "did",
        "do",
    ];
    let j = skip(words, i + 1, clause, FILLERS, 3);
    let verb = at(words, j, clause)?;
    if !is_any(words, j + 1, clause, &["me", "us"]) {
        return None;
    }
    let after = j + 2;
    match verb {
        "make" | "makes" | "made" | "making" => {
            if is_any(words, after, clause, MADE_FOR_ME) || praise_ahead(words, after, clause) {
                return None;
            }
            Some(m(Pattern::YouMakeMe, i, j + 1))
        }
        "drive" | "drove" | "driving" => {
            if is_any(
                words,
                after,
                clause,
                &["crazy", "nuts", "mad", "insane", "up", "bananas"],
            ) {
                Some(m(Pattern::YouMakeMe, i, after))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// "you ruined ...", "you caused ...", "you're the reason ...", "you're to blame",
/// "you started it".
fn blame_you(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    const FILLERS: &[&str] = &[
        "have",
        "had",
        "are",
        "always",
        "just",
        "totally",
        "completely",
        "really",
        "literally",
        "did",
    ];
    let j = skip(words, i + 1, clause, FILLERS, 2);
    let verb = at(words, j, clause)?;
    match verb {
        "ruined" | "ruin" | "ruins" | "ruining" | "wrecked" | "destroyed" | "caused" => {
            if praise_ahead(words, j + 1, clause) {
                return None;
            }
            Some(m(Pattern::Blame, i, j))
        }
        "started" if is_any(words, j + 1, clause, &["it", "this", "that"]) => {
            Some(m(Pattern::Blame, i, j + 1))
        }
        "to" if is(words, j + 1, clause, "blame") && is(words, i + 1, clause, "are") => {
            Some(m(Pattern::Blame, i, j + 1))
        }
        "the" if is(words, j + 1, clause, "reason") && is(words, i + 1, clause, "are") => {
            if praise_ahead(words, j + 2, clause) {
                return None;
            }
            Some(m(Pattern::Blame, i, j + 1))
        }
        _ => None,
    }
}

/// "because of you", "(it's) your fault", "I blame you".
fn blame_phrase(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    if seq(words, i, clause, &["because", "of", "you"]) {
        if praise_ahead(words, i + 3, clause) || before_praise(words, i, clause) {
            return None;
        }
        let first = if i > 0 && is(words, i - 1, clause, "all") {
            i - 1
        } else {
            i
        };
        return Some(m(Pattern::Blame, first, i + 2));
    }
    if seq(words, i, clause, &["your", "fault"]) {
        // "it's not your fault", "never your fault": reassurance.
        let negated = (1..=3).any(|d| {
            i.checked_sub(d)
                .is_some_and(|k| is_any(words, k, clause, &["not", "never", "no"]))
        });
        if negated {
            return None;
        }
        let mut first = i;
        if first > 0 && is_any(words, first - 1, clause, &["all", "entirely", "totally"]) {
            first -= 1;
        }
        if first >= 2
            && is(words, first - 1, clause, "is")
            && is_any(words, first - 2, clause, &["it", "this", "that"])
        {
            first -= 2;
        } else if first >= 1 && is(words, first - 1, clause, "its") {
            first -= 1;
        }
        return Some(m(Pattern::Blame, first, i + 1));
    }
    if seq(words, i, clause, &["blame", "you"]) {
        let negated = (1..=3).any(|d| {
            i.checked_sub(d)
                .is_some_and(|k| is_any(words, k, clause, &["not", "never", "no"]))
        });
        if negated || (is(words, i + 2, clause, "for") && praise_ahead(words, i + 3, clause)) {
            return None;
        }
        let first = if i > 0 && is(words, i - 1, clause, "i") {
            i - 1
        } else {
            i
        };
        return Some(m(Pattern::Blame, first, i + 1));
    }
    None
}

/// Whether the clause before `i` has a praise word ("I'm happier because of you").
fn before_praise(words: &[Word], i: usize, clause: usize) -> bool {
    before_has(words, i, clause, PRAISE) && !before_has(words, i, clause, NEGATORS)
}

/// "you don't care", "you think I'm ...", "you only care about yourself", ...
fn mind_reading(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    const ADVERBS: &[&str] = &[
        "just",
        "obviously",
        "clearly",
        "really",
        "simply",
        "probably",
        "honestly",
        "even",
        "actually",
        "secretly",
        "only",
        "always",
    ];
    const OBJECTS: &[&str] = &[
        "love",
        "loved",
        "respect",
        "value",
        "want",
        "like",
        "appreciate",
        "trust",
        "need",
    ];
    let j = skip(words, i + 1, clause, ADVERBS, 2);
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
        if is_any(words, k, clause, OBJECTS) && is(words, k + 1, clause, "me") {
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
fn label_copular(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    const COPULAS: &[&str] = &[
        "are", "were", "sound", "look", "seem", "act", "acting", "being", "behave", "behaving",
    ];
    if !is_any(words, i + 1, clause, COPULAS) {
        return None;
    }
    label_walk(words, i + 2, clause).map(|l| m(Pattern::Label, i, l))
}

/// "stop being so selfish": a label with the "you" left out.
fn label_stop_being(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let prev = i.checked_sub(1).and_then(|p| at(words, p, clause))?;
    if !["stop", "quit"].contains(&prev) || !is(words, i, clause, "being") {
        return None;
    }
    label_walk(words, i + 1, clause).map(|l| m(Pattern::Label, i - 1, l))
}

/// "you idiot", "you selfish jerk": name-calling in direct address.
fn label_direct(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let j = skip(words, i + 1, clause, LABEL_ADJECTIVES, 2);
    let j = skip(words, j, clause, &["little", "big", "stupid"], 1);
    if is_any(words, j, clause, LABEL_NOUNS) {
        return Some(m(Pattern::Label, i, j));
    }
    None
}

/// "you should / must / need to / have to / have got to / had better / ought to ...".
fn demand(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    const ADVERBS: &[&str] = &[
        "really",
        "just",
        "seriously",
        "absolutely",
        "definitely",
        "honestly",
        "simply",
        "do",
        "so",
        "totally",
    ];
    const FRIENDLY: &[&str] = &[
        "see", "try", "come", "join", "watch", "read", "visit", "taste", "check", "hear", "meet",
        "know",
    ];
    let j = skip(words, i + 1, clause, ADVERBS, 2);
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
    if is_any(words, next, clause, FRIENDLY)
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

/// Verbs that make "nobody / no one ..." a claim about being uncared for.
const NOBODY_VERBS: &[&str] = &[
    "cares",
    "care",
    "listens",
    "listen",
    "understands",
    "understand",
    "loves",
    "love",
    "likes",
    "like",
    "wants",
    "want",
    "helps",
    "help",
    "respects",
    "gets",
    "supports",
    "appreciates",
    "believes",
    "notices",
    "asks",
    "calls",
    "texts",
    "remembers",
    "sees",
    "hears",
    "visits",
];

/// Verbs that make "everyone ..." a sweeping claim when it is about me or you.
const EVERYONE_VERBS: &[&str] = &[
    "hates",
    "thinks",
    "ignores",
    "blames",
    "judges",
    "laughs",
    "leaves",
    "abandons",
    "uses",
    "criticizes",
    "criticises",
    "agrees",
    "says",
    "knows",
    "hurts",
    "lets",
    "takes",
    "treats",
    "expects",
    "walks",
    "forgets",
    "picks",
    "turns",
    "gets",
    "has",
    "is",
    "sees",
    "betrays",
    "disappoints",
];

const PERSONAL: &[&str] = &["me", "my", "myself", "mine", "you", "your", "yourself", "i"];
const PERSONAL_OBJECT: &[&str] = &["me", "myself", "us"];

/// Words that may stand before a subject quantifier ("it feels like nobody ...").
const BEFORE_SUBJECT: &[&str] = &[
    "and",
    "but",
    "so",
    "because",
    "cause",
    "like",
    "literally",
    "honestly",
    "seriously",
    "just",
    "that",
    "why",
    "since",
    "then",
    "now",
    "as",
    "if",
    "when",
    "anymore",
    "here",
    "still",
    "sometimes",
    "ever",
    "really",
];

/// "nobody cares", "everyone hates me", "nothing ever changes", "nothing I do ...",
/// "every single time".
fn generalisation(words: &[Word], i: usize, clause: usize) -> Option<Match> {
    let w = at(words, i, clause)?;
    let as_subject = i
        .checked_sub(1)
        .and_then(|p| at(words, p, clause))
        .is_none_or(|p| BEFORE_SUBJECT.contains(&p));
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
            let verb_claim = is_any(words, v, clause, NOBODY_VERBS)
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
            (is_any(words, v, clause, EVERYONE_VERBS)
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

// ---------------------------------------------------------------------------------------
// Need statements

/// Whether the text opens with an I-feeling or I-need phrase ("I feel", "I'm feeling",
/// "I need", "I'd like", "I would like"), not followed by a thought about "you".
fn opens_with_feeling(words: &[Word]) -> bool {
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
fn has_request(words: &[Word]) -> bool {
    const REQUESTS: &[&[&str]] = &[
        &["could", "we"],
        &["can", "we"],
        &["would", "we"],
        &["shall", "we"],
        &["would", "you"],
        &["will", "you"],
        &["could", "you"],
        &["can", "you"],
        &["let", "us"],
        &["lets"],
        &["please"],
        &["how", "about"],
        &["would", "it", "be"],
        &["is", "it", "ok"],
        &["is", "it", "okay"],
    ];
    (0..words.len()).any(|i| REQUESTS.iter().any(|r| seq(words, i, words[i].clause, r)))
}

// ---------------------------------------------------------------------------------------
// need_statement helpers

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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &str) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = analyze(s).findings.iter().map(|f| f.pattern.id()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// (sentence, expected pattern ids, sorted and deduplicated).
    const TABLE: &[(&str, &[&str])] = &[
        // --- flagged ---
        ("You never pay attention to me", &["never"]),
        ("You NEVER... listen!!!", &["never"]),
        ("you always interrupt me", &["always"]),
        ("You’re always late.", &["always"]),
        ("youre always on your phone", &["always"]),
        ("You never listen to Zoë", &["never"]),
        ("You have never once asked how my day was", &["never"]),
        ("You don't ever call me back", &["never"]),
        ("Why do you always do this?", &["always"]),
        ("You constantly criticise the way I cook", &["always"]),
        ("I feel sad when you never call", &["never"]),
        ("u never text me first", &["never"]),
        ("You make me so angry", &["you-make-me"]),
        ("You made me do it", &["you-make-me"]),
        ("you're making me crazy", &["you-make-me"]),
        ("You drive me nuts", &["you-make-me"]),
        ("You always make me feel stupid", &["always", "you-make-me"]),
        (
            "You make me feel like I'm not good enough",
            &["you-make-me"],
        ),
        ("It's your fault we were late", &["blame"]),
        ("its your fault", &["blame"]),
        ("This is all because of you", &["blame"]),
        ("You ruined the whole evening", &["blame"]),
        ("I blame you for this mess", &["blame"]),
        ("You're the reason we fight", &["blame"]),
        ("You don't care about me", &["mind-reading"]),
        ("you dont even care", &["mind-reading"]),
        ("You do not love me", &["mind-reading"]),
        ("You never loved me", &["mind-reading", "never"]),
        ("You think I'm stupid", &["mind-reading"]),
        ("You think I don't notice", &["mind-reading"]),
        ("You just want me to fail", &["mind-reading"]),
        ("You want me to feel guilty", &["mind-reading"]),
        ("You could not care less", &["mind-reading"]),
        ("You did that on purpose", &["mind-reading"]),
        ("You only care about yourself", &["mind-reading"]),
        ("Nobody cares.", &["generalisation"]),
        ("No one listens to me", &["generalisation"]),
        ("Everybody hates me", &["generalisation"]),
        ("Everyone thinks you are lazy", &["generalisation", "label"]),
        ("Nothing ever changes", &["generalisation"]),
        (
            "Nothing I do is ever good enough for you",
            &["generalisation"],
        ),
        ("noone is ever there for me", &["generalisation"]),
        ("You are so selfish", &["label"]),
        ("You're lazy", &["label"]),
        ("youre such a selfish jerk", &["label"]),
        ("You are being really childish", &["label"]),
        ("You idiot", &["label"]),
        ("You are the most inconsiderate person I know", &["label"]),
        ("You sound crazy", &["label"]),
        ("You’re always so dramatic", &["always", "label"]),
        ("You should apologise", &["demand"]),
        ("You need to calm down", &["demand"]),
        ("You have to stop doing that", &["demand"]),
        ("You’d better be home by ten", &["demand"]),
        ("You really must stop", &["demand"]),
        ("You've got to stop yelling", &["demand"]),
        ("Just stop being so lazy", &["label"]),
        ("YOU   NEVER   help!", &["never"]),
        (
            "ok so you never help with the dishes and you make me do everything",
            &["never", "you-make-me"],
        ),
        ("I feel like you never listen, could we talk?", &["never"]),
        ("I need you to stop being so selfish, please", &["label"]),
        (
            "You never listen 😤 and you always interrupt",
            &["always", "never"],
        ),
        ("ты never... you always shout", &["always"]),
        // --- not flagged ---
        (
            "I feel lonely when we don't talk; could we have dinner together tonight?",
            &[],
        ),
        ("I need some quiet time, can we talk after 8?", &[]),
        ("I always feel better after we talk", &[]),
        ("could we always eat together on Sundays?", &[]),
        ("She always arrives early", &[]),
        ("He never eats breakfast", &[]),
        ("Never mind, it's fine", &[]),
        ("I never thought about it", &[]),
        ("youth always wins", &[]),
        ("evernever you", &[]),
        ("Thank you, never mind", &[]),
        ("you... never", &[]),
        ("you—never listen", &[]),
        ("Do you always take this train?", &[]),
        ("Could you always text me when you're running late?", &[]),
        ("You always make me laugh", &[]),
        ("You always know how to cheer me up", &[]),
        ("You make me so happy", &[]),
        ("You made me a cake!", &[]),
        ("You never know what will happen", &[]),
        ("You'll never guess who I met", &[]),
        ("You never fail to cheer me up", &[]),
        ("You never have to apologise for crying", &[]),
        ("It's not your fault", &[]),
        ("I don't blame you", &[]),
        ("I'm happier because of you", &[]),
        ("You don't have to cook tonight, I'll do it", &[]),
        ("If you need to rest, go ahead", &[]),
        ("Do you need to leave early?", &[]),
        ("You should see the sunset from here", &[]),
        ("You have to try this cake", &[]),
        ("You've got to be kidding me", &[]),
        ("You really want me to come along?", &[]),
        ("You should be proud of yourself", &[]),
        ("Do you think I'm ready?", &[]),
        ("You think I should call her?", &[]),
        ("Do you want me to pick up the kids?", &[]),
        ("Everyone arrived on time", &[]),
        ("Nobody was at the station", &[]),
        ("I invited everyone to my party", &[]),
        ("Nothing ever happened at the meeting", &[]),
        ("I'll love you always", &[]),
        ("You're not lazy, you're tired", &[]),
        ("You're such a kind person", &[]),
        ("You are always there for me", &[]),
        ("I would like a hug, would you hold me for a minute?", &[]),
        (
            "I'm feeling overwhelmed; please can we pause for twenty minutes?",
            &[],
        ),
        (
            "I’d like more time together, let’s plan a walk this weekend",
            &[],
        ),
        ("Let's go to the beach on Saturday", &[]),
        ("The weather is lovely today", &[]),
        ("Tú nunca me escuchas", &[]),
        ("", &[]),
        ("   ", &[]),
        ("!!!???", &[]),
        ("😀👍🏽 ❤️", &[]),
        ("שלום, מה שלומך?", &[]),
        ("e\u{301}e\u{301} you\u{301} never", &[]),
        ("you-never-know", &[]),
    ];

    #[test]
    fn reframe_table() {
        let flagged = TABLE.iter().filter(|(_, e)| !e.is_empty()).count();
        let clean = TABLE.len() - flagged;
        assert!(TABLE.len() >= 70, "table has {} rows", TABLE.len());
        assert!(clean >= 30, "only {clean} rows must not be flagged");
        let mut failures = Vec::new();
        for (sentence, expected) in TABLE {
            let got = ids(sentence);
            if got != *expected {
                failures.push(format!("{sentence:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn reframe_offsets_are_exact() {
        let s = "You never listen to Zoë";
        let a = analyze(s);
        assert_eq!(a.findings.len(), 1);
        let f = &a.findings[0];
        assert_eq!((f.start, f.end), (0, 16));
        assert_eq!(f.matched, "You never listen");

        let s = "Zoë said: “you’re ALWAYS late”";
        let a = analyze(s);
        let f = &a.findings[0];
        assert_eq!(f.pattern, Pattern::Always);
        assert_eq!(&s[f.start..f.end], "you’re ALWAYS late");
        assert_eq!(f.matched, "you’re ALWAYS late");

        let s = "You NEVER... listen!!!";
        let f = &analyze(s).findings[0];
        assert_eq!(f.matched, "You NEVER");
    }

    #[test]
    fn reframe_need_statements() {
        for s in [
            "I feel lonely when we don't talk; could we have dinner together tonight?",
            "I need some quiet time, can we talk after 8?",
            "I'm feeling lonely when you never call, could we set a time?",
            "I would like some help, would you take the bins out?",
        ] {
            let a = analyze(s);
            assert!(a.is_need_statement, "{s}");
            assert!(a.findings.is_empty(), "{s}");
        }
        for s in [
            "I feel lonely",
            "could we always eat together on Sundays?",
            "I feel like you don't care, can we talk?",
            "I need you to stop being so selfish, please",
            "",
        ] {
            assert!(!analyze(s).is_need_statement, "{s}");
        }
    }

    #[test]
    fn reframe_need_statement_builder() {
        assert_eq!(
            need_statement("lonely", "connection", "have dinner together"),
            "I feel lonely. I need connection. Could we have dinner together?"
        );
        assert_eq!(
            need_statement(
                "  I feel   lonely.  ",
                "I need some time with you!",
                "could we go for a walk??"
            ),
            "I feel lonely. I need some time with you. Could we go for a walk?"
        );
        assert_eq!(
            need_statement("I’m feeling Overwhelmed…", "I'd like quiet", "Let's pause?"),
            "I feel Overwhelmed. I need quiet. Could we pause?"
        );
        assert_eq!(
            need_statement("i FEEL hurt", "rest", "Can we talk tomorrow"),
            "I feel hurt. I need rest. Could we talk tomorrow?"
        );
        // Prefix words are matched whole: "Ivy" and "weather" are left alone.
        assert_eq!(
            need_statement("Ivy-ish", "needles", "could weather this"),
            "I feel Ivy-ish. I need needles. Could we could weather this?"
        );
        assert_eq!(need_statement("", "  ", "..."), "");
        assert_eq!(need_statement("sad", "", ""), "I feel sad.");
    }

    #[test]
    fn reframe_suggestions() {
        let a = analyze("You never pay attention to me");
        let f = suggest_feelings(&a);
        let n = suggest_needs(&a);
        assert!(f.contains(&"lonely"), "{f:?}");
        assert!(n.contains(&"connection"), "{n:?}");
        for s in [
            "",
            "You are so selfish",
            "You should apologise and you never help and nobody cares and you make me sick",
            "I need rest, can we talk later?",
        ] {
            let a = analyze(s);
            for v in [suggest_feelings(&a), suggest_needs(&a)] {
                assert!((2..=4).contains(&v.len()), "{s}: {v:?}");
                let mut d = v.clone();
                d.sort_unstable();
                d.dedup();
                assert_eq!(d.len(), v.len(), "{s}: {v:?}");
            }
        }
    }

    #[test]
    fn reframe_pattern_ids_round_trip() {
        for p in Pattern::ALL {
            assert_eq!(Pattern::from_id(p.id()), Some(p));
            assert!(!p.explanation().is_empty());
            assert!(!p.hint().is_empty());
            assert_eq!(p.to_string(), p.id());
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.id()));
        }
        assert_eq!(Pattern::from_id("nope"), None);
    }

    /// A tiny xorshift generator so the fuzz test needs no dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    #[test]
    fn reframe_never_panics_and_offsets_are_valid() {
        const PIECES: &[&str] = &[
            "you",
            "YOU",
            "You",
            "u",
            "never",
            "NEVER",
            "always",
            "Always",
            "don't",
            "don’t",
            "dont",
            "do",
            "not",
            "care",
            "make",
            "me",
            "made",
            "your",
            "fault",
            "because",
            "of",
            "nobody",
            "no",
            "one",
            "everyone",
            "nothing",
            "ever",
            "I",
            "feel",
            "need",
            "could",
            "we",
            "please",
            "should",
            "need to",
            "are",
            "re",
            "’",
            "'",
            "‘",
            "so",
            "selfish",
            "idiot",
            "think",
            "i'm",
            "Zoë",
            "e\u{301}",
            "\u{301}",
            "😤",
            "👍🏽",
            "❤️",
            "\u{200d}",
            "שלום",
            "مرحبا",
            "ñ",
            "ß",
            "İ",
            "ﬁ",
            "Σ",
            ".",
            ",",
            "...",
            "…",
            "!",
            "?",
            "—",
            "-",
            "\"",
            "“",
            "”",
            " ",
            "  ",
            "\n",
            "\t",
            "every",
            "single",
            "time",
            "blame",
            "on",
            "purpose",
            "\u{feff}",
            "\u{202e}",
            "0",
            "9",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..4000 {
            let len = (rng.next() % 14) as usize;
            let mut s = String::new();
            for _ in 0..len {
                s.push_str(rng.pick(PIECES));
                if !rng.next().is_multiple_of(3) {
                    s.push(' ');
                }
            }
            let a = analyze(&s);
            for f in &a.findings {
                assert!(f.start < f.end && f.end <= s.len(), "{s:?}: {f:?}");
                assert!(
                    s.is_char_boundary(f.start) && s.is_char_boundary(f.end),
                    "{s:?}"
                );
                assert_eq!(f.matched, &s[f.start..f.end], "{s:?}");
            }
            if a.is_need_statement {
                assert!(a.findings.is_empty());
            }
            let _ = suggest_feelings(&a);
            let _ = suggest_needs(&a);
            let _ = need_statement(&s, &s, &s);
        }
    }
}
