//! Interactive questions on the terminal, one at a time, with sensible choices.
//!
//! Only used when stdin, stdout and stderr are all terminals; everything else takes flags.

use std::io::{BufRead, Write};

use haven_model::vocab::Vocabulary;

use crate::error::{CliError, Result};

fn read_line(question: &str) -> Result<String> {
    let mut err = std::io::stderr().lock();
    write!(err, "{question} ")?;
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

/// Asks for one of `choices` (by number or by word).
pub fn choice(question: &str, choices: &[&str]) -> Result<String> {
    for (i, c) in choices.iter().enumerate() {
        eprintln!("  {}. {c}", i + 1);
    }
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

/// Shows a vocabulary grouped and numbered, and asks for one or more words: numbers from
/// the list or free words, separated by commas.
pub fn words(question: &str, vocab: &Vocabulary, required: bool) -> Result<Vec<String>> {
    let mut numbered = Vec::new();
    for group in &vocab.groups {
        let mut line = format!("  {:<14}", group.name);
        for word in &group.words {
            numbered.push(word.clone());
            line.push_str(&format!(" {}.{word}", numbered.len()));
        }
        eprintln!("{line}");
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
