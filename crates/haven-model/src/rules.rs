//! What each change may do, given who signed it: checked operation by operation on changes
//! received from another device, after Automerge has applied them to an in-memory copy and
//! before anything is kept.
//!
//! * Every change is signed by a device with a standing in the journal ([`Authority`]).
//!   A revoked device's change counts only if its revocation had seen it; one made knowing
//!   of the revocation is refused, and one made concurrently with it is kept but void: the
//!   entries it made are read by no one ([`void::void_entries`]).
//! * Readers write only their own devices' records. Writers and admins write entries.
//! * An entry belongs to the person whose device made it (the actor of the operation that
//!   created its map, which is the signer): only that person's devices change, star or
//!   delete it, and its `device` field names its signer.
//! * A member record says who a device is: only the device that made it writes its
//!   `person_id`, `role`, `added_by` and `added_at`, and only when making it; names are
//!   written by that device or the member itself; addresses by the member itself; a
//!   revocation by a device of the same person or an admin, and never undone; a role
//!   change (`role/<nonce>`, in a person's first record) by an admin, never overwritten.
//! * A change is judged by the role its signer had at it ([`Authority::role_at`]).
//! * `meta`: the journal's kind and creation time by admins (and fixed by validation), its
//!   nonce by the creator, other values (a proposed name) by writers.

use std::collections::{HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{Automerge, ChangeHash, ExpandedChange, ObjId, ObjType, ROOT, ReadDoc, Value};

use crate::authority::{Authority, History, OpRef, ROLE_KEY, Role};
use crate::signed;

/// A rule a change broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    /// No device signed it.
    #[error("it is unsigned (written by a version of Haven from before signing)")]
    Unsigned,
    /// Its signer has no standing in the journal.
    #[error("its signer is not a member of this journal")]
    NotMember,
    /// Its signer was revoked before it was made, or concurrently.
    #[error("its signer was removed from this journal before making it")]
    AfterRevocation,
    /// A reader wrote something.
    #[error("its signer may only read this journal")]
    ReadOnly,
    /// It changes, stars or deletes another person's entry.
    #[error("it changes an entry of someone else's")]
    OthersEntry,
    /// A new entry names a device other than its signer.
    #[error("it writes an entry in another device's name")]
    ForgedAuthor,
    /// It breaks a membership rule.
    #[error("it {0}")]
    Membership(&'static str),
    /// It writes a part of `meta` its signer may not.
    #[error("it changes the journal's `{0}`, which its signer may not")]
    Meta(String),
    /// Its operations are numbered no higher than those of a change it depends on, which
    /// no Automerge writes, and which would let it pass as written before them.
    #[error("its operations are numbered below those of the changes it depends on")]
    Numbering,
    /// It writes something a journal never holds.
    #[error("it writes {0}, which a journal never holds")]
    Shape(&'static str),
}

/// A change that broke a rule: which, by whom.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {rule}", describe(signer.as_deref()))]
pub struct Refusal {
    /// The change's hash.
    pub change: ChangeHash,
    /// The device that signed it, if any.
    pub signer: Option<String>,
    /// The rule.
    pub rule: Rule,
}

fn describe(signer: Option<&str>) -> String {
    match signer {
        Some(d) => format!("a change signed by device {}", &d[..d.len().min(16)]),
        None => "an unsigned change".to_string(),
    }
}

/// What an object is, for the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Entries,
    Meta,
    Members,
    Tombstones,
    /// A device's member record: the device, and the device that made the record.
    Record {
        device: String,
        maker: Option<String>,
    },
    /// An entry or something inside one, made by this operation.
    Owned(OpRef),
}

/// Checks each of `changes` (received, applied to `doc`) against the rules, in order.
pub fn check_changes(
    doc: &Automerge,
    authority: &Authority,
    changes: &[automerge::Change],
) -> Result<(), Refusal> {
    // A document without its root maps: laid at the first change's door, which validation
    // would have refused already.
    let mut places = Places::read(doc).map_err(|_| Refusal {
        change: changes
            .first()
            .map_or(ChangeHash([0; 32]), automerge::Change::hash),
        signer: None,
        rule: Rule::Shape("a document without its root maps"),
    })?;
    let mut history = History::new(doc);
    let vouched = vouchers(changes);
    for change in changes {
        let expanded = change.decode();
        let own = signed::actor_device(expanded.actor_id.to_bytes()).map(hex::encode);
        let voucher = vouched.get(&change.hash()).cloned();
        let signer = own.clone().or(voucher);
        let refuse = |rule| Refusal {
            change: change.hash(),
            signer: signer.clone(),
            rule,
        };
        let Some(device) = signer.as_deref() else {
            return Err(refuse(Rule::Unsigned));
        };
        let first = OpRef {
            counter: change.start_op().get(),
            actor: expanded.actor_id.to_bytes().to_vec(),
        };
        if first.counter <= deps_max_op(doc, change) {
            return Err(refuse(Rule::Numbering));
        }
        let judged = Judged {
            device,
            vouched: own.is_none(),
            first: &first,
            change: &expanded,
        };
        let Err(rule) = judged.under(doc, authority, &mut places, &mut history) else {
            continue;
        };
        // Refused as the journal stands here. Kept (and void) if it passes as the journal
        // stood where it was made (its own past, itself included): what came in since (a
        // statement that lost a race, say) is news its signer could not have known, and
        // copies that took the change in before that news must end the same.
        let then = Authority::read_at(doc, &[change.hash()], &mut history).ok();
        let allowed =
            then.is_some_and(|then| (judged.under(doc, &then, &mut places, &mut history)).is_ok());
        if !allowed {
            return Err(refuse(rule));
        }
    }
    Ok(())
}

/// One change, to be judged under an authority.
struct Judged<'a> {
    device: &'a str,
    vouched: bool,
    first: &'a OpRef,
    change: &'a ExpandedChange,
}

