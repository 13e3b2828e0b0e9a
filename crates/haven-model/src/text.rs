//! Text that came from another device, made safe to show.
//!
//! Anything a peer wrote (entries, names, reasons) may try to take over a terminal or to
//! disguise itself: escape sequences that move the cursor or rewrite the window title,
//! control characters, and invisible Unicode format characters (bidirectional overrides
//! and isolates, zero-width spaces and joiners, the byte-order mark, tag characters) and
//! line or paragraph separators that reorder or hide what is shown. [`clean`] removes all
//! of them; [`clean_name`] also caps a name at [`NAME_CHARS`] characters.

use crate::validate::limits;

/// The longest name shown (a journal's, a device's, a person's), in characters.
pub const NAME_CHARS: usize = limits::NAME_CHARS;

/// Whether `c` is an invisible character that can change how text around it shows: a
/// Unicode format character (general category Cf) or a line or paragraph separator (Zl,
/// Zp).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061c}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// Removes terminal escape sequences, control characters and invisible format characters.
/// Newlines and tabs stay when `multiline`, else become spaces.
pub fn clean(text: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // ESC [ ... final byte (CSI), ESC ] ... BEL/ST (OSC and other strings), or
                // ESC + one character.
                match chars.peek() {
                    Some('[') => {
                        chars.next();
                        for n in chars.by_ref() {
                            if ('@'..='~').contains(&n) {
                                break;
                            }
                        }
                    }
                    Some(']') | Some('P') | Some('_') | Some('^') | Some('X') => {
                        chars.next();
                        while let Some(n) = chars.next() {
                            if n == '\u{7}'
                                || n == '\u{9c}'
                                || (n == '\u{1b}' && chars.peek() == Some(&'\\'))
                            {
                                if n == '\u{1b}' {
                                    chars.next();
                                }
                                break;
                            }
                        }
                    }
                    Some(_) => {
                        chars.next();
                    }
                    None => {}
                }
            }
            // The C1 control sequence introducer, on its own.
            '\u{9b}' => {
                for n in chars.by_ref() {
                    if ('@'..='~').contains(&n) {
                        break;
                    }
                }
            }
            '\n' | '\t' if multiline => out.push(c),
            '\n' | '\t' | '\r' => out.push(' '),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// [`clean`], then at most `max` characters (an ellipsis marks the cut).
pub fn clean_capped(text: &str, multiline: bool, max: usize) -> String {
    let cleaned = clean(text, multiline);
    if cleaned.chars().count() <= max {
        return cleaned;
    }
    let mut out: String = cleaned.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A name from another device, safe to show on one line: cleaned and capped.
pub fn clean_name(name: &str) -> String {
    clean_capped(name, false, NAME_CHARS)
}

/// `text` cut to at most `columns` terminal columns, ending in `…` when cut; wide
/// characters count two, so columns of CJK names and emoji stay aligned.
pub fn fit_width(text: &str, columns: usize) -> String {
    if display_width(text) <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// How many terminal columns `text` takes: wide (East Asian) characters two, combining
/// marks none.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_controls_and_invisible_characters() {
        let hostile = "hi\u{1b}[2J\u{1b}]0;owned\u{7}there\u{8}\u{202e}x\r\nnext";
        assert_eq!(clean(hostile, false), "hitherex  next");
        assert_eq!(clean(hostile, true), "hitherex \nnext");
        for c in [
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{200d}',
            '\u{2028}',
            '\u{2029}',
            '\u{feff}',
            '\u{2066}',
            '\u{e0041}',
            '\u{00ad}',
        ] {
            assert_eq!(clean(&format!("a{c}b"), true), "ab", "U+{:04X}", c as u32);
        }
        assert_eq!(clean("\u{9b}31mred", false), "red");
        assert_eq!(clean("café ✓ 日本", false), "café ✓ 日本");
    }

    #[test]
    fn names_are_capped() {
        assert_eq!(
            clean_name(&"x".repeat(1_000_000)).chars().count(),
            NAME_CHARS
        );
        assert_eq!(clean_name("Sam"), "Sam");
        assert!(clean_name(&"y".repeat(70)).ends_with('…'));
    }

    #[test]
    fn fit_width_counts_columns_not_characters() {
        assert_eq!(super::fit_width("hello", 10), "hello");
        assert_eq!(super::fit_width("hello world", 8), "hello w…");
        assert_eq!(super::fit_width("日本語のタイトル", 7), "日本語…");
        assert_eq!(super::display_width("日本語"), 6);
        assert_eq!(
            super::display_width("e\u{301}"),
            1,
            "a combining mark takes none"
        );
    }
}
