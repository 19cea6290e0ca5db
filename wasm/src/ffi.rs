//! The C ABI for wasmtime: JSON requests in, JSON responses out, over the same [`Service`].
//!
//! `registry_init()` once; then for each call: `registry_alloc(len)`, write the request there,
//! `registry_call(ptr, len)` returns `(response_ptr << 32) | response_len` (valid until the next
//! call), `registry_free(ptr, len)`. A response is `{"ok": ...}` or `{"error": {kind, message}}`.
#![allow(unsafe_code)]

use std::cell::RefCell;

use registry_core::{HistoryExport, VersionId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::host;
use crate::service::{EventMessage, RunRequest, Service, ServiceError, ServiceResult};

/// One request, tagged by `op`.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Request {
    /// Creates the registry, from an export or empty.
    Open {
        #[serde(default)]
        history: Option<Value>,
        now_ms: i64,
    },
    Run(RunRequest),
    Versions,
    Entries {
        #[serde(default)]
        version: Option<VersionId>,
        #[serde(default)]
        filter: Option<String>,
    },
    Delta {
        from: VersionId,
        to: VersionId,
    },
    ApplyVersion {
        version: VersionId,
    },
    Export,
    Import {
        history: Value,
    },
}

thread_local! {
    static SERVICE: RefCell<Option<Service>> = const { RefCell::new(None) };
    static RESPONSE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `{"ok": value}`, serialized from the typed value so fields keep their declared order.
fn ok(value: impl Serialize) -> ServiceResult<Vec<u8>> {
    #[derive(Serialize)]
    struct Ok<T> {
        ok: T,
    }
    serde_json::to_vec(&Ok { ok: value }).map_err(|e| ServiceError {
        kind: "internal",
        message: e.to_string(),
    })
}

/// Handles one JSON request and returns the JSON response.
pub fn handle(request: &[u8]) -> Vec<u8> {
    let result = serde_json::from_slice::<Request>(request)
        .map_err(|e| ServiceError {
            kind: "bad_request",
            message: format!("invalid request: {e}"),
        })
        .and_then(dispatch);
    result.unwrap_or_else(|error| json!({ "error": error }).to_string().into_bytes())
}

fn dispatch(request: Request) -> ServiceResult<Vec<u8>> {
    if let Request::Open { history, now_ms } = request {
        let history = history.map(HistoryExport::from_value).transpose()?;
        let mut service = Service::open(history, now_ms, Box::new(host::clock_ms))?;
        service.set_event_listener(Some(Box::new(|event| {
            if let Ok(json) = serde_json::to_vec(&EventMessage::from(event)) {
                host::send_event(&json);
            }
        })));
        SERVICE.with(|slot| *slot.borrow_mut() = Some(service));
        return ok(());
    }
    SERVICE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let service = slot.as_mut().ok_or_else(|| ServiceError {
            kind: "not_open",
            message: "no registry is open: send an open request first".into(),
        })?;
        match request {
            Request::Open { .. } => ok(()),
            Request::Run(run) => ok(service.run(&run)?),
            Request::Versions => ok(service.versions()),
            Request::Entries { version, filter } => {
                ok(service.entries(version, filter.as_deref())?)
            }
            Request::Delta { from, to } => ok(service.delta(from, to)?),
            Request::ApplyVersion { version } => ok(service.apply_version(version)?),
            Request::Export => ok(service.export()),
            Request::Import { history } => ok(service.import(HistoryExport::from_value(history)?)?),
        }
    })
}

/// Runs the module's C++ constructors (the first `open` also does; calling it first is harmless).
#[unsafe(no_mangle)]
pub extern "C" fn registry_init() {
    host::init();
}

/// Allocates `len` bytes for the host to write a request into.
#[unsafe(no_mangle)]
pub extern "C" fn registry_alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Frees what [`registry_alloc`] returned.
///
/// # Safety
/// `ptr` and `len` must come from one call of [`registry_alloc`], freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn registry_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees ptr/len describe an allocation made by registry_alloc.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
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
    use super::*;

    fn call(request: Value) -> Value {
        serde_json::from_slice(&handle(request.to_string().as_bytes())).expect("responses are JSON")
    }

    #[test]
    fn requests_round_trip_as_json() {
        assert_eq!(
            call(json!({"op": "versions"}))["error"]["kind"],
            "not_open",
            "nothing works before open"
        );
        assert_eq!(
            call(json!({"op": "open", "nowMs": 10})),
            json!({"ok": null})
        );
        let run = call(json!({
            "op": "run", "source": "print('hi') return 1", "chunk": "x.lua", "nowMs": 20, "timeoutMs": 1000
        }));
        assert_eq!(run["ok"]["printed"], "hi\n");
        assert_eq!(run["ok"]["returned"], json!([1]));
        assert_eq!(run["ok"]["head"], 0);
        let failed = call(json!({"op": "run", "source": "error('no')", "nowMs": 20}));
        assert_eq!(failed["ok"]["error"]["message"], "no");
        assert_eq!(failed["ok"]["error"]["chunk"], "script.lua");
        assert_eq!(
            call(json!({"op": "versions"}))["ok"]["versions"][0]["timeMs"],
            10
        );
        assert_eq!(
            call(json!({"op": "entries", "filter": ".kind=x"})),
            json!({"ok": []})
        );
        assert_eq!(
            call(json!({"op": "apply_version", "version": 3}))["error"]["kind"],
            "version_not_found"
        );
        let export = call(json!({"op": "export"}))["ok"].clone();
        assert_eq!(
            call(json!({"op": "import", "history": export})),
            json!({"ok": null})
        );
        assert_eq!(call(json!({"op": "nope"}))["error"]["kind"], "bad_request");
        assert_eq!(
            call(json!({"op": "run", "source": "", "nowMs": 1, "extra": 1}))["error"]["kind"],
            "bad_request"
        );
    }
}
