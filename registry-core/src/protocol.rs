//! The protocol between the registry module and its front ends, declared once: the requests,
//! their answers, the events a run reports, the errors, and the run's output. The module
//! (`wasm/`) serves it, `registry-host` speaks it over the C ABI as JSON, and JavaScript reaches
//! the same values through wasm-bindgen; the TypeScript declarations in
//! `registry-core/typescript/protocol.ts` are generated from these types.
//!
//! Every name on the wire is snake_case, as in the history export format.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::history::{HistoryExport, Registry, VersionId, VersionRecord};
use crate::value::Value;

/// The version of this protocol. A module exports it (`registry_protocol_version`), and a
/// front end refuses a module that speaks another one before sending it anything.
pub const PROTOCOL_VERSION: u32 = 3;

/// Luau's memory limit for a run that names none.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;

/// What a run hands back (printed output, returned values as JSON, the error message) beyond
/// this is cut or refused, unless the run names another output limit.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1 << 20;

/// One request to the module, tagged by `op`. The comment of each names its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RegistryRequest"))]
pub enum Request {
    /// Creates the registry from an export, or empty at `now_ms`. Answers `null`.
    Open {
        #[serde(default)]
        #[cfg_attr(test, ts(optional = nullable))]
        history: Option<HistoryExport>,
        now_ms: i64,
    },
    /// Opens the registry on stored history without reading it: the versions as listed, and the
    /// versions whose states the store's checkpoints hold. The module asks its host for
    /// operations and checkpoints ([`LoadRequest`]) when a request or a script first needs them.
    /// Answers `null`.
    OpenStored {
        versions: VersionList,
        #[serde(default)]
        #[cfg_attr(test, ts(as = "Option<Vec<VersionId>>", optional))]
        checkpoints: Vec<VersionId>,
    },
    /// Runs a script. Answers a [`RunResult`].
    Run(RunRequest),
    /// Answers the [`VersionList`].
    Versions,
    /// The entries at a version (head when none), filtered by criteria in text form
    /// (`.kind=service meta.environment=production`). Answers `Entry[]`.
    Entries {
        #[serde(default)]
        #[cfg_attr(test, ts(optional = nullable))]
        version: Option<VersionId>,
        #[serde(default)]
        #[cfg_attr(test, ts(optional = nullable))]
        filter: Option<String>,
    },
    /// The operations that turn version `from` into version `to`. Answers `Op[]`.
    Delta { from: VersionId, to: VersionId },
    /// Moves head to a version (rollback or forward). Answers `null`.
    ApplyVersion { version: VersionId },
    /// Answers the whole history in the export format ([`HistoryExport`]).
    Export,
    /// Replaces the registry with an exported history; on any error nothing changes.
    /// Answers `null`.
    Import { history: HistoryExport },
    /// Compiles a script without running it. Answers its first [`SyntaxError`], or `null`.
    Check { source: String },
}

impl Request {
    /// The request's `op`, for messages.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Open { .. } => "open",
            Request::OpenStored { .. } => "open_stored",
            Request::Run(_) => "run",
            Request::Versions => "versions",
            Request::Entries { .. } => "entries",
            Request::Delta { .. } => "delta",
            Request::ApplyVersion { .. } => "apply_version",
            Request::Export => "export",
            Request::Import { .. } => "import",
            Request::Check { .. } => "check",
        }
    }
}

/// One script run: the source, its chunk name, the current time and the limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunRequest {
    pub source: String,
    /// The chunk name in error messages; `script.lua` by default.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub chunk: Option<String>,
    /// Milliseconds since the Unix epoch: `os.time()` and the time of new versions.
    pub now_ms: i64,
    /// Stops the script after this many milliseconds of the host's clock; no limit by default.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub timeout_ms: Option<u64>,
    /// Luau's memory limit in bytes; `DEFAULT_MEMORY_LIMIT` (256 MiB) by default.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub memory_bytes: Option<usize>,
    /// What the run may hand back (printed output, returned values, error message) in bytes;
    /// `DEFAULT_OUTPUT_LIMIT` (1 MiB) by default.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub output_bytes: Option<usize>,
}

