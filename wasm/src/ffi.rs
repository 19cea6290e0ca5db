//! The C ABI for wasmtime: JSON requests in, JSON responses out, over the same [`Service`].
//! The requests, answers and events are `registry_core::protocol`'s.
//!
//! `registry_protocol_version()` first: a host refuses a module of another protocol before
//! anything else. Then `registry_init()` once; then for each call: `registry_alloc(len)`, write
//! the request there, `registry_call(ptr, len)` returns `(response_ptr << 32) | response_len`
//! (valid until the next call), `registry_free(ptr, len)`.
#![expect(unsafe_code)]

use std::cell::RefCell;

use registry_core::protocol::{
    Event, FailureKind, PROTOCOL_VERSION, Request, Response, ServiceError,
};
use serde::Serialize;

use crate::host;
use crate::service::{Service, ServiceResult};

thread_local! {
    static SERVICE: RefCell<Option<Service>> = const { RefCell::new(None) };
    static RESPONSE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Handles one JSON request and returns the JSON response.
pub fn handle(request: &[u8]) -> Vec<u8> {
    let answer = serde_json::from_slice::<Request>(request)
        .map_err(|e| ServiceError::bad_request(format!("invalid request: {e}")))
        .and_then(dispatch);
    let response = Response::from(answer);
    serde_json::to_vec(&response).unwrap_or_else(|e| {
        let error = Response::<()>::Error(ServiceError::internal(e.to_string()));
        // A response of two strings always serializes.
        serde_json::to_vec(&error).unwrap_or_default()
    })
}

/// An answer as JSON, so that every request's answer has one type.
fn answer(value: impl Serialize) -> ServiceResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| ServiceError::internal(e.to_string()))
}

fn dispatch(request: Request) -> ServiceResult<serde_json::Value> {
    if let Request::Open { history, now_ms } = request {
        let mut service = Service::open(history, now_ms, Box::new(host::clock_ms))?;
        service.set_event_listener(Some(Box::new(|event| {
            send(event);
        })));
        SERVICE.with(|slot| *slot.borrow_mut() = Some(service));
        return answer(());
    }
    if let Request::OpenStored {
        versions,
        checkpoints,
    } = request
    {
        let source = Box::new(host::StoredHistory);
        let mut service =
            Service::open_stored(&versions, &checkpoints, source, Box::new(host::clock_ms))?;
        service.set_event_listener(Some(Box::new(send)));
        SERVICE.with(|slot| *slot.borrow_mut() = Some(service));
        return answer(());
    }
    SERVICE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let service = slot.as_mut().ok_or_else(|| ServiceError {
            kind: FailureKind::NotOpen,
            message: "no registry is open: send an open request first".into(),
        })?;
        match request {
            Request::Open { .. } | Request::OpenStored { .. } => answer(()),
            Request::Run(run) => answer(service.run(&run)?),
            Request::Versions => answer(service.versions()),
            Request::Entries { version, filter } => {
                answer(service.entries(version, filter.as_deref())?)
            }
            Request::Delta { from, to } => answer(service.delta(from, to)?),
            Request::ApplyVersion { version } => answer(service.apply_version(version)?),
            Request::Export => answer(service.export()?),
            Request::Import { history } => answer(service.import(history)?),
            Request::Check { source } => answer(service.check(&source)),
        }
    })
}

/// Hands one event to the host as JSON. A committed version always holds its operations, so the
/// conversion cannot fail; the host would notice a lost event (its head would differ).
fn send(event: &registry_core::RegistryEvent<'_>) {
    if let Ok(json) = Event::try_from(event).map(|event| serde_json::to_vec(&event))
        && let Ok(json) = json
    {
        host::send_event(&json);
    }
}

/// The protocol this module speaks (`registry_core::protocol::PROTOCOL_VERSION`).
#[unsafe(no_mangle)]
pub extern "C" fn registry_protocol_version() -> u32 {
    PROTOCOL_VERSION
}

