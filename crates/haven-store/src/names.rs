//! The names a user types with `--journal`: local aliases, one per journal, unique in this
//! vault.
//!
//! A journal's document carries the name its creator proposed (`meta.name`), but any member
//! can write that, so it never decides anything here. Each journal gets a local alias when
//! this device first knows it (at creation, or from the proposed name once a shared journal
//! arrives, made unique with a suffix), and keeps it until `haven journal rename`. Aliases
//! live in `names.age`, encrypted like everything else; a vault without the file (an older
//! one) derives them the same way and writes them down.

use std::collections::BTreeMap;

use crate::durable::write_atomic;
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;

/// The alias book: journal directory id -> alias.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(pub(crate) BTreeMap<String, String>);

/// The file that holds the aliases.
pub const FILE: &str = "names.age";

/// Turns a proposed name into something that can be typed: no control or format
/// characters, trimmed, at most 64 characters, never empty.
pub fn clean_alias(proposed: &str) -> String {
    let cleaned: String = proposed
        .chars()
        .filter(|c| !c.is_control() && !haven_model::text::is_invisible(*c))
        .take(64)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "journal".into()
    } else {
        trimmed.to_string()
    }
}

/// Whether `name` may be used as an alias as it stands.
pub fn valid_alias(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 64 && clean_alias(name) == name
}

impl Names {
    /// Reads the alias book of the vault at `root` (an unreadable one reads as empty: the
    /// aliases are derived again).
    pub fn load(root: &std::path::Path, keys: &Keys) -> Names {
        let path = root.join(FILE);
        if !path.exists() {
            return Names::default();
        }
        envelope::open_file(keys.identity(), &path)
            .ok()
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .map(Names)
            .unwrap_or_default()
    }

    /// Writes the alias book (the caller holds the vault lock).
    pub(crate) fn save(
        &self,
        root: &std::path::Path,
        recipient: &age::x25519::Recipient,
    ) -> Result<()> {
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&self.0).map_err(|e| StoreError::Encrypt(e.to_string()))?,
        );
        write_atomic(root, FILE, &envelope::seal(recipient, &plain)?)
    }

    /// The alias of journal `id`.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.0.get(id).map(String::as_str)
    }

    /// The journal whose alias is `alias`.
    pub fn find(&self, alias: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, a)| a.as_str() == alias)
            .map(|(id, _)| id.as_str())
    }

    /// `proposed`, cleaned, or with the first suffix (`-2`, `-3`, ...) that no other journal
    /// uses.
    pub fn unique(&self, proposed: &str) -> String {
        let base = clean_alias(proposed);
        let taken = |name: &str| self.0.values().any(|a| a == name);
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|name| !taken(name))
            .unwrap_or(base)
    }

    /// Sets the alias of `id`.
    pub fn set(&mut self, id: &str, alias: String) {
        self.0.insert(id.to_string(), alias);
    }

    /// Forgets `id`.
    pub fn remove(&mut self, id: &str) -> Option<String> {
        self.0.remove(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_cleaned_and_made_unique() {
        let mut names = Names::default();
        assert_eq!(names.unique("  us\u{202e}\u{1b} "), "us");
        names.set("a", "us".into());
        assert_eq!(names.unique("us"), "us-2");
        names.set("b", "us-2".into());
        assert_eq!(names.unique("us"), "us-3");
        assert_eq!(names.unique("\u{200b}"), "journal");
        assert_eq!(names.unique(&"x".repeat(100)).chars().count(), 64);
        assert_eq!(names.find("us-2"), Some("b"));
        assert!(valid_alias("us"));
        assert!(!valid_alias(" us"));
        assert!(!valid_alias("a\u{200f}b"));
    }
}