impl RunRequest {
    /// The chunk name, `script.lua` when the request names none.
    pub fn chunk(&self) -> &str {
        self.chunk.as_deref().unwrap_or("script.lua")
    }
}

/// The module's answer to a request: `{"ok": answer}` or `{"error": {kind, message}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response<T> {
    Ok(T),
    Error(ServiceError),
}

impl<T> From<Response<T>> for Result<T, ServiceError> {
    fn from(response: Response<T>) -> Self {
        match response {
            Response::Ok(answer) => Ok(answer),
            Response::Error(error) => Err(error),
        }
    }
}

impl<T> From<Result<T, ServiceError>> for Response<T> {
    fn from(result: Result<T, ServiceError>) -> Self {
        match result {
            Ok(answer) => Response::Ok(answer),
            Err(error) => Response::Error(error),
        }
    }
}

/// A failed request: its kind, and a message that names the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ServiceError {
    pub kind: FailureKind,
    pub message: String,
}

impl ServiceError {
    /// A request the module cannot read (not JSON, an unknown `op`, a missing field, ...).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::BadRequest,
            message: message.into(),
        }
    }

    /// A failure of the module itself (an answer it could not serialize, ...).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Internal,
            message: message.into(),
        }
    }
}

impl From<Error> for ServiceError {
    fn from(error: Error) -> Self {
        Self {
            kind: FailureKind::Registry(error.kind()),
            message: error.message().to_owned(),
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServiceError {}

/// Why a request failed: the registry refused it (one of [`ErrorKind`]'s names, such as
/// `version_not_found`), or the module could not handle the request at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum FailureKind {
    /// The request is not one of this protocol's.
    BadRequest,
    /// A request other than `open` came before the registry was opened.
    NotOpen,
    /// The module failed in a way that is not the request's fault.
    Internal,
    /// The registry refused the request.
    #[serde(untagged)]
    Registry(ErrorKind),
}

impl FailureKind {
    /// The kind's name on the wire (and the `name` of errors thrown to JavaScript).
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::BadRequest => "bad_request",
            FailureKind::NotOpen => "not_open",
            FailureKind::Internal => "internal",
            FailureKind::Registry(kind) => kind.name(),
        }
    }

    /// Whether the registry refused a valid request (an unknown version, a bad filter, an
    /// invalid history, ...), rather than the request or the module being at fault. The VM
    /// failing to start or to take a limit is the module's fault.
    pub fn is_refusal(self) -> bool {
        matches!(self, FailureKind::Registry(kind) if kind != ErrorKind::Vm)
    }
}

/// What a script run produced. `printed` is kept even when the script failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunOutput {
    /// Everything `print` wrote: arguments joined by tabs, one line per call.
    pub printed: String,
    /// The values the script returned, as JSON-able values (others as their `tostring`).
    #[cfg_attr(test, ts(type = "Array<unknown>"))]
    pub returned: Vec<Value>,
    /// Why the script stopped, if it failed.
    pub error: Option<ScriptError>,
}

/// A script failure, located by chunk name and line where Luau knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ScriptError {
    /// The chunk name the script ran as.
    pub chunk: String,
    /// The line in that chunk, when the error was raised from script code.
    pub line: Option<u32>,
    /// The message alone, without the location or the traceback.
    pub message: String,
    /// Luau's stack traceback, when there is one.
    pub traceback: Option<String>,
    /// Which of the run's limits stopped the script, if one did.
    pub limit: Option<Limit>,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.chunk, self.message),
            None => write!(f, "{}: {}", self.chunk, self.message),
        }
    }
}

impl std::error::Error for ScriptError {}

/// The first error Luau's parser or compiler finds in a script, located from where it starts to
/// where it ends: lines and columns from 1, columns counted in characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SyntaxError {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
}

/// A limit that stopped a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Limit {
    /// The run's time limit.
    Time,
    /// The run's memory limit.
    Memory,
    /// The run's output limit, exceeded by the returned values.
    Output,
}

/// What a run printed and returned, its error if any, and the head afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunResult {
    #[serde(flatten)]
    pub output: RunOutput,
    pub head: VersionId,
}

