//! The JavaScript API: one stateful `Registry` object over a [`Service`], with plain JS values
//! (serde-wasm-bindgen, JSON-compatible) at the boundary: the protocol's values, with their
//! generated TypeScript declarations.

use js_sys::Function;
use registry_core::protocol::{Event, RunRequest, ServiceError};
use registry_core::{HistoryExport, VersionId, version_id_from_number};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::host;
use crate::service::Service;

/// The protocol's TypeScript declarations, generated from `registry_core::protocol`'s types by
/// registry-core's tests, appended to wasm-bindgen's `.d.ts`.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("../../registry-core/typescript/protocol.ts");

/// One registry with its Luau VM. Errors are thrown as `Error`s whose `name` is the kind
/// (`version_not_found`, `invalid_history`, ...).
#[wasm_bindgen(js_name = Registry)]
#[derive(Debug)]
pub struct JsRegistry {
    service: Service,
}

#[wasm_bindgen(js_class = Registry)]
impl JsRegistry {
    /// An empty registry created at `nowMs`, or one restored from an exported history.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
        #[wasm_bindgen(unchecked_param_type = "HistoryExport | undefined")] history: JsValue,
    ) -> Result<JsRegistry, JsValue> {
        let history = if history.is_undefined() || history.is_null() {
            None
        } else {
            Some(HistoryExport::from_value(from_js(history)?).map_err(|e| to_error(e.into()))?)
        };
        let mut service =
            Service::open(history, whole_ms(now_ms), Box::new(host::clock_ms)).map_err(to_error)?;
        // V8 (Node, browsers) runs a long script on baseline code unless it re-enters.
        service.set_interpreter_reentry(true);
        Ok(Self { service })
    }

    /// Runs a script.
    #[wasm_bindgen(unchecked_return_type = "RunResult")]
    pub fn run(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "RunRequest")] request: JsValue,
    ) -> Result<JsValue, JsValue> {
        let request: RunRequest = from_js(request)?;
        to_js(&self.service.run(&request).map_err(to_error)?)
    }

    /// The script's first syntax or compile error, found without running it; `null` when it
    /// compiles.
    #[wasm_bindgen(unchecked_return_type = "SyntaxError | null")]
    pub fn check(&self, source: &str) -> Result<JsValue, JsValue> {
        to_js(&self.service.check(source))
    }

    /// Every version with its parent, time and op count, and the head.
    #[wasm_bindgen(unchecked_return_type = "VersionList")]
    pub fn versions(&self) -> Result<JsValue, JsValue> {
        to_js(&self.service.versions())
    }

    /// The entries at a version (head when omitted) matching criteria in text form: `limit` of
    /// them (all when omitted) from the `offset`th on (0 when omitted), and how many match in
    /// all. Only the entries of the page are converted.
    #[wasm_bindgen(unchecked_return_type = "{ entries: Entry[]; total: number }")]
    pub fn entries(
        &self,
        version: Option<f64>,
        filter: Option<String>,
        offset: Option<f64>,
        limit: Option<f64>,
    ) -> Result<JsValue, JsValue> {
        let version = version.map(version_id).transpose()?;
        let offset = offset.map(count).transpose()?.unwrap_or(0);
        let limit = limit.map(count).transpose()?.unwrap_or(usize::MAX);
        to_js(
            &self
                .service
                .entries_page(version, filter.as_deref(), offset, limit)
                .map_err(to_error)?,
        )
    }

    /// The entries with these ids at a version (head when omitted), in the order given; ids it
    /// does not hold are left out.
    #[wasm_bindgen(js_name = entriesWithIds, unchecked_return_type = "Entry[]")]
    pub fn entries_with_ids(
        &self,
        version: Option<f64>,
        ids: Vec<String>,
    ) -> Result<JsValue, JsValue> {
        let version = version.map(version_id).transpose()?;
        to_js(
            &self
                .service
                .entries_with_ids(version, &ids)
                .map_err(to_error)?,
        )
    }

    /// The operations that turn version `from` into version `to`.
    #[wasm_bindgen(unchecked_return_type = "Op[]")]
    pub fn delta(&self, from: f64, to: f64) -> Result<JsValue, JsValue> {
        to_js(
            &self
                .service
                .delta(version_id(from)?, version_id(to)?)
                .map_err(to_error)?,
        )
    }

    /// Moves head to a version (rollback or forward).
    #[wasm_bindgen(js_name = applyVersion)]
    pub fn apply_version(&mut self, version: f64) -> Result<(), JsValue> {
        self.service
            .apply_version(version_id(version)?)
            .map_err(to_error)
    }

    /// The whole history in the core's export format.
    #[wasm_bindgen(js_name = "export", unchecked_return_type = "HistoryExport")]
    pub fn export_history(&self) -> Result<JsValue, JsValue> {
        to_js(&self.service.export().map_err(to_error)?)
    }

    /// Replaces the registry with an exported history; on any error nothing changes.
    #[wasm_bindgen(js_name = "import")]
    pub fn import_history(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "HistoryExport")] history: JsValue,
    ) -> Result<(), JsValue> {
        let history =
            HistoryExport::from_value(from_js(history)?).map_err(|e| to_error(e.into()))?;
        self.service.import(history).map_err(to_error)
    }

    /// Calls `listener` with each version a script commits and each head move, as they happen
    /// (`undefined` stops it).
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "((event: RegistryEvent) => void) | undefined")]
        listener: Option<Function>,
    ) {
        self.service.set_event_listener(listener.map(|listener| {
            Box::new(move |event: &registry_core::RegistryEvent<'_>| {
                // A committed version always holds its operations: the conversion cannot fail.
                if let Ok(event) = Event::try_from(event)
                    && let Ok(message) = to_js(&event)
                {
                    // A throwing listener must not abort the script's run.
                    let _ = listener.call1(&JsValue::NULL, &message);
                }
            }) as registry_core::EventListener
        }));
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| to_error(ServiceError::internal(e.to_string())))
}

fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| to_error(ServiceError::bad_request(format!("invalid argument: {e}"))))
}

fn to_error(error: ServiceError) -> JsValue {
    let js = js_sys::Error::new(&error.message);
    js.set_name(error.kind.name());
    js.into()
}

fn version_id(number: f64) -> Result<VersionId, JsValue> {
    version_id_from_number(number).map_err(|e| to_error(e.into()))
}

/// A count or position from JavaScript: a whole number, 0 or more.
fn count(number: f64) -> Result<usize, JsValue> {
    if number >= 0.0 && number.fract() == 0.0 && number <= usize::MAX as f64 {
        Ok(number as usize)
    } else {
        Err(to_error(ServiceError::bad_request(format!(
            "invalid argument: {number} is not a count"
        ))))
    }
}

fn whole_ms(ms: f64) -> i64 {
    ms as i64
}
