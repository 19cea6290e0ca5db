//! The crate's error type: a kind to match on and a message that names the problem.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::{Map, Value};

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
    /// A registry function called with an argument of the wrong type or value (nil, NaN, ...).
    InvalidArgument,
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
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Vm => "vm",
        }
    }

    /// The kind scripts see through `err:kind()`, one of [`SCRIPT_ERROR_KINDS`]: the only place
    /// the core's kinds meet the original runtime's.
    pub fn script_kind(self) -> &'static str {
        match self {
            ErrorKind::EntryNotFound | ErrorKind::VersionNotFound => "NOT_FOUND",
            ErrorKind::EntryExists => "ALREADY_EXISTS",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::InvalidId
            | ErrorKind::InvalidValue
            | ErrorKind::InvalidEntry
            | ErrorKind::KindChange
            | ErrorKind::NoChanges
            | ErrorKind::InvalidCriteria
            | ErrorKind::InvalidHistory
            | ErrorKind::InvalidArgument => "INVALID",
            ErrorKind::Vm => "INTERNAL",
        }
    }
}

/// The constants of the scripts' `errors` table: the kinds [`ErrorKind::script_kind`] gives,
/// then the original runtime's other kinds, which this registry never returns.
pub const SCRIPT_ERROR_KINDS: [&str; 11] = [
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "CONFLICT",
    "INVALID",
    "INTERNAL",
    "PERMISSION_DENIED",
    "UNAVAILABLE",
    "CANCELED",
    "TIMEOUT",
    "RATE_LIMITED",
    "UNKNOWN",
];

/// An error with a kind, a human-readable message that names the problem, and structured
/// details for callers (`{id = "services:api", version = 7, snapshot = 5}` for a conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    // Boxed: errors travel in every `Result`, so they are kept small.
    details: Option<Box<[(&'static str, Detail)]>>,
}

/// One detail of an error. Details are plain data rather than [`Value`]s so that errors stay
/// `Send` and `Sync` (values share their strings through `Rc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Detail {
    Text(Box<str>),
    Number(u64),
}

impl From<&str> for Detail {
    fn from(text: &str) -> Self {
        Detail::Text(text.into())
    }
}

impl From<u64> for Detail {
    fn from(number: u64) -> Self {
        Detail::Number(number)
    }
}

impl Error {
    /// An error of `kind` with `message` (front ends build them for what their sources report).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            details: None,
        }
    }

    /// Adds a detail, e.g. `("id", "services:api")`.
    pub(crate) fn with(mut self, key: &'static str, value: impl Into<Detail>) -> Self {
        let mut details = self.details.take().map(Vec::from).unwrap_or_default();
        details.push((key, value.into()));
        self.details = Some(details.into_boxed_slice());
        self
    }

    /// The details as a map, when there is something to add to the message.
    pub fn details(&self) -> Option<Map> {
        self.details.as_deref().map(|details| {
            details
                .iter()
                .map(|(key, detail)| {
                    let value = match detail {
                        Detail::Text(text) => Value::string(text),
                        Detail::Number(number) => Value::from(*number),
                    };
                    (*key, value)
                })
                .collect()
        })
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
            message: format!("{place}: {}", self.message),
            ..self
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
