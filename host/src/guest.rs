//! One instance of the registry module: the imports it needs, its JSON C ABI (see
//! `wasm/src/ffi.rs`; the values are `registry_core::protocol`'s), and the outer fences around
//! it: an epoch deadline on every call (a little after a run's own time limit, or a few seconds
//! for any other request), and a cap on its memory.
//!
//! The host trusts no answer and no event of the module. Every version a script commits reaches
//! the host through the `registryEvent` import while the script runs, and is checked against the
//! host's own copy of the history (the core's [`Registry`], built from the store) before it is
//! written to the [`RegistryStore`] (a store thrown away at exit keeps nothing and checks
//! nothing: [`Guest::keep_nothing`]); a head move must name a version; printed text is written to
//! the run's output as it comes; outside a `run` request no event is accepted at all.

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::rc::Rc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use registry_core::protocol::{
    Event, LoadRequest, PROTOCOL_VERSION, Request, Response, ServiceError,
};
use registry_core::{
    Error as CoreError, ErrorKind, HistorySource, Op, Registry, State, VersionId, decode_checkpoint,
};
use serde::de::DeserializeOwned;
use wasmtime::{
    Caller, Engine, Extern, ExternType, Func, Instance, Memory, ResourceLimiter, StoreLimits,
    StoreLimitsBuilder, Tag, Trap, TypedFunc, ValType,
};

use crate::checkpoints;
use crate::engine::Runtime;
use crate::store::RegistryStore;

/// Requests other than `run` must be answered within this long, plus [`DEADLINE_PER_MIB`] for
/// each MiB of the request and of the store (whose data the answer may hold): far more than the
/// module needs, and a module that loops cannot hang a command. Loading stored history is
/// timed apart, against the command's load timeout ([`LoadClock`]).
const REQUEST_DEADLINE: Duration = Duration::from_secs(3);
const DEADLINE_PER_MIB: Duration = Duration::from_secs(1);

/// How often the outer fence looks again while the module loads stored history.
const LOAD_POLL: Duration = Duration::from_millis(50);

/// What one run may commit before the host stops it, unless the command line raises it.
#[derive(Debug, Clone, Copy)]
pub struct GrowthLimits {
    /// Versions.
    pub versions: u64,
    /// Bytes of the versions' reports (their operations as JSON).
    pub bytes: u64,
}

/// The export that names a module's protocol.
const PROTOCOL_EXPORT: &str = "registry_protocol_version";

/// The host stopped the module: the instance is gone, the versions committed before are stored.
#[derive(Debug)]
pub enum Stopped {
    /// The run outlived its time limit and the module's own check did not stop it.
    Deadline { limit: Duration, deadline: Duration },
    /// The module did not answer a request other than `run` in time.
    Unanswered { op: &'static str, after: Duration },
    /// Loading stored history took longer than the load timeout.
    Load { limit: Duration },
    /// The module needed more memory than the host's cap.
    Memory { cap: u64 },
    /// The run committed as much as one run may; `option` raises the bound.
    Growth { what: String, option: &'static str },
    /// The module trapped.
    Trap(String),
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopped::Deadline { limit, deadline } => write!(
                f,
                "script exceeded its time limit of {} ms (stopped by the host after {} ms)",
                limit.as_millis(),
                deadline.as_millis()
            ),
            Stopped::Unanswered { op, after } => write!(
                f,
                "the module did not answer its {op} request within {} ms: stopped by the host",
                after.as_millis()
            ),
            Stopped::Load { limit } => write!(
                f,
                "loading the store took longer than {} ms, the most one command may spend \
                 loading (raise it with --load-timeout)",
                limit.as_millis()
            ),
            Stopped::Memory { cap } => write!(
                f,
                "the module exceeded the host's memory cap of {} MiB",
                cap >> 20
            ),
            Stopped::Growth { what, option } => write!(
                f,
                "the run stopped: it committed {what}, the most one run may (raise it with \
                 {option}); the versions committed before are kept"
            ),
            Stopped::Trap(detail) => write!(f, "the module trapped: {detail}"),
        }
    }
}

impl std::error::Error for Stopped {}

