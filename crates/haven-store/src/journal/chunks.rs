//! A journal's chunks: written sealed and tagged by this device, read back checked.
//!
//! A chunk's name carries a tag, `<ulid>.<tag>.changes.age` (or `.snapshot.age`): an HMAC,
//! under this device's [`crate::keys::ChunkKey`], of the journal id, the untagged name and
//! the sealed bytes. Anyone who knows the vault's public recipient can encrypt a chunk to
//! it, but only this device can tag one. So:
//!
//! * A chunk whose tag holds was written by this device (its own writes are checked by the
//!   rules before they are kept, and what sessions bring is checked on arrival): it is read
//!   as is, at the cost of one HMAC over its bytes.
//! * Any other chunk (untagged, a wrong tag, one copied from another journal) is checked
//!   like a sync session's changes before the document takes it: every new change signed
//!   for this journal, the journal still valid, every change one its signer may make
//!   ([`haven_model::rules::admit`]). One that passes is tagged at the next write; one that
//!   fails is left out of every read, and the next write moves it to `refused/`.
//! * A vault made before chunks were tagged trusts its untagged chunks until they are
//!   tagged, once, when it is first unlocked by this version ([`Self::tag_untagged`]).

use std::fs;
use std::path::PathBuf;

use automerge::AutoCommit;
use haven_model::inspect::{ChangeLimits, SESSION_OPS, inspect_changes};
use haven_model::rules::admit::admit;
use haven_model::schema;
use haven_model::validate::Baseline;

use super::{ChunkKind, JournalStore, guarded, journal_key_of, new_file_stem};
use crate::durable::{self, private_dir, sync_dir, write_atomic};
use crate::envelope;
use crate::error::{Result, StoreError};
use crate::keys::Keys;

/// A chunk name split into its parts.
pub(crate) struct ChunkName<'a> {
    /// The time-ordered id.
    pub ulid: &'a str,
    /// The tag, if the name carries one.
    pub tag: Option<&'a str>,
    /// Snapshot or changes.
    pub kind: ChunkKind,
}

impl<'a> ChunkName<'a> {
    /// Parses `<ulid>[.<tag>].snapshot.age` or `<ulid>[.<tag>].changes.age`.
    pub fn parse(name: &'a str) -> Option<ChunkName<'a>> {
        let (stem, kind) = if let Some(stem) = name.strip_suffix(".snapshot.age") {
            (stem, ChunkKind::Snapshot)
        } else {
            (name.strip_suffix(".changes.age")?, ChunkKind::Changes)
        };
        let (ulid, tag) = match stem.split_once('.') {
            Some((ulid, tag)) => (ulid, Some(tag)),
            None => (stem, None),
        };
        let tag_ok = tag.is_none_or(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        (tag_ok && ulid::Ulid::from_string(ulid).is_ok()).then_some(ChunkName { ulid, tag, kind })
    }

    /// The name without its tag.
    pub fn untagged(&self) -> String {
        format!("{}.{}", self.ulid, self.kind.suffix())
    }
}

impl ChunkKind {
    fn suffix(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot.age",
            ChunkKind::Changes => "changes.age",
        }
    }
}

/// The document read from a journal's chunks, and what was found among them.
pub(crate) struct Loaded {
    /// The document.
    pub doc: AutoCommit,
    /// The chunks it holds, sorted: those this device wrote and those admitted.
    pub names: Vec<String>,
    /// Chunks this device did not write whose changes passed the check, with the sealed
    /// bytes that were checked (what gets tagged: the file may have changed since).
    pub admitted: Vec<(String, Vec<u8>)>,
    /// Chunks this device did not write that were left out, with the reason.
    pub refused: Vec<(String, String)>,
}

impl JournalStore {
    /// Where refused chunks are moved.
    pub fn refused_dir(&self) -> PathBuf {
        self.dir.join("refused")
    }

    /// The name `untagged` takes once tagged for `sealed`, or `None` without a chunk key.
    fn tagged(&self, keys: &Keys, untagged: &str, sealed: &[u8]) -> Option<String> {
        let key = keys.chunk_key()?;
        let name = ChunkName::parse(untagged)?;
        let tag = key.tag(&self.id.to_string(), untagged, sealed);
        Some(format!("{}.{tag}.{}", name.ulid, name.kind.suffix()))
    }

