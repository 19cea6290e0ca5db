//! One instance of the registry module: the imports it needs, its JSON C ABI (see
//! `wasm/src/ffi.rs`), and the outer fences around it: an epoch deadline a little after a run's
//! own time limit, and a cap on its memory.
//!
//! Every version a script commits reaches the host through the `registryEvent` import while the
//! script runs, and is written to the [`Store`] at once.

use std::fmt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasmtime::{
    Caller, Engine, Extern, ExternType, Func, Instance, Memory, ResourceLimiter, StoreLimits,
    StoreLimitsBuilder, Tag, Trap, TypedFunc,
};

use crate::engine::Runtime;
use crate::history::VersionRecord;
use crate::store::Store;

/// The registry refused a request (unknown version, invalid history, bad filter, ...); the
/// message names the problem.
#[derive(Debug, Deserialize)]
pub struct Refused {
    pub message: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

/// The host stopped the module: the instance is gone, the versions committed before are stored.
#[derive(Debug)]
pub enum Stopped {
    /// The run outlived its time limit and the module's own check did not stop it.
    Deadline { limit: Duration, deadline: Duration },
    /// The module needed more memory than the host's cap.
    Memory { cap: u64 },
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
            Stopped::Memory { cap } => write!(
                f,
                "the module exceeded the host's memory cap of {} MiB",
                cap >> 20
            ),
            Stopped::Trap(detail) => write!(f, "the module trapped: {detail}"),
        }
    }
}

impl std::error::Error for Stopped {}

/// A response of the C ABI: `{"ok": ...}` or `{"error": {kind, message}}`.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Response {
    Ok(Value),
    Error(Refused),
}

/// What the module reports while a script runs (`EventMessage` in wasm/src/service.rs).
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event {
    Committed { version: VersionRecord },
    HeadMoved { head: u64 },
}

/// What the host functions reach: the store for events, the memory cap, the clock's origin.
struct HostState {
    store: Store,
    limits: MemoryCap,
    started: Instant,
}

/// [`StoreLimits`] that remember whether they refused memory, to name the cause of a trap.
struct MemoryCap {
    limits: StoreLimits,
    cap: u64,
    refused: bool,
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
    /// Instantiates the module over `store`, its linear memory capped at `memory_cap` bytes.
    pub fn start(runtime: &Runtime, store: Store, memory_cap: u64) -> Result<Self> {
        let limits = MemoryCap {
            limits: StoreLimitsBuilder::new()
                .memory_size(usize::try_from(memory_cap).unwrap_or(usize::MAX))
                .build(),
            cap: memory_cap,
            refused: false,
        };
        let state = HostState {
            store,
            limits,
            started: Instant::now(),
        };
        let mut wasm = wasmtime::Store::new(&runtime.engine, state);
        wasm.limiter(|state| &mut state.limits);
        wasm.epoch_deadline_trap();
        // The epoch only moves when a run's deadline passes (see Watchdog), so one tick is enough.
        wasm.set_epoch_deadline(1);
        let imports = imports(&mut wasm, &runtime.module)?;
        let instance = Instance::new(&mut wasm, &runtime.module, &imports)
            .map_err(anyhow::Error::from)
            .context("cannot instantiate the registry module")?;
        let memory = instance
            .get_memory(&mut wasm, "memory")
            .context("the registry module exports no memory")?;
        let init = instance.get_typed_func::<(), ()>(&mut wasm, "registry_init")?;
        let mut guest = Self {
            alloc: instance.get_typed_func(&mut wasm, "registry_alloc")?,
            free: instance.get_typed_func(&mut wasm, "registry_free")?,
            call: instance.get_typed_func(&mut wasm, "registry_call")?,
            store: wasm,
            memory,
        };
        init.call(&mut guest.store, ())
            .map_err(|error| guest.stopped(error, None))?;
        Ok(guest)
    }

    /// Sends one request; returns the registry's answer, or [`Refused`] with its reason.
    pub fn request<T: DeserializeOwned>(&mut self, request: &Value) -> Result<T> {
        self.exchange(request, None)
    }