/// The time fence of one call into the module.
#[derive(Debug, Clone, Copy)]
enum Deadline {
    /// A `run` with its time limit, stopped at `after` (a little later).
    Run { limit: Duration, after: Duration },
    /// Any other call, named `op` when it is stopped.
    Request { op: &'static str, after: Duration },
}

impl Deadline {
    /// The fence of a request other than `run` that is `bytes` long (with what it may load).
    fn request(op: &'static str, bytes: u64) -> Self {
        Deadline::Request {
            op,
            after: REQUEST_DEADLINE.saturating_add(per_mib(bytes)),
        }
    }

    fn after(self) -> Duration {
        match self {
            Deadline::Run { after, .. } | Deadline::Request { after, .. } => after,
        }
    }
}

/// The open store, shared by the import functions and the host's copy of the history.
type SharedStore = Rc<RefCell<Box<dyn RegistryStore>>>;

/// [`DEADLINE_PER_MIB`] for each MiB of `bytes`.
fn per_mib(bytes: u64) -> Duration {
    DEADLINE_PER_MIB.saturating_mul(u32::try_from(bytes >> 20).unwrap_or(u32::MAX))
}

/// The time spent loading stored history (the module's loads, from its first request for
/// operations or checkpoints to its `loaded`, and the host's own copy's), kept apart: a
/// script's clock stands still while it loads, so its time limit measures the script, and the
/// outer fence bounds loading by the load timeout instead. Shared with the fence's thread.
#[derive(Debug, Default)]
struct LoadClock(Mutex<LoadTimes>);

#[derive(Debug, Default)]
struct LoadTimes {
    /// Every finished load's time.
    total: Duration,
    /// When the load under way began.
    since: Option<Instant>,
    /// Whether the fence stopped the module for loading too long.
    overran: bool,
}

impl LoadClock {
    fn times(&self) -> std::sync::MutexGuard<'_, LoadTimes> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A load begins, unless one is under way.
    fn begin(&self) {
        self.times().since.get_or_insert_with(Instant::now);
    }

    /// The load under way, if any, ends.
    fn end(&self) {
        let mut times = self.times();
        if let Some(since) = times.since.take() {
            times.total += since.elapsed();
        }
    }

