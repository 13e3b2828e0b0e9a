//! `haven journal remove PERSON`: an admin removes another person from a shared journal.
//! Every device of theirs is revoked in one signed change, attributed to this device, and
//! the journal is offered once to its members (the removed person's devices included) so
//! that they learn of it.

use std::process::ExitCode;

use haven_model::members::{self, RemovalError};
use haven_store::StoreError;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};
use crate::prompt;

/// Removes `who` from the journal `from` (or the one `--journal` names).
pub fn run(
    ctx: &Context,
    vault: haven_store::Vault,
    who: &str,
    from: Option<&str>,
    yes: bool,
) -> Result<ExitCode> {
    let (keys, _) = ctx.keys(&vault)?;
    let super::PeopleOf {
        name,
        store,
        view,
        key,
    } = super::people_of(
        ctx,
        &vault,
        &keys,
        from,
        "haven journal remove PERSON --from JOURNAL",
    )?;

    let person = members::find_person(&view.members, who).map_err(removal_error)?;
    let me = vault.config().device_id.clone();
    if view
        .members
        .iter()
        .any(|m| m.device == me && m.person_id == person)
    {
        return Err(removal_error(RemovalError::Yourself));
    }
    let shown = view
        .members
        .iter()
        .find(|m| m.person_id == person)
        .map(|m| output::name(&m.person))
        .unwrap_or_default();
    if !yes {
        if !ctx.can_ask {
            return Err(CliError::new(
                "removing someone from a journal needs confirmation; nothing was changed",
            )
            .hint("pass --yes"));
        }
        let question = format!(
            "Remove {shown} from `{}`? Their devices stop syncing it with everyone; what they have stays with them.",
            clean(&name, false)
        );
        if !prompt::confirm(&question)? {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let at = ctx.now().unix_ms;
    let mut refused = None;
    let removed = store.change(&keys, |doc| {
        members::remove_person(doc, &me, &person, at).map_err(|e| match e {
            RemovalError::Schema(s) => StoreError::Schema(s),
            other => {
                let why = StoreError::NotAllowed(other.to_string());
                refused = Some(other);
                why
            }
        })
    });
    let removed = match (removed, refused) {
        (Ok(devices), _) => devices,
        (Err(_), Some(refused)) => return Err(removal_error(refused)),
        (Err(e), None) => return Err(e.into()),
    };
    drop(keys);
    // Everyone who must hear of it: the removed devices (their copies still list them, so
    // they accept the change and stop syncing the journal) and every other member.
    let others = super::to_tell(&view, &me, &removed);
    let heard: Vec<String> = crate::commands::sync::sync_members(ctx, &others, key)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.status == haven_node::ipc::control::PeerStatus::Synced)
        .map(|r| r.device)
        .collect();
    if ctx.json {
        output::print_json(&json!({
            "removed": person,
            "person": view.members.iter().find(|m| m.person_id == person).map(|m| m.person.clone()),
            "journal": name,
            "devices": removed,
            "told": heard,
            "not_reached": others.len().saturating_sub(heard.len()),
        }))?;
    } else if !ctx.quiet {
        let n = removed.len();
        println!(
            "Removed {shown} ({n} device{}) from `{}`; everyone will see that you did.",
            if n == 1 { "" } else { "s" },
            clean(&name, false)
        );
        println!(
            "Told {} of {} now.",
            heard.len(),
            output::count(others.len(), "device", "devices")
        );
        if heard.len() < others.len() {
            println!("The others learn of it when they next sync with any member who has heard.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The CLI's error for a person that could not be named.
pub(super) fn removal_error(e: RemovalError) -> CliError {
    let hint = match &e {
        RemovalError::NoSuchPerson(_) | RemovalError::Ambiguous { .. } => {
            "see `haven members` for names and device fingerprints"
        }
        RemovalError::Yourself => "use `haven journal leave JOURNAL`",
        RemovalError::NotAdmin => "ask an admin (see `haven members`) to remove them",
        _ => "see `haven members`",
    };
    CliError::new(format!("{e}; nothing was changed")).hint(hint)
}
