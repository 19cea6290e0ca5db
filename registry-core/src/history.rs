//! Versions and the registry that holds them: a tree of versions, each keeping its own state.
//!
//! Version 0 is the empty root. Each applied changeset creates version max+1 whose parent is the
//! current head; `apply_version` moves head anywhere, so applying after a rollback starts a branch.
//! Every version keeps its persistent [`State`], so reading any version never replays history.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::entry::Op;
use crate::error::{Error, ErrorKind, Result};
use crate::id::EntryId;
use crate::protocol::VersionSummary;
use crate::state::State;

/// A version number. Version 0 is the empty root.
pub type VersionId = u64;

/// Where a registry opened on stored history ([`Registry::open`]) reads what it has not loaded:
/// versions' operations and checkpoints' states. A front end implements it over its store;
/// whatever it hands back is checked as an import is.
pub trait HistorySource {
    /// The operations of each of `versions`, in the order asked.
    fn ops(&self, versions: &[VersionId]) -> Result<Vec<Vec<Op>>>;
    /// The state of `version`, one of the checkpoints' versions (see [`Registry::open`]).
    fn checkpoint(&self, version: VersionId) -> Result<State>;
    /// Called when what was asked since the last call (operations, checkpoints) is loaded and
    /// built into the state or operations a caller wanted, or failed to: a front end can time
    /// loading apart from the work that needed it.
    fn loaded(&self) {}
}

/// A stored history's source, and the versions whose states its checkpoints hold.
struct Loader {
    source: Box<dyn HistorySource>,
    checkpoints: BTreeSet<VersionId>,
}

/// One version: where it came from, when, what it changed, and the state it produced. A version
/// of a registry opened on stored history loads its operations and state when first asked, then
/// keeps them.
pub struct Version {
    id: VersionId,
    parent: Option<Rc<Version>>,
    time_ms: i64,
    op_count: usize,
    ops: OnceCell<Rc<[Op]>>,
    state: OnceCell<State>,
    loader: Option<Rc<Loader>>,
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Version")
            .field("id", &self.id)
            .field("parent", &self.parent())
            .field("time_ms", &self.time_ms)
            .field("ops", &self.ops.get())
            .field("state", &self.state.get())
            .finish_non_exhaustive()
    }
}

impl Drop for Version {
    // Unlinks the chain of parents one by one: dropping a long chain recursively would overflow
    // the stack.
    fn drop(&mut self) {
        let mut parent = self.parent.take();
        while let Some(version) = parent {
            parent = match Rc::try_unwrap(version) {
                Ok(mut version) => version.parent.take(),
                Err(_) => None,
            };
        }
    }
}

impl Version {
    /// The version number.
    pub fn id(&self) -> VersionId {
        self.id
    }

    /// The version this one was applied on; `None` only for version 0.
    pub fn parent(&self) -> Option<VersionId> {
        self.parent.as_ref().map(|parent| parent.id)
    }

    /// When it was created, in milliseconds since the Unix epoch (from the caller's clock).
    pub fn time_ms(&self) -> i64 {
        self.time_ms
    }

    /// How many operations produced it (known without loading them).
    pub fn op_count(&self) -> usize {
        self.op_count
    }

    /// The operations that produced it from its parent; loaded from the history's source when
    /// first asked.
    pub fn ops(&self) -> Result<&Rc<[Op]>> {
        if self.ops.get().is_none() {
            self.loading(|| self.load_ops(&[self]))?;
        }
        self.ops.get().ok_or_else(|| unloaded(self.id))
    }

    /// The registry's contents at this version. A version of stored history builds its state
    /// when first asked, from the nearest ancestor whose state is known or checkpointed and the
    /// operations since, and keeps it: later calls are O(1).
    pub fn state(&self) -> Result<&State> {
        if self.state.get().is_none() {
            self.loading(|| self.materialize())?;
        }
        self.state.get().ok_or_else(|| unloaded(self.id))
    }

    /// The version as recorded in an export: id, parent, time and operations.
    pub fn record(&self) -> Result<VersionRecord> {
        Ok(VersionRecord {
            id: self.id,
            parent: self.parent(),
            time_ms: self.time_ms,
            ops: self.ops()?.to_vec(),
        })
    }

    /// Runs `load`, then tells the source that it is done ([`HistorySource::loaded`]).
    fn loading(&self, load: impl FnOnce() -> Result<()>) -> Result<()> {
        let result = load();
        if let Some(loader) = &self.loader {
            loader.source.loaded();
        }
        result
    }

