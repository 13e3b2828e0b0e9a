//! Who is in a journal and what each may do, read from the signed statements in its
//! `members` map.
//!
//! Every value in an Automerge document was written by an operation whose id names its
//! actor, and a device-bound actor names the device that signed the change (see
//! [`crate::signed`]). So a member record says who made it, and each of its fields says who
//! wrote it, without trusting anything the record claims about itself:
//!
//! * The **creator** is the device that wrote `meta.key`: the journal's first change. Its
//!   own record, made by itself, roots the first person, an admin.
//! * A record made by an **admin** of another person for a device `D` with `person_id = D`
//!   brings in a new person, with the `role` the admin wrote (`writer` when absent).
//! * A record made by a device of person `P` with `person_id = P` adds one of `P`'s own
//!   devices, which shares `P`'s role. No one else can add a device to `P`.
//! * A **revocation** (`revoked_at`) counts when its writer is a device of the same person
//!   (leaving, or retiring one's own device) or an admin (removing someone).
//!
//! Revocations and role changes are weighed in causal order, concurrent ones senior first
//! (the same on every device; see `statements`). A revoked device's statements count only
//! if they lie in the causal past of its revocation: what it said after, or concurrently
//! with, being revoked is void. When two admins remove each other concurrently, the senior
//! one's statement stands and the other, being concurrent with it, is void.
//!
//! Records written before changes were signed (by random actors) carry no proof: each such
//! device stands for itself, as an admin, because the journal it came from let every member
//! do everything. See `docs/security.md`.

use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::schema::SchemaError;
use crate::signed;

mod adds;
use adds::Judged;
mod at;
mod history;
mod roles;
mod statements;
use at::At;
pub use history::History;
pub use roles::{Binding, ROLE_KEY};

/// What a person may do in a journal.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Syncs and reads; writes nothing but its own devices' records.
    Reader,
    /// Writes entries of its own, and edits and deletes them.
    Writer,
    /// Also adds and removes people.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }

    /// Whether it may write entries.
    pub fn writes(self) -> bool {
        self >= Role::Writer
    }
}

impl std::str::FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Role, ()> {
        match s {
            "reader" => Ok(Role::Reader),
            "writer" => Ok(Role::Writer),
            "admin" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

/// An operation's id: its counter and the actor that made it. Ordered as Automerge orders
/// operation ids (counter first), which is the same on every device.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpRef {
    /// The Lamport counter.
    pub counter: u64,
    /// The actor's bytes.
    pub actor: Vec<u8>,
}

impl OpRef {
    /// The id of the operation that made `obj` (or wrote a value), if it is not the root.
    pub fn of(obj: &ObjId) -> Option<OpRef> {
        match obj {
            ObjId::Root => None,
            ObjId::Id(counter, actor, _) => Some(OpRef {
                counter: *counter,
                actor: actor.to_bytes().to_vec(),
            }),
        }
    }

    /// The device (hex) that signed it, if its actor is device-bound.
    pub fn device(&self) -> Option<String> {
        signed::actor_device(&self.actor).map(hex::encode)
    }
}

/// How a device stopped being part of a journal.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    /// Its own person retired it, or left.
    Left {
        /// The device that wrote it (empty when unsigned).
        by: String,
        /// When, as its writer says (ms).
        at_ms: i64,
    },
    /// An admin of another person removed it.
    Removed {
        /// The admin's device.
        by: String,
        /// When, as its writer says (ms).
        at_ms: i64,
    },
}

impl Ending {
    /// When it happened, as its writer says (ms).
    pub fn at_ms(&self) -> i64 {
        match self {
            Ending::Left { at_ms, .. } | Ending::Removed { at_ms, .. } => *at_ms,
        }
    }
}

/// One device's verified place in a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The device id (hex).
    pub device: String,
    /// Its person: the id of that person's first device in this journal.
    pub person: String,
    /// The person's role.
    pub role: Role,
    /// The device that added it (itself, for the creator).
    pub added_by: String,
    /// Whether its record predates signing (and so proves nothing).
    pub unsigned: bool,
    /// How it ended, if it did.
    pub ended: Option<Ending>,
    /// The operation that made its record.
    made: OpRef,
    /// The revocation that counts, if any.
    revoked: Option<OpRef>,
}

