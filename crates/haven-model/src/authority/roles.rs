//! Role changes after a person joined: statements an admin writes into the person's first
//! record, each under a key of its own (`role/<16 hex>`) and never overwritten, so that
//! every statement stays in the document and a person's role can be read at any point of
//! the journal's history.
//!
//! A statement counts when its writer counts at it (not revoked in its past) and was an
//! admin at it: by the statements in its causal past, else by the role it was added with,
//! and not demoted by a statement concurrent with it. Statements are weighed with
//! revocations in causal order (see `statements`). A person's role **now** is set by the last
//! statement about them that counts; the role a change is judged by is the one its signer
//! had **at** it ([`Authority::role_at`]), so that a change made before its signer heard of
//! a role change is judged alike on every device.
//!
//! A demotion binds what its person did concurrently with it, wherever that was written
//! ([`Authority::binding_at`]): a change made on a branch that leaves the demotion out is
//! kept (a copy may hold it already) but void for what the lower role may not do. So a
//! member made a reader cannot go on writing entries by writing from before the demotion,
//! nor a former admin go on removing people.

use automerge::{ObjId, Value};

use super::{At, Authority, History, OpRef, Role};
use crate::schema::SchemaError;

/// The role a person's change is bound by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The role by the statements in the change's past.
    pub causal: Role,
    /// That role, lowered by a demotion concurrent with the change.
    pub role: Role,
    /// The concurrent demotion that lowered it, if one did.
    pub demotion: Option<OpRef>,
}

impl Binding {
    /// Whether the change lacks `need`: taken away by a concurrent demotion, or never given
    /// (a change kept because its signer had the role where it was made, by a statement
    /// that lost a race since).
    pub fn voids(&self, need: Role) -> bool {
        self.role < need
    }
}

/// The prefix of a role statement's key in a member record.
pub const ROLE_KEY: &str = "role/";

/// A person's role over time: the role they were added with, then the statements about
/// them that count, in operation-id order.
#[derive(Clone, Debug, Default)]
pub(super) struct RoleHistory {
    pub initial: Option<Role>,
    pub changes: Vec<(OpRef, Role)>,
}

/// The role statements written into the member record `obj`: (operation, role).
pub(super) fn statements_in(at: At<'_>, obj: &ObjId) -> Result<Vec<(OpRef, Role)>, SchemaError> {
    let mut out = Vec::new();
    for key in at.keys_from(obj, ROLE_KEY) {
        if !key.starts_with(ROLE_KEY) {
            break;
        }
        for (value, id) in at.get_all(obj, &key)? {
            let (Value::Scalar(s), Some(op)) = (value, OpRef::of(&id)) else {
                continue;
            };
            if let Some(role) = s.as_str().and_then(|r| r.parse::<Role>().ok()) {
                out.push((op, role));
            }
        }
    }
    Ok(out)
}

impl Authority {
    /// The role `person` had at operation `op`: set by the last counting statement about
    /// them that lies in the past of `op` (and before it, within one change), else the
    /// role they were added with. `None` for someone who is not a person here.
    pub fn role_at(&self, person: &str, op: &OpRef, history: &mut History<'_>) -> Option<Role> {
        let roles = self.roles.get(person)?;
        let before = roles
            .changes
            .iter()
            .rev()
            .find(|(s, _)| s.counter < op.counter && history.after(op, s));
        before.map(|(_, role)| *role).or(roles.initial)
    }

    /// The role that binds what `person` did at operation `op`: [`Self::role_at`], lowered by
    /// any counting statement about them concurrent with `op` that gives a lower role.
    pub fn binding_at(
        &self,
        person: &str,
        op: &OpRef,
        history: &mut History<'_>,
    ) -> Option<Binding> {
        let causal = self.role_at(person, op, history)?;
        let mut binding = Binding {
            causal,
            role: causal,
            demotion: None,
        };
        for (s, role) in &self.roles.get(person)?.changes {
            if *role < binding.role && history.concurrent(s, op) {
                binding.role = *role;
                binding.demotion = Some(s.clone());
            }
        }
        Some(binding)
    }

    /// The role [`Self::binding_at`] gives.
    pub(super) fn binds_as(
        &self,
        person: &str,
        op: &OpRef,
        history: &mut History<'_>,
    ) -> Option<Role> {
        self.binding_at(person, op, history).map(|b| b.role)
    }

    /// The counting role statements about `person` so far, in the order weighed.
    pub(super) fn role_changes(&self, person: &str) -> &[(OpRef, Role)] {
        self.roles.get(person).map_or(&[], |r| r.changes.as_slice())
    }

    /// Whether any person's role was changed after they joined.
    pub fn has_role_changes(&self) -> bool {
        self.roles.values().any(|r| !r.changes.is_empty())
    }

    /// Records `person`'s role as added (called as standings are made).
    pub(super) fn note_initial(&mut self, person: &str, role: Role) {
        let entry = self.roles.entry(person.to_string()).or_default();
        entry.initial.get_or_insert(role);
    }

    /// Applies a counting statement: `person`'s role is `role` from `op` on.
    pub(super) fn note_change(&mut self, person: &str, op: OpRef, role: Role) {
        self.roles
            .entry(person.to_string())
            .or_default()
            .changes
            .push((op, role));
        for standing in self.devices.values_mut() {
            if standing.person == person {
                standing.role = role;
            }
        }
    }
}
