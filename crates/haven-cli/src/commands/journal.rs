//! `haven journal`: create, list, rename and leave journals, and remove a person from one.

mod remove;
mod role;

use std::process::ExitCode;

use haven_model::{JournalKind, JournalMeta};
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use crate::prompt;
use haven_model::members;

/// Create, list, rename and leave journals, and remove a person from one. Every command
/// takes --journal NAME to use one
///
/// A journal's name is this device's own: a partner's rename never changes it.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Create a journal (to share with someone later with `haven share`)
    New {
        /// Its name
        name: String,
    },
    /// List journals
    List,
    /// Rename a journal on this device only (its members keep their own names for it)
    Rename {
        /// Its name now
        old: String,
        /// Its new name
        new: String,
    },
    /// Leave a shared journal: your devices stop syncing it with everyone, and its other
    /// members are told (those reachable now, or later through anyone who heard). Your copy
    /// stays readable here; what the others have cannot be taken back.
    Leave {
        /// The journal's name
        name: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Remove another person from a shared journal (admins only): all their devices stop
    /// syncing it with everyone, and every member sees who removed them. What they have
    /// stays with them.
    Remove {
        /// The person: their name, or the start of one of their devices' fingerprints
        person: String,
        /// The journal (else the one --journal names)
        #[arg(long, value_name = "JOURNAL")]
        from: Option<String>,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Change a person's role in a shared journal (admins only): readers read, writers also
    /// write their own entries, admins also add, remove and change the roles of people.
    /// Every member sees the new role once they sync.
    Role {
        /// The person: their name, or the start of one of their devices' fingerprints
        person: String,
        /// The new role
        #[arg(value_parser = ["reader", "writer", "admin"])]
        role: String,
        /// The journal (else the one --journal names)
        #[arg(long = "in", value_name = "JOURNAL")]
        within: Option<String>,
    },
}

/// Runs `haven journal`.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    match args.action {
        Action::New { name } => {
            let name = name.trim().to_string();
            if !haven_store::names::valid_alias(&name) {
                return Err(CliError::new(
                    "a journal name needs 1 to 64 visible characters",
                ));
            }
            let meta = JournalMeta {
                name: name.clone(),
                kind: JournalKind::Shared,
                created_ms: ctx.now().unix_ms,
            };
            let store = vault.create_journal(&keys, &meta)?;
            // My other devices join every journal I am in, including new ones.
            let mine: Vec<_> = vault
                .personal()
                .read_recent(&keys, 0)?
                .members
                .into_iter()
                .filter(|m| m.is_active() && m.device != vault.config().device_id)
                .collect();
            if !mine.is_empty() {
                let me = vault.config().device_id.clone();
                store.change(&keys, |doc| {
                    for m in &mine {
                        // My devices are mine here too: this device is the person's first.
                        let mut m = m.clone();
                        m.person_id = me.clone();
                        m.role = None;
                        haven_model::members::add_member(doc, &m)?;
                    }
                    Ok(())
                })?;
            }
            if ctx.json {
                output::print_json(&json!({"name": name, "kind": "shared"}))?;
            } else if !ctx.quiet {
                println!(
                    "Created the journal `{}`. Write to it with --journal {}.",
                    clean(&name, false),
                    clean(&name, false)
                );
            }
        }
        Action::Leave { name, yes } => {
            drop(keys);
            return leave(ctx, vault, &name, yes);
        }
        Action::Remove { person, from, yes } => {
            drop(keys);
            return remove::run(ctx, vault, &person, from.as_deref(), yes);
        }
        Action::Role {
            person,
            role,
            within,
        } => {
            drop(keys);
            let role = role.parse().map_err(|()| CliError::new("no such role"))?;
            return role::run(ctx, vault, &person, role, within.as_deref());
        }
        Action::Rename { old, new } => {
            let new = new.trim().to_string();
            vault.rename_journal(&keys, &old, &new)?;
            if ctx.json {
                output::print_json(&json!({"renamed": old, "name": new}))?;
            } else if !ctx.quiet {
                println!(
                    "Renamed `{}` to `{}` on this device.",
                    output::name(&old),
                    output::name(&new)
                );
            }
        }
        Action::List => {
            let mut list = Vec::new();
            let me = vault.config().device_id.clone();
            for info in vault.journals(&keys)? {
                let alias = info.alias.clone().unwrap_or_else(|| "(arriving)".into());
                let view = match info.view {
                    Ok(view) => view,
                    Err(e) => {
                        list.push(json!({
                            "name": alias,
                            "unreadable": e.to_string(),
                        }));
                        continue;
                    }
                };
                let kind = if info.personal { "personal" } else { "shared" };
                let left = !info.personal
                    && !view.members.is_empty()
                    && !view.members.iter().any(|m| m.device == me && m.is_active());
                let proposed = view
                    .meta
                    .as_ref()
                    .map(|m| m.name.clone())
                    .filter(|p| !info.personal && *p != alias);
                // The other side of a departure is told who left, not shown a revoked device.
                let departed: Vec<_> = members::departed(&view.members, &me)
                    .into_iter()
                    .map(|d| json!({"person": d.person, "left": d.left()}))
                    .collect();
                list.push(json!({
                    "name": alias,
                    "kind": kind,
                    "entries": view.total,
                    "left": left,
                    "departed": departed,
                    "proposed_name": proposed,
                }));
            }
            if ctx.json {
                output::print_json(&json!(list))?;
            } else {
                for j in &list {
                    let name = output::name(j["name"].as_str().unwrap_or(""));
                    if let Some(why) = j["unreadable"].as_str() {
                        println!(
                            "{name:<20} unreadable: {}; run `haven doctor`",
                            clean(why, false)
                        );
                        continue;
                    }
                    let n = j["entries"].as_u64().unwrap_or(0);
                    let proposed = j["proposed_name"]
                        .as_str()
                        .map(|p| format!(" (its members call it `{}`)", output::name(p)))
                        .unwrap_or_default();
                    let departed: Vec<String> = j["departed"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|d| {
                            let who = output::name(d["person"].as_str().unwrap_or(""));
                            if d["left"] == true {
                                format!("{who} left")
                            } else {
                                format!("{who} was removed")
                            }
                        })
                        .collect();
                    let departed = if departed.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", departed.join(", "))
                    };
                    println!(
                        "{name:<20} {:<9} {n} {}{}{departed}{proposed}",
                        j["kind"].as_str().unwrap_or(""),
                        if n == 1 { "entry" } else { "entries" },
                        if j["left"] == true {
                            " (left: no longer syncs)"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The key a shared journal is synced by.
fn shared_key(view: &haven_store::JournalView) -> Result<haven_sync::JournalKey> {
    view.key
        .as_deref()
        .and_then(haven_node::node::key_bytes)
        .ok_or_else(|| CliError::new("this journal has no shared key").hint("run `haven doctor`"))
}

/// A shared journal that a command about its people acts on: the one `named`, else the one
/// `--journal` names (`usage` is the command's form, for the hint).
struct PeopleOf {
    name: String,
    store: haven_store::JournalStore,
    view: haven_store::JournalView,
    key: haven_sync::JournalKey,
}

fn people_of(
    ctx: &Context,
    vault: &haven_store::Vault,
    keys: &haven_store::Keys,
    named: Option<&str>,
    usage: &str,
) -> Result<PeopleOf> {
    let name = named
        .or(ctx.journal.as_deref())
        .ok_or_else(|| {
            CliError::new("which journal? people are in one shared journal at a time")
                .hint(format!("name it: `{usage}`"))
        })?
        .to_string();
    let store = vault.find_journal(keys, &name)?;
    if store.id() == vault.personal().id() {
        return Err(CliError::new("your personal journal is yours alone")
            .hint("to stop one of your devices syncing it, use `haven revoke DEVICE`"));
    }
    let view = store.read_recent(keys, 0)?;
    let key = shared_key(&view)?;
    Ok(PeopleOf {
        name,
        store,
        view,
        key,
    })
}

/// The devices of `view` that must hear of a change to its members: every active one but
/// this device (`me`), and those of `also` that this copy may list as revoked already.
fn to_tell(view: &haven_store::JournalView, me: &str, also: &[String]) -> Vec<String> {
    view.members
        .iter()
        .filter(|m| m.device != me && (m.is_active() || also.contains(&m.device)))
        .map(|m| m.device.clone())
        .collect()
}

/// Leaves a shared journal: revokes every one of my devices in it, then syncs it once with
/// its other members and my other devices so that they learn it. On this copy this device
/// is no longer a member, so the journal syncs with nobody from now on. Run again, it tells
/// the devices that were not reachable the first time.
fn leave(ctx: &Context, vault: haven_store::Vault, name: &str, yes: bool) -> Result<ExitCode> {
    let (keys, _) = ctx.keys(&vault)?;
    let store = vault.find_journal(&keys, name)?;
    let view = store.read_recent(&keys, 0)?;
    if store.id() == vault.personal().id() {
        return Err(CliError::new("you cannot leave your personal journal")
            .hint("`haven journal leave` is for journals shared with someone"));
    }
    let key = shared_key(&view)?;
    let me = vault.config().device_id.clone();
    let already_left = !view.members.iter().any(|m| m.device == me && m.is_active());
    if !yes && !already_left {
        if !ctx.can_ask {
            return Err(
                CliError::new("leaving a journal needs confirmation; nothing was changed")
                    .hint("pass --yes"),
            );
        }
        let question = format!(
            "Leave `{}`? Your devices stop syncing it; your copy stays here.",
            clean(name, false)
        );
        if !prompt::confirm(&question)? {
            return Ok(ExitCode::SUCCESS);
        }
    }
    // My devices: this one and the active members of my personal journal.
    let mut mine: Vec<String> = vault
        .personal()
        .read_recent(&keys, 0)?
        .members
        .into_iter()
        .filter(|m| m.is_active())
        .map(|m| m.device)
        .collect();
    mine.push(me.clone());
    // Who must hear of it: the other members, and my other devices in the journal (which
    // this copy may already list as revoked, by a first `leave`).
    let others = to_tell(&view, &me, &mine);
    if !already_left {
        let at = ctx.clock.now().as_millisecond();
        store.change(&keys, |doc| {
            for device in &mine {
                members::revoke_member(doc, device, at)?;
            }
            Ok(())
        })?;
    }
    drop(keys);
    // Offer the journal explicitly: on their copies this device is still a member, so they
    // accept the change, and from then on refuse to sync it with any of my devices.
    let heard: Vec<String> = if others.is_empty() {
        Vec::new()
    } else {
        crate::commands::sync::sync_members(ctx, &others, key)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.status == haven_node::ipc::control::PeerStatus::Synced)
            .map(|r| r.device)
            .collect()
    };
    let missed = others.len().saturating_sub(heard.len());
    if ctx.json {
        output::print_json(&json!({
            "left": name,
            "already_left": already_left,
            "told": heard,
            "not_reached": missed,
        }))?;
    } else if !ctx.quiet {
        if already_left {
            println!("You had already left `{}`.", clean(name, false));
        } else {
            println!("You left `{}`.", clean(name, false));
        }
        println!(
            "Told {} of {} now.",
            heard.len(),
            output::count(others.len(), "device", "devices")
        );
        if missed > 0 {
            println!(
                "Run `haven journal leave {} --yes` again when the others are online, to tell them.",
                clean(name, false)
            );
        }
        println!(
            "This device no longer syncs it with anyone. Your copy stays readable here; what the others have cannot be taken back."
        );
    }
    Ok(ExitCode::SUCCESS)
}
