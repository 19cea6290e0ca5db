//! The operations both front ends offer, over one runner. JavaScript reaches them through
//! [`crate::js`], wasmtime through [`crate::ffi`]; each only translates values.

use registry_core::protocol::{
    DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_LIMIT, RunRequest, RunResult, ServiceError, SyntaxError,
    VersionList,
};
use std::rc::Rc;

use registry_core::{
    Clock, Criteria, Entry, EntryId, EventListener, HistoryExport, HistorySource, Op, Registry,
    Runner, Version, VersionId,
};
use serde::Serialize;

pub type ServiceResult<T> = Result<T, ServiceError>;

/// A page of the entries that match a filter, and how many match in all.
#[derive(Debug, Serialize)]
pub struct EntryPage {
    pub entries: Vec<Entry>,
    pub total: usize,
}

/// One registry and its Luau runner.
pub struct Service {
    runner: Runner,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("runner", &self.runner)
            .finish()
    }
}

impl Service {
    /// A service over `history` (or an empty registry created at `now_ms`), timing runs with `clock`.
    pub fn open(history: Option<HistoryExport>, now_ms: i64, clock: Clock) -> ServiceResult<Self> {
        crate::host::init();
        let registry = match history {
            Some(history) => Registry::import(history)?,
            None => Registry::new(now_ms),
        };
        let mut runner = Runner::new(registry)?;
        runner.set_clock(clock);
        Ok(Self { runner })
    }

    /// A service over stored history, read from `source` as it is needed (see
    /// [`Registry::open`]).
    pub fn open_stored(
        versions: &VersionList,
        checkpoints: &[VersionId],
        source: Box<dyn HistorySource>,
        clock: Clock,
    ) -> ServiceResult<Self> {
        crate::host::init();
        let registry = Registry::open(&versions.versions, versions.head, checkpoints, source)?;
        let mut runner = Runner::new(registry)?;
        runner.set_clock(clock);
        Ok(Self { runner })
    }

    /// Lets runs re-enter Luau's interpreter, for engines that swap in optimized code only at
    /// a function's next call ([`Runner::set_interpreter_reentry`]): JavaScript's. wasmtime
    /// compiles the module once, fully, so its host leaves this off.
    pub fn set_interpreter_reentry(&mut self, on: bool) {
        self.runner.set_interpreter_reentry(on);
    }

    /// Reports every commit and head move made by scripts, as it happens.
    pub fn set_event_listener(&mut self, listener: Option<EventListener>) {
        self.runner.set_event_listener(listener);
    }

    /// Runs a script with the request's limits.
    pub fn run(&mut self, request: &RunRequest) -> ServiceResult<RunResult> {
        self.runner.set_time_limit(request.timeout_ms);
        self.runner
            .set_memory_limit(request.memory_bytes.unwrap_or(DEFAULT_MEMORY_LIMIT))?;
        self.runner
            .set_output_limit(request.output_bytes.unwrap_or(DEFAULT_OUTPUT_LIMIT));
        let output = self
            .runner
            .run(&request.source, request.chunk(), request.now_ms);
        Ok(RunResult {
            output,
            head: self.runner.registry().head().id(),
        })
    }

    /// The script's first syntax or compile error, found without running it.
    pub fn check(&self, source: &str) -> Option<SyntaxError> {
        registry_core::check_syntax(source)
    }

    /// Every version with its parent, time and number of operations.
    pub fn versions(&self) -> VersionList {
        VersionList::of(&self.runner.registry())
    }

    /// The entries at a version (head if none), optionally filtered by criteria in text form
    /// (`.kind=service meta.environment=production`).
    pub fn entries(
        &self,
        version: Option<VersionId>,
        filter: Option<&str>,
    ) -> ServiceResult<Vec<Entry>> {
        Ok(self.entries_page(version, filter, 0, usize::MAX)?.entries)
    }