/// Runs the module's C++ constructors (the first `open` also does; calling it first is harmless).
#[unsafe(no_mangle)]
pub extern "C" fn registry_init() {
    host::init();
}

/// Allocates `len` bytes for the host to write a request into.
#[unsafe(no_mangle)]
pub extern "C" fn registry_alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0_u8; len].into_boxed_slice()).cast()
}

/// Frees what [`registry_alloc`] returned.
///
/// # Safety
/// `ptr` and `len` must come from one call of [`registry_alloc`], freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn registry_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees ptr/len are one boxed slice made by registry_alloc.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// Handles the request at `ptr..ptr+len`; returns the response's `(ptr << 32) | len`.
///
/// # Safety
/// `ptr..ptr+len` must be readable memory of this module (written after [`registry_alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn registry_call(ptr: *const u8, len: usize) -> u64 {
    // SAFETY: the caller guarantees the range is valid for reads.
    let request = unsafe { std::slice::from_raw_parts(ptr, len) };
    let response = handle(request);
    RESPONSE.with(|slot| {
        let mut slot = slot.borrow_mut();
        *slot = response;
        ((slot.as_ptr() as u64) << 32) | slot.len() as u64
    })
}

#[cfg(test)]
mod tests {
    use registry_core::protocol::RunRequest;
    use serde_json::{Value, json};

    use super::*;

    fn call(request: Value) -> Value {
        serde_json::from_slice(&handle(request.to_string().as_bytes())).expect("responses are JSON")
    }

    fn send(request: &Request) -> Value {
        call(serde_json::to_value(request).expect("requests serialize"))
    }

    #[test]
    fn requests_round_trip_as_json() {
        assert_eq!(
            send(&Request::Versions)["error"]["kind"],
            "not_open",
            "nothing works before open"
        );
        assert_eq!(
            send(&Request::Open {
                history: None,
                now_ms: 10
            }),
            json!({"ok": null})
        );
        let run = send(&Request::Run(RunRequest {
            source: "print('hi') return 1".into(),
            chunk: Some("x.lua".into()),
            now_ms: 20,
            timeout_ms: Some(1000),
            memory_bytes: None,
            output_bytes: None,
        }));
        assert_eq!(run["ok"]["printed"], "hi\n");
        assert_eq!(run["ok"]["returned"], json!([1]));
        assert_eq!(run["ok"]["head"], 0);
        let failed = call(json!({"op": "run", "source": "error('no')", "now_ms": 20}));
        assert_eq!(failed["ok"]["error"]["message"], "no");
        assert_eq!(failed["ok"]["error"]["chunk"], "script.lua");
        assert_eq!(send(&Request::Versions)["ok"]["versions"][0]["time_ms"], 10);
        assert_eq!(
            call(json!({"op": "entries", "filter": ".kind=x"})),
            json!({"ok": []})
        );
        assert_eq!(
            send(&Request::ApplyVersion { version: 3 })["error"],
            json!({"kind": "version_not_found", "message": "version not found: 3"})
        );
        let export = send(&Request::Export)["ok"].clone();
        assert_eq!(
            call(json!({"op": "import", "history": export})),
            json!({"ok": null})
        );
        assert_eq!(call(json!({"op": "nope"}))["error"]["kind"], "bad_request");
        assert_eq!(
            call(json!({"op": "run", "source": "", "now_ms": 1, "extra": 1}))["error"]["kind"],
            "bad_request"
        );
        assert_eq!(
            call(json!({"op": "run", "source": "", "nowMs": 1}))["error"]["kind"],
            "bad_request",
            "one casing on the wire"
        );
    }

    #[test]
    fn buffers_round_trip_through_alloc_and_free() {
        let ptr = registry_alloc(5);
        // SAFETY: ptr is a fresh allocation of 5 bytes, freed once.
        unsafe { registry_free(ptr, 5) };
        assert_eq!(registry_protocol_version(), PROTOCOL_VERSION);
    }
}
