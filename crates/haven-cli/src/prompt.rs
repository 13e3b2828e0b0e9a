//! Interactive questions on the terminal, one at a time, with sensible choices.
//!
//! Only used when stdin, stdout and stderr are all terminals; everything else takes flags.

use std::io::{BufRead, Write};

use haven_model::vocab::Vocabulary;

use crate::error::{CliError, Result};

fn read_line(question: &str) -> Result<String> {
    let mut err = std::io::stderr().lock();
    // A long question wraps at the terminal's width, between words; the answer follows
    // its last line.
    let words: Vec<String> = question.split_whitespace().map(str::to_string).collect();
    let lines = crate::output::wrap("", &words, columns().saturating_sub(1));
    let (last, before) = lines
        .split_last()
        .map_or(("", &[][..]), |(l, b)| (l.as_str(), b));
    for line in before {
        writeln!(err, "{}", line.trim_start())?;
    }
    write!(err, "{} ", last.trim_start())?;
    err.flush()?;
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line)?;
    if n == 0 {
        return Err(CliError::new(
            "input ended before the questions were answered; nothing was saved",
        ));
    }
    Ok(line.trim().to_string())
}

/// Asks for free text; `required` repeats the question until something is typed.
pub fn text(question: &str, required: bool) -> Result<String> {
    loop {
        let answer = read_line(question)?;
        if !answer.is_empty() || !required {
            return Ok(answer);
        }
    }
}

/// Asks for a whole number in `min..=max`; empty means `None` unless `required`.
pub fn number(question: &str, min: i64, max: i64, required: bool) -> Result<Option<i64>> {
    loop {
        let answer = read_line(&format!(
            "{question} ({min} to {max}{})",
            if required { "" } else { ", Enter to skip" }
        ))?;
        if answer.is_empty() && !required {
            return Ok(None);
        }
        match answer.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => return Ok(Some(n)),
            _ => eprintln!("  please type a number from {min} to {max}"),
        }
    }
}

/// The columns the questions may use: the width of the terminal they are asked on.
fn columns() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map(|(w, _)| usize::from(w.0))
        .unwrap_or(80)
        .clamp(30, 200)
}

/// Prints numbered choices, each wrapped to the terminal with a hanging indent.
fn list_choices(choices: &[&str]) {
    let width = columns();
    for (i, c) in choices.iter().enumerate() {
        let words: Vec<String> = c.split_whitespace().map(str::to_string).collect();
        for line in crate::output::wrap(&format!("  {}.", i + 1), &words, width) {
            eprintln!("{line}");
        }
    }
}

/// Asks for one of `choices` (by number or by word); nothing else fits (the schema's
/// choices, such as yes, partly or no).
pub fn choice(question: &str, choices: &[&str]) -> Result<String> {
    list_choices(choices);
    loop {
        let answer = read_line(question)?;
        if let Ok(n) = answer.parse::<usize>()
            && let Some(c) = choices.get(n.wrapping_sub(1))
        {
            return Ok(c.to_string());
        }
        if let Some(c) = choices.iter().find(|c| c.eq_ignore_ascii_case(&answer)) {
            return Ok(c.to_string());
        }
        eprintln!("  please pick one of the numbers above");
    }
}

/// Offers `suggestions` by number, and takes your own words as readily.
pub fn suggest(question: &str, suggestions: &[&str]) -> Result<String> {
    list_choices(suggestions);
    loop {
        let answer = read_line(&format!("{question} (a number, or your own words)"))?;
        if let Ok(n) = answer.parse::<usize>() {
            match suggestions.get(n.wrapping_sub(1)) {
                Some(c) => return Ok(c.to_string()),
                None => {
                    eprintln!("  please pick one of the numbers above, or say it in your words");
                    continue;
                }
            }
        }
        if !answer.is_empty() {
            return Ok(answer);
        }
    }
}

/// Shows a vocabulary grouped and numbered, and asks for one or more words: numbers from
/// the list or free words, separated by commas.
pub fn words(question: &str, vocab: &Vocabulary, required: bool) -> Result<Vec<String>> {
    let mut numbered = Vec::new();
    let width = columns();
    for group in &vocab.groups {
        let mut items = Vec::new();
        for word in &group.words {
            numbered.push(word.clone());
            // A number and its word stay together, even when the word has spaces.
            items.push(format!(
                "{}.{}",
                numbered.len(),
                word.replace(' ', "\u{a0}")
            ));
        }
        let head = format!("  {:<14}", group.name);
        for line in crate::output::wrap(&head, &items, width) {
            eprintln!("{}", line.replace('\u{a0}', " "));
        }
    }
    loop {
        let answer = read_line(&format!(
            "{question} (numbers or your own words, comma-separated)"
        ))?;
        let picked: Vec<String> = answer
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.parse::<usize>() {
                Ok(n) if (1..=numbered.len()).contains(&n) => numbered[n - 1].clone(),
                _ => s.to_lowercase(),
            })
            .collect();
        if !picked.is_empty() || !required {
            return Ok(picked);
        }
    }
}

/// Asks a yes/no question; the default answer is no.
pub fn confirm(question: &str) -> Result<bool> {
    let answer = read_line(&format!("{question} [y/N]"))?;
    Ok(matches!(answer.to_lowercase().as_str(), "y" | "yes"))
}

#[cfg(test)]
mod tests {
    use crate::output::wrap;

    #[test]
    fn lists_wrap_at_the_width_without_breaking_words() {
        let words: Vec<String> =
            "1.calm 2.content 3.grateful 4.hopeful 5.safe 6.connected 7.peaceful"
                .split(' ')
                .map(str::to_string)
                .collect();
        let lines = wrap("  pleasant      ", &words, 40);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:#?}");
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            8,
            "every word, whole"
        );
        assert!(
            lines[1].starts_with("                "),
            "a hanging indent: {lines:#?}"
        );
        // A word longer than the line still goes whole, on a line of its own.
        let long = vec!["x".repeat(50)];
        let lines = wrap("  1.", &long, 20);
        assert_eq!(lines, vec![format!("  1. {}", "x".repeat(50))]);
        // Wide characters count two columns.
        let wide: Vec<String> = vec!["日本語".into(), "日本語".into()];
        let lines = wrap("  1.", &wide, 12);
        assert_eq!(lines.len(), 2, "{lines:#?}");
    }
}