impl Standing {
    /// Whether it may sync and write now.
    pub fn is_active(&self) -> bool {
        self.ended.is_none()
    }
}

/// Every device's standing in one journal, and the member records that gave none.
#[derive(Clone, Debug, Default)]
pub struct Authority {
    /// The device that created the journal, when its first change was signed.
    pub creator: Option<String>,
    /// Standing by device id.
    devices: BTreeMap<String, Standing>,
    /// Member records that give no standing, with the reason (device id -> why).
    pub void: BTreeMap<String, &'static str>,
    /// Each person's role over time.
    roles: BTreeMap<String, roles::RoleHistory>,
    /// Devices added by a device concurrently with that device's revocation: the standing
    /// their record would give, and the revocation that voided it.
    shadows: BTreeMap<String, (Standing, OpRef)>,
}

/// Why a record made by a revoked device outside the past of its revocation gives no
/// standing.
const ADDED_AFTER_REVOCATION: &str = "added by a device after it was revoked";

/// Why a new person added by an admin concurrently with that admin's demotion has none.
const ADDED_WHEN_DEMOTED: &str = "a new person added by an admin concurrently demoted";

/// One member record as written, before it is weighed.
struct Record {
    device: String,
    obj: ObjId,
    made: OpRef,
    maker: Option<String>,
}

impl Authority {
    /// Reads the authority of `doc` as it is.
    pub fn read(doc: &Automerge) -> Result<Authority, SchemaError> {
        Self::read_from(At::now(doc), &mut History::new(doc))
    }