impl Judged<'_> {
    /// Whether the change passes under `authority`.
    fn under(
        &self,
        doc: &Automerge,
        authority: &Authority,
        places: &mut Places,
        history: &mut History<'_>,
    ) -> Result<(), Rule> {
        let (device, first) = (self.device, self.first);
        // A revoked device's change outside the past of its revocation: refused when it was
        // made knowing of the revocation; kept when made concurrently (another device may
        // already hold it, and every copy must end the same), but void (see [`void`]). The
        // same for a device added by a device concurrently with that one's revocation.
        let (standing, revoked) = match (authority.standing(device), authority.shadow(device)) {
            (Some(standing), _) => {
                let void = !standing.is_active() && !authority.counts(device, first, history);
                if void && authority.made_after_revocation(device, first, history) {
                    return Err(Rule::AfterRevocation);
                }
                (standing, void)
            }
            (None, Some((standing, revocation))) => {
                if history.after(first, revocation) {
                    return Err(Rule::AfterRevocation);
                }
                (standing, true)
            }
            (None, None) => return Err(Rule::NotMember),
        };
        // Judged by the role its signer had at it, so that a change made before its signer
        // heard of a role change is judged alike everywhere. A demotion concurrent with it
        // voids what it needed the higher role for (see `authority::roles`).
        let binding = authority.binding_at(&standing.person, first, history);
        let role = binding.as_ref().map(|b| b.causal);
        let void = revoked || binding.is_some_and(|b| b.role < b.causal);
        let signer = Signer {
            device,
            person: &standing.person,
            role: role.unwrap_or(standing.role),
            creator: authority.creator.as_deref() == Some(device),
            vouched: self.vouched,
        };
        let made = check_ops(doc, authority, places, &signer, self.change)?;
        // A record this change made must be the one that gives its device a standing (a
        // void change's records give none, as its revocation won).
        for (device, op) in made.into_iter().filter(|_| !void) {
            if !authority.stands_by(&device, &op) {
                let why = authority
                    .void
                    .get(&device)
                    .copied()
                    .unwrap_or("adds a device twice");
                return Err(Rule::Membership(why));
            }
        }
        Ok(())
    }
}

