//! Tokenising: the text split into lowercased words with the byte span of the source word
//! each came from and the number of its clause, contractions expanded. The rules are those
//! of the parent module's overview ("How text is read").

/// One normalised word with the byte span of the source word it came from.
#[derive(Debug, Clone)]
pub(super) struct Word {
    /// Lowercased, apostrophes normalised, contraction expanded (one part of it).
    pub(super) norm: String,
    /// Byte span of the whole source word in the input.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Clause number; punctuation between words starts a new clause.
    pub(super) clause: usize,
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

pub(super) fn tokenize(s: &str) -> Vec<Word> {
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
