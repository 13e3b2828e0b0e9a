//! How lists of strings (tags, people, list fields) are stored: encoded as one string
//! scalar, and read back from Automerge lists as older entries hold them.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ReadDoc};

use super::SchemaError;

/// Marks a string that holds a list (see [`encode_list`]).
const LIST_MARK: char = '\u{1e}';
/// Separates the items of an encoded list.
const ITEM_SEP: char = '\u{1f}';

/// Encodes a list of strings as one string: U+001E, then the items separated by U+001F.
///
/// One scalar costs one operation, where an Automerge list costs one per item plus one;
/// journals of many entries load markedly faster and lighter this way. Concurrent edits of
/// the same list keep one version (like any scalar), which suits tags, people and choices.
pub fn encode_list(items: &[String]) -> String {
    let mut out = String::from(LIST_MARK);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(ITEM_SEP);
        }
        out.extend(item.chars().filter(|c| *c != LIST_MARK && *c != ITEM_SEP));
    }
    out
}

/// Decodes [`encode_list`]; `None` if `text` is not an encoded list.
pub fn decode_list(text: &str) -> Option<Vec<String>> {
    let body = text.strip_prefix(LIST_MARK)?;
    if body.is_empty() {
        return Some(Vec::new());
    }
    Some(body.split(ITEM_SEP).map(str::to_string).collect())
}

pub(super) fn put_str_list(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    items: &[String],
) -> Result<(), SchemaError> {
    doc.put(obj, key, encode_list(items))?;
    Ok(())
}

pub(super) fn list_strings<R: ReadDoc>(doc: &R, list: &ObjId) -> Vec<String> {
    doc.list_range(list, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.into_owned()),
            _ => None,
        })
        .collect()
}