/// The highest operation counter among the changes `change` depends on (0 for none).
fn deps_max_op(doc: &Automerge, change: &automerge::Change) -> u64 {
    (change.deps().iter())
        .filter_map(|d| doc.get_change_meta_by_hash(d))
        .map(|m| m.max_op)
        .max()
        .unwrap_or(0)
}

struct Signer<'a> {
    device: &'a str,
    person: &'a str,
    role: Role,
    creator: bool,
    /// An unsigned change from before signing that this device vouches for: its entries
    /// may name any device of the signer's person.
    vouched: bool,
}

/// For each unsigned change among `changes` (in Automerge's order, dependencies first),
/// the device that vouches for it: the signer of the nearest signed change among them that
/// depends on it. History written before changes were signed travels this way once, with
/// the upgraded device that held it answering for it under its own rules.
fn vouchers(changes: &[automerge::Change]) -> HashMap<ChangeHash, String> {
    let signer_of =
        |c: &automerge::Change| signed::actor_device(c.actor_id().to_bytes()).map(hex::encode);
    let unsigned: HashSet<ChangeHash> = changes
        .iter()
        .filter(|c| signer_of(c).is_none())
        .map(|c| c.hash())
        .collect();
    let mut out: HashMap<ChangeHash, String> = HashMap::new();
    if unsigned.is_empty() {
        return out;
    }
    // Later changes first, so that each passes its voucher on to what it depends on.
    for change in changes.iter().rev() {
        let Some(voucher) = signer_of(change).or_else(|| out.get(&change.hash()).cloned()) else {
            continue;
        };
        for dep in change.deps() {
            if unsigned.contains(dep) && !out.contains_key(dep) {
                out.insert(*dep, voucher.clone());
            }
        }
    }
    out
}

/// The objects a journal's rules tell apart.
struct Places {
    roots: HashMap<OpRef, Place>,
    records: HashMap<OpRef, Place>,
    entries: ObjId,
}

impl Places {
    fn read(doc: &Automerge) -> Result<Places, crate::SchemaError> {
        let mut roots = HashMap::new();
        let mut entries = ROOT;
        for (name, place) in [
            ("entries", Place::Entries),
            ("meta", Place::Meta),
            ("members", Place::Members),
            ("tombstones", Place::Tombstones),
        ] {
            let Some((Value::Object(ObjType::Map), id)) = doc.get(ROOT, name)? else {
                return Err(crate::SchemaError::MissingRoot(name));
            };
            if name == "entries" {
                entries = id.clone();
            }
            roots.extend(OpRef::of(&id).map(|op| (op, place)));
        }
        let members = doc.get(ROOT, "members")?.map(|(_, id)| id).unwrap_or(ROOT);
        let mut records = HashMap::new();
        for item in doc.map_range(&members, ..) {
            for (_, id) in doc.get_all(&members, item.key.as_ref())? {
                if let Some(op) = OpRef::of(&id) {
                    let maker = op.device();
                    records.insert(
                        op,
                        Place::Record {
                            device: item.key.to_string(),
                            maker,
                        },
                    );
                }
            }
        }
        Ok(Places {
            roots,
            records,
            entries,
        })
    }

    fn of(&self, obj: &ObjectId) -> Result<Place, Rule> {
        let ObjectId::Id(OpId(counter, actor)) = obj else {
            return Err(Rule::Shape("a value at the document's root"));
        };
        let op = OpRef {
            counter: *counter,
            actor: actor.to_bytes().to_vec(),
        };
        Ok(self
            .roots
            .get(&op)
            .or_else(|| self.records.get(&op))
            .cloned()
            .unwrap_or(Place::Owned(op)))
    }
}

