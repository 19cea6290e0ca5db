//! The registry as one WebAssembly module.
//!
//! The same module serves two hosts, through two thin translations of [`service::Service`]:
//! - [`js`]: a wasm-bindgen API for JavaScript (the browser playground, wasm-pack tests);
//! - [`ffi`]: a small C ABI for wasmtime (`registry-host`): JSON requests in, JSON out.
//!
//! The module reads no clock and does no I/O of its own: the current time comes with each run,
//! and imports from the host give a monotonic clock (time limits, `os.clock`), the wall clock
//! (only to seed `math.random`) and a sink for committed versions (see [`host`]).

#[cfg(target_arch = "wasm32")]
mod allocator;
pub mod ffi;
pub mod host;
pub mod js;
pub mod service;
