//! The journal model of Haven: what an entry is, how a journal is laid out inside an
//! Automerge document, and how entries are read back out of one.
//!
//! This crate does no I/O. The store crate decides where documents live and how they are
//! encrypted; the CLI decides what to print.

pub mod authority;
pub mod dates;
pub mod entry;
pub mod fields;
pub mod insights;
pub mod inspect;
pub mod interchange;
pub mod members;
pub mod query;
pub mod reframe;
pub mod repair;
pub mod rules;
pub mod schema;
pub mod signed;
pub mod tags;
#[cfg(test)]
mod testkit;
pub mod text;
pub mod validate;
pub mod vocab;

pub use entry::{Entry, EntryId, EntryIdError, EntryKind, FieldValue, Fields, Timestamp};
pub use schema::{JournalKind, JournalMeta, SchemaError};