fn key_of(key: &Key) -> Result<&str, Rule> {
    match key {
        Key::Map(k) => Ok(k.as_str()),
        Key::Seq(_) => Ok(""),
    }
}

fn pred_ref(op: &OpId) -> OpRef {
    OpRef {
        counter: op.0,
        actor: op.1.to_bytes().to_vec(),
    }
}

fn check_ops(
    doc: &Automerge,
    authority: &Authority,
    places: &mut Places,
    signer: &Signer<'_>,
    change: &ExpandedChange,
) -> Result<Vec<(String, OpRef)>, Rule> {
    let actor = change.actor_id.to_bytes().to_vec();
    let start = change.start_op.get();
    // Entries this change deletes (so that it may leave their tombstones).
    let mut deleted: HashSet<String> = HashSet::new();
    // Entries this change makes (their `device` must be the signer).
    let mut made: HashSet<OpRef> = HashSet::new();
    // Member records this change makes.
    let mut records = Vec::new();
    let writer = || match signer.role.writes() {
        true => Ok(()),
        false => Err(Rule::ReadOnly),
    };
    let owns =
        |owner: &OpRef| owner_person(doc, authority, owner).as_deref() == Some(signer.person);
    for (i, op) in change.operations.iter().enumerate() {
        let id = OpRef {
            counter: start + i as u64,
            actor: actor.clone(),
        };
        let key = key_of(&op.key)?;
        match places.of(&op.obj)? {
            Place::Entries => {
                writer()?;
                if !op.pred.iter().all(|p| owns(&pred_ref(p))) {
                    return Err(Rule::OthersEntry);
                }
                match &op.action {
                    OpType::Make(ObjType::Map) => {
                        made.insert(id);
                    }
                    OpType::Delete => {
                        deleted.insert(key.to_string());
                    }
                    _ => return Err(Rule::Shape("an entry that is not a map")),
                }
            }
            Place::Tombstones => {
                writer()?;
                if !matches!(op.action, OpType::Put(_))
                    || !op.pred.is_empty() && !deleted.contains(key)
                {
                    return Err(Rule::Shape("a tombstone changed or removed"));
                }
                if !deleted.contains(key)
                    && !entry_owned_by(doc, authority, &places.entries, key, signer.person)
                {
                    return Err(Rule::OthersEntry);
                }
            }
            Place::Meta => {
                if !matches!(op.action, OpType::Put(_)) {
                    return Err(Rule::Shape("an object in `meta`"));
                }
                match key {
                    // Every copy writes the key it knows the journal by (validation keeps
                    // it the one value it ever has).
                    "key" => {}
                    "nonce" if !signer.creator => return Err(Rule::Meta(key.to_string())),
                    "kind" | "created" if signer.role != Role::Admin => {
                        return Err(Rule::Meta(key.to_string()));
                    }
                    // A name from another person is shown as a proposal.
                    _ => writer()?,
                }
            }
            Place::Members => {
                if !matches!(op.action, OpType::Make(ObjType::Map)) || !op.pred.is_empty() {
                    return Err(Rule::Membership("replaces or removes a member record"));
                }
                let maker = Some(signer.device.to_string());
                records.push((key.to_string(), id.clone()));
                places.records.insert(
                    id,
                    Place::Record {
                        device: key.to_string(),
                        maker,
                    },
                );
            }
            Place::Record { device, maker } => {
                let OpType::Put(_) = &op.action else {
                    return Err(Rule::Membership("writes an object into a member record"));
                };
                let by_maker = maker.as_deref() == Some(signer.device);
                let ok = match key {
                    "person_id" | "role" | "added_by" | "added_at" => {
                        by_maker
                            && record_made_here(&op.obj, &actor, start, change.operations.len())
                    }
                    "device_name" | "person" => by_maker || device == signer.device,
                    "addrs" => device == signer.device,
                    role if role.starts_with(ROLE_KEY) => {
                        let named = match &op.action {
                            OpType::Put(v) => v.as_str().and_then(|r| r.parse::<Role>().ok()),
                            _ => None,
                        };
                        op.pred.is_empty()
                            && named.is_some()
                            && signer.role == Role::Admin
                            && authority.person_of(&device) == Some(device.as_str())
                    }
                    // The target may be a shadow (see `Authority::shadow`): its own
                    // person's devices may still retire it.
                    "revoked_at" => {
                        op.pred.is_empty()
                            && authority.person_of(&device).is_some_and(|person| {
                                person == signer.person || signer.role == Role::Admin
                            })
                    }
                    _ => false,
                };
                if !ok {
                    return Err(Rule::Membership(match key {
                        "revoked_at" => "revokes a device it may not",
                        "addrs" => "announces addresses for another device",
                        k if k.starts_with(ROLE_KEY) => {
                            "changes someone's role, which only an admin may"
                        }
                        _ => "changes who a device is",
                    }));
                }
            }
            Place::Owned(owner) => {
                writer()?;
                let fresh = owner.actor == actor && owner.counter >= start;
                if !fresh && !owns(&owner) {
                    return Err(Rule::OthersEntry);
                }
                if made.contains(&owner) && key == "device" {
                    let OpType::Put(value) = &op.action else {
                        return Err(Rule::ForgedAuthor);
                    };
                    let named = value.as_str();
                    let fits = match signer.vouched {
                        false => named == Some(signer.device),
                        true => named.and_then(|d| authority.person_of(d)) == Some(signer.person),
                    };
                    if !fits {
                        return Err(Rule::ForgedAuthor);
                    }
                }
            }
        }
    }
    Ok(records)
}

