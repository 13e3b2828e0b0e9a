//! What every practice command shares: choosing the journal, building and saving an entry,
//! and reporting what was saved.

use std::process::ExitCode;

use haven_model::{Entry, EntryKind, FieldValue, Timestamp};
use haven_store::{JournalStore, Keys, Vault};

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;

/// `--at`: when an entry happened, if not now.
#[derive(Debug, Default, clap::Args)]
pub struct When {
    /// When it happened, if not now: "yesterday 21:00", "monday 9am", "3 hours ago",
    /// "2026-11-27 21:00"
    #[arg(long, value_name = "WHEN", global = true, value_parser = check_moment)]
    at: Option<String>,
}

/// Refuses what can never be a moment while the arguments are read (so before any
/// prompt); whether it lies ahead is known only against the clock, when the entry is made.
fn check_moment(text: &str) -> std::result::Result<String, String> {
    let far: jiff::Zoned = jiff::civil::date(2200, 1, 1)
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|e| e.to_string())?;
    match haven_model::dates::parse_moment(text, &far) {
        Ok(_) | Err(haven_model::dates::MomentError::Future { .. }) => Ok(text.to_string()),
        Err(e) => Err(output::clean(&e.to_string(), false)),
    }
}

impl When {
    /// The moment asked for, or now.
    pub fn timestamp(&self, ctx: &Context) -> Result<Timestamp> {
        let Some(text) = &self.at else {
            return Ok(ctx.now());
        };
        let at = haven_model::dates::parse_moment(text, &ctx.zoned_now()).map_err(|e| {
            CliError::new(format!(
                "--at: {}; nothing was saved",
                output::clean(&e.to_string(), false)
            ))
            .hint("write it like --at \"yesterday 21:00\", --at \"monday 9am\", --at \"3 hours ago\" or --at \"2026-11-27 21:00\"")
        })?;
        Ok(ctx.timestamp_at(at.timestamp()))
    }
}

/// A new entry of `kind` by this device, timed now or as `--at` says.
pub fn new_entry(
    ctx: &Context,
    vault: &Vault,
    when: &When,
    kind: EntryKind,
    text: String,
) -> Result<Entry> {
    let at = when.timestamp(ctx)?;
    Ok(Entry::new(
        kind,
        ctx.new_entry_id(at),
        at,
        vault.config().device_id.clone(),
        text,
    ))
}

/// The range of an int field of `kind`, from the model's field schema.
pub fn range_of(kind: EntryKind, key: &str) -> (i64, i64) {
    haven_model::fields::fields_of(kind)
        .field(key)
        .and_then(|f| f.range())
        .unwrap_or((i64::MIN, i64::MAX))
}

/// The choices of a choice field of `kind`, from the model's field schema.
pub fn choices_of(kind: EntryKind, key: &str) -> Vec<&'static str> {
    haven_model::fields::fields_of(kind)
        .field(key)
        .map(|f| f.choices().iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The words a prompt offers for a list field of `kind`, from the model's field schema.
pub fn suggestions_of(kind: EntryKind, key: &str) -> Vec<&'static str> {
    haven_model::fields::fields_of(kind)
        .field(key)
        .map(|f| f.suggestions.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// A parser for an int field's flag, with the schema's range.
pub fn int_flag(kind: EntryKind, key: &str) -> clap::builder::RangedI64ValueParser<i64> {
    let (min, max) = range_of(kind, key);
    clap::value_parser!(i64).range(min..=max)
}

/// A parser for a choice field's flag, with the schema's choices.
pub fn choice_flag(kind: EntryKind, key: &str) -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(choices_of(kind, key))
}

/// Sets a text field unless it is empty.
pub fn set_text(entry: &mut Entry, key: &str, value: Option<String>) {
    if let Some(v) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        entry.fields.insert(key.to_string(), FieldValue::Text(v));
    }
}

/// Sets a list field unless it is empty.
pub fn set_list(entry: &mut Entry, key: &str, values: Vec<String>) {
    let values = split_words(values);
    if !values.is_empty() {
        entry
            .fields
            .insert(key.to_string(), FieldValue::List(values));
    }
}

/// Sets a number field if given.
pub fn set_int(entry: &mut Entry, key: &str, value: Option<i64>) {
    if let Some(v) = value {
        entry.fields.insert(key.to_string(), FieldValue::Int(v));
    }
}

/// Splits "a, b" arguments into words, trimmed, without empties or duplicates.
pub fn split_words(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        let v = v.trim();
        if !v.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(v)) {
            out.push(v.to_string());
        }
    }
    out
}

/// The error for a command run without its required flags and without a terminal to ask on.
pub fn missing(what: &str, flags: &str) -> CliError {
    CliError::new(format!("{what} is required; nothing was saved")).hint(format!(
        "pass {flags}, or run the command in a terminal to be asked"
    ))
}

/// The journal to write to: the personal one (needs no key), or `--journal NAME`.
pub fn target(ctx: &Context, vault: &Vault) -> Result<JournalStore> {
    match &ctx.journal {
        None => Ok(vault.personal()),
        Some(_) => {
            let (keys, _) = ctx.keys(vault).map_err(|e| {
                e.hint("only the personal journal takes entries while locked; run `haven unlock` to write to another")
            })?;
            ctx.journal_store(vault, &keys)
        }
    }
}

/// Seals `entry` into the chosen journal and reports it.
pub fn save(ctx: &Context, vault: &Vault, entry: Entry) -> Result<ExitCode> {
    let store = target(ctx, vault)?;
    store.seal(&entry)?;
    report(ctx, &entry)
}

/// Prints what was saved.
pub fn report(ctx: &Context, entry: &Entry) -> Result<ExitCode> {
    if ctx.json {
        output::print_json(&output::entry_json(entry))?;
    } else if !ctx.quiet {
        println!("Saved {} ({})", entry.id, entry.kind);
    }
    Ok(ExitCode::SUCCESS)
}

/// The keys and the chosen journal, for commands that read or change entries.
pub fn open(ctx: &Context) -> Result<(Vault, Keys, JournalStore)> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let store = ctx.journal_store(&vault, &keys)?;
    Ok((vault, keys, store))
}