    /// Whether the chunk `name`, whose sealed bytes are `sealed`, was written by this
    /// device (or predates tagging, in a vault whose chunks are not tagged yet).
    pub(crate) fn is_own(&self, keys: &Keys, name: &str, sealed: &[u8]) -> bool {
        let Some(parsed) = ChunkName::parse(name) else {
            return false;
        };
        match parsed.tag {
            None => !keys.secrets.chunks_tagged,
            Some(_) => self.tagged(keys, &parsed.untagged(), sealed).as_deref() == Some(name),
        }
    }

    /// Seals `plain` as a new chunk of `kind`, tagged by this device; durable on return.
    pub(crate) fn write_chunk(&self, keys: &Keys, kind: ChunkKind, plain: &[u8]) -> Result<String> {
        let untagged = format!("{}.{}", new_file_stem(), kind.suffix());
        let sealed = envelope::seal(&self.recipient, plain)?;
        let name = self.tagged(keys, &untagged, &sealed).unwrap_or(untagged);
        write_atomic(&self.chunks_dir(), &name, &sealed)?;
        Ok(name)
    }

    /// Loads the whole document: this device's chunks (snapshots first, newest first), then
    /// every other chunk, each only if its changes pass the check.
    pub(crate) fn load_checked(&self, keys: &Keys) -> Result<Loaded> {
        let all = self.chunk_names()?;
        let (snapshots, changes): (Vec<&String>, Vec<&String>) = all
            .iter()
            .partition(|n| super::chunk_kind(n) == Some(ChunkKind::Snapshot));
        // One chunk in memory at a time: each is read when its turn comes, and kept only
        // if it is not this device's (those wait for the check, after all of its own).
        let mut others: Vec<(String, Vec<u8>)> = Vec::new();
        let mut doc: Option<AutoCommit> = None;
        let mut names = Vec::new();
        for name in snapshots.into_iter().rev().chain(changes) {
            let path = self.chunks_dir().join(name);
            let sealed = read_sealed(&path)?;
            if !self.is_own(keys, name, &sealed) {
                others.push((name.clone(), sealed));
                continue;
            }
            let plain = envelope::open(keys.identity(), &sealed, &path)?;
            drop(sealed);
            match doc.as_mut() {
                None => doc = Some(guarded(&path, || AutoCommit::load(&plain))?),
                Some(d) => {
                    guarded(&path, || d.load_incremental(&plain))?;
                }
            }
            names.push(name.clone());
        }
        let mut doc = match doc {
            Some(d) => d,
            None => schema::new_document(automerge::ActorId::random())?,
        };
        let (mut admitted, mut refused) = (Vec::new(), Vec::new());
        for (name, sealed) in others {
            match self.check_foreign(keys, &mut doc, &name, &sealed)? {
                None => {
                    names.push(name.clone());
                    admitted.push((name, sealed));
                }
                Some(reason) => {
                    tracing::warn!(
                        journal = %self.id,
                        chunk = %name,
                        "a chunk this device did not write was left out: {reason}"
                    );
                    refused.push((name, reason));
                }
            }
        }
        names.sort();
        Ok(Loaded {
            doc,
            names,
            admitted,
            refused,
        })
    }

