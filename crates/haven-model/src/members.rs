//! Journal membership: the devices allowed to sync a journal, kept in the document's
//! `members` map, and the journal's shared key in `meta.key`.
//!
//! ```text
//! members/<device id hex> = { device_name, person, person_id, role?, added_by, added_at,
//!                             revoked_at?, addrs? }
//! meta/key                = 32 hex digits, the same in every copy of the journal
//! meta/nonce              = 32 hex digits: with the creator's device id, gives the key
//! ```
//!
//! Who may write what here, and what a record proves, is [`crate::authority`]'s: a record
//! counts only when the device that made it could add that device. [`read_members`] returns
//! only records that count, with the standing they give.
//!
//! Revocation sets `revoked_at` rather than removing the entry, so that a concurrent re-add
//! on another device cannot silently undo it (the map merge keeps both fields).
//!
//! `addrs` is where the device's daemon last listened (socket addresses separated by
//! spaces), written by the device itself. It travels with the journal, so that devices that
//! never paired directly can still reach each other. It is a hint only: connections are
//! authenticated by device id, and readers cap and validate it.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjId, ObjType, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::authority::{Authority, written_by};

mod departed;

pub use crate::authority::{Ending, Role};
use crate::schema::SchemaError;
pub use departed::{Departure, departed};

/// One device allowed to sync a journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The device id (hex public key).
    pub device: String,
    /// The device's name.
    pub device_name: String,
    /// The person who uses it (their name, as their devices give it).
    pub person: String,
    /// The person, as a journal knows them: the id of their first device in it.
    #[serde(default)]
    pub person_id: String,
    /// The person's role (when writing a new person's record: the role given).
    #[serde(default)]
    pub role: Option<Role>,
    /// The device id that added it.
    pub added_by: String,
    /// When it was added (ms).
    pub added_at_ms: i64,
    /// When it was revoked (ms), if it was.
    pub revoked_at_ms: Option<i64>,
    /// How it ended, and by whom, if it did.
    #[serde(default)]
    pub ending: Option<Ending>,
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

pub(crate) fn map_at<R: ReadDoc>(doc: &R, name: &'static str) -> Result<ObjId, SchemaError> {
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

/// Adds a member record, unless the device has one already. `m.person_id` says whose
/// device it is (its own id for a new person, with `m.role`); the signer of the change must
/// be an admin, or a device of that person (see [`crate::authority`]).
pub fn add_member(doc: &mut AutoCommit, m: &Member) -> Result<bool, SchemaError> {
    let members = map_at(doc, "members")?;
    if doc.get(&members, m.device.as_str())?.is_some() {
        return Ok(false);
    }
    let obj = doc.put_object(&members, m.device.as_str(), ObjType::Map)?;
    doc.put(&obj, "device_name", m.device_name.as_str())?;
    doc.put(&obj, "person", m.person.as_str())?;
    if !m.person_id.is_empty() {
        doc.put(&obj, "person_id", m.person_id.as_str())?;
    }
    if let Some(role) = m.role {
        doc.put(&obj, "role", role.as_str())?;
    }
    doc.put(&obj, "added_by", m.added_by.as_str())?;
    doc.put(&obj, "added_at", m.added_at_ms)?;
    Ok(true)
}

/// The member record that gives `device` its standing, the one its statements go into.
fn standing_record(doc: &mut AutoCommit, device: &str) -> Result<Option<ObjId>, SchemaError> {
    let authority = Authority::read(doc.document())?;
    authority.record_of(doc.document(), device)
}

/// Marks a member revoked. Returns false if it was not a member or is revoked already.
pub fn revoke_member(doc: &mut AutoCommit, device: &str, at_ms: i64) -> Result<bool, SchemaError> {
    let Some(obj) = standing_record(doc, device)? else {
        return Ok(false);
    };
    if doc.get(&obj, "revoked_at")?.is_some() {
        return Ok(false);
    }
    doc.put(&obj, "revoked_at", at_ms)?;
    Ok(true)
}

/// Why a person could not be removed from a journal.
#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    /// Nobody in the journal goes by that name or device.
    #[error("nobody in this journal is named `{0}` or has a device starting with it")]
    NoSuchPerson(String),
    /// The words name several people.
    #[error("`{who}` could be any of {count} people in this journal")]
    Ambiguous {
        /// What was given.
        who: String,
        /// How many people it names.
        count: usize,
    },
    /// It names the person removing.
    #[error("that is you: to stop syncing this journal yourself, leave it")]
    Yourself,
    /// Only admins remove other people.
    #[error("only an admin of this journal may remove someone, and this device is not one")]
    NotAdmin,
    /// All of that person's devices are gone already.
    #[error("{0} is no longer in this journal")]
    AlreadyGone(String),
    /// The journal could not be read or written.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// The person `who` names among `members`: the person's name (any case), or the start of
/// one of their devices' ids (dashes of a fingerprint ignored). Returns the person's id.
pub fn find_person(members: &[Member], who: &str) -> Result<String, RemovalError> {
    let wanted = who.trim();
    let prefix = wanted.to_lowercase().replace('-', "");
    let by_name: Vec<&Member> = members
        .iter()
        .filter(|m| m.person.eq_ignore_ascii_case(wanted) || m.person == wanted)
        .collect();
    let by_device: Vec<&Member> =
        match prefix.len() >= 4 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            true => members
                .iter()
                .filter(|m| m.device.starts_with(&prefix))
                .collect(),
            false => Vec::new(),
        };
    let mut people: Vec<&str> = by_name
        .iter()
        .chain(&by_device)
        .map(|m| m.person_id.as_str())
        .collect();
    people.sort_unstable();
    people.dedup();
    match people.as_slice() {
        [] => Err(RemovalError::NoSuchPerson(wanted.to_string())),
        [one] => Ok(one.to_string()),
        many => Err(RemovalError::Ambiguous {
            who: wanted.to_string(),
            count: many.len(),
        }),
    }
}

