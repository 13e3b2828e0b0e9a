//! Journal membership: the devices allowed to sync a journal, kept in the document's
//! `members` map, and the journal's shared key in `meta.key`.
//!
//! ```text
//! members/<device id hex> = { device_name, person, added_by, added_at, revoked_at?, addrs? }
//! meta/key                = 32 hex digits, the same in every copy of the journal
//! ```
//!
//! Revocation sets `revoked_at` rather than removing the entry, so that a concurrent re-add
//! on another device cannot silently undo it (the map merge keeps both fields).
//!
//! `addrs` is where the device's daemon last listened (socket addresses separated by
//! spaces), written by the device itself. It travels with the journal, so that devices that
//! never paired directly can still reach each other. It is a hint only: connections are
//! authenticated by device id, and readers cap and validate it.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use crate::schema::SchemaError;

/// One device allowed to sync a journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The device id (hex public key).
    pub device: String,
    /// The device's name.
    pub device_name: String,
    /// The person who uses it.
    pub person: String,
    /// The device id that added it.
    pub added_by: String,
    /// When it was added (ms).
    pub added_at_ms: i64,
    /// When it was revoked (ms), if it was.
    pub revoked_at_ms: Option<i64>,
    /// Where its daemon last listened, as it announced itself (a hint; may be stale).
    #[serde(default)]
    pub addrs: Vec<String>,
}

/// The most addresses read from one member entry.
pub const MAX_ADDRS: usize = 16;

impl Member {
    /// Whether the device may sync now.
    pub fn is_active(&self) -> bool {
        self.revoked_at_ms.is_none()
    }
}

fn map_at<R: ReadDoc>(doc: &R, name: &'static str) -> Result<ObjId, SchemaError> {
    match doc.get(ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(SchemaError::MissingRoot(name)),
    }
}

fn text<R: ReadDoc>(doc: &R, obj: &ObjId, key: &str) -> Result<String, SchemaError> {
    Ok(match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => s.as_str().unwrap_or_default().to_string(),
        _ => String::new(),
    })
}

fn int<R: ReadDoc>(doc: &R, obj: &ObjId, key: &str) -> Result<Option<i64>, SchemaError> {
    Ok(match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => s.as_i64(),
        _ => None,
    })
}

/// Adds (or re-adds) a member; clears a revocation only if `reinstate`.
pub fn add_member(doc: &mut AutoCommit, m: &Member) -> Result<(), SchemaError> {
    let members = map_at(doc, "members")?;
    let obj = match doc.get(&members, m.device.as_str())? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => doc.put_object(&members, m.device.as_str(), ObjType::Map)?,
    };
    doc.put(&obj, "device_name", m.device_name.as_str())?;
    doc.put(&obj, "person", m.person.as_str())?;
    if doc.get(&obj, "added_by")?.is_none() {
        doc.put(&obj, "added_by", m.added_by.as_str())?;
        doc.put(&obj, "added_at", m.added_at_ms)?;
    }
    Ok(())
}

/// Marks a member revoked. Returns false if it was not a member.
pub fn revoke_member(doc: &mut AutoCommit, device: &str, at_ms: i64) -> Result<bool, SchemaError> {
    let members = map_at(doc, "members")?;
    let Some((Value::Object(ObjType::Map), obj)) = doc.get(&members, device)? else {
        return Ok(false);
    };
    doc.put(&obj, "revoked_at", at_ms)?;
    Ok(true)
}

/// Whether `addr` could be where a device listens: a socket address with a port, not
/// unspecified, multicast or broadcast. Anything else in a journal is ignored.
fn usable(addr: &str) -> bool {
    let Ok(a) = addr.parse::<std::net::SocketAddr>() else {
        return false;
    };
    let ip = a.ip();
    let broadcast = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast());
    a.port() != 0 && !ip.is_unspecified() && !ip.is_multicast() && !broadcast
}

/// Usable socket addresses from an `addrs` value, at most [`MAX_ADDRS`].
fn parse_addrs(value: &str) -> Vec<String> {
    value
        .split_ascii_whitespace()
        .filter(|a| usable(a))
        .take(MAX_ADDRS)
        .map(str::to_string)
        .collect()
}

/// The addresses of `addrs` that a journal keeps (usable ones, at most [`MAX_ADDRS`]).
pub fn usable_addrs(addrs: &[String]) -> Vec<String> {
    addrs
        .iter()
        .filter(|a| usable(a))
        .take(MAX_ADDRS)
        .cloned()
        .collect()
}

