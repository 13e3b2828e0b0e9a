//! `haven journal role PERSON ROLE`: an admin changes another person's role in a shared
//! journal. The change is a signed statement of this device's, and the journal is offered
//! once to its members so that they learn of it.

use std::process::ExitCode;

use haven_model::members::{self, Role, RoleChangeError};
use haven_store::StoreError;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{self, clean};

/// Makes `role` the role of `who` in the journal `within` (or the one `--journal` names).
pub fn run(
    ctx: &Context,
    vault: haven_store::Vault,
    who: &str,
    role: Role,
    within: Option<&str>,
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
        within,
        "haven journal role PERSON ROLE --in JOURNAL",
    )?;
    let person = members::find_person(&view.members, who).map_err(super::remove::removal_error)?;
    let shown = view
        .members
        .iter()
        .find(|m| m.person_id == person)
        .map(|m| output::name(&m.person))
        .unwrap_or_default();
    let me = vault.config().device_id.clone();
    let nonce: u64 = rand::random();
    let mut refused = None;
    let changed = store.change(&keys, |doc| {
        members::set_role(doc, &me, &person, role, nonce).map_err(|e| match e {
            RoleChangeError::Schema(s) => StoreError::Schema(s),
            other => {
                let why = StoreError::NotAllowed(other.to_string());
                refused = Some(other);
                why
            }
        })
    });
    match (changed, refused) {
        (Ok(()), _) => {}
        (Err(_), Some(refused)) => {
            let hint = match refused {
                RoleChangeError::NotAdmin => "ask an admin (see `haven members`)",
                _ => "see `haven members`",
            };
            return Err(CliError::new(format!("{refused}; nothing was changed")).hint(hint));
        }
        (Err(e), None) => return Err(e.into()),
    }
    drop(keys);
    let others = super::to_tell(&view, &me, &[]);
    let heard = crate::commands::sync::sync_members(ctx, &others, key)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.status == haven_node::ipc::control::PeerStatus::Synced)
        .count();
    if ctx.json {
        output::print_json(&json!({
            "person": person,
            "role": role.as_str(),
            "journal": name,
            "told": heard,
            "not_reached": others.len().saturating_sub(heard),
        }))?;
    } else if !ctx.quiet {
        println!(
            "{shown} is now a {} in `{}`; every member sees it once they sync.",
            role.as_str(),
            clean(&name, false)
        );
        println!(
            "Told {heard} of {} now.",
            output::count(others.len(), "device", "devices")
        );
    }
    Ok(ExitCode::SUCCESS)
}
