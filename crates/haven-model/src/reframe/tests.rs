//! Tests of the analyser: a table of sentences that must and must not be flagged, exact
//! offsets, need statements, the suggestions, and a fuzz run over random text.

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