    /// Applies the chunk `name` (not this device's) to `doc` if its changes pass the check;
    /// otherwise says why not. One that does not decrypt or decode is damaged, whoever
    /// wrote it (a bit flipped in one of this device's own breaks its tag too): an error,
    /// for `doctor`, as for any damaged chunk.
    fn check_foreign(
        &self,
        keys: &Keys,
        doc: &mut AutoCommit,
        name: &str,
        sealed: &[u8],
    ) -> Result<Option<String>> {
        let path = self.chunks_dir().join(name);
        let plain = envelope::open(keys.identity(), sealed, &path)?;
        // Inspected before Automerge decodes any of it, within the bounds of a session: a
        // chunk anyone can write costs no more to look at than one session may.
        if super::chunk_kind(name) != Some(ChunkKind::Changes) {
            return Ok(Some(
                "a snapshot this device did not write is never read".into(),
            ));
        }
        if let Err(e) = inspect_changes(&plain, &ChangeLimits::default(), SESSION_OPS) {
            return Ok(Some(format!(
                "it is not a run of changes within the limits: {e}"
            )));
        }
        let start = doc.get_heads();
        let mut trial = doc.clone();
        guarded(&path, || trial.load_incremental(&plain))?;
        // Every change it holds must apply now, so that every one is checked (a change left
        // waiting for a missing one would be taken in later unchecked).
        if !trial.get_missing_deps(&[]).is_empty() {
            let why = "it holds changes that depend on changes this journal lacks";
            return Ok(Some(why.into()));
        }
        let changes = trial.get_changes(&start);
        if !changes.is_empty() {
            let Some(key) = journal_key_of(doc) else {
                return Ok(Some("the journal has no key to check it against".into()));
            };
            let baseline = Baseline::of(doc.document(), Default::default());
            if let Err(why) = admit(trial.document(), &baseline, &changes, &key) {
                return Ok(Some(why.to_string()));
            }
        }
        *doc = trial;
        Ok(None)
    }

    /// Settles what [`Self::load_checked`] found (call under the writer lock): admitted
    /// chunks are tagged, so that they are not checked again, and refused ones are moved to
    /// `refused/`, where nothing reads them. Returns the chunk names after.
    pub(crate) fn settle(&self, keys: &Keys, loaded: &Loaded) -> Result<Vec<String>> {
        if loaded.admitted.is_empty() && loaded.refused.is_empty() {
            return Ok(loaded.names.clone());
        }
        let dir = self.chunks_dir();
        let mut names = loaded.names.clone();
        for (name, sealed) in &loaded.admitted {
            let Some(untagged) = ChunkName::parse(name).map(|n| n.untagged()) else {
                continue;
            };
            let Some(tagged) = self.tagged(keys, &untagged, sealed) else {
                continue;
            };
            // The bytes that were checked are written under the tagged name, never the file
            // as it is now (someone may have replaced it since it was read).
            write_atomic(&dir, &tagged, sealed)?;
            let path = dir.join(name);
            fs::remove_file(&path).map_err(StoreError::io("remove", &path))?;
            names.retain(|n| n != name);
            names.push(tagged);
        }
        if !loaded.refused.is_empty() {
            private_dir(&self.refused_dir())?;
            for (name, _) in &loaded.refused {
                let path = dir.join(name);
                let to = self.refused_dir().join(name);
                fs::rename(&path, &to).map_err(StoreError::io("move aside", &path))?;
            }
            sync_dir(&self.refused_dir())?;
        }
        sync_dir(&dir)?;
        names.sort();
        Ok(names)
    }

    /// Tags every untagged chunk as this device's (call under the writer lock): the one
    /// step of trust when a vault made before chunks were tagged is first unlocked.
    pub(crate) fn tag_untagged(&self, keys: &Keys) -> Result<usize> {
        let dir = self.chunks_dir();
        let mut tagged = 0;
        for name in self.chunk_names()? {
            if ChunkName::parse(&name).is_none_or(|n| n.tag.is_some()) {
                continue;
            }
            let path = dir.join(&name);
            let sealed = read_sealed(&path)?;
            if let Some(to) = self.tagged(keys, &name, &sealed) {
                fs::rename(&path, dir.join(to)).map_err(StoreError::io("rename", &path))?;
                tagged += 1;
            }
        }
        if tagged > 0 {
            sync_dir(&dir)?;
        }
        Ok(tagged)
    }
}

/// A chunk's sealed bytes, bounded like every encrypted file.
pub(super) fn read_sealed(path: &std::path::Path) -> Result<Vec<u8>> {
    let meta = fs::metadata(path).map_err(StoreError::io("read", path))?;
    if meta.len() > envelope::MAX_FILE_BYTES {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            reason: "file is too large".into(),
        });
    }
    durable::read(path)
}
