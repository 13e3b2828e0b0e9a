//! What a revocation wins: entries that a revoked device made concurrently with its
//! revocation. Such changes are kept (a copy that received them before the revocation
//! cannot unlearn them, and every copy must end the same), but the entries they made are
//! read by no one, on every device alike.

use std::collections::BTreeSet;

use automerge::{Automerge, ObjType, ROOT, ReadDoc, Value, ValueRef};

use crate::authority::{Authority, History, OpRef};

/// The ids of the entries of `doc` that were made by a revoked device outside the past of
/// its revocation, or by a device that a revoked device added outside that past.
pub fn void_entries(doc: &Automerge, authority: &Authority) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if authority.devices().all(|s| s.is_active()) {
        return out;
    }
    let Ok(Some((Value::Object(ObjType::Map), entries))) = doc.get(ROOT, "entries") else {
        return out;
    };
    let mut history = History::new(doc);
    for item in doc.map_range(&entries, ..) {
        if !matches!(item.value, ValueRef::Object(ObjType::Map)) {
            continue;
        }
        let Some(made) = OpRef::of(&item.id()) else {
            continue;
        };
        let Some(device) = made.device() else {
            continue;
        };
        let revoked = authority.standing(&device).is_some_and(|s| !s.is_active());
        let shadow = authority.shadow(&device).is_some();
        if shadow || revoked && !authority.counts(&device, &made, &mut history) {
            out.insert(item.key.to_string());
        }
    }
    out
}