    fn materialize(&self) -> Result<()> {
        // The versions to build, from this one up to (not including) a known state.
        let mut chain = Vec::new();
        let mut at = self;
        let base = loop {
            if let Some(state) = at.state.get() {
                break state.clone();
            }
            if let Some(loader) = at
                .loader
                .as_ref()
                .filter(|l| l.checkpoints.contains(&at.id))
            {
                let state = loader.source.checkpoint(at.id)?;
                let _ = at.state.set(state.clone());
                break state;
            }
            chain.push(at);
            at = at.parent.as_deref().ok_or_else(|| unloaded(at.id))?;
        };
        let missing: Vec<&Version> = chain
            .iter()
            .rev()
            .copied()
            .filter(|v| v.ops.get().is_none())
            .collect();
        if !missing.is_empty() {
            self.load_ops(&missing)?;
        }
        let mut state = base;
        for version in chain.iter().rev() {
            for op in version
                .ops
                .get()
                .ok_or_else(|| unloaded(version.id))?
                .iter()
            {
                state.apply(op).map_err(|error| {
                    Error::new(
                        ErrorKind::InvalidHistory,
                        format!("the stored v{} does not apply: {error}", version.id),
                    )
                })?;
            }
        }
        let _ = self.state.set(state);
        Ok(())
    }

    /// Loads the operations of `versions` (all of this history) in one request to the source.
    fn load_ops(&self, versions: &[&Version]) -> Result<()> {
        let loader = self.loader.as_ref().ok_or_else(|| unloaded(self.id))?;
        let ids: Vec<VersionId> = versions.iter().map(|v| v.id).collect();
        let lists = loader.source.ops(&ids)?;
        if lists.len() != versions.len() {
            return Err(Error::new(
                ErrorKind::InvalidHistory,
                format!(
                    "the history's source gave {} operation lists for {} versions",
                    lists.len(),
                    versions.len()
                ),
            ));
        }
        for (version, ops) in versions.iter().zip(lists) {
            if ops.len() != version.op_count {
                return Err(Error::new(
                    ErrorKind::InvalidHistory,
                    format!(
                        "the stored v{} has {} operations, its listing says {}",
                        version.id,
                        ops.len(),
                        version.op_count
                    ),
                ));
            }
            let _ = version.ops.set(Rc::from(ops));
        }
        Ok(())
    }
}

/// A version whose data neither is loaded nor can be (no source): a bug, named rather than a
/// panic.
fn unloaded(id: VersionId) -> Error {
    Error::new(
        ErrorKind::InvalidHistory,
        format!("v{id} is not loaded and its history has no source"),
    )
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.id)
    }
}

/// The whole registry: every version and the head. A clone shares the versions.
#[derive(Debug, Clone)]
pub struct Registry {
    versions: Vec<Rc<Version>>,
    head: VersionId,
}

impl Drop for Registry {
    // Versions drop newest first, so that each one's parent is still held by the list.
    fn drop(&mut self) {
        while self.versions.pop().is_some() {}
    }
}

impl Registry {
    /// A registry holding only the empty root version, created at `time_ms`.
    pub fn new(time_ms: i64) -> Self {
        let root = Version {
            id: 0,
            parent: None,
            time_ms,
            op_count: 0,
            ops: OnceCell::from(Rc::from(Vec::new())),
            state: OnceCell::from(State::default()),
            loader: None,
        };
        Self {
            versions: vec![Rc::new(root)],
            head: 0,
        }
    }

