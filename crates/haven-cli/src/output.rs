//! Printing: untrusted text made safe for a terminal, times, short ids and JSON.

use std::io::Write;

use haven_model::{Entry, Timestamp};
use serde_json::json;

/// Removes terminal control sequences, control characters and invisible format characters
/// from text that may have come from another device. Newlines and tabs stay when
/// `multiline`, else become spaces.
pub fn clean(text: &str, multiline: bool) -> String {
    haven_model::text::clean(text, multiline)
}

/// A name (of a journal, device or person) that may have come from another device: cleaned
/// and capped, safe on one line.
pub fn name(text: &str) -> String {
    haven_model::text::clean_name(text)
}

/// Text from another device on one line, cleaned and cut to `max` characters.
pub fn clean_capped(text: &str, max: usize) -> String {
    haven_model::text::clean_capped(text, false, max)
}

/// `n` and the noun, singular for one: "1 entry", "3 entries".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Words laid out in lines of at most `width` columns, never broken: the first line opens
/// with `first`, the others with as many spaces (a hanging indent).
pub fn wrap(first: &str, words: &[String], width: usize) -> Vec<String> {
    // Continuation lines start where the first line's words do.
    let mut indent = " ".repeat(display_width(first));
    if first.ends_with(' ') {
        indent.pop();
    }
    let mut lines = vec![first.to_string()];
    for word in words {
        let Some(line) = lines.last_mut() else { break };
        let fits = display_width(line) + 1 + display_width(word) <= width;
        let empty = line.trim().is_empty() || *line == first;
        if fits || empty {
            if !line.ends_with(' ') && !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        } else {
            lines.push(format!("{indent} {word}"));
        }
    }
    lines
}

/// Prints a sentence or two on stdout, wrapped between words at the terminal's width when
/// stdout is one (a pipe gets it on one line, for scripts).
pub fn say(ctx: &crate::context::Context, text: &str) {
    if !ctx.stdout_terminal {
        println!("{text}");
        return;
    }
    let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    for line in wrap("", &words, ctx.columns.saturating_sub(1)) {
        println!("{}", line.trim_start());
    }
}

/// Prints `head`, then `text` under it indented and wrapped at the terminal's width; to a
/// pipe, both on one line.
pub fn say_under(ctx: &crate::context::Context, head: &str, text: &str) {
    if !ctx.stdout_terminal {
        println!("{head}  {text}");
        return;
    }
    println!("{head}");
    let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    for line in wrap("", &words, ctx.columns.saturating_sub(5)) {
        println!("    {}", line.trim_start());
    }
}

/// How many terminal columns `text` takes.
pub fn display_width(text: &str) -> usize {
    haven_model::text::display_width(text)
}

/// `YYYY-MM-DD HH:MM` in the given zone.
pub fn local_time(ts: &Timestamp, tz: &jiff::tz::TimeZone) -> String {
    match ts.instant() {
        Some(t) => t
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        None => "????-??-?? ??:??".into(),
    }
}

/// The shortest prefix length (at least `min`) that tells every id apart.
pub fn unique_prefix_len(ids: &[String], min: usize) -> usize {
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort();
    let mut len = min;
    for pair in sorted.windows(2) {
        let common = pair[0]
            .bytes()
            .zip(pair[1].bytes())
            .take_while(|(a, b)| a == b)
            .count();
        len = len.max(common + 1);
    }
    len.min(26)
}

/// An entry as JSON (the shape `list --json` and `show --json` print).
pub fn entry_json(e: &Entry) -> serde_json::Value {
    json!({
        "id": e.id.to_string(),
        "kind": e.kind.as_str(),
        "created": e.created.to_rfc3339(),
        "edited": e.edited.map(|t| t.to_rfc3339()),
        "device": e.device,
        "author": e.author,
        "text": e.text,
        "tags": e.tags,
        "people": e.people,
        "starred": e.starred,
        "conflicts": e.conflicts.iter().map(|(d, t)| json!({"device": d, "text": t})).collect::<Vec<_>>(),
        "fields": haven_model::interchange::fields_to_json(&e.fields),
    })
}