/// One version in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct VersionSummary {
    pub id: VersionId,
    pub parent: Option<VersionId>,
    /// When it was created, in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// How many operations made it.
    pub ops: usize,
}

/// Every version, ascending by id, and the head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct VersionList {
    pub head: VersionId,
    pub versions: Vec<VersionSummary>,
}

impl VersionList {
    /// The versions of `registry`.
    pub fn of(registry: &Registry) -> Self {
        Self {
            head: registry.head().id(),
            versions: registry
                .versions()
                .iter()
                .map(|v| VersionSummary {
                    id: v.id(),
                    parent: v.parent(),
                    time_ms: v.time_ms(),
                    ops: v.op_count(),
                })
                .collect(),
        }
    }
}

/// What a module opened on stored history ([`Request::OpenStored`]) asks its host for, as JSON
/// through the `registryLoad` import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "load", rename_all = "snake_case", deny_unknown_fields)]
pub enum LoadRequest {
    /// The bytes of the checkpoint of `version` ([`crate::encode_checkpoint`]'s format).
    Checkpoint { version: VersionId },
    /// The operations of these versions: a JSON array of their operation arrays, in this order.
    Ops { versions: Vec<VersionId> },
    /// Not a load: what was loaded since the last `loaded` is built (or failed to be), so the
    /// host can stop timing a load ([`crate::HistorySource::loaded`]). Answered with nothing.
    Loaded,
}

/// A change a script made, or text it printed, reported while it runs (before the script goes
/// on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RegistryEvent"))]
pub enum Event {
    /// A version was committed and is now head.
    Committed { version: VersionRecord },
    /// Head moved to an existing version.
    HeadMoved { head: VersionId },
    /// `print` wrote this text (what the output limit kept of it); it is also in the run's
    /// `printed`.
    Printed { text: String },
}