    /// The time spent loading until `now`, and whether a load is under way.
    fn spent(&self, now: Instant) -> (Duration, bool) {
        let times = self.times();
        let running = times
            .since
            .map(|since| now.saturating_duration_since(since));
        (times.total + running.unwrap_or_default(), running.is_some())
    }
}

/// What the host functions reach: the store and the host's copy of the history for events,
/// the memory cap, the clock's origin and the time spent loading.
struct HostState {
    store: Option<SharedStore>,
    /// The store's size when attached, for deadlines.
    store_bytes: u64,
    /// The history as the host knows it, opened on the store at the first change of a run (its
    /// versions loaded as they are needed, as the module's are).
    history: Option<Registry>,
    /// The answer of the module's last `registryLoad`, until `registryTake` copies it.
    loaded: Option<Vec<u8>>,
    /// The `run` in progress; `None` outside a run, when no event is accepted.
    run: Option<RunInProgress>,
    /// Whether the changes a run reports are checked against the host's copy of the history and
    /// written to the store: not for a store thrown away at exit (see [`Guest::keep_nothing`]).
    keeps_changes: bool,
    limits: MemoryCap,
    started: Instant,
    loads: Arc<LoadClock>,
    /// The most one call into the module may spend loading stored history.
    load_timeout: Duration,
}

impl HostState {
    /// The module's monotonic clock: time since it started, loading left out.
    fn clock(&self) -> Duration {
        let now = Instant::now();
        now.saturating_duration_since(self.started)
            .saturating_sub(self.loads.spent(now).0)
    }
}

/// What events of a run need: its time (of the versions it commits), where its printed text
/// goes, and what it has committed against its bounds.
struct RunInProgress {
    time_ms: i64,
    printed: Box<dyn Write>,
    growth: GrowthLimits,
    committed_versions: u64,
    committed_bytes: u64,
}

impl RunInProgress {
    /// Counts a commit of `bytes` of JSON against the run's bounds, or stops the run there.
    fn count_commit(&mut self, bytes: usize) -> Result<()> {
        let growth = self.growth;
        if self.committed_versions >= growth.versions {
            bail!(Stopped::Growth {
                what: format!("{} versions", growth.versions),
                option: "--max-versions",
            });
        }
        let total = self.committed_bytes.saturating_add(bytes as u64);
        if total > growth.bytes {
            bail!(Stopped::Growth {
                what: format!(
                    "{} bytes of versions (the next would make {total})",
                    self.committed_bytes
                ),
                option: "--max-commit-bytes",
            });
        }
        self.committed_versions += 1;
        self.committed_bytes = total;
        Ok(())
    }
}

/// [`StoreLimits`] that remember whether they refused memory, to name the cause of a trap.
struct MemoryCap {
    limits: StoreLimits,
    cap: u64,
    refused: bool,
}

impl MemoryCap {
    fn new(cap: u64) -> Self {
        Self {
            limits: StoreLimitsBuilder::new()
                .memory_size(usize::try_from(cap).unwrap_or(usize::MAX))
                .build(),
            cap,
            refused: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }
}

/// A running instance of the registry module.
pub struct Guest {
    store: wasmtime::Store<HostState>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    call: TypedFunc<(u32, u32), u64>,
}

impl Guest {
    /// Instantiates the module, its linear memory capped at `memory_cap` bytes, once it is known
    /// to speak this host's protocol: a module of another protocol is refused before it runs
    /// anything but its protocol export.
    pub fn start(runtime: &Runtime, memory_cap: u64) -> Result<Self> {
        check_protocol_export(&runtime.module)?;
        let state = HostState {
            store: None,
            store_bytes: 0,
            history: None,
            loaded: None,
            run: None,
            keeps_changes: true,
            limits: MemoryCap::new(memory_cap),
            started: Instant::now(),
            loads: Arc::default(),
            load_timeout: Duration::MAX,
        };
        let mut wasm = wasmtime::Store::new(&runtime.engine, state);
        wasm.limiter(|state| &mut state.limits);
        wasm.epoch_deadline_trap();
        let imports = imports(&mut wasm, &runtime.module)?;
        let deadline = Deadline::request("start", 0);
        let instance = {
            let _watchdog = Watchdog::start(&mut wasm, deadline.after());
            Instance::new(&mut wasm, &runtime.module, &imports)
        };
        let instance = match instance {
            Ok(instance) => instance,
            Err(error) if error.downcast_ref::<Trap>().is_some() => {
                return Err(stopped(&wasm, error, deadline));
            }
            Err(error) => {
                return Err(anyhow::Error::from(error))
                    .context("cannot instantiate the registry module");
            }
        };
        let memory = instance
            .get_memory(&mut wasm, "memory")
            .context("the registry module exports no memory")?;
        let protocol = instance.get_typed_func::<(), u32>(&mut wasm, PROTOCOL_EXPORT)?;
        let init = instance.get_typed_func::<(), ()>(&mut wasm, "registry_init")?;
        let mut guest = Self {
            alloc: instance.get_typed_func(&mut wasm, "registry_alloc")?,
            free: instance.get_typed_func(&mut wasm, "registry_free")?,
            call: instance.get_typed_func(&mut wasm, "registry_call")?,
            store: wasm,
            memory,
        };
        let version = guest.fenced(deadline, |store| protocol.call(store, ()))?;
        ensure!(
            version == PROTOCOL_VERSION,
            "the module speaks registry protocol {version}, but this registry-host speaks \
             protocol {PROTOCOL_VERSION}: build the module from the same sources \
             (scripts/build-wasm.sh)"
        );
        guest.fenced(deadline, |store| init.call(store, ()))?;
        Ok(guest)
    }

    /// Gives the module's events and loads a store (none is accepted before), caps the
    /// module's memory at `memory_cap` bytes from now on, and what one call may spend loading
    /// from the store at `load_timeout`.
    pub fn attach(
        &mut self,
        store: Box<dyn RegistryStore>,
        memory_cap: u64,
        load_timeout: Duration,
    ) -> Result<()> {
        let state = self.store.data_mut();
        state.store_bytes = store.size()?;
        state.store = Some(Rc::new(RefCell::new(store)));
        state.history = None;
        state.limits = MemoryCap::new(memory_cap);
        state.load_timeout = load_timeout;
        Ok(())
    }

