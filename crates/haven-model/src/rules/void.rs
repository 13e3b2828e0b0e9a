//! What a revocation or a demotion wins, and which of several maps under one entry id is
//! read.
//!
//! Entries that a revoked device made concurrently with its revocation, or that a person
//! made concurrently with being made a reader, are void. Such changes are kept (a copy that
//! received them before the revocation cannot unlearn them, and every copy must end the
//! same), but the entries they made are read by no one, on every device alike.
//!
//! Entries are read map by map, not key by key: a change made on a branch that leaves an
//! entry out can create another map under that entry's id, which Automerge may then read in
//! its place. Of the maps under one id, a void one is never read, and of the others the one
//! made by the most senior person (whose first record was made first) is, so that no one
//! can hide an entry of someone who joined before them by writing under its id. Honest
//! entry ids never collide (they hold 80 random bits).

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc, Value, ValueRef};

use crate::authority::{Authority, History, OpRef, Role};

/// How a journal's entries are read: which ids are left out, and which are read from a map
/// other than the one Automerge reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Voided {
    /// Entry ids whose every map is void: read by no one.
    pub hidden: BTreeSet<String>,
    /// Entry ids to read from this map rather than the one Automerge reads under the id.
    pub beneath: BTreeMap<String, ObjId>,
}

impl Voided {
    /// Whether every entry reads as Automerge has it.
    pub fn is_empty(&self) -> bool {
        self.hidden.is_empty() && self.beneath.is_empty()
    }
}

/// The ids of the entries of `doc` that were made void: see [`read_entries_by_map`].
pub fn void_entries(doc: &Automerge, authority: &Authority) -> BTreeSet<String> {
    read_entries_by_map(doc, authority).hidden
}

/// Which entries of `doc` are left out, and which are read from another map under their
/// id: an entry is void when made by a revoked device outside the past of its revocation,
/// by a device that a revoked (or demoted) device added outside that past, or by a person
/// concurrently with a demotion that took away their writing.
pub fn read_entries_by_map(doc: &Automerge, authority: &Authority) -> Voided {
    let mut out = Voided::default();
    let Ok(Some((Value::Object(ObjType::Map), entries))) = doc.get(ROOT, "entries") else {
        return out;
    };
    let anyone_out = !authority.devices().all(|s| s.is_active()) || authority.has_role_changes();
    let mut history = History::new(doc);
    for item in doc.map_range(&entries, ..) {
        if !item.conflict && !anyone_out {
            continue;
        }
        let Ok(values) = doc.get_all(&entries, item.key.as_ref()) else {
            continue;
        };
        let maps: Vec<ObjId> = (values.into_iter())
            .filter(|(v, _)| matches!(v, Value::Object(ObjType::Map)))
            .map(|(_, obj)| obj)
            .collect();
        if maps.is_empty() {
            continue;
        }
        let read = maps
            .iter()
            .filter(|obj| !made_void(authority, obj, &mut history))
            .max_by_key(|obj| rank(authority, obj));
        let automerge_reads =
            matches!(item.value, ValueRef::Object(ObjType::Map)).then(|| item.id());
        match read {
            None => {
                out.hidden.insert(item.key.to_string());
            }
            Some(obj) if Some(obj) != automerge_reads.as_ref() => {
                out.beneath.insert(item.key.to_string(), obj.clone());
            }
            Some(_) => {}
        }
    }
    out
}

/// Whether the map `obj` was made by a change that is void.
fn made_void(authority: &Authority, obj: &ObjId, history: &mut History<'_>) -> bool {
    let Some(made) = OpRef::of(obj) else {
        return false;
    };
    let Some(device) = made.device() else {
        return false;
    };
    if authority.shadow(&device).is_some() {
        return true;
    }
    // Made by a device with no standing: only a change kept because its signer could make
    // it where it was made (see `rules::check_changes`) brings such a map in.
    let Some(standing) = authority.standing(&device) else {
        return true;
    };
    let revoked = !standing.is_active() && !authority.counts(&device, &made, history);
    revoked
        || (authority.binding_at(&standing.person, &made, history))
            .is_some_and(|b| b.voids(Role::Writer))
}

/// The order maps under one id are preferred in (greatest first): the most senior maker's
/// person (an unknown maker, from unsigned history, below every member), then Automerge's
/// order.
fn rank(authority: &Authority, obj: &ObjId) -> (std::cmp::Reverse<OpRef>, Option<OpRef>) {
    let made = OpRef::of(obj);
    let joined = (made.as_ref().and_then(OpRef::device))
        .and_then(|d| authority.joined(&d).cloned())
        .unwrap_or(OpRef {
            counter: u64::MAX,
            actor: Vec::new(),
        });
    (std::cmp::Reverse(joined), made)
}
