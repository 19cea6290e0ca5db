//! A versioned registry of entries, exposed to Luau scripts as `require("registry")`.
//!
//! The registry holds entries (`namespace:name` id, kind, metadata, data) in persistent maps.
//! Every applied changeset creates a version that keeps its own state, so a snapshot of any
//! version is O(1) to take and to read, and history is a tree: rolling back with
//! `apply_version` and applying again starts a branch.
//!
//! - [`EntryId`], [`Entry`], [`Op`] and [`Value`]: the data model.
//! - [`State`]: one version's contents, with [`Criteria`] for `find`.
//! - [`Registry`] and [`Version`]: the history, changeset application with conflict checks,
//!   rollback, and export/import in a stable JSON format ([`HistoryExport`]).
//! - [`build_delta`]: the operations that turn one list of entries into another.
//! - [`Runner`]: one registry plus one sandboxed Luau VM; front ends run scripts through it.
//! - [`protocol`]: the requests, answers, events and errors front ends exchange with the
//!   registry module, declared once for all of them.
//!
//! This crate does no I/O and reads no clock: the caller passes the current time to each run.
//! The Luau binding is the default feature `lua`; without it (`default-features = false`) the
//! crate is the data model, the history and the protocol, and builds no C++.

mod criteria;
mod delta;
mod entry;
mod error;
mod history;
mod id;
#[cfg(feature = "lua")]
mod lua;
pub mod protocol;
mod state;
mod value;

pub use criteria::Criteria;
pub use delta::build_delta;
pub use entry::{Entry, Op};
pub use error::{Error, ErrorKind, Result, SCRIPT_ERROR_KINDS};
pub use history::{
    FORMAT_NAME, FORMAT_VERSION, HistoryExport, Registry, Version, VersionId, VersionRecord,
    version_id_from_number,
};
pub use id::EntryId;
#[cfg(feature = "lua")]
pub use lua::context::{EventListener, RegistryEvent};
#[cfg(feature = "lua")]
pub use lua::runner::{Clock, Runner};
#[cfg(feature = "lua")]
pub use lua::syntax::check_syntax;
pub use protocol::{Limit, RunOutput, ScriptError};
pub use state::State;
pub use value::{Map, Value};