/// Whether `key` is a device id: 64 lowercase hex digits.
pub fn is_device_id(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Records where `device` listens now. Changes nothing (and returns false) when it is not
/// a member or the addresses are the same already.
pub fn set_addrs(
    doc: &mut AutoCommit,
    device: &str,
    addrs: &[String],
) -> Result<bool, SchemaError> {
    let members = map_at(doc, "members")?;
    let Some((Value::Object(ObjType::Map), obj)) = doc.get(&members, device)? else {
        return Ok(false);
    };
    let value = usable_addrs(addrs).join(" ");
    if text(doc, &obj, "addrs")? == value {
        return Ok(false);
    }
    doc.put(&obj, "addrs", value)?;
    Ok(true)
}

/// A name as read: at most [`crate::text::NAME_CHARS`] characters, whatever was written.
fn capped(name: String) -> String {
    if name.chars().count() <= crate::text::NAME_CHARS {
        name
    } else {
        name.chars().take(crate::text::NAME_CHARS).collect()
    }
}

/// Every member, active or revoked (entries whose key is not a device id are skipped).
pub fn read_members<R: ReadDoc>(doc: &R) -> Result<Vec<Member>, SchemaError> {
    let members = map_at(doc, "members")?;
    let mut out = Vec::new();
    for item in doc.map_range(&members, ..) {
        // Members arrive from other devices: skip anything that is not a device entry.
        if !matches!(item.value, automerge::ValueRef::Object(ObjType::Map))
            || !is_device_id(&item.key)
        {
            continue;
        }
        let obj = item.id();
        out.push(Member {
            device: item.key.to_string(),
            device_name: capped(text(doc, &obj, "device_name")?),
            person: capped(text(doc, &obj, "person")?),
            added_by: text(doc, &obj, "added_by")?,
            added_at_ms: int(doc, &obj, "added_at")?.unwrap_or(0),
            revoked_at_ms: int(doc, &obj, "revoked_at")?,
            addrs: parse_addrs(&text(doc, &obj, "addrs")?),
        });
    }
    Ok(out)
}

/// The journal's shared key (hex), if set.
pub fn journal_key<R: ReadDoc>(doc: &R) -> Result<Option<String>, SchemaError> {
    let meta = map_at(doc, "meta")?;
    let key = text(doc, &meta, "key")?;
    Ok((key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(key))
}

/// Sets the journal's shared key (hex).
pub fn set_journal_key(doc: &mut AutoCommit, key_hex: &str) -> Result<(), SchemaError> {
    let meta = map_at(doc, "meta")?;
    doc.put(&meta, "key", key_hex)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device id made of one repeated hex digit pair.
    fn id(pair: &str) -> String {
        pair.repeat(32)
    }

    fn member(device: &str) -> Member {
        Member {
            device: id(device),
            device_name: "laptop".into(),
            person: "Robin".into(),
            added_by: "me".into(),
            added_at_ms: 5,
            revoked_at_ms: None,
            addrs: Vec::new(),
        }
    }

    #[test]
    fn members_are_added_read_and_revoked() {
        let mut doc = crate::schema::new_document(automerge::ActorId::random()).unwrap();
        add_member(&mut doc, &member("aa")).unwrap();
        add_member(&mut doc, &member("bb")).unwrap();
        assert!(revoke_member(&mut doc, &id("bb"), 9).unwrap());
        assert!(!revoke_member(&mut doc, &id("cc"), 9).unwrap());
        let all = read_members(&doc).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].is_active());
        assert_eq!(all[1].revoked_at_ms, Some(9));
        set_journal_key(&mut doc, &"ab".repeat(16)).unwrap();
        assert_eq!(journal_key(&doc).unwrap(), Some("ab".repeat(16)));
    }

    #[test]
    fn addresses_are_kept_per_member_validated_and_capped() {
        let mut doc = crate::schema::new_document(automerge::ActorId::random()).unwrap();
        add_member(&mut doc, &member("aa")).unwrap();
        let given: Vec<String> = [
            "10.0.0.2:4919",
            "not an address",
            "[::1]:7",
            "0.0.0.0:4919",
            "224.0.0.251:5353",
            "255.255.255.255:9",
            "10.0.0.3:0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert!(set_addrs(&mut doc, &id("aa"), &given).unwrap());
        assert!(
            !set_addrs(&mut doc, &id("aa"), &given).unwrap(),
            "unchanged"
        );
        assert!(
            !set_addrs(&mut doc, &id("ee"), &given).unwrap(),
            "not a member"
        );
        let all = read_members(&doc).unwrap();
        assert_eq!(all[0].addrs, vec!["10.0.0.2:4919", "[::1]:7"]);
        let many: Vec<String> = (0..40).map(|i| format!("10.0.0.{i}:1")).collect();
        set_addrs(&mut doc, &id("aa"), &many).unwrap();
        assert_eq!(read_members(&doc).unwrap()[0].addrs.len(), MAX_ADDRS);
    }

    #[test]
    fn entries_that_are_not_device_ids_are_ignored() {
        let mut doc = crate::schema::new_document(automerge::ActorId::random()).unwrap();
        add_member(&mut doc, &member("aa")).unwrap();
        let mut fake = member("bb");
        fake.device = "\u{1b}[31mnot-a-device".into();
        add_member(&mut doc, &fake).unwrap();
        let all = read_members(&doc).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].device, id("aa"));
    }
}