    /// A registry over stored history: the versions as listed (ascending from v0, with parents,
    /// times and op counts) and the head. Nothing else is read until it is needed: operations
    /// and states are loaded from `source` when first asked, a state from the nearest ancestor
    /// whose state is known or is one of `checkpoints` (the versions whose states the source
    /// holds), so never from v0 when a checkpoint lies on the way. The listing is checked as an
    /// import checks it.
    pub fn open(
        listing: &[VersionSummary],
        head: VersionId,
        checkpoints: &[VersionId],
        source: Box<dyn HistorySource>,
    ) -> Result<Self> {
        let invalid = |message: String| Error::new(ErrorKind::InvalidHistory, message);
        let mut summaries = listing.iter();
        let root = summaries
            .next()
            .ok_or_else(|| invalid("history has no versions".into()))?;
        if root.id != 0 || root.parent.is_some() || root.ops != 0 {
            return Err(invalid(
                "the first version must be v0, the empty root, with no parent and no ops".into(),
            ));
        }
        let mut registry = Self::new(root.time_ms);
        let loader = Rc::new(Loader {
            source,
            checkpoints: checkpoints.iter().copied().collect(),
        });
        for summary in summaries {
            let (id, parent) = registry.next_link(summary.id, summary.parent)?;
            if summary.ops == 0 {
                return Err(invalid(format!("v{id}: a version has operations")));
            }
            registry.versions.push(Rc::new(Version {
                id,
                parent: Some(Rc::clone(&registry.versions[index(parent)])),
                time_ms: summary.time_ms,
                op_count: summary.ops,
                ops: OnceCell::new(),
                state: OnceCell::new(),
                loader: Some(Rc::clone(&loader)),
            }));
        }
        for &checkpoint in checkpoints {
            registry.version(checkpoint).map_err(|_| {
                invalid(format!(
                    "the checkpoint's v{checkpoint} is not a version of this history"
                ))
            })?;
        }
        registry
            .apply_version(head)
            .map_err(|_| invalid(format!("head v{head} is not a version of this history")))?;
        Ok(registry)
    }

    /// The current version.
    pub fn head(&self) -> &Rc<Version> {
        &self.versions[index(self.head)]
    }

    /// Every version, ascending by id, version 0 included.
    pub fn versions(&self) -> &[Rc<Version>] {
        &self.versions
    }