    /// Reads the authority of `doc` as it stood at `heads` (a change's own hash: the
    /// authority the change was made under). `history` is `doc`'s, shared so that reading
    /// at many heads walks the change graph once.
    pub fn read_at<'a>(
        doc: &'a Automerge,
        heads: &[automerge::ChangeHash],
        history: &mut History<'a>,
    ) -> Result<Authority, SchemaError> {
        Self::read_from(At::heads(doc, heads), history)
    }

    fn read_from(at: At<'_>, history: &mut History<'_>) -> Result<Authority, SchemaError> {
        let members = root_map(at, "members")?;
        let mut records = Vec::new();
        for key in at.keys_from(&members, "") {
            if !crate::members::is_device_id(&key) {
                continue;
            }
            // Concurrent records for one device: each is weighed, the earliest valid wins.
            for (value, obj) in at.get_all(&members, &key)? {
                if !matches!(value, Value::Object(ObjType::Map)) {
                    continue;
                }
                let Some(made) = OpRef::of(&obj) else {
                    continue;
                };
                records.push(Record {
                    device: key.clone(),
                    maker: made.device(),
                    obj,
                    made,
                });
            }
        }
        records.sort_by(|a, b| a.made.cmp(&b.made));
        let creator = creator_of(at, &records)?;
        let mut out = Authority {
            creator,
            ..Authority::default()
        };
        // Weigh adds, then revocations and role changes; a revoked device's adds outside the
        // past of its revocation are void, and so is a new person added by someone who was
        // not an admin at that point, which may void more: repeat until nothing changes
        // (each round voids at least one record, so there are at most as many rounds as
        // records).
        let mut voided: HashMap<OpRef, &'static str> = HashMap::new();
        // Records voided because their maker was revoked concurrently: its revocation.
        let mut late: HashMap<OpRef, OpRef> = HashMap::new();
        for _ in 0..=records.len() {
            out.devices.clear();
            out.void.clear();
            out.roles.clear();
            out.weigh_adds(at, &records, &voided)?;
            out.weigh_statements(at, &records, history)?;
            let before = voided.len();
            for record in &records {
                let Some(maker) = &record.maker else { continue };
                if !out.stands_by(&record.device, &record.made) || maker == &record.device {
                    continue;
                }
                let Some(by) = out.devices.get(maker) else {
                    continue;
                };
                let revoked = by.revoked.clone();
                let new_person = out.devices[&record.device].person == record.device;
                let by_person = by.person.clone();
                if let Some(revocation) = revoked
                    && !history.in_past(&record.made, &revocation)
                {
                    voided.insert(record.made.clone(), ADDED_AFTER_REVOCATION);
                    late.insert(record.made.clone(), revocation);
                } else if new_person {
                    let binding = out.binding_at(&by_person, &record.made, history);
                    match binding {
                        Some(b) if b.role == Role::Admin => {}
                        Some(Binding {
                            causal: Role::Admin,
                            demotion: Some(demotion),
                            ..
                        }) => {
                            voided.insert(record.made.clone(), ADDED_WHEN_DEMOTED);
                            late.insert(record.made.clone(), demotion);
                        }
                        _ => {
                            voided.insert(
                                record.made.clone(),
                                "a new person added by someone who is not an admin",
                            );
                        }
                    }
                }
            }
            if voided.len() == before {
                break;
            }
        }
        // A device added concurrently with its adder's revocation (or demotion) has no
        // standing, but what it wrote before hearing of that statement is kept (and void)
        // rather than refused, as for a revoked device: a copy may have taken it in first.
        for record in &records {
            let Some(revocation) = late.get(&record.made) else {
                continue;
            };
            if out.devices.contains_key(&record.device) || out.shadows.contains_key(&record.device)
            {
                continue;
            }
            let mut without = voided.clone();
            without.remove(&record.made);
            if let Judged::Stands(standing) = out.judge_add(at, record, &without)? {
                out.shadows
                    .insert(record.device.clone(), (standing, revocation.clone()));
            }
        }
        out.deepen_shadows(at, &records, &voided, history)?;
        Ok(out)
    }

    /// When the person of `device` joined: the operation that made their first record.
    /// Earlier is more senior.
    pub fn joined(&self, device: &str) -> Option<&OpRef> {
        let person = &self.standing(device)?.person;
        self.standing(person).map(|root| &root.made)
    }

    /// The member record that gives `device` its standing: several may be under its id
    /// (made concurrently, or by a void change), and Automerge reads only one of them.
    pub fn record_of(&self, doc: &Automerge, device: &str) -> Result<Option<ObjId>, SchemaError> {
        let Some(standing) = self.standing(device) else {
            return Ok(None);
        };
        let members = root_map(At::now(doc), "members")?;
        Ok((doc.get_all(&members, device)?.into_iter())
            .filter(|(v, _)| matches!(v, Value::Object(ObjType::Map)))
            .map(|(_, obj)| obj)
            .find(|obj| OpRef::of(obj).as_ref() == Some(&standing.made)))
    }

    /// The standing of `device`, if it has one (active or ended).
    pub fn standing(&self, device: &str) -> Option<&Standing> {
        self.devices.get(device)
    }

    /// Every device with a standing.
    pub fn devices(&self) -> impl Iterator<Item = &Standing> {
        self.devices.values()
    }

    /// Whether `device` may sync the journal now.
    pub fn may_sync(&self, device: &str) -> bool {
        self.standing(device).is_some_and(Standing::is_active)
    }

    /// The person of `device`, if it has a standing (or would have, but for the revocation
    /// of the device that added it: see [`Self::shadow`]).
    pub fn person_of(&self, device: &str) -> Option<&str> {
        self.standing(device)
            .or_else(|| self.shadow(device).map(|(s, _)| s))
            .map(|s| s.person.as_str())
    }

    /// For a device added by a device concurrently with that device's revocation, or with
    /// the adding admin's demotion (so with no standing): the standing its record would give,
    /// and that statement. What it made outside the past of the statement is kept but void;
    /// what it made knowing of it is refused.
    pub fn shadow(&self, device: &str) -> Option<(&Standing, &OpRef)> {
        self.shadows.get(device).map(|(s, r)| (s, r))
    }

    /// Whether an operation `op` by `device` counts: the device has a standing and, if it
    /// was revoked, `op` lies in the past of its revocation.
    pub fn counts(&self, device: &str, op: &OpRef, history: &mut History<'_>) -> bool {
        match self.standing(device) {
            None => false,
            Some(s) => match &s.revoked {
                None => true,
                Some(revocation) => history.in_past(op, revocation),
            },
        }
    }

    /// Whether `device` made operation `op` knowing it had been revoked: its revocation lies
    /// in the past of `op`. A revoked device's operation that neither this nor
    /// [`Self::counts`] holds for was made concurrently with its revocation.
    pub fn made_after_revocation(
        &self,
        device: &str,
        op: &OpRef,
        history: &mut History<'_>,
    ) -> bool {
        self.standing(device)
            .and_then(|s| s.revoked.as_ref())
            .is_some_and(|revocation| history.after(op, revocation))
    }

    /// Whether the record made by operation `made` is the one that gives `device` its
    /// standing.
    pub fn stands_by(&self, device: &str, made: &OpRef) -> bool {
        self.standing(device).is_some_and(|s| &s.made == made)
    }

    /// Whether `by` may revoke `device`: a device of the same person, or an admin.
    pub fn may_revoke(&self, by: &str, device: &str) -> bool {
        match (self.standing(by), self.standing(device)) {
            (Some(by), Some(target)) => {
                by.is_active() && (by.person == target.person || by.role == Role::Admin)
            }
            _ => false,
        }
    }
}