    /// For a store thrown away at exit (`--ephemeral`): the versions and head moves a run reports
    /// are counted against its [`GrowthLimits`], but neither checked against the host's copy of
    /// the history nor stored (a commit's version is not even read). Checking guards what a
    /// store keeps, and this one keeps nothing; both would double the cost of every commit
    /// (BENCHMARKS.md, "Performance candidates").
    pub fn keep_nothing(&mut self) {
        self.store.data_mut().keeps_changes = false;
    }

    /// Sends one request; returns the module's answer, or its [`ServiceError`].
    pub fn request<T: DeserializeOwned>(&mut self, request: &Request) -> Result<T> {
        let bytes = serde_json::to_vec(request)?;
        let store_bytes = self.store.data().store_bytes;
        let deadline = Deadline::request(
            request.op(),
            (bytes.len() as u64).saturating_add(store_bytes),
        );
        self.exchange(&bytes, deadline)
    }

    /// Sends a `run` request, stopping the module if it still runs `grace` after `limit`. The
    /// versions the script commits meanwhile are checked and stored as they come, and what it
    /// prints is written to `printed` (and flushed) as it comes, so a stopped run keeps it.
    pub fn run<T: DeserializeOwned>(
        &mut self,
        request: &Request,
        limit: Duration,
        grace: Duration,
        printed: Box<dyn Write>,
        growth: GrowthLimits,
    ) -> Result<T> {
        let Request::Run(run) = request else {
            bail!("not a run request: {}", request.op());
        };
        let bytes = serde_json::to_vec(request)?;
        // Loading stored history is left out of the run's time and bounded apart.
        let deadline = Deadline::Run {
            limit,
            after: limit.saturating_add(grace),
        };
        self.store.data_mut().run = Some(RunInProgress {
            time_ms: run.now_ms,
            printed,
            growth,
            committed_versions: 0,
            committed_bytes: 0,
        });
        let answer = self.exchange(&bytes, deadline);
        self.store.data_mut().run = None;
        answer
    }

    /// The store the module's events are written to.
    pub fn store(&self) -> Result<SharedStore> {
        self.store.data().store.clone().context("no store is open")
    }

    /// Moves the stored head to `head` once the host's copy of the history knows it as a
    /// version (a command's own head move, after the module's).
    pub fn set_head(&mut self, head: VersionId) -> Result<()> {
        let HostState {
            store,
            history,
            loads,
            ..
        } = self.store.data_mut();
        let (store, history) = stored_history(store, history, loads)?;
        history
            .apply_version(head)
            .map_err(|error| anyhow!("cannot move head: {error}"))?;
        store.borrow_mut().set_head(head)
    }

    /// At the end of a command that wrote: a checkpoint of head when one is due
    /// ([`checkpoints::for_head`]), so that the next command replays less (built by the host's
    /// own copy of the history, not the module).
    pub fn refresh_checkpoint(&mut self) -> Result<()> {
        let HostState {
            store,
            history,
            loads,
            ..
        } = self.store.data_mut();
        if history.is_none() {
            // Nothing moved head: the host never needed its copy.
            return Ok(());
        }
        let (store, history) = stored_history(store, history, loads)?;
        let existing = store.borrow().checkpoint_versions()?;
        if let Some((version, bytes)) = checkpoints::for_head(history, &existing)? {
            store.borrow_mut().save_checkpoint(version, &bytes)?;
        }
        Ok(())
    }

