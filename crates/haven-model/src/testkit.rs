//! Devices that write signed journal changes, for this crate's tests.

use automerge::AutoCommit;
use ed25519_dalek::SigningKey;

use crate::authority::Authority;
use crate::members::{self, Member, Role};
use crate::rules::{self, Refusal};
use crate::schema::{self, JournalKind, JournalMeta};
use crate::signed;

/// A device with its signing key.
pub struct Dev {
    pub key: SigningKey,
    pub id: String,
    pub name: &'static str,
}

impl Dev {
    pub fn new(n: u8, name: &'static str) -> Dev {
        let key = SigningKey::from_bytes(&[n; 32]);
        let id = hex::encode(key.verifying_key().to_bytes());
        Dev { key, id, name }
    }

    /// A new actor id bound to this device.
    pub fn actor(&self) -> automerge::ActorId {
        signed::device_actor(&self.key.verifying_key().to_bytes(), rand_nonce())
    }

    /// A new shared journal created by this device (its admin).
    pub fn create(&self) -> AutoCommit {
        let mut doc = schema::new_document(automerge::ActorId::random()).unwrap();
        self.write_keyed(&mut doc, None, |doc| {
            schema::set_meta(
                doc,
                &JournalMeta {
                    name: "us".into(),
                    kind: JournalKind::Shared,
                    created_ms: 1,
                },
            )?;
            members::set_created_key(doc, &self.id, [7; 16])?;
            members::add_member(doc, &self.member(&self.id, Some(Role::Admin)))?;
            Ok(())
        });
        doc
    }

    /// This device's record as `person`'s device, with `role`.
    pub fn member(&self, person: &str, role: Option<Role>) -> Member {
        Member {
            device: self.id.clone(),
            device_name: self.name.into(),
            person: self.name.into(),
            person_id: person.into(),
            role,
            added_by: String::new(),
            added_at_ms: 1,
            revoked_at_ms: None,
            ending: None,
            addrs: Vec::new(),
        }
    }

    /// Runs `f` on `doc` as this device and signs what it wrote; returns the signed changes.
    pub fn write(
        &self,
        doc: &mut AutoCommit,
        f: impl FnOnce(&mut AutoCommit) -> Result<(), schema::SchemaError>,
    ) -> Vec<Vec<u8>> {
        let key = journal_key(doc);
        self.write_keyed(doc, Some(key), f)
    }

    fn write_keyed(
        &self,
        doc: &mut AutoCommit,
        key: Option<[u8; 16]>,
        f: impl FnOnce(&mut AutoCommit) -> Result<(), schema::SchemaError>,
    ) -> Vec<Vec<u8>> {
        let before = doc.get_heads();
        let mut work = doc.fork().with_actor(self.actor());
        f(&mut work).unwrap();
        work.commit();
        let key = key.unwrap_or_else(|| journal_key(&mut work));
        let new: Vec<Vec<u8>> = work
            .get_changes(&before)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let signed = signed::sign_changes(&new, &key, &self.key).unwrap();
        for c in &signed {
            doc.load_incremental(c).unwrap();
        }
        signed
    }
}

fn rand_nonce() -> [u8; 16] {
    let id = automerge::ActorId::random();
    id.to_bytes()[..16].try_into().unwrap()
}

/// The journal key `doc` holds.
pub fn journal_key(doc: &mut AutoCommit) -> [u8; 16] {
    let hex_key = members::journal_key(doc).unwrap().unwrap();
    let mut out = [0u8; 16];
    hex::decode_to_slice(hex_key, &mut out).unwrap();
    out
}

/// What a receiving device does with `chunks`: applies them to a copy of `doc` and checks
/// them against the rules; keeps them only if they pass.
pub fn receive(doc: &mut AutoCommit, chunks: &[Vec<u8>]) -> Result<(), Refusal> {
    let mut copy = doc.fork();
    let start = copy.get_heads();
    for c in chunks {
        copy.load_incremental(c).unwrap();
    }
    let changes = copy.get_changes(&start);
    let authority = Authority::read(copy.document()).unwrap();
    rules::check_changes(copy.document(), &authority, &changes)?;
    *doc = copy;
    Ok(())
}
