//! A document read as it is, or as it stood at some heads: the authority a change was made
//! under is read from the document at that change's dependencies.

use automerge::{Automerge, AutomergeError, ChangeHash, ObjId, ReadDoc, Value};

/// A document, read now or at fixed heads.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub doc: &'a Automerge,
    heads: Option<&'a [ChangeHash]>,
}

impl<'a> At<'a> {
    /// The document as it is.
    pub fn now(doc: &'a Automerge) -> At<'a> {
        At { doc, heads: None }
    }

    /// The document as it stood at `heads`.
    pub fn heads(doc: &'a Automerge, heads: &'a [ChangeHash]) -> At<'a> {
        At {
            doc,
            heads: Some(heads),
        }
    }

    /// The value of `key` in the map `obj` that Automerge reads.
    pub fn get(
        &self,
        obj: &ObjId,
        key: &str,
    ) -> Result<Option<(Value<'a>, ObjId)>, AutomergeError> {
        match self.heads {
            None => self.doc.get(obj, key),
            Some(heads) => self.doc.get_at(obj, key, heads),
        }
    }

    /// Every value of `key` in the map `obj`, conflicting ones included.
    pub fn get_all(
        &self,
        obj: &ObjId,
        key: &str,
    ) -> Result<Vec<(Value<'a>, ObjId)>, AutomergeError> {
        match self.heads {
            None => self.doc.get_all(obj, key),
            Some(heads) => self.doc.get_all_at(obj, key, heads),
        }
    }

    /// The keys of the map `obj` from `from` on, in order.
    pub fn keys_from(&self, obj: &ObjId, from: &str) -> Vec<String> {
        let from = from.to_string();
        match self.heads {
            None => (self.doc.map_range(obj, from..))
                .map(|i| i.key.to_string())
                .collect(),
            Some(heads) => (self.doc.map_range_at(obj, from.., heads))
                .map(|i| i.key.to_string())
                .collect(),
        }
    }
}
