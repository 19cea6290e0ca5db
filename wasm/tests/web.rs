//! The JavaScript API in a real browser (headless Chromium through wasm-pack), and the
//! conformance scripts run through it.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Reflect};
use registry_conformance::{Case, Chunk, Outcome};
use registry_wasm::js::JsRegistry;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// 2026's milliseconds are exact in a double.
const NOW_MS: f64 = registry_conformance::NOW_MS as f64;

/// Every conformance case as `(name, seed, script, expected output)`, with the seed as
/// `(path, chunk name, source)` and the script as `(chunk name, source)`; embedded by build.rs.
type EmbeddedCase = (
    &'static str,
    Option<(&'static str, &'static str, &'static str)>,
    (&'static str, &'static str),
    Option<&'static str>,
);
const CASES: &[EmbeddedCase] = include!(concat!(env!("OUT_DIR"), "/conformance_cases.rs"));

fn chunk((name, source): (&str, &str)) -> Chunk {
    Chunk {
        name: name.to_owned(),
        source: source.to_owned(),
    }
}

/// A plain JavaScript value, as a page would pass it.
fn js(value: Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::UNDEFINED)
}

fn rust(value: &JsValue) -> Value {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn registry() -> JsRegistry {
    JsRegistry::new(NOW_MS, JsValue::UNDEFINED).expect("a registry opens")
}

fn run(registry: &mut JsRegistry, source: &str) -> Value {
    rust(
        &registry
            .run(js(
                json!({"source": source, "chunk": "web.lua", "now_ms": NOW_MS}),
            ))
            .expect("limits are valid"),
    )
}

const SEED: &str = "local r = require('registry')
    r.snapshot():changes():create({id = 'svc:a', kind = 'service', meta = {env = 'prod'}, data = {port = 8080}})
        :create({id = 'cfg:b', kind = 'config'}):apply()
    r.snapshot():changes():delete('cfg:b'):apply()";

#[wasm_bindgen_test]
fn conformance_scripts_pass_in_the_browser() {
    let mut failures = Vec::new();
    for &(name, seed, script, expected) in CASES {
        let case = Case {
            name: name.to_owned(),
            seed: seed.map(|(path, name, source)| (path.to_owned(), chunk((name, source)))),
            script: chunk(script),
            expected: expected.map(str::to_owned),
        };
        let mut registry = registry();
        let outcome = case.run(|chunk| {
            let request = json!({"source": chunk.source, "chunk": chunk.name, "now_ms": NOW_MS});
            let result = rust(&registry.run(js(request)).expect("limits are valid"));
            Ok(Outcome {
                printed: result["printed"].as_str().unwrap_or_default().to_owned(),
                error: (!result["error"].is_null()).then(|| result["error"].to_string()),
            })
        });
        let verdict = outcome.and_then(|o| registry_conformance::verdict(&o, expected));
        if let Err(failure) = verdict {
            failures.push(format!("{name}: {failure}"));
        }
    }
    assert!(CASES.len() >= 20, "the conformance cases are embedded");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn run_returns_printed_returned_error_and_head() {
    let mut registry = registry();
    let result = run(&mut registry, "print('hi', 1) return 8080, {a = {true}}");
    assert_eq!(
        result,
        json!({"printed": "hi\t1\n", "returned": [8080, {"a": [true]}], "error": null, "head": 0})
    );
    let failed = run(&mut registry, "\nerror('boom')");
    assert_eq!(failed["error"]["line"], 2);
    assert_eq!(failed["error"]["message"], "boom");
    assert_eq!(failed["error"]["chunk"], "web.lua");
    let returned = run(
        &mut registry,
        "return select(2, require('registry').get('a:b'))",
    );
    assert_eq!(
        returned["returned"],
        json!([{"kind": "NOT_FOUND", "message": "entry not found: a:b", "details": {"id": "a:b"}}])
    );
}

#[wasm_bindgen_test]
fn unseeded_registries_draw_different_numbers_and_a_seed_repeats_them() {
    // One after the other, as two page loads would: the second VM may reuse the first one's
    // memory, so only the host's clocks that Luau seeds from tell them apart.
    let first = run(&mut registry(), "return math.random()")["returned"].clone();
    let second = run(&mut registry(), "return math.random()")["returned"].clone();
    assert_ne!(first, second);
    let seeded = "math.randomseed(42) return math.random(), math.random(1, 1000)";
    assert_eq!(
        run(&mut registry(), seeded)["returned"],
        run(&mut registry(), seeded)["returned"]
    );
}

#[wasm_bindgen_test]
fn runaway_scripts_stop_at_the_time_limit() {
    let mut registry = registry();
    let request =
        json!({"source": "local n = 0\nwhile true do end", "now_ms": NOW_MS, "timeout_ms": 100});
    let result = rust(&registry.run(js(request)).expect("limits are valid"));
    assert_eq!(
        (&result["error"]["message"], &result["error"]["line"]),
        (
            &json!("script exceeded its time limit of 100 ms"),
            &json!(2)
        )
    );
    assert_eq!(run(&mut registry, "return 1")["returned"], json!([1]));
}

#[wasm_bindgen_test]
fn check_locates_the_first_syntax_error_without_running() {
    let registry = registry();
    let found = rust(
        &registry
            .check("print('ü')\nlocal x = = 1\n")
            .expect("a check answers"),
    );
    assert_eq!(
        found,
        json!({"line": 2, "column": 11, "end_line": 2, "end_column": 12,
               "message": "Expected identifier when parsing expression, got '='"})
    );
    let clean = registry
        .check("registry.snapshot():changes():delete('a:b'):apply()")
        .expect("a check answers");
    assert!(clean.is_null());
    assert_eq!(
        rust(&registry.versions().expect("versions")).get("head"),
        Some(&json!(0)),
        "nothing ran"
    );
}

#[wasm_bindgen_test]
fn versions_entries_delta_and_apply_version() {
    let mut registry = registry();
    run(&mut registry, SEED);
    let versions = rust(&registry.versions().expect("serializes"));
    assert_eq!(versions["head"], 2);
    assert_eq!(
        versions["versions"][1],
        json!({"id": 1, "parent": 0, "time_ms": NOW_MS as i64, "ops": 2})
    );
    let svc_a =
        json!({"id": "svc:a", "kind": "service", "meta": {"env": "prod"}, "data": {"port": 8080}});
    let entries = rust(
        &registry
            .entries(Some(1.0), Some(".kind=service".into()), None, None)
            .expect("v1 exists"),
    );
    assert_eq!(entries, json!({"entries": [svc_a.clone()], "total": 1}));
    // a page: only its entries are converted
    let page = rust(
        &registry
            .entries(Some(1.0), None, Some(1.0), Some(1.0))
            .expect("v1 exists"),
    );
    assert_eq!(page, json!({"entries": [svc_a.clone()], "total": 2}));
    let bad = registry
        .entries(None, None, Some(-1.0), None)
        .expect_err("a negative offset");
    assert_eq!(
        bad.dyn_into::<js_sys::Error>().expect("an Error").name(),
        "bad_request"
    );
    let by_id = rust(
        &registry
            .entries_with_ids(Some(1.0), vec!["svc:a".into(), "gone:x".into()])
            .expect("v1 exists"),
    );
    assert_eq!(by_id, json!([svc_a]));
    let delta = rust(&registry.delta(1.0, 2.0).expect("versions exist"));
    assert_eq!(
        delta,
        json!([{"kind": "entry.delete", "entry": {"id": "cfg:b"}}])
    );
    registry.apply_version(1.0).expect("v1 exists");
    assert_eq!(rust(&registry.versions().expect("serializes"))["head"], 1);
}

#[wasm_bindgen_test]
fn errors_are_thrown_with_their_kind_as_name() {
    let mut registry = registry();
    let error = registry
        .apply_version(42.0)
        .expect_err("v42 does not exist");
    let error: js_sys::Error = error.dyn_into().expect("an Error object");
    assert_eq!(error.name(), "version_not_found");
    assert_eq!(error.message(), "version not found: 42");
    let bad = registry
        .run(js(json!({"source": 1})))
        .expect_err("source must be a string");
    assert_eq!(
        bad.dyn_into::<js_sys::Error>().expect("an Error").name(),
        "bad_request"
    );
}

#[wasm_bindgen_test]
fn export_and_import_restore_the_history() {
    let mut registry = registry();
    run(&mut registry, SEED);
    let exported = registry.export_history().expect("serializes");
    let restored = JsRegistry::new(NOW_MS, exported.clone()).expect("the export imports");
    assert_eq!(
        rust(&restored.export_history().expect("serializes")),
        rust(&exported)
    );
    let mut broken = rust(&exported);
    broken["versions"][1]["parent"] = json!(5);
    let error = registry
        .import_history(js(broken))
        .expect_err("a dangling parent is refused");
    assert_eq!(
        error
            .dyn_into::<js_sys::Error>()
            .expect("an Error")
            .message(),
        "v1: parent must be an earlier version"
    );
    assert_eq!(
        rust(&registry.versions().expect("serializes"))["head"],
        2,
        "a refused import changes nothing"
    );
}

#[wasm_bindgen_test]
fn on_event_hears_each_commit_and_printed_line() {
    let mut registry = registry();
    let heard = Array::new();
    let push = Function::new_with_args("event", "this.push(event)").bind0(&heard);
    registry.on_event(Some(push));
    run(&mut registry, &format!("{SEED} print('done', 2)"));
    assert_eq!(heard.length(), 3);
    assert_eq!(
        rust(&heard.get(2)),
        json!({"event": "printed", "text": "done\t2\n"})
    );
    let first = heard.get(0);
    assert_eq!(
        Reflect::get(&first, &"event".into())
            .ok()
            .and_then(|v| v.as_string())
            .as_deref(),
        Some("committed")
    );
    assert_eq!(rust(&first)["version"]["id"], 1);
}
