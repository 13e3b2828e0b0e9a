//! Inline tags: `#word` and `@word` written in an entry's text.

/// The tags in `text`, each with its sigil, deduplicated case-insensitively, in order.
///
/// A tag is `#` or `@` at the start of a word, followed by letters, digits, `_` or `-`
/// (any script). `# heading`, `a#b`, `mail@example.org` and lone sigils are not tags.
pub fn extract(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let at_word_start = prev.is_none_or(|p| !(p.is_alphanumeric() || p == '_'));
        prev = Some(c);
        if !(c == '#' || c == '@') || !at_word_start {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, n)) = chars.peek() {
            if n.is_alphanumeric() || n == '_' || n == '-' {
                end = i + n.len_utf8();
                prev = Some(n);
                chars.next();
            } else {
                break;
            }
        }
        let tag = text[start..end].trim_end_matches('-');
        if tag.chars().count() < 2 {
            continue;
        }
        if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            tags.push(tag.to_string());
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::extract;

    #[test]
    fn finds_hash_and_at_tags() {
        assert_eq!(
            extract("Walked with @Sam today #calm #Calm, then #über-müde."),
            vec!["@Sam", "#calm", "#über-müde"]
        );
    }

    #[test]
    fn ignores_headings_emails_and_lone_sigils() {
        assert!(extract("# Heading\nmail me at a@b.org, a#b, # and @ alone").is_empty());
    }

    #[test]
    fn tag_at_start_and_end() {
        assert_eq!(extract("#first middle #last"), vec!["#first", "#last"]);
    }
}
