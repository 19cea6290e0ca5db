//! Entries and the operations that change them.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::id::EntryId;
use crate::value::{self, Map, Value};

/// A registry entry: id, kind, metadata and an arbitrary payload (`Null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EntryForm")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Entry {
    pub id: EntryId,
    pub kind: Rc<str>,
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    pub meta: Map,
    // `default` only tells the TypeScript declaration that `data` may be absent (as it is when
    // null); entries are read through `EntryForm`.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    #[cfg_attr(test, ts(type = "unknown"))]
    pub data: Value,
}

/// The unchecked shape of an entry, as read from JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryForm {
    id: EntryId,
    kind: String,
    #[serde(default)]
    meta: Map,
    #[serde(default)]
    data: Value,
}

impl TryFrom<EntryForm> for Entry {
    type Error = Error;

    fn try_from(form: EntryForm) -> Result<Self> {
        Entry::new(form.id, &form.kind, form.meta, form.data)
    }
}

impl Entry {
    /// Builds an entry; the kind must be a non-empty string.
    /// Numbers are put in their canonical form, so `3.0` is stored, found and exported as `3`.
    pub fn new(id: EntryId, kind: &str, meta: Map, data: Value) -> Result<Self> {
        if kind.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidEntry,
                "entry kind must not be empty",
            ));
        }
        Ok(Self {
            id,
            kind: Rc::from(kind),
            meta: value::normalize_map(meta)?,
            data: value::normalize(data)?,
        })
    }

    /// Whether two entries hold the same kind, meta and data (ids aside).
    pub fn same_content(&self, other: &Entry) -> bool {
        self.kind == other.kind && self.meta == other.meta && self.data == other.data
    }
}

/// One change to the registry, as listed by `changes:ops()` and `version:ops()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "entry")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Op {
    #[serde(rename = "entry.create")]
    Create(Rc<Entry>),
    #[serde(rename = "entry.update")]
    Update(Rc<Entry>),
    #[serde(rename = "entry.delete")]
    Delete { id: EntryId },
}

impl Op {
    /// The id the operation touches.
    pub fn id(&self) -> &EntryId {
        match self {
            Op::Create(entry) | Op::Update(entry) => &entry.id,
            Op::Delete { id } => id,
        }
    }

    /// The operation's name as scripts see it: `entry.create`, `entry.update` or `entry.delete`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Op::Create(_) => "entry.create",
            Op::Update(_) => "entry.update",
            Op::Delete { .. } => "entry.delete",
        }
    }
}
