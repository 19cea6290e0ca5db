//! What the module asks of its host: a monotonic clock (time limits and `os.clock`), the wall
//! clock (only to seed `math.random`, as native Luau does), and a sink for the versions scripts
//! commit (so a host can persist each one before anything else can go wrong).
//!
//! All are imports of the snippet `host.js`. Their signatures carry only numbers, so wasm-bindgen
//! imports them directly by name (`registryClockMs`, `registryWallClockMs`, `registryEvent`):
//! JavaScript gets them from the snippet, and wasmtime provides functions of the same names.
//! Luau's C++ reads the clocks through libc, which `wasm/ehrt/shim.c` sends to the host's clocks.

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
