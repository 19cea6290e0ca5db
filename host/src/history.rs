//! The registry's history export format, as the host stores and exchanges it: an envelope
//! (format name and version, head) around every version's parent, time and operations.
//!
//! The host never interprets operations: it keeps them as JSON and lets the module check them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The envelope the core writes and reads (`Registry::export`): its format name and version.
pub const FORMAT: Format = Format {
    name: "luau-registry-history",
    version: 1,
};

/// A history format's name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub name: &'static str,
    pub version: u32,
}

/// A whole history: every version, ascending from v0, and the head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    pub format: String,
    pub format_version: u32,
    pub head: u64,
    pub versions: Vec<VersionRecord>,
}

impl History {
    /// A history in [`FORMAT`].
    pub fn new(head: u64, versions: Vec<VersionRecord>) -> Self {
        Self {
            format: FORMAT.name.to_owned(),
            format_version: FORMAT.version,
            head,
            versions,
        }
    }
}

/// One version: its parent (none for v0), its time in milliseconds since the Unix epoch, and the
/// operations that made it from its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRecord {
    pub id: u64,
    pub parent: Option<u64>,
    pub time_ms: i64,
    pub ops: Vec<Value>,
}
