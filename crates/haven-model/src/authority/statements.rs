//! Revocations and role changes, weighed together in operation-id order: the order is the
//! same on every device, and causal (a statement's past comes before it), so that whether
//! a revoker or a role changer had the right is read from what came before it.

use automerge::{Automerge, ReadDoc, Value};

use super::{Authority, Ending, History, OpRef, Record, Role, roles, scalar_int};
use crate::schema::SchemaError;

/// A statement about a device weighed in operation-id order.
enum Statement {
    /// `revoked_at`, with the time its writer gives.
    Revoke(i64),
    /// A role change (written into a person's first record).
    Role(Role),
}

impl Authority {
    /// Weighs revocations and role changes together, in operation-id order.
    pub(super) fn weigh_statements(
        &mut self,
        doc: &Automerge,
        records: &[Record],
    ) -> Result<(), SchemaError> {
        let mut statements: Vec<(OpRef, String, Statement)> = Vec::new();
        for record in records {
            if !self.stands_by(&record.device, &record.made) {
                continue;
            }
            for (value, id) in doc.get_all(&record.obj, "revoked_at")? {
                let Some(op) = OpRef::of(&id) else { continue };
                let at_ms = match value {
                    Value::Scalar(s) => scalar_int(&s).unwrap_or(0),
                    Value::Object(_) => continue,
                };
                statements.push((op, record.device.clone(), Statement::Revoke(at_ms)));
            }
            // Role changes are written into a person's first record.
            if self.devices[&record.device].person == record.device {
                for (op, role) in roles::statements_in(doc, &record.obj)? {
                    statements.push((op, record.device.clone(), Statement::Role(role)));
                }
            }
        }
        statements.sort_by(|a, b| a.0.cmp(&b.0));
        let mut history = History::new(doc);
        for (op, device, statement) in statements {
            let at_ms = match statement {
                Statement::Revoke(at_ms) => at_ms,
                Statement::Role(role) => {
                    self.weigh_role_change(op, &device, role, &mut history);
                    continue;
                }
            };
            let Some(target) = self.devices.get(&device) else {
                continue;
            };
            if target.revoked.is_some() {
                continue;
            }
            let target_person = target.person.clone();
            let ending = match op.device() {
                None if target.unsigned => Ending::Left {
                    by: String::new(),
                    at_ms,
                },
                None => continue,
                Some(by) => {
                    let Some(revoker) = self.devices.get(&by) else {
                        continue;
                    };
                    // A revoked revoker's statement counts only from before it was revoked.
                    if let Some(own) = &revoker.revoked
                        && !history.in_past(&op, own)
                    {
                        continue;
                    }
                    let revoker_person = revoker.person.clone();
                    if revoker_person == target_person {
                        Ending::Left { by, at_ms }
                    } else if self.role_at(&revoker_person, &op, &mut history) == Some(Role::Admin)
                    {
                        Ending::Removed { by, at_ms }
                    } else {
                        continue;
                    }
                }
            };
            if let Some(target) = self.devices.get_mut(&device) {
                target.ended = Some(ending);
                target.revoked = Some(op);
            }
        }
        Ok(())
    }

    /// A role change about the person whose first device is `person`, by the device that
    /// made operation `op`: it counts when that device counts at it and was an admin then.
    fn weigh_role_change(
        &mut self,
        op: OpRef,
        person: &str,
        role: Role,
        history: &mut History<'_>,
    ) {
        let Some(by) = op.device() else { return };
        let Some(writer) = self.devices.get(&by) else {
            return;
        };
        let writer_person = writer.person.clone();
        if !self.counts(&by, &op, history)
            || self.role_at(&writer_person, &op, history) != Some(Role::Admin)
        {
            return;
        }
        self.note_change(person, op, role);
    }
}