/// "last synced TIME" or "never synced", for peer listings.
pub fn last_sync(ms: Option<i64>, tz: &jiff::tz::TimeZone) -> String {
    match ms {
        Some(unix_ms) => format!(
            "last synced {}",
            local_time(
                &Timestamp {
                    unix_ms,
                    offset_secs: 0
                },
                tz
            )
        ),
        None => "never synced".to_string(),
    }
}

/// One line saying what an entry is about (its first line, or its structured fields).
pub fn summary(e: &Entry) -> String {
    use haven_model::EntryKind as K;
    use haven_model::fields::key;
    let title = e.title();
    let fields = match e.kind {
        K::Checkin => {
            let mut s = e.list_field(key::FEELINGS).join(", ");
            if let Some(i) = e.int_field(key::INTENSITY) {
                s.push_str(&format!(" ({i}/10)"));
            }
            let needs = e.list_field(key::NEEDS);
            if !needs.is_empty() {
                s.push_str(&format!("; needs {}", needs.join(", ")));
            }
            s
        }
        K::Gratitude => {
            let ways = e.list_field(key::WAYS);
            let mut s = format!("thanks to {}", e.people.join(", "));
            if !ways.is_empty() {
                s.push_str(&format!(": {}", ways.join(", ")));
            }
            s
        }
        K::Boundary => format!(
            "{} {}",
            e.text_field(key::EVENT).unwrap_or("reflection"),
            e.people.join(", ")
        ),
        K::Repair if e.text_field(key::ANSWERS).is_some() => {
            if e.fields.contains_key(key::RECEIVED) {
                "answered: received".into()
            } else {
                "answered a repair".into()
            }
        }
        K::Repair => format!("repair with {}", e.people.join(", ")),
        K::Coreg => match e.text_field(key::MODE) {
            Some("break") => format!(
                "break, {} min",
                e.int_field(key::BREAK_MINUTES).unwrap_or(0)
            ),
            Some("here") => "I'm here".into(),
            _ => format!("needs {}", e.list_field(key::NEEDS).join(", ")),
        },
        K::Note | K::Affirmation | K::Reframe => String::new(),
    };
    match (fields.is_empty(), title.is_empty()) {
        (true, _) => title.to_string(),
        (false, true) => fields,
        (false, false) => format!("{fields}: {title}"),
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)
}

/// Warns on stderr about entries or files that could not be read.
pub fn warn_damaged(ctx: &crate::context::Context, view: &haven_store::JournalView) {
    if ctx.quiet {
        return;
    }
    if !view.damaged.is_empty() {
        eprintln!(
            "warning: {} {} could not be read and {} left in place; run `haven doctor` to move {} aside",
            view.damaged.len(),
            if view.damaged.len() == 1 {
                "file"
            } else {
                "files"
            },
            if view.damaged.len() == 1 { "is" } else { "are" },
            if view.damaged.len() == 1 {
                "it"
            } else {
                "them"
            },
        );
    }
    if !view.malformed.is_empty() {
        eprintln!(
            "warning: {} malformed entries in the journal were skipped",
            view.malformed.len()
        );
    }
}

/// Wraps `s` in an ANSI style when colour is on.
pub fn paint(s: &str, style: &str, color: bool) -> String {
    if color {
        format!("\u{1b}[{style}m{s}\u{1b}[0m")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_prefix_grows_for_close_ids() {
        let ids = vec![
            "01ABCDEFGH1".to_string(),
            "01ABCDEFGH2".to_string(),
            "01Z".to_string(),
        ];
        assert_eq!(unique_prefix_len(&ids, 8), 11);
        assert_eq!(unique_prefix_len(&["A".to_string()], 8), 8);
    }
}