    /// The version with this id, or `version not found: N`.
    pub fn version(&self, id: VersionId) -> Result<&Rc<Version>> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.versions.get(i))
            .ok_or_else(|| version_not_found(id))
    }

    /// Applies a changeset prepared on `base` to head, atomically: on any error nothing changes.
    ///
    /// Like Kubernetes' resourceVersion check: if a version after `base` changed an id the
    /// changeset touches, it fails with a conflict; changes to other ids do not conflict.
    pub fn apply(&mut self, base: VersionId, ops: &[Op], time_ms: i64) -> Result<&Rc<Version>> {
        if ops.is_empty() {
            return Err(Error::new(ErrorKind::NoChanges, "no changes to apply"));
        }
        let base_state = self.version(base)?.state()?;
        let head = self.head();
        let head_state = head.state()?;
        if base != head.id {
            // The least id that changed, so that the error is the same whatever the ops' order.
            let changed = ops.iter().map(Op::id).filter(|&id| {
                match (base_state.get(id), head_state.get(id)) {
                    (None, None) => false,
                    (Some(a), Some(b)) => !Rc::ptr_eq(a, b),
                    _ => true,
                }
            });
            if let Some(id) = changed.min() {
                return Err(self.conflict(id, base));
            }
        }
        let mut state = head_state.clone();
        for op in ops {
            state.apply(op)?;
        }
        let version = Version {
            id: self.next_id(),
            parent: Some(Rc::clone(head)),
            time_ms,
            op_count: ops.len(),
            ops: OnceCell::from(Rc::from(ops)),
            state: OnceCell::from(state),
            loader: None,
        };
        self.head = version.id;
        self.versions.push(Rc::new(version));
        Ok(self.head())
    }

    /// Checks that a recorded version with `id` and `parent` can be the next one: the next id,
    /// an earlier version as parent. Answers both.
    fn next_link(
        &self,
        id: VersionId,
        parent: Option<VersionId>,
    ) -> Result<(VersionId, VersionId)> {
        let invalid = |message: String| Error::new(ErrorKind::InvalidHistory, message);
        let next = self.next_id();
        if id != next {
            return Err(invalid(format!(
                "version ids must be consecutive from 0: expected v{next}, found v{id}"
            )));
        }
        let parent = parent
            .filter(|&p| p < next)
            .ok_or_else(|| invalid(format!("v{next}: parent must be an earlier version")))?;
        Ok((next, parent))
    }

    /// Adds a version recorded elsewhere (in an export, or reported by another copy of the
    /// registry) and moves head to it, checked as an import checks it: the next id, an earlier
    /// version as parent, operations that apply to the parent's state. On an error
    /// (`invalid_history`, naming the version) nothing changes.
    pub fn append(&mut self, record: &VersionRecord) -> Result<&Rc<Version>> {
        let invalid = |message: String| Error::new(ErrorKind::InvalidHistory, message);
        let (id, parent) = self.next_link(record.id, record.parent)?;
        let head = std::mem::replace(&mut self.head, parent);
        if let Err(error) = self.apply(parent, &record.ops, record.time_ms) {
            self.head = head;
            return Err(invalid(format!("v{id}: {error}")));
        }
        Ok(self.head())
    }

    /// The operations that turn version `from` into version `to` (see [`State::delta`]).
    pub fn delta(&self, from: VersionId, to: VersionId) -> Result<Vec<Op>> {
        Ok(self
            .version(from)?
            .state()?
            .delta(self.version(to)?.state()?))
    }

    /// Moves head to an existing version (rollback or forward). Creates no version.
    pub fn apply_version(&mut self, id: VersionId) -> Result<()> {
        self.version(id)?;
        self.head = id;
        Ok(())
    }

    /// The child of version `id` on the way to head when head descends from it; otherwise its
    /// newest child; `None` when it has no child.
    pub fn next(&self, id: VersionId) -> Option<VersionId> {
        let mut toward_head = None;
        let mut at = Some(self.head);
        // Ancestors have smaller ids than their descendants, so the walk stops below `id`.
        while let Some(version) = at.filter(|&v| v >= id) {
            if version == id {
                if toward_head.is_some() {
                    return toward_head;
                }
                break;
            }
            toward_head = Some(version);
            at = self.parent_of(version);
        }
        self.versions
            .iter()
            .rev()
            .find(|version| version.parent() == Some(id))
            .map(|version| version.id)
    }

    fn next_id(&self) -> VersionId {
        self.versions.len() as VersionId
    }

    fn parent_of(&self, id: VersionId) -> Option<VersionId> {
        self.versions[index(id)].parent()
    }

    /// Names the version that made a changeset on `base` stale for `id`: the latest version on
    /// head's side of the tree (since the common ancestor with `base`) that touched `id`.
    fn conflict(&self, id: &EntryId, base: VersionId) -> Error {
        let (mut ours, mut theirs) = (Some(self.head), Some(base));
        // A child's id is always greater than its parent's, so walking up the greater side meets
        // the common ancestor.
        while let (Some(a), Some(b)) = (ours, theirs) {
            if a == b {
                break;
            }
            if a > b {
                let ops = match self.versions[index(a)].ops() {
                    Ok(ops) => ops,
                    Err(error) => return error,
                };
                if ops.iter().any(|op| op.id() == id) {
                    return Error::new(
                        ErrorKind::Conflict,
                        format!("conflict: {id} was changed in v{a} after snapshot v{base}"),
                    )
                    .with("id", id.as_str())
                    .with("version", a)
                    .with("snapshot", base);
                }
                ours = self.parent_of(a);
            } else {
                theirs = self.parent_of(b);
            }
        }
        Error::new(
            ErrorKind::Conflict,
            format!(
                "conflict: {id} at head v{} differs from snapshot v{base} (head was moved with apply_version)",
                self.head
            ),
        )
        .with("id", id.as_str())
        .with("head", self.head)
        .with("snapshot", base)
    }

    /// The whole history in the stable export format.
    pub fn export(&self) -> Result<HistoryExport> {
        // Every operation not loaded yet, in one request to the source.
        let missing: Vec<&Version> = self
            .versions
            .iter()
            .map(|version| &**version)
            .filter(|version| version.ops.get().is_none())
            .collect();
        if let Some(first) = missing.first() {
            first.loading(|| first.load_ops(&missing))?;
        }
        Ok(HistoryExport::new(
            self.head,
            self.versions
                .iter()
                .map(|v| v.record())
                .collect::<Result<_>>()?,
        ))
    }

    /// Rebuilds a registry from an export, checking everything; nothing is loaded half-way.
    pub fn import(export: HistoryExport) -> Result<Self> {
        let invalid = |message: String| Error::new(ErrorKind::InvalidHistory, message);
        check_format(&export.format, export.format_version)?;
        let mut records = export.versions.into_iter();
        let root = records
            .next()
            .ok_or_else(|| invalid("history has no versions".into()))?;
        if root.id != 0 || root.parent.is_some() || !root.ops.is_empty() {
            return Err(invalid(
                "the first version must be v0, the empty root, with no parent and no ops".into(),
            ));
        }
        let mut registry = Self::new(root.time_ms);
        for record in records {
            registry.append(&record)?;
        }
        registry.apply_version(export.head).map_err(|_| {
            invalid(format!(
                "head v{} is not a version of this history",
                export.head
            ))
        })?;
        Ok(registry)
    }

    /// [`Registry::export`] as JSON text.
    pub fn to_json(&self) -> Result<String> {
        // Every map key in the export is a string, so serializing cannot fail.
        Ok(serde_json::to_string(&self.export()?).expect("a history always serializes"))
    }

    /// [`Registry::import`] from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidHistory,
                format!("invalid history JSON: {e}"),
            )
        })?;
        Self::import(HistoryExport::from_value(value)?)
    }
}