    fn exchange<T: DeserializeOwned>(&mut self, request: &[u8], deadline: Deadline) -> Result<T> {
        let len = u32::try_from(request.len()).context("the request is larger than 4 GiB")?;
        let (alloc, free, call, memory) = (
            self.alloc.clone(),
            self.free.clone(),
            self.call.clone(),
            self.memory,
        );
        let response = self.fenced(deadline, |store| {
            let ptr = alloc.call(&mut *store, len)?;
            memory.write(&mut *store, ptr as usize, request)?;
            let packed = call.call(&mut *store, (ptr, len))?;
            free.call(&mut *store, (ptr, len))?;
            // registry_call returns (ptr << 32) | len.
            let (ptr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
            let response = memory
                .data(&*store)
                .get(ptr..ptr.saturating_add(len))
                .ok_or_else(|| {
                    wasmtime::format_err!("the module's response lies outside its memory")
                })?;
            Ok(response.to_vec())
        })?;
        let response: Response<T> = serde_json::from_slice(&response)
            .context("the module's answer is not one of this protocol's")?;
        Result::<T, ServiceError>::from(response).map_err(anyhow::Error::from)
    }

    /// Calls into the module under the epoch deadline, naming why a call failed.
    fn fenced<T>(
        &mut self,
        deadline: Deadline,
        call: impl FnOnce(&mut wasmtime::Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let result = {
            let _watchdog = Watchdog::start(&mut self.store, deadline.after());
            call(&mut self.store)
        };
        self.store.data().loads.end();
        result.map_err(|error| stopped(&self.store, error, deadline))
    }
}

/// Refuses, before it runs, a module that does not export [`PROTOCOL_EXPORT`].
fn check_protocol_export(module: &wasmtime::Module) -> Result<()> {
    let ty = module
        .get_export(PROTOCOL_EXPORT)
        .and_then(|export| export.func().cloned());
    let speaks = ty.is_some_and(|ty| {
        ty.params().len() == 0
            && ty.results().len() == 1
            && ty.results().all(|result| matches!(result, ValType::I32))
    });
    ensure!(
        speaks,
        "the module does not speak registry protocol {PROTOCOL_VERSION}: it exports no \
         {PROTOCOL_EXPORT}() -> i32 (is it a registry module?)"
    );
    Ok(())
}

/// Names why a call into the module failed.
fn stopped(
    store: &wasmtime::Store<HostState>,
    error: wasmtime::Error,
    deadline: Deadline,
) -> anyhow::Error {
    let trap = error.downcast_ref::<Trap>().copied();
    let limits = &store.data().limits;
    let overran = std::mem::take(&mut store.data().loads.times().overran);
    let stopped = match (trap, deadline) {
        (Some(Trap::Interrupt), _) if overran => Stopped::Load {
            limit: store.data().load_timeout,
        },
        (Some(Trap::Interrupt), Deadline::Run { limit, after }) => Stopped::Deadline {
            limit,
            deadline: after,
        },
        (Some(Trap::Interrupt), Deadline::Request { op, after }) => {
            Stopped::Unanswered { op, after }
        }
        // A refused memory.grow ends in a trap when Rust code in the module cannot allocate.
        (Some(_), _) if limits.refused => Stopped::Memory { cap: limits.cap },
        (Some(trap), _) => Stopped::Trap(trap.to_string()),
        (None, _) => match error.downcast::<HostFailed>() {
            // The host refused or could not do what the module asked: its own message, without
            // wasm's backtrace.
            Ok(HostFailed(error)) => return error,
            Err(error) => match error.downcast_ref::<GlueCalled>() {
                Some(glue) => Stopped::Trap(glue.to_string()),
                None => return error.into(),
            },
        },
    };
    stopped.into()
}

/// The outer time fence: arms the store's epoch deadline, then bumps the engine's epoch, which
/// traps the module, once the call has worked for `after` (loading stored history left out) or
/// loaded for longer than the load timeout, unless the call finishes first and drops it.
struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    fn start(store: &mut wasmtime::Store<HostState>, after: Duration) -> Self {
        // The epoch only moves when a deadline passes, so one tick is enough.
        store.set_epoch_deadline(1);
        let engine: Engine = store.engine().clone();
        let loads = Arc::clone(&store.data().loads);
        let load_timeout = store.data().load_timeout;
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let (loaded_before, _) = loads.spent(started);
            loop {
                let now = Instant::now();
                let (loaded, loading) = loads.spent(now);
                let loaded = loaded.saturating_sub(loaded_before);
                let worked = now
                    .saturating_duration_since(started)
                    .saturating_sub(loaded);
                if loaded >= load_timeout {
                    loads.times().overran = true;
                } else if worked < after {
                    // While loading, work stands still but the load may end at any moment;
                    // otherwise either may run out first.
                    let left = load_timeout - loaded;
                    let wait = if loading {
                        LOAD_POLL.min(left)
                    } else {
                        (after - worked).min(left)
                    };
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => return,
                    }
                }
                engine.increment_epoch();
                return;
            }
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take()); // wakes the thread: the run is over
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The module's imports, in order: the clocks and the event sink (by name, whatever module
/// wasm-bindgen filed them under), a no-op for wasm-bindgen's externref table set-up, fresh
/// exception tags, and stubs that trap for the JavaScript glue the C ABI never calls.
fn imports(
    store: &mut wasmtime::Store<HostState>,
    module: &wasmtime::Module,
) -> Result<Vec<Extern>> {
    module
        .imports()
        .map(|import| {
            let (from, name) = (import.module(), import.name());
            Ok(match import.ty() {
                ExternType::Func(_) if is_import(name, "registryClockMs") => {
                    Func::wrap(&mut *store, |caller: Caller<'_, HostState>| {
                        caller.data().clock().as_secs_f64() * 1000.0
                    })
                    .into()
                }
                ExternType::Func(_) if is_import(name, "registryWallClockMs") => {
                    Func::wrap(&mut *store, || {
                        SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map_or(0.0, |since| since.as_secs_f64() * 1000.0)
                    })
                    .into()
                }
                ExternType::Func(_) if is_import(name, "registryEvent") => {
                    Func::wrap(&mut *store, on_event).into()
                }
                ExternType::Func(_) if is_import(name, "registryLoad") => {
                    Func::wrap(&mut *store, on_load).into()
                }
                ExternType::Func(_) if is_import(name, "registryTake") => {
                    Func::wrap(&mut *store, on_take).into()
                }
                ExternType::Func(_) if name == "__wbindgen_init_externref_table" => {
                    Func::wrap(&mut *store, || {}).into()
                }
                ExternType::Func(ty) => {
                    let glue = format!("{from}.{name}");
                    Func::new(&mut *store, ty, move |_, _, _| {
                        Err(wasmtime::Error::new(GlueCalled(glue.clone())))
                    })
                    .into()
                }
                ExternType::Tag(ty) => Tag::new(&mut *store, &ty)?.into(),
                other => bail!(
                    "the module imports {from}.{name} ({other:?}), which registry-host does not provide"
                ),
            })
        })
        .collect()
}

/// The module called JavaScript glue that only wasm-bindgen's JavaScript provides.
#[derive(Debug)]
struct GlueCalled(String);

impl fmt::Display for GlueCalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the module called {}, JavaScript glue that registry-host does not provide",
            self.0
        )
    }
}