/// Whether `obj` was made by this change (ops `start..start+len` of `actor`).
fn record_made_here(obj: &ObjectId, actor: &[u8], start: u64, len: usize) -> bool {
    match obj {
        ObjectId::Id(OpId(counter, a)) => {
            a.to_bytes() == actor && *counter >= start && *counter < start + len as u64
        }
        ObjectId::Root => false,
    }
}

/// The person an entry (or an object inside one) belongs to: the signer of the operation
/// that made it; for an object made before signing, the person of the device its entry
/// names (what the journal held when it was upgraded is trusted as it was).
fn owner_person(doc: &Automerge, authority: &Authority, owner: &OpRef) -> Option<String> {
    if let Some(device) = owner.device() {
        return authority.person_of(&device).map(str::to_string);
    }
    let id = format!("{}@{}", owner.counter, hex::encode(&owner.actor));
    let (obj, _) = doc.import(&id).ok()?;
    let named = |obj: &ObjId| match doc.get(obj, "device").ok().flatten() {
        Some((Value::Scalar(s), _)) => s.as_str().map(str::to_string),
        _ => None,
    };
    // An entry map names its device; an object inside one has the entry as its parent.
    let device = named(&obj).or_else(|| {
        let parent = doc.parents(&obj).ok()?.next()?;
        named(&parent.obj)
    })?;
    authority.person_of(&device).map(str::to_string)
}

/// Whether the entry `key` exists and every version of it belongs to `person`.
fn entry_owned_by(
    doc: &Automerge,
    authority: &Authority,
    entries: &ObjId,
    key: &str,
    person: &str,
) -> bool {
    let Ok(all) = doc.get_all(entries, key) else {
        return false;
    };
    !all.is_empty()
        && all.iter().all(|(_, id)| {
            OpRef::of(id)
                .is_some_and(|op| owner_person(doc, authority, &op).as_deref() == Some(person))
        })
}

pub mod admit;
pub mod void;

#[cfg(test)]
mod convergence;
#[cfg(test)]
mod tests;