fn index(id: VersionId) -> usize {
    usize::try_from(id).unwrap_or(usize::MAX)
}

pub(crate) fn version_not_found(id: VersionId) -> Error {
    Error::new(
        ErrorKind::VersionNotFound,
        format!("version not found: {id}"),
    )
    .with("version", id)
}

/// The name of the history export format ([`HistoryExport::format`]).
pub const FORMAT_NAME: &str = "luau-registry-history";
/// The version of the export format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A version number given as a double (Lua and JavaScript numbers): a whole number >= 0, else
/// `invalid version id N: expected a whole number >= 0`.
pub fn version_id_from_number(number: f64) -> Result<VersionId> {
    if number.fract() != 0.0 || number < 0.0 || !number.is_finite() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid version id {number}: expected a whole number >= 0"),
        ));
    }
    // Whole and not negative: the cast is exact up to 2^53 and saturates beyond, where no
    // version exists either.
    Ok(number as VersionId)
}

/// Refuses other formats and other versions of this one, before anything else is read.
fn check_format(format: &str, version: u32) -> Result<()> {
    let invalid = |message: String| Err(Error::new(ErrorKind::InvalidHistory, message));
    if format != FORMAT_NAME {
        return invalid(format!(
            "not a registry history: format is {format:?}, expected {FORMAT_NAME:?}"
        ));
    }
    if version != FORMAT_VERSION {
        return invalid(format!(
            "history format version {version} is not supported (this build reads version {FORMAT_VERSION})"
        ));
    }
    Ok(())
}

impl HistoryExport {
    /// An export in this build's format of `versions` (ascending from v0) with `head`.
    pub fn new(head: VersionId, versions: Vec<VersionRecord>) -> Self {
        Self {
            format: FORMAT_NAME.to_owned(),
            format_version: FORMAT_VERSION,
            head,
            versions,
        }
    }

    /// Reads an export from a JSON value: the format is checked first, and a malformed version
    /// record is named by its position (`versions[2]: unknown variant ...`).
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Envelope {
            format: String,
            format_version: u32,
            head: VersionId,
            versions: Vec<serde_json::Value>,
        }
        let invalid = |message: String| Error::new(ErrorKind::InvalidHistory, message);
        // The format first: a newer version may be shaped in ways this build cannot read.
        let format = value.get("format").and_then(serde_json::Value::as_str);
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64);
        match (format, version.and_then(|v| u32::try_from(v).ok())) {
            (Some(format), Some(version)) => check_format(format, version)?,
            _ => {
                return Err(invalid(
                    "invalid history: expected an object with format and format_version".into(),
                ));
            }
        }
        let envelope: Envelope =
            serde_json::from_value(value).map_err(|e| invalid(format!("invalid history: {e}")))?;
        let versions = envelope
            .versions
            .into_iter()
            .enumerate()
            .map(|(position, record)| {
                serde_json::from_value(record)
                    .map_err(|e| invalid(format!("invalid history: versions[{position}]: {e}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            format: envelope.format,
            format_version: envelope.format_version,
            head: envelope.head,
            versions,
        })
    }
}

/// The stable, versioned export of a whole history (JSON via serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HistoryExport {
    /// Always `luau-registry-history`.
    pub format: String,
    /// The format's version; readers refuse versions they do not know.
    pub format_version: u32,
    /// The head version.
    pub head: VersionId,
    /// Every version, ascending by id from 0.
    pub versions: Vec<VersionRecord>,
}

/// One version in an export: its parent, time and operations (states are rebuilt on import).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct VersionRecord {
    pub id: VersionId,
    pub parent: Option<VersionId>,
    pub time_ms: i64,
    pub ops: Vec<Op>,
}
