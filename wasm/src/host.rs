//! What the module asks of its host: a monotonic clock (time limits and `os.clock`), the wall
//! clock (only to seed `math.random`, as native Luau does), a sink for the versions scripts
//! commit (so a host can persist each one before anything else can go wrong), and, for a
//! registry opened on stored history, the operations and checkpoint it has not loaded yet.
//!
//! All are imports of the snippet `host.js`. Their signatures carry only numbers, so wasm-bindgen
//! imports them directly by name (`registryClockMs`, `registryWallClockMs`, `registryEvent`,
//! `registryLoad`, `registryTake`):
//! JavaScript gets them from the snippet, and wasmtime provides functions of the same names.
//! Luau's C++ reads the clocks through libc, which `wasm/ehrt/shim.c` sends to the host's clocks.

use registry_core::protocol::LoadRequest;
use registry_core::{
    Error, ErrorKind, HistorySource, Op, Result, State, VersionId, decode_checkpoint,
};

#[cfg(target_arch = "wasm32")]
#[expect(unsafe_code)] // declaring the linker-provided constructor entry point needs an unsafe extern block
mod imports {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen(module = "/host.js")]
    extern "C" {
        #[wasm_bindgen(js_name = registryClockMs)]
        pub fn clock_ms() -> f64;
        #[wasm_bindgen(js_name = registryWallClockMs)]
        pub fn wall_clock_ms() -> f64;
        #[wasm_bindgen(js_name = registryEvent)]
        pub fn event(ptr: *const u8, len: usize);
        #[wasm_bindgen(js_name = registryLoad)]
        pub fn load(ptr: *const u8, len: usize) -> u32;
        #[wasm_bindgen(js_name = registryTake)]
        pub fn take(ptr: *mut u8, len: usize);
    }

    unsafe extern "C" {
        /// Runs C++ static constructors (Luau's flags); nothing else runs them on this target.
        pub fn __wasm_call_ctors();
    }
}

/// Monotonic milliseconds from the host.
pub fn clock_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return imports::clock_ms();
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
}

/// The clocks of wasi-libc's `clock()` and `clock_gettime`, as `wasm/ehrt/shim.c` reads them:
/// Luau's `os.clock` measures with the monotonic one, and seeds `math.random` from both.
#[cfg(target_arch = "wasm32")]
#[expect(unsafe_code)] // exporting unmangled symbols for the C shim to link against
mod libc_clocks {
    /// Monotonic milliseconds, the clock of time limits.
    #[unsafe(no_mangle)]
    extern "C" fn registry_monotonic_ms() -> f64 {
        super::clock_ms()
    }

    /// Milliseconds since the Unix epoch: libc's `time()`, which scripts never see (their
    /// `os.time` and `os.date` use the run's time).
    #[unsafe(no_mangle)]
    extern "C" fn registry_wall_clock_ms() -> f64 {
        super::imports::wall_clock_ms()
    }
}

/// Hands one event (JSON) to the host.
pub fn send_event(json: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    imports::event(json.as_ptr(), json.len());
    #[cfg(not(target_arch = "wasm32"))]
    let _ = json;
}

/// Stored history from the host: the operations and checkpoints a registry opened with
/// [`registry_core::protocol::Request::OpenStored`] reads when it first needs them. A host that
/// cannot answer (a damaged store) stops the module with its own error instead.
#[derive(Debug)]
pub struct StoredHistory;

impl HistorySource for StoredHistory {
    fn ops(&self, versions: &[VersionId]) -> Result<Vec<Vec<Op>>> {
        let answer = load(&LoadRequest::Ops {
            versions: versions.to_vec(),
        })?;
        serde_json::from_slice(&answer)
            .map_err(|error| invalid(format!("the host's operations cannot be read: {error}")))
    }

    fn checkpoint(&self, version: VersionId) -> Result<State> {
        let (held, state) = decode_checkpoint(&load(&LoadRequest::Checkpoint { version })?)?;
        if held != version {
            return Err(invalid(format!(
                "the host's checkpoint of v{version} holds v{held}"
            )));
        }
        Ok(state)
    }

    fn loaded(&self) {
        // The host answers with nothing; a host that cannot time loads has stopped the module.
        let _ = load(&LoadRequest::Loaded);
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidHistory, message)
}

/// Asks the host for stored history: the answer's length first, then its bytes.
fn load(request: &LoadRequest) -> Result<Vec<u8>> {
    let request = serde_json::to_vec(request)
        .map_err(|error| invalid(format!("cannot ask for stored history: {error}")))?;
    #[cfg(target_arch = "wasm32")]
    {
        let len = imports::load(request.as_ptr(), request.len()) as usize;
        let mut answer = vec![0_u8; len];
        imports::take(answer.as_mut_ptr(), len);
        Ok(answer)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = request;
        Err(invalid(
            "no host holds stored history outside WebAssembly".into(),
        ))
    }
}

/// Prepares the module once, before the first registry is created (idempotent).
pub fn init() {
    #[cfg(target_arch = "wasm32")]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        static DONE: AtomicBool = AtomicBool::new(false);
        if !DONE.swap(true, Ordering::Relaxed) {
            // SAFETY: called once, before any C++ code of Luau runs.
            #[expect(unsafe_code)]
            unsafe {
                imports::__wasm_call_ctors();
            }
        }
    }
}
