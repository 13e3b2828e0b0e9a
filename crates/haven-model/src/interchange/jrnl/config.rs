//! The one setting of jrnl's configuration file that importing needs: `timeformat`.
//!
//! jrnl 2 and later keep a YAML file (`jrnl.yaml`); jrnl 1 kept JSON (`.jrnl_config`).
//! Only the top-level `timeformat` key is read, so no YAML library is needed: its value
//! may be plain, single-quoted (`''` is a quote) or double-quoted (with `\` escapes).

/// jrnl's `timeformat` in the text of its configuration file, or `None` when it is not set.
pub fn time_format_in_config(text: &str) -> Option<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        return json.get("timeformat")?.as_str().map(str::to_string);
    }
    text.lines().find_map(|line| {
        let value = line.strip_prefix("timeformat:")?.trim();
        yaml_scalar(value)
    })
}

/// A YAML scalar on one line: plain, `'single'` or `"double"` quoted.
fn yaml_scalar(value: &str) -> Option<String> {
    if let Some(rest) = value.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    out.push('\'');
                }
                '\'' => return Some(out),
                c => out.push(c),
            }
        }
        return None;
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next()? {
                    't' => out.push('\t'),
                    'n' => out.push('\n'),
                    other => out.push(other),
                },
                '"' => return Some(out),
                c => out.push(c),
            }
        }
        return None;
    }
    let plain = match value.find(" #") {
        Some(i) => &value[..i],
        None => value,
    }
    .trim();
    (!plain.is_empty()).then(|| plain.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timeformat_however_it_is_quoted() {
        let yaml = "colors:\n  date: none\ntimeformat: '%F %r'\nversion: '4.6'\n";
        assert_eq!(time_format_in_config(yaml).as_deref(), Some("%F %r"));
        let quoted = "timeformat: \"%Y-%m-%d %H:%M\"\n";
        assert_eq!(
            time_format_in_config(quoted).as_deref(),
            Some("%Y-%m-%d %H:%M")
        );
        let plain = "timeformat: %d.%m.%Y %H:%M # day first\n";
        assert_eq!(
            time_format_in_config(plain).as_deref(),
            Some("%d.%m.%Y %H:%M")
        );
        let escaped = "timeformat: '%H o''clock %F'\n";
        assert_eq!(
            time_format_in_config(escaped).as_deref(),
            Some("%H o'clock %F")
        );
        let json = r#"{"journals": {"default": "~/j.txt"}, "timeformat": "%Y-%m-%d %H:%M"}"#;
        assert_eq!(
            time_format_in_config(json).as_deref(),
            Some("%Y-%m-%d %H:%M")
        );
        // Nested keys of the same name are not jrnl's top-level setting.
        assert_eq!(
            time_format_in_config("journals:\n  timeformat: '%F'\n"),
            None
        );
        assert_eq!(time_format_in_config("timeformat: '%F\n"), None);
    }
}
