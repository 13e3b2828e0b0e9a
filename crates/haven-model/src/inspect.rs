//! Inspects Automerge change chunks that came from somewhere untrusted (another device, a
//! file any local process could have written) before Automerge decodes them.
//!
//! Automerge's decoders trust their input more than a journal shared with a hostile partner
//! can afford: a compressed chunk inflates without bound, a run-length column of a few bytes
//! can claim billions of operations, and a key string can be repeated as often as such a run
//! says. This module reads the same binary format itself, in time and memory linear in the
//! bytes it is given, and refuses anything that is not a plain change chunk within
//! [`ChangeLimits`]:
//!
//! * only change chunks (type 1): no document chunks, bundles or compressed changes, so
//!   nothing is ever inflated;
//! * every column known, uncompressed, in order, and every column of an operation as long
//!   as the action column, with row counts, predecessor counts and expanded string bytes
//!   counted from the run lengths without expanding them;
//! * only the operations a journal uses (make a map or a list, put, delete), never one on
//!   the document root (only the genesis change writes there), and value types that carry
//!   no counters.
//!
//! The result, [`ChangeInfo`], names the change (its hash, actor, sequence number and
//! dependencies) so that callers can order and account for what they accept.

mod columns;

use sha2::{Digest, Sha256};

pub use columns::ColumnError;

/// The first bytes of every Automerge chunk.
pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Most operations one sync session brings before it pauses, and one chunk file this
/// device did not write may hold.
pub const SESSION_OPS: u64 = 1_000_000;

/// Bounds on one change chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeLimits {
    /// Largest chunk, in bytes.
    pub max_bytes: usize,
    /// Most operations in one change.
    pub max_ops: u64,
    /// Most dependencies.
    pub max_deps: usize,
    /// Most actors besides the change's own.
    pub max_actors: usize,
    /// Longest actor id, in bytes.
    pub max_actor_bytes: usize,
    /// Longest map key, in bytes.
    pub max_key_bytes: u64,
    /// Longest commit message, in bytes.
    pub max_message_bytes: u64,
}

impl Default for ChangeLimits {
    fn default() -> Self {
        ChangeLimits {
            max_bytes: 8 * 1024 * 1024,
            max_ops: 250_000,
            max_deps: 1024,
            max_actors: 65_536,
            max_actor_bytes: 64,
            max_key_bytes: 256,
            max_message_bytes: 4096,
        }
    }
}

/// Why a chunk was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// It is not an Automerge chunk at all, or it is cut short.
    #[error("not an Automerge change: {0}")]
    Malformed(&'static str),
    /// It is an Automerge chunk of another type (a whole document, a bundle, or a
    /// compressed change).
    #[error("an Automerge {0} where only plain changes are accepted")]
    NotAChange(&'static str),
    /// Its checksum does not match its content.
    #[error("the change's checksum does not match its content")]
    Checksum,
    /// It exceeds one of the limits.
    #[error("the change exceeds a limit: {0}")]
    TooBig(&'static str),
    /// An operation column is malformed or inconsistent.
    #[error("the change's operations are malformed: {0}")]
    Columns(#[from] ColumnError),
    /// An operation a journal never makes.
    #[error("the change makes an operation a journal never makes: {0}")]
    Forbidden(&'static str),
}

/// What a change chunk says about itself, once inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    /// Its hash (SHA-256 of type, length and body), as Automerge computes it.
    pub hash: [u8; 32],
    /// The changes it depends on.
    pub deps: Vec<[u8; 32]>,
    /// The actor that made it.
    pub actor: Vec<u8>,
    /// Its sequence number for that actor.
    pub seq: u64,
    /// The counter of its first operation.
    pub start_op: u64,
    /// Its time (seconds since the epoch, as the writer claims).
    pub time: i64,
    /// How many operations it holds.
    pub ops: u64,
    /// Its size in bytes.
    pub bytes: usize,
}

/// A cursor over bytes that never reads past the end.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// How many bytes were read so far.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// An unsigned LEB128 number of at most 64 bits.
    pub(crate) fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if i == 9 && part > 1 {
                return None;
            }
            value |= part << (7 * i);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A signed LEB128 number of at most 64 bits.
    pub(crate) fn sleb(&mut self) -> Option<i64> {
        let mut value = 0i64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift == 63 && b != 0x00 && b != 0x7f {
                return None;
            }
            value |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
            if shift > 63 {
                return None;
            }
        }
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub(crate) fn prefixed(&mut self, max: u64) -> Option<Result<&'a [u8], ()>> {
        let len = self.uleb()?;
        if len > max {
            return Some(Err(()));
        }
        self.take(usize::try_from(len).ok()?).map(Ok)
    }
}

/// Appends `n` as unsigned LEB128.
pub(crate) fn push_uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

pub(crate) fn hash(chunk_type: u8, body: &[u8]) -> [u8; 32] {
    let mut len = Vec::with_capacity(10);
    push_uleb(&mut len, body.len() as u64);
    let mut hasher = Sha256::new();
    hasher.update([chunk_type]);
    hasher.update(&len);
    hasher.update(body);
    hasher.finalize().into()
}

/// The hash of a chunk (of any type) as Automerge computes it, if it has a chunk header.
pub fn chunk_hash(bytes: &[u8]) -> Option<[u8; 32]> {
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return None;
    }
    r.take(4)?;
    let chunk_type = r.byte()?;
    let len = usize::try_from(r.uleb()?).ok()?;
    Some(hash(chunk_type, r.take(len)?))
}