    /// Sends a `run` request, stopping the module if it still runs `grace` after `limit`.
    pub fn run<T: DeserializeOwned>(
        &mut self,
        request: &Value,
        limit: Duration,
        grace: Duration,
    ) -> Result<T> {
        self.exchange(request, Some((limit, limit + grace)))
    }

    /// The store the module's events are written to.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store.data_mut().store
    }

    fn exchange<T: DeserializeOwned>(
        &mut self,
        request: &Value,
        deadline: Option<(Duration, Duration)>,
    ) -> Result<T> {
        let bytes = serde_json::to_vec(request)?;
        let len = u32::try_from(bytes.len()).context("the request is larger than 4 GiB")?;
        self.store.set_epoch_deadline(1);
        let watchdog =
            deadline.map(|(_, after)| Watchdog::start(self.store.engine().clone(), after));
        let response = self.call_module(&bytes, len);
        drop(watchdog);
        let response = response.map_err(|error| self.stopped(error, deadline))?;
        match serde_json::from_slice(&response).context("the module's response is not JSON")? {
            Response::Ok(value) => serde_json::from_value(value)
                .context("the module's response has an unexpected shape"),
            Response::Error(refused) => Err(refused.into()),
        }
    }

    fn call_module(&mut self, request: &[u8], len: u32) -> wasmtime::Result<Vec<u8>> {
        let ptr = self.alloc.call(&mut self.store, len)?;
        self.memory.write(&mut self.store, ptr as usize, request)?;
        let packed = self.call.call(&mut self.store, (ptr, len))?;
        self.free.call(&mut self.store, (ptr, len))?;
        // registry_call returns (ptr << 32) | len.
        let (ptr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        let response = self
            .memory
            .data(&self.store)
            .get(ptr..ptr + len)
            .ok_or_else(|| {
                wasmtime::format_err!("the module's response lies outside its memory")
            })?;
        Ok(response.to_vec())
    }

    /// Names why a call into the module failed.
    fn stopped(
        &self,
        error: wasmtime::Error,
        deadline: Option<(Duration, Duration)>,
    ) -> anyhow::Error {
        let trap = error.downcast_ref::<Trap>().copied();
        let limits = &self.store.data().limits;
        let stopped = match (trap, deadline) {
            (Some(Trap::Interrupt), Some((limit, deadline))) => {
                Stopped::Deadline { limit, deadline }
            }
            // A refused memory.grow ends in a trap when Rust code in the module cannot allocate.
            (Some(_), _) if limits.refused => Stopped::Memory { cap: limits.cap },
            (Some(trap), _) => Stopped::Trap(trap.to_string()),
            (None, _) => match error.downcast::<NotStored>() {
                // The store refused a version or head: its own message, without wasm's backtrace.
                Ok(NotStored(error)) => return error,
                Err(error) => match error.downcast_ref::<GlueCalled>() {
                    Some(glue) => Stopped::Trap(glue.to_string()),
                    None => return error.into(),
                },
            },
        };
        stopped.into()
    }
}

/// The outer time fence: bumps the engine's epoch, which traps the module, once `after` has
/// passed, unless the run finishes first and drops it.
struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    fn start(engine: Engine, after: Duration) -> Self {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            if stopped.recv_timeout(after) == Err(RecvTimeoutError::Timeout) {
                engine.increment_epoch();
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
                        caller.data().started.elapsed().as_secs_f64() * 1000.0
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
        .map_err(|error| wasmtime::Error::new(NotStored(error)))
}

/// A version or head the module reported could not be stored; the run stops there.
#[derive(Debug)]
struct NotStored(anyhow::Error);

impl fmt::Display for NotStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for NotStored {}

fn record_event(caller: &mut Caller<'_, HostState>, ptr: usize, len: usize) -> Result<()> {
    let memory = caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .context("the registry module exports no memory")?;
    let event = memory
        .data(&*caller)
        .get(ptr..ptr + len)
        .context("an event lies outside the module's memory")?;
    let event: Event =
        serde_json::from_slice(event).context("the module sent an event the host cannot read")?;
    let store = &mut caller.data_mut().store;
    match event {
        Event::Committed { version } => store.commit(&version),
        Event::HeadMoved { head } => store.set_head(head),
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