/// The device that created the journal: the one whose own record it made and whose id,
/// with the nonce in `meta`, gives the journal's key (see [`crate::members::derive_key`]).
/// No other device can claim that. A journal from before keys were derived so names none:
/// there the writer of the earliest `meta.key` counts, as the journal then held it.
fn creator_of(at: At<'_>, records: &[Record]) -> Result<Option<String>, SchemaError> {
    let meta = root_map(at, "meta")?;
    let strings = |key: &str| -> Result<Vec<(String, ObjId)>, SchemaError> {
        Ok(at
            .get_all(&meta, key)?
            .into_iter()
            .filter_map(|(v, id)| match v {
                Value::Scalar(s) => s.as_str().map(|s| (s.to_string(), id)),
                Value::Object(_) => None,
            })
            .collect())
    };
    let keys = strings("key")?;
    let Some((key, _)) = keys.first() else {
        return Ok(None);
    };
    let nonces = strings("nonce")?;
    for record in records {
        if record.maker.as_deref() != Some(record.device.as_str()) {
            continue;
        }
        for (nonce, _) in &nonces {
            if crate::members::derive_key(&record.device, nonce).as_deref() == Some(key.as_str()) {
                return Ok(Some(record.device.clone()));
            }
        }
    }
    Ok(keys
        .iter()
        .filter_map(|(_, id)| OpRef::of(id))
        .min()
        .and_then(|op| op.device()))
}

fn root_map(at: At<'_>, name: &'static str) -> Result<ObjId, SchemaError> {
    match at.get(&ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(SchemaError::MissingRoot(name)),
    }
}

fn scalar_int(s: &ScalarValue) -> Option<i64> {
    match s {
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(*i),
        ScalarValue::Uint(u) => i64::try_from(*u).ok(),
        _ => None,
    }
}

/// The value of `key` in `obj` that `device` wrote (the latest of its, if several conflict).
pub fn written_by(
    doc: &Automerge,
    obj: &ObjId,
    key: &str,
    device: &str,
) -> Result<Option<ScalarValue>, SchemaError> {
    written_by_at(At::now(doc), obj, key, device)
}

fn written_by_at(
    at: At<'_>,
    obj: &ObjId,
    key: &str,
    device: &str,
) -> Result<Option<ScalarValue>, SchemaError> {
    let mut best: Option<(OpRef, ScalarValue)> = None;
    for (value, id) in at.get_all(obj, key)? {
        let (Value::Scalar(s), Some(op)) = (value, OpRef::of(&id)) else {
            continue;
        };
        if op.device().as_deref() != Some(device) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| op > *b) {
            best = Some((op, s.into_owned()));
        }
    }
    Ok(best.map(|(_, v)| v))
}

#[cfg(test)]
pub(crate) mod tests;