/// Removes the person `person_id` from the journal as `me`, an admin: revokes, as of
/// `at_ms`, every one of their devices that has not left or been removed. Returns those
/// devices. Removing oneself is leaving, not this.
pub fn remove_person(
    doc: &mut AutoCommit,
    me: &str,
    person_id: &str,
    at_ms: i64,
) -> Result<Vec<String>, RemovalError> {
    let authority = authority(doc)?;
    let mine = authority.standing(me).filter(|s| s.is_active());
    if mine.is_some_and(|s| s.person == person_id) {
        return Err(RemovalError::Yourself);
    }
    if mine.is_none_or(|s| s.role != Role::Admin) {
        return Err(RemovalError::NotAdmin);
    }
    let devices: Vec<String> = authority
        .devices()
        .filter(|s| s.person == person_id && s.is_active())
        .map(|s| s.device.clone())
        .collect();
    if devices.is_empty() {
        return Err(RemovalError::AlreadyGone(person_id.to_string()));
    }
    for device in &devices {
        revoke_member(doc, device, at_ms)?;
    }
    Ok(devices)
}

/// Why a person's role could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum RoleChangeError {
    /// Only admins change roles.
    #[error("only an admin of this journal may change someone's role, and this device is not one")]
    NotAdmin,
    /// All of that person's devices are gone.
    #[error("{0} is no longer in this journal")]
    Gone(String),
    /// The person has that role already.
    #[error("they are a {0} already")]
    Already(&'static str),
    /// The journal could not be read or written.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Makes `role` the role of the person whose first device is `person_id`, as device `me`
/// (an admin): a statement of its own in that person's first record, under
/// `role/<nonce as 16 hex digits>`, never overwritten (see [`crate::authority`]).
pub fn set_role(
    doc: &mut AutoCommit,
    me: &str,
    person_id: &str,
    role: Role,
    nonce: u64,
) -> Result<(), RoleChangeError> {
    let authority = authority(doc)?;
    if authority
        .standing(me)
        .is_none_or(|s| !s.is_active() || s.role != Role::Admin)
    {
        return Err(RoleChangeError::NotAdmin);
    }
    let current = authority
        .devices()
        .find(|s| s.person == person_id && s.is_active())
        .map(|s| s.role);
    match current {
        None => return Err(RoleChangeError::Gone(person_id.to_string())),
        Some(now) if now == role => return Err(RoleChangeError::Already(role.as_str())),
        Some(_) => {}
    }
    let record = authority.record_of(doc.document(), person_id)?;
    let Some(record) = record else {
        return Err(RoleChangeError::Gone(person_id.to_string()));
    };
    let key = format!("{}{nonce:016x}", crate::authority::ROLE_KEY);
    doc.put(&record, key, role.as_str())
        .map_err(SchemaError::from)?;
    Ok(())
}

/// The journal key that a creator's device id and a nonce (both hex) give: the first 16
/// bytes of SHA-256 over a domain string, the device's 32 bytes and the nonce's 16.
pub fn derive_key(device: &str, nonce: &str) -> Option<String> {
    let (mut d, mut n) = ([0u8; 32], [0u8; 16]);
    hex::decode_to_slice(device, &mut d).ok()?;
    hex::decode_to_slice(nonce, &mut n).ok()?;
    let digest = Sha256::new()
        .chain_update(b"haven journal key v1\0")
        .chain_update(d)
        .chain_update(n)
        .finalize();
    Some(hex::encode(&digest[..16]))
}

/// Sets a new journal's key, derived from its creator (`device`, hex) and `nonce`.
pub fn set_created_key(
    doc: &mut AutoCommit,
    device: &str,
    nonce: [u8; 16],
) -> Result<String, SchemaError> {
    let nonce = hex::encode(nonce);
    let key = derive_key(device, &nonce).ok_or(SchemaError::BadField {
        entry: "meta".into(),
        field: "key",
    })?;
    let meta = map_at(doc, "meta")?;
    doc.put(&meta, "nonce", nonce.as_str())?;
    doc.put(&meta, "key", key.as_str())?;
    Ok(key)
}

/// Who `doc` says this journal's members are (see [`read_members`]), as an [`Authority`].
pub fn authority(doc: &mut AutoCommit) -> Result<Authority, SchemaError> {
    Authority::read(doc.document())
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
    let Some(obj) = standing_record(doc, device)? else {
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

/// Every member with a standing, active or ended (records that give none are left out;
/// see [`crate::authority`]).
pub fn read_members(doc: &Automerge) -> Result<Vec<Member>, SchemaError> {
    read_members_of(doc, &Authority::read(doc)?)
}

/// [`read_members`] with the journal's authority already read.
pub fn read_members_of(doc: &Automerge, authority: &Authority) -> Result<Vec<Member>, SchemaError> {
    let mut out = Vec::new();
    for standing in authority.devices() {
        let Some(obj) = authority.record_of(doc, &standing.device)? else {
            continue;
        };
        // Names as the device itself last gave them, else as its adder wrote them.
        let name = |key: &str| -> Result<String, SchemaError> {
            let own = written_by(doc, &obj, key, &standing.device)?;
            let by_adder = written_by(doc, &obj, key, &standing.added_by)?;
            Ok(match (own.or(by_adder), standing.unsigned) {
                (Some(v), _) => v.as_str().unwrap_or_default().to_string(),
                (None, true) => text(doc, &obj, key)?,
                (None, false) => String::new(),
            })
        };
        let addrs = match written_by(doc, &obj, "addrs", &standing.device)? {
            Some(v) => parse_addrs(v.as_str().unwrap_or_default()),
            None if standing.unsigned => parse_addrs(&text(doc, &obj, "addrs")?),
            None => Vec::new(),
        };
        out.push(Member {
            device: standing.device.clone(),
            device_name: capped(name("device_name")?),
            person: capped(name("person")?),
            person_id: standing.person.clone(),
            role: Some(standing.role),
            added_by: match standing.unsigned {
                true => text(doc, &obj, "added_by")?,
                false => standing.added_by.clone(),
            },
            added_at_ms: int(doc, &obj, "added_at")?.unwrap_or(0),
            revoked_at_ms: standing.ended.as_ref().map(Ending::at_ms),
            ending: standing.ended.clone(),
            addrs,
        });
    }
    Ok(out)
}

/// Sets each entry's author to the name of its device's person, when the device is a
/// member: who wrote an entry is the device that signed it (the rules make an entry's
/// `device` its signer), never a name written in the entry.
pub fn attribute(entries: &mut [crate::Entry], members: &[Member]) {
    let by_device: std::collections::HashMap<&str, &Member> =
        members.iter().map(|m| (m.device.as_str(), m)).collect();
    for entry in entries {
        let Some(m) = by_device.get(entry.device.as_str()) else {
            continue;
        };
        let root = by_device.get(m.person_id.as_str()).unwrap_or(m);
        if !root.person.is_empty() {
            entry.author = root.person.clone();
        }
    }
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
            ending: None,
            person_id: String::new(),
            role: None,
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
        let all = read_members(doc.document()).unwrap();
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
        let all = read_members(doc.document()).unwrap();
        assert_eq!(all[0].addrs, vec!["10.0.0.2:4919", "[::1]:7"]);
        let many: Vec<String> = (0..40).map(|i| format!("10.0.0.{i}:1")).collect();
        set_addrs(&mut doc, &id("aa"), &many).unwrap();
        assert_eq!(
            read_members(doc.document()).unwrap()[0].addrs.len(),
            MAX_ADDRS
        );
    }

    #[test]
    fn entries_that_are_not_device_ids_are_ignored() {
        let mut doc = crate::schema::new_document(automerge::ActorId::random()).unwrap();
        add_member(&mut doc, &member("aa")).unwrap();
        let mut fake = member("bb");
        fake.device = "\u{1b}[31mnot-a-device".into();
        add_member(&mut doc, &fake).unwrap();
        let all = read_members(doc.document()).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].device, id("aa"));
    }
}
