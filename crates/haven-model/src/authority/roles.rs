//! Role changes after a person joined: statements an admin writes into the person's first
//! record, each under a key of its own (`role/<16 hex>`) and never overwritten, so that
//! every statement stays in the document and a person's role can be read at any point of
//! the journal's history.
//!
//! A statement counts when its writer counts at it (not revoked in its past) and was an
//! admin at it: by the statements in its causal past, else by the role it was added with.
//! Statements are weighed with revocations in operation-id order (the same on every
//! device, and causal: a statement's past comes before it). A person's role **now** is set
//! by the last statement about them that counts; the role a change is judged by is the one
//! its signer had **at** it ([`Authority::role_at`]), so that a change made before its
//! signer heard of a role change is judged alike on every device.

use automerge::{Automerge, ObjId, ReadDoc, Value};

use super::{Authority, History, OpRef, Role};
use crate::schema::SchemaError;

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
pub(super) fn statements_in(
    doc: &Automerge,
    obj: &ObjId,
) -> Result<Vec<(OpRef, Role)>, SchemaError> {
    let mut out = Vec::new();
    for item in doc.map_range(obj, ROLE_KEY.to_string()..) {
        if !item.key.starts_with(ROLE_KEY) {
            break;
        }
        for (value, id) in doc.get_all(obj, item.key.as_ref())? {
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
            .find(|(s, _)| s.counter < op.counter && history.in_past(s, op));
        before.map(|(_, role)| *role).or(roles.initial)
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
