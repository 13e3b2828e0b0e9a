//! Binds each Automerge change to the device that made it.
//!
//! Automerge's actor ids are whatever a writer says they are, so on their own they prove
//! nothing about who wrote a change. Haven ties them to devices in two ways, both carried
//! inside the change itself so that they travel wherever the change goes (a sync session, a
//! relay through a third device, a chunk on disk, a compacted snapshot):
//!
//! * **The actor names the device.** A device writes with actor ids of 48 bytes: its
//!   32-byte ed25519 public key (its iroh identity) followed by 16 random bytes, fresh for
//!   each process, so that an actor id is never reused.
//! * **The message carries a signature.** The change's commit message is
//!   `haven-signed-v1 ` and 128 hex digits: an ed25519 signature, by that key, over
//!   [`DOMAIN`], the journal's 16-byte key and the hash the same change would have with an
//!   empty message (its *unsigned hash*). The message is the one field a signature cannot
//!   cover, because the change's hash covers it; everything else (dependencies, actor,
//!   sequence number, time, every operation) is covered. The journal key keeps a change
//!   signed for one journal from being accepted in another.
//!
//! Any Automerge implementation reads a signed change as an ordinary change with a commit
//! message. Nothing here touches the network or the disk.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::inspect::{MAGIC, Reader, hash, push_uleb};

/// What every signature covers first, so that it can mean nothing else.
pub const DOMAIN: &[u8] = b"haven change signature v1\0";
/// How a signed change's message begins.
pub const MESSAGE_PREFIX: &str = "haven-signed-v1 ";
/// The length of a device-bound actor id: the device key and 16 random bytes.
pub const ACTOR_BYTES: usize = 48;

/// A journal's 16-byte key, as the signatures cover it.
pub type JournalKey = [u8; 16];

/// Why a change could not be signed or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The bytes are not one plain change chunk.
    #[error("not an Automerge change: {0}")]
    Malformed(&'static str),
    /// The actor id is not a device-bound one.
    #[error("its actor id names no device")]
    NoDevice,
    /// The change carries no signature.
    #[error("it is not signed")]
    Unsigned,
    /// The actor's device key is not a valid ed25519 key.
    #[error("its actor id holds no valid device key")]
    BadKey,
    /// The signature does not match the change, the journal or the device.
    #[error("its signature does not match it")]
    BadSignature,
    /// The key given to sign with is not the device its actor id names.
    #[error("the change's actor id names another device than the signing key")]
    NotMine,
}

/// What a verified change proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed {
    /// The device that made and signed it (its ed25519 public key).
    pub device: [u8; 32],
    /// Its hash, as Automerge computes it (the signature included).
    pub hash: [u8; 32],
}

/// A device-bound actor id: `device` then `nonce`.
pub fn device_actor(device: &[u8; 32], nonce: [u8; 16]) -> automerge::ActorId {
    let mut bytes = [0u8; ACTOR_BYTES];
    bytes[..32].copy_from_slice(device);
    bytes[32..].copy_from_slice(&nonce);
    automerge::ActorId::from(&bytes[..])
}

/// The device a device-bound actor id names, if it is one.
pub fn actor_device(actor: &[u8]) -> Option<[u8; 32]> {
    if actor.len() != ACTOR_BYTES {
        return None;
    }
    actor[..32].try_into().ok()
}

/// Where the fields a signature concerns sit in a change chunk.
struct Layout {
    /// Where the body starts in the chunk.
    body: usize,
    /// Offsets in the body of each dependency hash (32 bytes each).
    deps: Vec<usize>,
    /// The actor id, as a range of the body.
    actor: std::ops::Range<usize>,
    /// The message with its length prefix, as a range of the body.
    message: std::ops::Range<usize>,
    /// The message's text, as a range of the body.
    text: std::ops::Range<usize>,
}

fn layout(chunk: &[u8]) -> Result<Layout, SignatureError> {
    use SignatureError::Malformed;
    let cut = Malformed("cut short");
    let mut r = Reader::new(chunk);
    if r.take(4) != Some(&MAGIC[..]) {
        return Err(Malformed("no Automerge magic bytes"));
    }
    r.take(4).ok_or(cut.clone())?;
    if r.byte() != Some(1) {
        return Err(Malformed("not a plain change chunk"));
    }
    let len = r.uleb().ok_or(cut.clone())?;
    let body = r.position();
    if usize::try_from(len).ok() != Some(r.remaining()) {
        return Err(Malformed("the length does not match the chunk"));
    }
    let mut r = Reader::new(&chunk[body..]);
    let deps = r.uleb().ok_or(cut.clone())?;
    if deps > 1024 {
        return Err(Malformed("too many dependencies"));
    }
    let mut offsets = Vec::with_capacity(deps as usize);
    for _ in 0..deps {
        offsets.push(r.position());
        r.take(32).ok_or(cut.clone())?;
    }
    let actor_len = usize::try_from(r.uleb().ok_or(cut.clone())?).map_err(|_| cut.clone())?;
    let actor_start = r.position();
    r.take(actor_len).ok_or(cut.clone())?;
    let actor = actor_start..r.position();
    r.uleb().ok_or(cut.clone())?; // seq
    r.uleb().ok_or(cut.clone())?; // start op
    r.sleb().ok_or(cut.clone())?; // time
    let message_start = r.position();
    let text_len = usize::try_from(r.uleb().ok_or(cut.clone())?).map_err(|_| cut.clone())?;
    let text_start = r.position();
    r.take(text_len).ok_or(cut)?;
    Ok(Layout {
        body,
        deps: offsets,
        actor,
        message: message_start..r.position(),
        text: text_start..r.position(),
    })
}

