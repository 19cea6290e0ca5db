//! The crate's error type: a kind to match on and a message that names the problem.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What went wrong, for callers that branch on it (front ends map kinds to exit codes or UI).
/// Serialized as its [`ErrorKind::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ErrorKind {
    /// An id that is not `namespace:name`.
    InvalidId,
    /// A value that cannot be stored (function, NaN, cycle, mixed table keys, ...).
    InvalidValue,
    /// An entry table that is not a valid entry (no id, no kind, unknown field, ...).
    InvalidEntry,
    /// An entry that does not exist where one was required.
    EntryNotFound,
    /// A create of an id that already exists.
    EntryExists,
    /// An update that tries to change an entry's kind.
    KindChange,
    /// A changeset with no operations.
    NoChanges,
    /// A changeset based on a stale snapshot that touches an id changed since.
    Conflict,
    /// A version id that does not exist.
    VersionNotFound,
    /// Find criteria that cannot be used (bad regex, unknown special field, wrong type).
    InvalidCriteria,
    /// An exported history that cannot be imported.
    InvalidHistory,
    /// The Luau VM itself failed (it could not start, or ran out of memory).
    Vm,
}

impl ErrorKind {
    /// A stable snake_case name, for front ends that report kinds across a boundary.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidId => "invalid_id",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::InvalidEntry => "invalid_entry",
            ErrorKind::EntryNotFound => "entry_not_found",
            ErrorKind::EntryExists => "entry_exists",
            ErrorKind::KindChange => "kind_change",
            ErrorKind::NoChanges => "no_changes",
            ErrorKind::Conflict => "conflict",
            ErrorKind::VersionNotFound => "version_not_found",
            ErrorKind::InvalidCriteria => "invalid_criteria",
            ErrorKind::InvalidHistory => "invalid_history",
            ErrorKind::Vm => "vm",
        }
    }
}

/// An error with a kind and a human-readable message that names the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, as shown to script authors.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with where the problem is, e.g. `to[3]: ...`.
    #[cfg(feature = "lua")]
    pub(crate) fn at(self, place: impl fmt::Display) -> Self {
        Self {
            kind: self.kind,
            message: format!("{place}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_names() {
        for kind in [
            ErrorKind::InvalidId,
            ErrorKind::InvalidValue,
            ErrorKind::InvalidEntry,
            ErrorKind::EntryNotFound,
            ErrorKind::EntryExists,
            ErrorKind::KindChange,
            ErrorKind::NoChanges,
            ErrorKind::Conflict,
            ErrorKind::VersionNotFound,
            ErrorKind::InvalidCriteria,
            ErrorKind::InvalidHistory,
            ErrorKind::Vm,
        ] {
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind.name()))
            );
        }
    }
}
