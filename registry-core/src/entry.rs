//! Entries and the operations that change them.

use std::rc::Rc;

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::id::EntryId;
use crate::value::{Map, Value, shared_str};

/// A registry entry: id, kind, metadata and an arbitrary payload (`Null` when absent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "EntryForm")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Entry {
    pub id: EntryId,
    pub kind: Rc<str>,
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    pub meta: Map,
    // `default` only tells the TypeScript declaration that `data` may be absent (as it is when
    // null); entries are read through `EntryForm`.
    #[serde(default)]
    #[cfg_attr(test, ts(type = "unknown", optional))]
    pub data: Value,
}

/// In JSON (and JavaScript) `data` is left out when null; binary formats such as postcard, which
/// read fields by position, always get all four fields.
impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let data = !(serializer.is_human_readable() && self.data.is_null());
        let mut entry = serializer.serialize_struct("Entry", 3 + usize::from(data))?;
        entry.serialize_field("id", &self.id)?;
        entry.serialize_field("kind", &*self.kind)?;
        entry.serialize_field("meta", &self.meta)?;
        if data {
            entry.serialize_field("data", &self.data)?;
        } else {
            entry.skip_field("data")?;
        }
        entry.end()
    }
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
    pub fn new(id: EntryId, kind: &str, mut meta: Map, mut data: Value) -> Result<Self> {
        if kind.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidEntry,
                "entry kind must not be empty",
            ));
        }
        meta.normalize()?;
        data.normalize()?;
        Ok(Self {
            id,
            kind: shared_str(kind),
            meta,
            data,
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