/// The change chunk of `body` with a fresh header (checksum and length).
fn chunk_of(body: &[u8]) -> Vec<u8> {
    let checksum = hash(1, body);
    let mut out = Vec::with_capacity(body.len() + 14);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&checksum[..4]);
    out.push(1);
    push_uleb(&mut out, body.len() as u64);
    out.extend_from_slice(body);
    out
}

/// `body` with its message replaced by `text`.
fn with_message(body: &[u8], at: &std::ops::Range<usize>, text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + text.len() + 2);
    out.extend_from_slice(&body[..at.start]);
    push_uleb(&mut out, text.len() as u64);
    out.extend_from_slice(text);
    out.extend_from_slice(&body[at.end..]);
    out
}

/// What the signature of a change with `unsigned_hash` in `journal` covers.
fn signed_bytes(journal: &JournalKey, unsigned_hash: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(DOMAIN.len() + 48);
    out.extend_from_slice(DOMAIN);
    out.extend_from_slice(journal);
    out.extend_from_slice(unsigned_hash);
    out
}

/// The hash a change would have with an empty message.
fn unsigned_hash(body: &[u8], layout: &Layout) -> [u8; 32] {
    hash(1, &with_message(body, &layout.message, b""))
}

/// Signs one change chunk made with a device-bound actor of `key`'s device, for `journal`.
/// Returns the signed chunk (a new hash: later changes must depend on it instead).
pub fn sign_change(
    chunk: &[u8],
    journal: &JournalKey,
    key: &SigningKey,
) -> Result<Vec<u8>, SignatureError> {
    sign_with_deps(chunk, journal, key, &|_| None)
}

/// Signs a run of change chunks in causal order (as Automerge hands out a writer's new
/// changes), rewriting each dependency on an earlier one of the run to its signed hash.
pub fn sign_changes(
    chunks: &[Vec<u8>],
    journal: &JournalKey,
    key: &SigningKey,
) -> Result<Vec<Vec<u8>>, SignatureError> {
    let mut renamed = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let before =
            crate::inspect::chunk_hash(chunk).ok_or(SignatureError::Malformed("no header"))?;
        let signed = sign_with_deps(chunk, journal, key, &|dep| renamed.get(dep).copied())?;
        let after =
            crate::inspect::chunk_hash(&signed).ok_or(SignatureError::Malformed("no header"))?;
        renamed.insert(before, after);
        out.push(signed);
    }
    Ok(out)
}

fn sign_with_deps(
    chunk: &[u8],
    journal: &JournalKey,
    key: &SigningKey,
    rename: &dyn Fn(&[u8; 32]) -> Option<[u8; 32]>,
) -> Result<Vec<u8>, SignatureError> {
    let layout = layout(chunk)?;
    let mut body = chunk[layout.body..].to_vec();
    let device = actor_device(&body[layout.actor.clone()]).ok_or(SignatureError::NoDevice)?;
    if device != key.verifying_key().to_bytes() {
        return Err(SignatureError::NotMine);
    }
    for &at in &layout.deps {
        let dep: [u8; 32] = body[at..at + 32].try_into().unwrap_or([0; 32]);
        if let Some(new) = rename(&dep) {
            body[at..at + 32].copy_from_slice(&new);
        }
    }
    let signature = key.sign(&signed_bytes(journal, &unsigned_hash(&body, &layout)));
    let text = format!("{MESSAGE_PREFIX}{}", hex::encode(signature.to_bytes()));
    Ok(chunk_of(&with_message(
        &body,
        &layout.message,
        text.as_bytes(),
    )))
}

/// Verifies that `chunk` was signed for `journal` by the device its actor id names.
pub fn verify_change(chunk: &[u8], journal: &JournalKey) -> Result<Signed, SignatureError> {
    let layout = layout(chunk)?;
    let body = &chunk[layout.body..];
    let hash = hash(1, body);
    if chunk[4..8] != hash[..4] {
        return Err(SignatureError::Malformed("the checksum does not match"));
    }
    let device = actor_device(&body[layout.actor.clone()]).ok_or(SignatureError::NoDevice)?;
    let text = &body[layout.text.clone()];
    let hex_sig = text
        .strip_prefix(MESSAGE_PREFIX.as_bytes())
        .ok_or(SignatureError::Unsigned)?;
    let mut sig = [0u8; 64];
    hex::decode_to_slice(hex_sig, &mut sig).map_err(|_| SignatureError::BadSignature)?;
    let key = VerifyingKey::from_bytes(&device).map_err(|_| SignatureError::BadKey)?;
    key.verify_strict(
        &signed_bytes(journal, &unsigned_hash(body, &layout)),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| SignatureError::BadSignature)?;
    Ok(Signed { device, hash })
}

#[cfg(test)]
mod tests;
