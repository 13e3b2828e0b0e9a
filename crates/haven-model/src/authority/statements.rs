//! Revocations and role changes, weighed together in causal order: a statement comes after
//! every statement in its past, so that whether a revoker or a role changer had the right
//! is read from what came before it. Concurrent statements are weighed senior first: by
//! when their writer's person joined (the operation that made that person's first record),
//! then by operation id. The order is the same on every device, and no writer can choose
//! its place in it: a removed admin cannot get back in by writing, on a branch that leaves
//! its removal out, a revocation of its remover numbered low, as it could if statements were
//! weighed by operation id alone. Of two admins removing each other concurrently, the
//! senior stands; of two giving one person roles concurrently, the senior's role stands.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use automerge::Value;

use super::{At, Authority, Ending, History, OpRef, Record, Role, roles, scalar_int};
use crate::schema::SchemaError;

/// A statement about a device weighed in operation-id order.
enum Statement {
    /// `revoked_at`, with the time its writer gives.
    Revoke(i64),
    /// A role change (written into a person's first record).
    Role(Role),
}

impl Authority {
    /// Weighs revocations and role changes together, in causal order.
    pub(super) fn weigh_statements(
        &mut self,
        at: At<'_>,
        records: &[Record],
        history: &mut History<'_>,
    ) -> Result<(), SchemaError> {
        let mut statements: Vec<(OpRef, String, Statement)> = Vec::new();
        for record in records {
            if !self.stands_by(&record.device, &record.made) {
                continue;
            }
            for (value, id) in at.get_all(&record.obj, "revoked_at")? {
                let Some(op) = OpRef::of(&id) else { continue };
                let at_ms = match value {
                    Value::Scalar(s) => scalar_int(&s).unwrap_or(0),
                    Value::Object(_) => continue,
                };
                statements.push((op, record.device.clone(), Statement::Revoke(at_ms)));
            }
            // Role changes are written into a person's first record.
            if self.devices[&record.device].person == record.device {
                for (op, role) in roles::statements_in(at, &record.obj)? {
                    statements.push((op, record.device.clone(), Statement::Role(role)));
                }
            }
        }
        statements.sort_by(|a, b| a.0.cmp(&b.0));
        let order = self.causal_order(&statements, history);
        for i in order {
            let (op, device, statement) = &statements[i];
            let (op, device) = (op.clone(), device.clone());
            let at_ms = match *statement {
                Statement::Revoke(at_ms) => at_ms,
                Statement::Role(role) => {
                    self.weigh_role_change(op, &device, role, history);
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
                    } else if self.binds_as(&revoker_person, &op, history) == Some(Role::Admin) {
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

    /// The order `statements` are weighed in: causal, and among concurrent ones the senior
    /// writer's first (see the module's overview). Costs one walk of the history per
    /// statement and a comparison per pair of statements.
    fn causal_order(
        &self,
        statements: &[(OpRef, String, Statement)],
        history: &mut History<'_>,
    ) -> Vec<usize> {
        let n = statements.len();
        // Unknown writers (no standing: their statements count for nothing) last.
        let key = |op: &OpRef| {
            let joined = op.device().and_then(|d| self.joined(&d).cloned());
            (joined.is_none(), joined, op.clone())
        };
        let changes: Vec<_> = statements.iter().map(|s| history.change_of(&s.0)).collect();
        let mut waiting = vec![0usize; n];
        let mut unblocks: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                // `j` comes before `i`: in its past, and earlier within one change.
                let same = changes[i].is_some() && changes[i] == changes[j];
                let before = match same {
                    true => statements[j].0.counter < statements[i].0.counter,
                    false => history.in_past(&statements[j].0, &statements[i].0),
                };
                if before {
                    waiting[i] += 1;
                    unblocks[j].push(i);
                }
            }
        }
        let mut ready: BinaryHeap<Reverse<(_, usize)>> = (0..n)
            .filter(|&i| waiting[i] == 0)
            .map(|i| Reverse((key(&statements[i].0), i)))
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((_, i))) = ready.pop() {
            order.push(i);
            for &k in &unblocks[i] {
                waiting[k] -= 1;
                if waiting[k] == 0 {
                    ready.push(Reverse((key(&statements[k].0), k)));
                }
            }
        }
        order
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
            || self.binds_as(&writer_person, &op, history) != Some(Role::Admin)
        {
            return;
        }
        // Of two admins giving one person roles concurrently, the senior one's stands: it
        // was weighed first, and a junior's concurrent statement does not override it.
        let joined = self.joined(&by).cloned();
        let overrides_senior = self.role_changes(person).iter().any(|(s, _)| {
            let senior = s.device().and_then(|d| self.joined(&d).cloned());
            senior.is_some() && senior < joined && history.concurrent(s, &op)
        });
        if overrides_senior {
            return;
        }
        self.note_change(person, op, role);
    }
}