/// Inspects a run of change chunks laid end to end (as a chunk file of changes holds them):
/// each within `limits`, and no more than `max_ops` operations in all.
pub fn inspect_changes(
    bytes: &[u8],
    limits: &ChangeLimits,
    max_ops: u64,
) -> Result<Vec<ChangeInfo>, InspectError> {
    let mut out = Vec::new();
    let mut ops = 0u64;
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = chunk_len(rest).ok_or(InspectError::Malformed("a chunk cut short"))?;
        let (chunk, after) = rest.split_at(len);
        let info = inspect_change(chunk, limits)?;
        ops = ops.saturating_add(info.ops);
        if ops > max_ops {
            return Err(InspectError::TooBig("operations"));
        }
        out.push(info);
        rest = after;
    }
    Ok(out)
}

/// The length of the chunk that `bytes` starts with, header included, if it is all there.
fn chunk_len(bytes: &[u8]) -> Option<usize> {
    let mut r = Reader::new(bytes);
    r.take(9)?;
    let body = usize::try_from(r.uleb()?).ok()?;
    let total = r.position().checked_add(body)?;
    (total <= bytes.len()).then_some(total)
}

/// Inspects one change chunk (exactly one, nothing after it).
pub fn inspect_change(bytes: &[u8], limits: &ChangeLimits) -> Result<ChangeInfo, InspectError> {
    use InspectError::{Malformed, TooBig};
    if bytes.len() > limits.max_bytes {
        return Err(TooBig("size"));
    }
    let mut r = Reader::new(bytes);
    if r.take(4) != Some(&MAGIC[..]) {
        return Err(Malformed("no Automerge magic bytes"));
    }
    let checksum = r.take(4).ok_or(Malformed("cut short"))?;
    let chunk_type = r.byte().ok_or(Malformed("cut short"))?;
    match chunk_type {
        1 => {}
        0 => return Err(InspectError::NotAChange("document")),
        2 => return Err(InspectError::NotAChange("compressed change")),
        3 => return Err(InspectError::NotAChange("bundle")),
        _ => return Err(Malformed("unknown chunk type")),
    }
    let len = r.uleb().ok_or(Malformed("bad length"))?;
    if usize::try_from(len).ok() != Some(r.remaining()) {
        return Err(Malformed("the length does not match the chunk"));
    }
    let body = r.take(r.remaining()).ok_or(Malformed("cut short"))?;
    let hash = hash(chunk_type, body);
    if hash[..4] != *checksum {
        return Err(InspectError::Checksum);
    }
    let mut info = ChangeInfo {
        hash,
        deps: Vec::new(),
        actor: Vec::new(),
        seq: 0,
        start_op: 0,
        time: 0,
        ops: 0,
        bytes: bytes.len(),
    };
    let mut r = Reader::new(body);
    let actors = read_header(&mut r, limits, &mut info)?;
    let ops = columns::check_ops(&mut r, actors, limits)?;
    if ops.root_ops && !crate::schema::is_genesis_hash(&info.hash) {
        return Err(InspectError::Forbidden("an operation on the document root"));
    }
    info.ops = ops.rows;
    if u32::try_from(info.start_op.saturating_add(info.ops)).is_err() {
        return Err(TooBig("operation counter"));
    }
    Ok(info)
}

/// Reads a change's header up to its columns; returns how many actors its operations may
/// refer to (its own and the others it lists).
fn read_header(
    r: &mut Reader<'_>,
    limits: &ChangeLimits,
    info: &mut ChangeInfo,
) -> Result<usize, InspectError> {
    use InspectError::{Malformed, TooBig};
    let cut = Malformed("the header is cut short");
    let deps = r.uleb().ok_or(cut.clone())?;
    if deps > limits.max_deps as u64 {
        return Err(TooBig("dependencies"));
    }
    info.deps.clear();
    for _ in 0..deps {
        let h = r.take(32).ok_or(cut.clone())?;
        let mut dep = [0u8; 32];
        dep.copy_from_slice(h);
        info.deps.push(dep);
    }
    info.actor = r
        .prefixed(limits.max_actor_bytes as u64)
        .ok_or(cut.clone())?
        .map_err(|()| TooBig("actor id"))?
        .to_vec();
    info.seq = r.uleb().ok_or(cut.clone())?;
    info.start_op = r.uleb().ok_or(cut.clone())?;
    if info.seq == 0 || info.start_op == 0 {
        return Err(Malformed("a sequence number or counter of zero"));
    }
    info.time = r.sleb().ok_or(cut.clone())?;
    let message = r
        .prefixed(limits.max_message_bytes)
        .ok_or(cut.clone())?
        .map_err(|()| TooBig("message"))?;
    if std::str::from_utf8(message).is_err() {
        return Err(Malformed("the message is not UTF-8"));
    }
    let others = r.uleb().ok_or(cut.clone())?;
    if others > limits.max_actors as u64 {
        return Err(TooBig("actors"));
    }
    for _ in 0..others {
        r.prefixed(limits.max_actor_bytes as u64)
            .ok_or(cut.clone())?
            .map_err(|()| TooBig("actor id"))?;
    }
    Ok(1 + others as usize)
}

#[cfg(test)]
mod tests;