impl std::error::Error for GlueCalled {}

/// `registryEvent`, or the wasm-bindgen shim for it, `__wbg_registryEvent_<hash>`.
fn is_import(name: &str, wanted: &str) -> bool {
    name == wanted
        || name
            .strip_prefix("__wbg_")
            .and_then(|rest| rest.split_at_checked(wanted.len()))
            .is_some_and(|(base, hash)| base.eq_ignore_ascii_case(wanted) && hash.starts_with('_'))
}

/// `registryEvent(ptr, len)`: stores the committed version or the new head before the script
/// goes on. A failure traps the module, so a script never runs on past an unsaved version.
fn on_event(mut caller: Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<()> {
    record_event(&mut caller, ptr as usize, len as usize)
        .map_err(|error| wasmtime::Error::new(HostFailed(error)))
}

/// `registryLoad(ptr, len) -> len`: reads what the module asks for ([`LoadRequest`]) from the
/// store, checked, and keeps it for `registryTake`; times the load. A damaged store traps the
/// module with the store's problem.
fn on_load(mut caller: Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<u32> {
    load(&mut caller, ptr as usize, len as usize)
        .map_err(|error| wasmtime::Error::new(HostFailed(error)))
}

/// `registryTake(ptr, len)`: copies the last load's answer to the module's memory.
fn on_take(mut caller: Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<()> {
    take(&mut caller, ptr as usize, len as usize)
        .map_err(|error| wasmtime::Error::new(HostFailed(error)))
}

fn load(caller: &mut Caller<'_, HostState>, ptr: usize, len: usize) -> Result<u32> {
    let memory = module_memory(caller)?;
    let request = memory
        .data(&*caller)
        .get(ptr..ptr.saturating_add(len))
        .context("a load request lies outside the module's memory")?;
    let request: LoadRequest = serde_json::from_slice(request)
        .context("the module sent a load request the host cannot read")?;
    let state = caller.data_mut();
    match request {
        LoadRequest::Loaded => state.loads.end(),
        _ => state.loads.begin(),
    }
    let store = state.store.as_ref().context("no store is open")?.borrow();
    let answer = match request {
        LoadRequest::Checkpoint { version } => store.checkpoint(version)?,
        LoadRequest::Ops { versions } => store.ops_json(&versions)?.into_bytes(),
        LoadRequest::Loaded => Vec::new(),
    };
    drop(store);
    let len = u32::try_from(answer.len()).context("the answer is larger than 4 GiB")?;
    state.loaded = Some(answer);
    Ok(len)
}

fn take(caller: &mut Caller<'_, HostState>, ptr: usize, len: usize) -> Result<()> {
    let memory = module_memory(caller)?;
    let answer = caller
        .data_mut()
        .loaded
        .take()
        .context("the module took an answer it had not asked for")?;
    ensure!(
        answer.len() == len,
        "the module took {len} bytes of an answer of {}",
        answer.len()
    );
    memory
        .write(&mut *caller, ptr, &answer)
        .context("the module's buffer lies outside its memory")
}

fn module_memory(caller: &mut Caller<'_, HostState>) -> Result<Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .context("the registry module exports no memory")
}

/// The host refused what the module reported or asked, or could not do it (store it, read it);
/// the module stops there.
#[derive(Debug)]
struct HostFailed(anyhow::Error);

impl fmt::Display for HostFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for HostFailed {}

fn record_event(caller: &mut Caller<'_, HostState>, ptr: usize, len: usize) -> Result<()> {
    let (memory, state) = module_memory(caller)?.data_and_store_mut(&mut *caller);
    let event = memory
        .get(ptr..ptr.saturating_add(len))
        .context("an event lies outside the module's memory")?;
    let HostState {
        store,
        history,
        run,
        keeps_changes,
        loads,
        ..
    } = state;
    let refused = |what: String| anyhow!("the module reported {what}; registry-host refused it");
    let Some(run) = run.as_mut() else {
        bail!(refused(match read_event(event)? {
            Event::Printed { .. } => "printed text outside a script run".to_owned(),
            change => format!(
                "a change outside a script run, where nothing may change ({})",
                describe(&change)
            ),
        }));
    };
    // A run that keeps nothing neither checks nor stores its versions (`Guest::keep_nothing`):
    // a commit only counts there, so its version is skipped as JSON instead of built (building
    // it was most of the host's time in commit-heavy runs: BENCHMARKS.md, issue 13).
    if !*keeps_changes && is_commit(event) {
        return run.count_commit(len);
    }
    match read_event(event)? {
        // Printed text changes nothing: it goes straight to the run's output.
        Event::Printed { text } => run
            .printed
            .write_all(text.as_bytes())
            .and_then(|()| run.printed.flush())
            .context("cannot write the script's printed output"),
        Event::Committed { version } => {
            run.count_commit(len)?;
            if !*keeps_changes {
                return Ok(());
            }
            let (store, history) = stored_history(store, history, loads)?;
            let head = history.head().id();
            ensure!(
                version.parent == Some(head),
                refused(format!(
                    "{} whose parent is not the head v{head}",
                    describe(&Event::Committed { version })
                ))
            );
            ensure!(
                version.time_ms == run.time_ms,
                refused(format!(
                    "v{} at {} ms, not at the run's time {} ms",
                    version.id, version.time_ms, run.time_ms
                ))
            );
            let record = history
                .append(&version)
                .map_err(|error| refused(format!("a version that does not apply: {error}")))?
                .record()?;
            store.borrow_mut().commit(&record)?;
            Ok(())
        }
        Event::HeadMoved { .. } if !*keeps_changes => Ok(()),
        Event::HeadMoved { head } => {
            let (store, history) = stored_history(store, history, loads)?;
            history.apply_version(head).map_err(|_| {
                refused(format!("a move of head to v{head}, which is not a version"))
            })?;
            store.borrow_mut().set_head(head)
        }
    }
}

fn read_event(event: &[u8]) -> Result<Event> {
    serde_json::from_slice(event).context("the module sent an event the host cannot read")
}

/// Whether an event is a commit, read from its `event` field alone (the rest, its version, is
/// skipped as JSON without being built).
fn is_commit(event: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind<'a> {
        #[serde(borrow)]
        event: std::borrow::Cow<'a, str>,
    }
    serde_json::from_slice::<Kind<'_>>(event).is_ok_and(|kind| kind.event == "committed")
}

/// The open store, and the host's copy of its history, opened on the store's listing at the
/// first change of a command; its loads are timed with the module's.
fn stored_history<'a>(
    store: &'a Option<SharedStore>,
    history: &'a mut Option<Registry>,
    loads: &Arc<LoadClock>,
) -> Result<(&'a SharedStore, &'a mut Registry)> {
    let store = store.as_ref().context("no store is open")?;
    let history = match history {
        Some(history) => history,
        empty => empty.insert(open_history(store, loads)?),
    };
    Ok((store, history))
}

/// A registry over the store's history, read as it is needed: the host's copy.
fn open_history(store: &SharedStore, loads: &Arc<LoadClock>) -> Result<Registry> {
    let (listing, checkpoints) = {
        let store = store.borrow();
        (store.listing()?, store.checkpoint_versions()?)
    };
    let source = StoreHistory {
        store: Rc::clone(store),
        loads: Arc::clone(loads),
    };
    Registry::open(
        &listing.versions,
        listing.head,
        &checkpoints,
        Box::new(source),
    )
    .context("the stored history cannot be loaded")
}

/// The store as the host's copy of the history reads it.
struct StoreHistory {
    store: SharedStore,
    loads: Arc<LoadClock>,
}

impl HistorySource for StoreHistory {
    fn ops(&self, versions: &[VersionId]) -> registry_core::Result<Vec<Vec<Op>>> {
        self.loads.begin();
        let json = self.store.borrow().ops_json(versions).map_err(unreadable)?;
        serde_json::from_str(&json).map_err(|error| unreadable(anyhow!(error)))
    }

    fn checkpoint(&self, version: VersionId) -> registry_core::Result<State> {
        self.loads.begin();
        let bytes = self
            .store
            .borrow()
            .checkpoint(version)
            .map_err(unreadable)?;
        let (held, state) = decode_checkpoint(&bytes)?;
        if held != version {
            let name = self.store.borrow().name().to_owned();
            return Err(unreadable(anyhow!(
                "{name}: the checkpoint of v{version} holds v{held}"
            )));
        }
        Ok(state)
    }

    fn loaded(&self) {
        self.loads.end();
    }
}

/// A store problem, as the core's error for a history it cannot load.
fn unreadable(error: anyhow::Error) -> CoreError {
    CoreError::new(ErrorKind::InvalidHistory, format!("{error:#}"))
}

/// `the commit of v3`, `a move of head to v2` or `printed text`.
fn describe(event: &Event) -> String {
    match event {
        Event::Committed { version } => format!("the commit of v{}", version.id),
        Event::HeadMoved { head } => format!("a move of head to v{head}"),
        Event::Printed { .. } => "printed text".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_match_by_name_or_as_wasm_bindgen_shims() {
        assert!(is_import("registryEvent", "registryEvent"));
        assert!(is_import(
            "__wbg_registryEvent_a222970993cf9e73",
            "registryEvent"
        ));
        assert!(is_import("__wbg_registryevent_0123", "registryEvent"));
        assert!(!is_import("__wbg_registryEventX_0123", "registryEvent"));
        assert!(!is_import("__wbg_registryEvent", "registryEvent"));
        assert!(!is_import("__wbg_registryClockMs_1", "registryEvent"));
    }
}
