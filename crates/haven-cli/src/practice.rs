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
    target: &Target,
    when: &When,
    kind: EntryKind,
    text: String,
) -> Result<Entry> {
    let at = when.timestamp(ctx)?;
    Ok(Entry::new(
        kind,
        ctx.new_entry_id(at),
        at,
        target.vault.config().device_id.clone(),
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
    CliError::new(format!("missing {what}; nothing was saved")).hint(format!(
        "pass {flags}, or run the command in a terminal to be asked"
    ))
}

/// Where a practice's entry goes, settled before any question is asked: the personal
/// journal needs no key; `--journal NAME` needs it, and asks for it first, saying why.
pub struct Target {
    /// The vault.
    pub vault: Vault,
    store: JournalStore,
    /// The keys, when they were needed or could be had without asking.
    keys: Option<Keys>,
    /// The journal's name, for `--journal`.
    name: Option<String>,
}

/// The personal journal, whatever `--journal` says (for what lives only there).
pub fn personal(ctx: &Context) -> Result<Target> {
    let vault = ctx.vault()?;
    Ok(Target {
        store: vault.personal(),
        vault,
        keys: None,
        name: None,
    })
}

/// Opens the vault and the journal the entry will go to.
pub fn begin(ctx: &Context) -> Result<Target> {
    let vault = ctx.vault()?;
    match &ctx.journal {
        None => {
            // One unlock at most: the keys serve the audience line and the offer.
            let keys = ctx.keys_or_warn(&vault);
            Ok(Target {
                store: vault.personal(),
                vault,
                keys,
                name: None,
            })
        }
        Some(name) => {
            let why = format!(
                "writing to the journal `{}` needs the key (only the personal journal takes entries while locked)",
                output::name(name)
            );
            let (keys, _) = ctx.keys_because(&vault, &why).map_err(|e| {
                e.hint("run `haven unlock` first, or leave --journal out to write to your personal journal")
            })?;
            let store = ctx.journal_store(&vault, &keys)?;
            Ok(Target {
                vault,
                store,
                keys: Some(keys),
                name: Some(name.clone()),
            })
        }
    }
}

/// Opens the vault and the chosen journal with the key, for a practice that reads entries
/// first (answering a repair, saying "I'm here"); `why` is said before any prompt.
pub fn begin_reading(ctx: &Context, why: &str) -> Result<Target> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys_because(&vault, why)?;
    let store = ctx.journal_store(&vault, &keys)?;
    Ok(Target {
        vault,
        store,
        keys: Some(keys),
        name: ctx.journal.clone(),
    })
}

impl Target {
    /// Every entry of the journal (the target must have been opened with the key).
    pub fn read(&self) -> Result<haven_store::JournalView> {
        let keys = self
            .keys
            .as_ref()
            .ok_or_else(|| CliError::new("the vault is locked").hint("run `haven unlock`"))?;
        Ok(self.store.read(keys)?)
    }

    /// The journal, for a command that writes there itself.
    pub fn store(&self) -> &JournalStore {
        &self.store
    }

    fn audience(&self) -> String {
        audience_of(&self.store, self.keys.as_ref(), self.name.as_deref())
    }

    /// A shared journal whose members include `person`, to offer when the entry names
    /// someone but would go to the personal journal.
    /// The journal's name, and the person's name as the journal has it.
    fn shared_with(&self, person: &str) -> Option<(String, String)> {
        if self.name.is_some() {
            return None;
        }
        let keys = self.keys.as_ref()?;
        let wanted = person.trim().trim_start_matches('@').to_lowercase();
        self.vault
            .journals(keys)
            .ok()?
            .into_iter()
            .find_map(|info| {
                let view = info.view.ok()?;
                if info.personal {
                    return None;
                }
                let member = view
                    .members
                    .iter()
                    .find(|m| m.is_active() && m.person.trim().to_lowercase() == wanted)?;
                Some((info.alias?, member.person.clone()))
            })
    }
}

/// Who can read a journal, in words: "only your devices", or "you and Sam" (the people of
/// its active members), when the key tells.
fn audience_of(store: &JournalStore, keys: Option<&Keys>, name: Option<&str>) -> String {
    let Some(name) = name else {
        return "your personal journal; only your devices can read it".into();
    };
    let mut people: Vec<String> = Vec::new();
    if let Some(keys) = keys
        && let Ok(view) = store.read_recent(keys, 0)
    {
        for m in view.members.iter().filter(|m| m.is_active()) {
            let person = output::name(&m.person);
            if m.person != keys.secrets.person_name && !people.contains(&person) {
                people.push(person);
            }
        }
    }
    match people.len() {
        0 => format!(
            "the journal `{}`; only you can read it so far",
            output::name(name)
        ),
        _ => format!(
            "the journal `{}`; you and {} can read it",
            output::name(name),
            people.join(", ")
        ),
    }
}

/// Seals `entry` into the chosen journal and reports it.
pub fn save(ctx: &Context, target: &Target, entry: Entry) -> Result<ExitCode> {
    target.store.seal(&entry)?;
    report(ctx, &entry)
}

/// Seals an entry about someone else, and says where it went and who can read it. When it
/// would go to the personal journal while a shared journal holds `person`, offers that
/// journal on a terminal (and names it otherwise).
pub fn save_relational(
    ctx: &Context,
    target: &Target,
    entry: Entry,
    person: Option<&str>,
) -> Result<ExitCode> {
    let shared = person
        .and_then(|p| target.shared_with(p))
        .map(|(journal, who)| (who, journal));
    let store = match &shared {
        Some((who, journal)) if ctx.can_ask && !ctx.json => {
            let question = format!(
                "{} is in the shared journal `{}`. Write this there, where they can read it?",
                output::name(who),
                output::name(journal)
            );
            if crate::prompt::confirm(&question)? {
                let keys = target
                    .keys
                    .as_ref()
                    .ok_or_else(|| CliError::new("the key is needed"))?;
                Some((target.vault.find_journal(keys, journal)?, journal.clone()))
            } else {
                None
            }
        }
        _ => None,
    };
    let where_to = match &store {
        Some((store, journal)) => {
            store.seal(&entry)?;
            audience_of(store, target.keys.as_ref(), Some(journal))
        }
        None => {
            target.store.seal(&entry)?;
            target.audience()
        }
    };
    let code = report(ctx, &entry)?;
    if !ctx.json && !ctx.quiet {
        output::say(ctx, &format!("It went to {where_to}."));
        if let (Some((who, journal)), None) = (&shared, &store) {
            output::say(
                ctx,
                &format!(
                    "{} is in the shared journal `{}`: `--journal {}` writes there.",
                    output::name(who),
                    output::name(journal),
                    output::name(journal)
                ),
            );
        }
    }
    Ok(code)
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