    /// [`Service::entries`] from the `offset`th match on, at most `limit` of them, and how many
    /// match in all: only the entries of the page are copied.
    pub fn entries_page(
        &self,
        version: Option<VersionId>,
        filter: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> ServiceResult<EntryPage> {
        let criteria = Criteria::parse_query(filter.unwrap_or(""))?;
        let found = self.version(version)?.state()?.find(&criteria);
        Ok(EntryPage {
            total: found.len(),
            entries: found
                .iter()
                .skip(offset)
                .take(limit)
                .map(|e| (**e).clone())
                .collect(),
        })
    }

    /// The entries with these ids at a version (head if none), in the order of `ids`; ids it
    /// does not hold (or that are not ids) are left out.
    pub fn entries_with_ids(
        &self,
        version: Option<VersionId>,
        ids: &[String],
    ) -> ServiceResult<Vec<Entry>> {
        let version = self.version(version)?;
        let state = version.state()?;
        Ok(ids
            .iter()
            .filter_map(|id| EntryId::parse(id).ok())
            .filter_map(|id| state.get(&id).map(|e| (**e).clone()))
            .collect())
    }

    /// A version, or head if none.
    fn version(&self, version: Option<VersionId>) -> ServiceResult<Rc<Version>> {
        let registry = self.runner.registry();
        Ok(Rc::clone(match version {
            Some(id) => registry.version(id)?,
            None => registry.head(),
        }))
    }

    /// The operations that turn version `from` into version `to`.
    pub fn delta(&self, from: VersionId, to: VersionId) -> ServiceResult<Vec<Op>> {
        Ok(self.runner.registry().delta(from, to)?)
    }

    /// Moves head to a version (rollback or forward).
    pub fn apply_version(&mut self, version: VersionId) -> ServiceResult<()> {
        Ok(self.runner.registry_mut().apply_version(version)?)
    }

    /// The whole history in the core's export format.
    pub fn export(&self) -> ServiceResult<HistoryExport> {
        Ok(self.runner.registry().export()?)
    }

    /// Replaces the registry with an exported history; on any error nothing changes.
    pub fn import(&mut self, history: HistoryExport) -> ServiceResult<()> {
        let registry = Registry::import(history)?;
        *self.runner.registry_mut() = registry;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use registry_core::protocol::{Event, FailureKind};
    use registry_core::{ErrorKind, FORMAT_VERSION};

    use super::*;

    fn service() -> Service {
        Service::open(None, 1_000, Box::new(|| 0.0)).expect("service opens")
    }

    fn run(service: &mut Service, source: &str) -> RunResult {
        let request = RunRequest {
            source: source.to_owned(),
            chunk: Some("t.lua".to_owned()),
            now_ms: 5_000,
            timeout_ms: None,
            memory_bytes: None,
            output_bytes: None,
        };
        service.run(&request).expect("limits are valid")
    }

    const SEED: &str = "local r = require('registry')
        r.snapshot():changes():create({id = 'svc:a', kind = 'service', meta = {env = 'prod'}})
            :create({id = 'cfg:b', kind = 'config'}):apply()
        r.snapshot():changes():delete('cfg:b'):apply()";

    #[test]
    fn lists_versions_with_parents_times_and_op_counts() {
        let mut service = service();
        assert_eq!(run(&mut service, SEED).head, 2);
        let list = service.versions();
        assert_eq!(list.head, 2);
        let summary: Vec<_> = list
            .versions
            .iter()
            .map(|v| (v.id, v.parent, v.time_ms, v.ops))
            .collect();
        assert_eq!(
            summary,
            [
                (0, None, 1_000, 0),
                (1, Some(0), 5_000, 2),
                (2, Some(1), 5_000, 1)
            ]
        );
    }

    #[test]
    fn reads_entries_at_a_version_with_a_filter() -> ServiceResult<()> {
        let mut service = service();
        run(&mut service, SEED);
        let ids =
            |entries: Vec<Entry>| entries.iter().map(|e| e.id.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(service.entries(Some(1), None)?), ["cfg:b", "svc:a"]);
        assert_eq!(ids(service.entries(None, None)?), ["svc:a"]);
        assert_eq!(
            ids(service.entries(Some(1), Some(".kind=config"))?),
            ["cfg:b"]
        );
        assert_eq!(
            service.entries(Some(9), None).map(|_| ()),
            Err(ServiceError {
                kind: FailureKind::Registry(ErrorKind::VersionNotFound),
                message: "version not found: 9".into()
            })
        );
        assert_eq!(
            service.entries(None, Some(".kind")).map_err(|e| e.kind),
            Err(FailureKind::Registry(ErrorKind::InvalidCriteria))
        );
        Ok(())
    }

    #[test]
    fn reads_a_page_of_entries_and_entries_by_id() -> ServiceResult<()> {
        let mut service = service();
        run(&mut service, SEED);
        let ids = |entries: &[Entry]| entries.iter().map(|e| e.id.to_string()).collect::<Vec<_>>();
        let page = service.entries_page(Some(1), None, 1, 5)?;
        assert_eq!(
            (ids(&page.entries), page.total),
            (vec!["svc:a".to_owned()], 2)
        );
        let page = service.entries_page(Some(1), None, 0, 1)?;
        assert_eq!(
            (ids(&page.entries), page.total),
            (vec!["cfg:b".to_owned()], 2)
        );
        let page = service.entries_page(Some(1), Some(".kind=config"), 5, 5)?;
        assert_eq!((page.entries.len(), page.total), (0, 1));
        let wanted = ["svc:a", "cfg:b", "gone:x", "no id"].map(String::from);
        assert_eq!(
            ids(&service.entries_with_ids(Some(1), &wanted)?),
            ["svc:a", "cfg:b"]
        );
        assert_eq!(ids(&service.entries_with_ids(None, &wanted)?), ["svc:a"]);
        assert_eq!(
            service
                .entries_with_ids(Some(9), &wanted)
                .map_err(|e| e.kind),
            Err(FailureKind::Registry(ErrorKind::VersionNotFound))
        );
        Ok(())
    }

    #[test]
    fn diffs_checks_out_exports_and_imports() -> ServiceResult<()> {
        let mut service = service();
        run(&mut service, SEED);
        let delta = serde_json::to_value(service.delta(1, 2)?).expect("ops serialize");
        assert_eq!(
            delta,
            serde_json::json!([{"kind": "entry.delete", "entry": {"id": "cfg:b"}}])
        );
        service.apply_version(1)?;
        assert_eq!(service.versions().head, 1);
        let exported = service.export()?;
        let mut other = self::service();
        other.import(exported.clone())?;
        assert_eq!(other.export()?, exported);
        let mut broken = exported;
        broken.format_version = FORMAT_VERSION + 1;
        assert_eq!(
            other.import(broken).map_err(|e| e.kind),
            Err(FailureKind::Registry(ErrorKind::InvalidHistory))
        );
        assert_eq!(other.versions().head, 1, "a refused import changes nothing");
        Ok(())
    }

    #[test]
    fn events_report_commits_as_they_happen() {
        let mut service = service();
        let heard = Rc::new(std::cell::RefCell::new(Vec::new()));
        let log = Rc::clone(&heard);
        service.set_event_listener(Some(Box::new(move |event| {
            let event = Event::try_from(event).expect("a committed version holds its ops");
            let message = serde_json::to_value(event).expect("events serialize");
            log.borrow_mut().push(message);
        })));
        run(
            &mut service,
            "local r = require('registry') r.snapshot():changes():delete('a:b'):apply() r.apply_version(0)",
        );
        run(
            &mut service,
            "local r = require('registry') r.snapshot():changes():create({id = 'a:b', kind = 'k'}):apply()",
        );
        let heard = heard.borrow();
        assert_eq!(
            heard[0],
            serde_json::json!({"event": "head_moved", "head": 0})
        );
        assert_eq!(heard[1]["event"], "committed");
        assert_eq!(heard[1]["version"]["id"], 1);
        assert_eq!(heard[1]["version"]["ops"][0]["kind"], "entry.create");
    }
}