/// A committed version's record needs its operations, which a version made by a script always
/// holds (only stored versions load theirs).
#[cfg(feature = "lua")]
impl TryFrom<&crate::RegistryEvent<'_>> for Event {
    type Error = Error;

    fn try_from(event: &crate::RegistryEvent<'_>) -> Result<Self, Error> {
        Ok(match event {
            crate::RegistryEvent::Committed(version) => Event::Committed {
                version: version.record()?,
            },
            crate::RegistryEvent::HeadMoved(head) => Event::HeadMoved { head: *head },
            crate::RegistryEvent::Printed(text) => Event::Printed {
                text: (*text).to_owned(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn requests_are_snake_case_and_tagged_by_op() {
        let run: Request = serde_json::from_value(json!({
            "op": "run", "source": "return 1", "now_ms": 5, "timeout_ms": 100
        }))
        .expect("a run request");
        assert_eq!(
            run,
            Request::Run(RunRequest {
                source: "return 1".into(),
                chunk: None,
                now_ms: 5,
                timeout_ms: Some(100),
                memory_bytes: None,
                output_bytes: None,
            })
        );
        assert_eq!(
            serde_json::to_value(Request::ApplyVersion { version: 3 }).expect("serializes"),
            json!({"op": "apply_version", "version": 3})
        );
        let camel =
            serde_json::from_value::<Request>(json!({"op": "run", "source": "", "nowMs": 5}));
        assert_eq!(
            camel.map_err(|e| e.to_string()),
            Err(
                "unknown field `nowMs`, expected one of `source`, `chunk`, `now_ms`, \
                 `timeout_ms`, `memory_bytes`, `output_bytes`"
                    .into()
            )
        );
    }

    #[test]
    fn every_error_keeps_its_kind_across_the_wire() {
        let refused = ServiceError::from(crate::history::version_not_found(9));
        let wire =
            serde_json::to_value(Response::<()>::Error(refused.clone())).expect("serializes");
        assert_eq!(
            wire,
            json!({"error": {"kind": "version_not_found", "message": "version not found: 9"}})
        );
        let back: Response<()> = serde_json::from_value(wire).expect("deserializes");
        assert_eq!(back, Response::Error(refused));
        for (kind, name, refusal) in [
            (FailureKind::BadRequest, "bad_request", false),
            (FailureKind::NotOpen, "not_open", false),
            (FailureKind::Internal, "internal", false),
            (FailureKind::Registry(ErrorKind::Conflict), "conflict", true),
            (FailureKind::Registry(ErrorKind::Vm), "vm", false),
        ] {
            assert_eq!(serde_json::to_value(kind).expect("serializes"), json!(name));
            assert_eq!(kind.name(), name);
            let read: FailureKind = serde_json::from_value(json!(name)).expect("deserializes");
            assert_eq!((read, read.is_refusal()), (kind, refusal));
        }
        assert!(serde_json::from_value::<FailureKind>(json!("exploded")).is_err());
    }

    #[test]
    fn run_results_flatten_the_output_beside_the_head() {
        let result = RunResult {
            output: RunOutput {
                printed: "hi\n".into(),
                returned: vec![Value::Integer(1)],
                error: Some(ScriptError {
                    chunk: "s.lua".into(),
                    line: Some(3),
                    message: "boom".into(),
                    traceback: None,
                    limit: Some(Limit::Time),
                }),
            },
            head: 2,
        };
        let wire = serde_json::to_value(&result).expect("serializes");
        assert_eq!(
            wire,
            json!({"printed": "hi\n", "returned": [1], "error": {
                "chunk": "s.lua", "line": 3, "message": "boom", "traceback": null, "limit": "time"
            }, "head": 2})
        );
        assert_eq!(serde_json::from_value::<RunResult>(wire).ok(), Some(result));
    }

    #[test]
    fn script_errors_print_with_their_location() {
        let error = |line| ScriptError {
            chunk: "s.lua".to_owned(),
            line,
            message: "boom".to_owned(),
            traceback: None,
            limit: None,
        };
        assert_eq!(error(Some(3)).to_string(), "s.lua:3: boom");
        assert_eq!(error(None).to_string(), "s.lua: boom");
    }

    /// Where the generated declarations live, and how to regenerate them.
    const TYPESCRIPT: &str = "typescript/protocol.ts";
    const REGENERATE: &str = "REGISTRY_WRITE_TYPESCRIPT";

    /// `export type Name = ...;` with its doc comment.
    fn declaration<T: ts_rs::TS>(cfg: &ts_rs::Config) -> String {
        format!("{}export {}\n", T::docs().unwrap_or_default(), T::decl(cfg))
    }

    #[test]
    fn the_typescript_declarations_are_generated_from_these_types() {
        use crate::{Entry, EntryId, HistoryExport, Op, VersionRecord};
        // Every number on the wire is a JavaScript number (version ids stay far below 2^53).
        let cfg = ts_rs::Config::new().with_large_int("number");
        let declarations = [
            declaration::<Request>(&cfg),
            declaration::<RunRequest>(&cfg),
            declaration::<RunResult>(&cfg),
            declaration::<RunOutput>(&cfg),
            declaration::<ScriptError>(&cfg),
            declaration::<Limit>(&cfg),
            declaration::<SyntaxError>(&cfg),
            declaration::<VersionList>(&cfg),
            declaration::<VersionSummary>(&cfg),
            declaration::<Entry>(&cfg),
            declaration::<EntryId>(&cfg),
            declaration::<Op>(&cfg),
            declaration::<HistoryExport>(&cfg),
            declaration::<VersionRecord>(&cfg),
            declaration::<Event>(&cfg),
            declaration::<ServiceError>(&cfg),
            declaration::<FailureKind>(&cfg),
            declaration::<ErrorKind>(&cfg),
        ];
        let text = format!(
            "// Generated by registry-core's test `{}` from the types of\n\
             // registry-core/src/protocol.rs; do not edit. To regenerate:\n\
             // {REGENERATE}=1 cargo test -p registry-core --lib typescript\n\n{}",
            "the_typescript_declarations_are_generated_from_these_types",
            declarations.join("\n")
        );
        let text: String = text
            .lines()
            .map(|line| line.trim_end().to_owned() + "\n")
            .collect();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TYPESCRIPT);
        if std::env::var_os(REGENERATE).is_some() {
            std::fs::write(&path, &text).expect("the declarations are written");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is stale: regenerate it with `{REGENERATE}=1 cargo test -p registry-core --lib \
             typescript`",
            path.display()
        );
    }
}
