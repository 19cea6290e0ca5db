//! `--module` runs whatever module it is given, so registry-host trusts nothing such a module
//! says: a module of another protocol is refused before it runs, every version and head move it
//! reports is checked before it is stored, read commands accept no change at all, and a module
//! that never answers is stopped. Each foreign module here is a few lines of WebAssembly text
//! that answers the host's calls from a script.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{CREATE, Outcome, run_host, run_script, stdout};
use registry_core::protocol::PROTOCOL_VERSION;

const STATE: &str = "store.db";

/// What a foreign module does at one call of `registry_call`: report `event` (if any) through
/// `registryEvent`, then answer `answer`, or never answer.
struct Step {
    event: Option<String>,
    answer: Option<String>,
}

fn answer(json: &str) -> Step {
    Step {
        event: None,
        answer: Some(json.to_owned()),
    }
}

fn event_then(event: &str, json: &str) -> Step {
    Step {
        event: Some(event.to_owned()),
        answer: Some(json.to_owned()),
    }
}

const OK: &str = r#"{"ok":null}"#;

/// A module that says it speaks `protocol` and answers call n with `steps[n]` (the last step
/// repeats).
fn module(protocol: Option<u32>, steps: &[Step]) -> Vec<u8> {
    let mut data = String::new();
    let mut offset = 1024_u32;
    let mut place = |bytes: &str| {
        let at = offset;
        let escaped: String = bytes.bytes().map(|b| format!("\\{b:02x}")).collect();
        data.push_str(&format!("  (data (i32.const {at}) \"{escaped}\")\n"));
        offset += u32::try_from(bytes.len()).expect("small") + 1;
        (at, bytes.len())
    };
    let mut calls = String::new();
    for (n, step) in steps.iter().enumerate() {
        let last = n + 1 == steps.len();
        let test = if last { "i32.ge_u" } else { "i32.eq" };
        let mut body = String::new();
        if let Some(event) = &step.event {
            let (at, len) = place(event);
            body.push_str(&format!(
                "(call $event (i32.const {at}) (i32.const {len}))\n"
            ));
        }
        match &step.answer {
            Some(json) => {
                let (at, len) = place(json);
                let packed = (u64::from(at) << 32) | len as u64;
                body.push_str(&format!("(return (i64.const {packed}))\n"));
            }
            None => body.push_str("(loop $forever (br $forever))\n"),
        }
        calls.push_str(&format!(
            "(if ({test} (local.get $n) (i32.const {n})) (then {body}))\n"
        ));
    }
    let protocol = protocol
        .map(|version| {
            format!(
                "(func (export \"registry_protocol_version\") (result i32) (i32.const {version}))"
            )
        })
        .unwrap_or_default();
    let text = format!(
        r#"(module
  (import "host" "registryEvent" (func $event (param i32 i32)))
  (memory (export "memory") 2)
  (global $calls (mut i32) (i32.const 0))
{data}
  {protocol}
  (func (export "registry_init"))
  (func (export "registry_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "registry_free") (param i32 i32))
  (func (export "registry_call") (param i32 i32) (result i64)
    (local $n i32)
    (local.set $n (global.get $calls))
    (global.set $calls (i32.add (local.get $n) (i32.const 1)))
    {calls}
    unreachable))"#
    );
    let wasm = wat::parse_str(&text);
    assert!(wasm.is_ok(), "{wasm:?}\n{text}");
    wasm.unwrap_or_default()
}

/// Runs `registry-host --module foreign.wasm ARGS` on the store in `dir`.
fn with_module(dir: &Path, wasm: &[u8], args: &[&str]) -> Outcome {
    std::fs::write(dir.join("foreign.wasm"), wasm).expect("a writable folder");
    let mut all = vec!["--module", "foreign.wasm", "--state", STATE];
    all.extend_from_slice(args);
    run_host(dir, &all)
}

/// A store holding v1 (from the real module), and its export.
fn store_with_v1(dir: &Path) -> serde_json::Value {
    assert_eq!(
        run_script(dir, STATE, "create.lua", CREATE, &[]).code,
        Some(0)
    );
    common::export(dir, STATE)
}

fn assert_refused(outcome: &Outcome, code: i32, problem: &str) {
    assert_eq!(outcome.code, Some(code), "{outcome:?}");
    assert!(
        outcome.stderr.contains(problem),
        "expected {problem:?} in {}",
        outcome.stderr
    );
}

/// A `run` answer with head at `head`.
fn ran(head: u64) -> String {
    format!(r#"{{"ok":{{"printed":"","returned":[],"error":null,"head":{head}}}}}"#)
}

#[test]
fn a_module_of_another_protocol_is_refused_before_it_runs() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let older = module(Some(PROTOCOL_VERSION - 1), &[answer(OK)]);
    let outcome = with_module(dir, &older, &["log"]);
    assert_refused(
        &outcome,
        2,
        &format!(
            "error: the module speaks registry protocol {}, but this registry-host speaks \
             protocol {PROTOCOL_VERSION}: build the module from the same sources",
            PROTOCOL_VERSION - 1
        ),
    );
    let foreign = module(None, &[answer(OK)]);
    for args in [&["log"][..], &["run", "-"]] {
        let outcome = with_module(dir, &foreign, args);
        assert_refused(
            &outcome,
            2,
            &format!(
                "error: the module does not speak registry protocol {PROTOCOL_VERSION}: it \
                 exports no registry_protocol_version() -> i32"
            ),
        );
    }
    assert!(!dir.join(STATE).exists(), "no store was created");
}

#[test]
fn bogus_versions_from_a_module_are_refused_and_the_store_stays_usable() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let before = store_with_v1(dir);
    std::fs::write(dir.join("x.lua"), "").expect("a writable folder");
    let now = common::NOW_MS;
    let commit = |id: u64, parent: u64, ops: &str| {
        format!(
            r#"{{"event":"committed","version":{{"id":{id},"parent":{parent},"time_ms":{now},"ops":{ops}}}}}"#
        )
    };
    let cases = [
        (
            commit(2, 1, r#"[{"kind":"entry.explode"}]"#),
            2,
            "error: the module sent an event the host cannot read: unknown variant \
             `entry.explode`",
        ),
        (
            // Deletes what v1 never created.
            commit(2, 1, r#"[{"kind":"entry.delete","entry":{"id":"no:such"}}]"#),
            2,
            "error: the module reported a version that does not apply: v2: entry not found: \
             no:such; registry-host refused it",
        ),
        (
            commit(7, 1, r#"[{"kind":"entry.delete","entry":{"id":"cfg:db"}}]"#),
            7,
            "error: the module reported a version that does not apply: version ids must be \
             consecutive from 0: expected v2, found v7; registry-host refused it",
        ),
        (
            commit(2, 0, r#"[{"kind":"entry.delete","entry":{"id":"cfg:db"}}]"#),
            2,
            "error: the module reported the commit of v2 whose parent is not the head v1; \
             registry-host refused it",
        ),
        (
            r#"{"event":"committed","version":{"id":2,"parent":1,"time_ms":5,"ops":[{"kind":"entry.delete","entry":{"id":"cfg:db"}}]}}"#.to_owned(),
            2,
            "error: the module reported v2 at 5 ms, not at the run's time",
        ),
        (
            r#"{"event":"head_moved","head":999}"#.to_owned(),
            999,
            "error: the module reported a move of head to v999, which is not a version; \
             registry-host refused it",
        ),
    ];
    for (event, head, problem) in cases {
        let wasm = module(
            Some(PROTOCOL_VERSION),
            &[answer(OK), event_then(&event, &ran(head))],
        );
        let outcome = with_module(dir, &wasm, &["run", "x.lua"]);
        assert_refused(&outcome, 2, problem);
        assert_eq!(
            common::export(dir, STATE),
            before,
            "{event} changed the store"
        );
    }
    assert!(stdout(dir, &["--state", STATE, "log"]).starts_with("* v1 "));
}

#[test]
fn read_commands_accept_no_change_at_all() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let before = store_with_v1(dir);
    let head_moved = r#"{"event":"head_moved","head":999}"#;
    let list = r#"{"ok":{"head":1,"versions":[]}}"#;
    for wasm in [
        // During the open request, and during the log's own request.
        module(Some(PROTOCOL_VERSION), &[event_then(head_moved, OK)]),
        module(
            Some(PROTOCOL_VERSION),
            &[answer(OK), event_then(head_moved, list)],
        ),
        module(
            Some(PROTOCOL_VERSION),
            &[
                answer(OK),
                event_then(r#"{"event":"head_moved","head":0}"#, list),
            ],
        ),
    ] {
        let outcome = with_module(dir, &wasm, &["log"]);
        assert_refused(
            &outcome,
            2,
            "error: the module reported a change outside a script run, where nothing may change \
             (a move of head to v",
        );
        assert_eq!(common::export(dir, STATE), before);
    }
}

#[test]
fn an_ephemeral_run_neither_checks_nor_keeps_what_it_commits() {
    // A version that does not apply (it deletes what nothing created, on a store without v1)
    // would be refused by a store that keeps it; an ephemeral store keeps nothing.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    std::fs::write(dir.join("x.lua"), "").expect("a writable folder");
    let now = common::NOW_MS;
    let bogus = format!(
        r#"{{"event":"committed","version":{{"id":2,"parent":1,"time_ms":{now},"ops":[{{"kind":"entry.delete","entry":{{"id":"no:such"}}}}]}}}}"#
    );
    let wasm = module(
        Some(PROTOCOL_VERSION),
        &[answer(OK), event_then(&bogus, &ran(2))],
    );
    std::fs::write(dir.join("foreign.wasm"), wasm).expect("a writable folder");
    let outcome = run_host(
        dir,
        &["--module", "foreign.wasm", "--ephemeral", "run", "x.lua"],
    );
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    assert_eq!(outcome.stderr, "");
    assert!(!dir.join("registry.db").exists(), "nothing is kept");
}

#[test]
fn an_ephemeral_run_counts_its_commits_without_reading_their_versions() {
    // Nothing checks or keeps an ephemeral run's versions, so the host reads a commit there only
    // as far as its kind: a version that is no version passes unread, but the commit still
    // counts against the run's bounds, and an event that is not JSON is still refused.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    std::fs::write(dir.join("x.lua"), "").expect("a writable folder");
    let unread = format!(
        r#"{{"event":"committed","version":{{"id":"{}"}}}}"#,
        "not a version ".repeat(100)
    );
    let cases: [(&str, &[&str], i32, &str); 3] = [
        (&unread, &[], 0, ""),
        (
            &unread,
            &["--max-commit-bytes", "1KiB"],
            3,
            "error: the run stopped: it committed 0 bytes of versions (the next would make 1441), \
             the most one run may (raise it with --max-commit-bytes)",
        ),
        (
            r#"{"event":"committed","version":{"id":"#,
            &[],
            2,
            "error: the module sent an event the host cannot read: EOF while parsing",
        ),
    ];
    for (event, options, code, problem) in cases {
        let wasm = module(
            Some(PROTOCOL_VERSION),
            &[answer(OK), event_then(event, &ran(2))],
        );
        std::fs::write(dir.join("foreign.wasm"), wasm).expect("a writable folder");
        let mut args = vec!["--module", "foreign.wasm", "--ephemeral", "run"];
        args.extend(options);
        args.push("x.lua");
        let outcome = run_host(dir, &args);
        if code == 0 {
            assert_eq!(outcome.code, Some(0), "{outcome:?}");
            assert_eq!(outcome.stderr, "");
        } else {
            assert_refused(&outcome, code, problem);
        }
    }
    assert!(!dir.join("registry.db").exists(), "nothing is kept");
}

#[test]
fn printed_text_outside_a_run_is_refused_and_never_shown() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let before = store_with_v1(dir);
    let printed = r#"{"event":"printed","text":"forged output\n"}"#;
    let list = r#"{"ok":{"head":1,"versions":[]}}"#;
    for wasm in [
        // During the open request, and during the log's own request.
        module(Some(PROTOCOL_VERSION), &[event_then(printed, OK)]),
        module(
            Some(PROTOCOL_VERSION),
            &[answer(OK), event_then(printed, list)],
        ),
    ] {
        let outcome = with_module(dir, &wasm, &["log"]);
        assert_refused(
            &outcome,
            2,
            "error: the module reported printed text outside a script run; registry-host \
             refused it",
        );
        assert!(!outcome.stdout.contains("forged output"), "{outcome:?}");
        assert_eq!(common::export(dir, STATE), before);
    }
}

#[test]
fn a_module_that_loops_in_open_is_stopped() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    store_with_v1(dir);
    let looping = module(
        Some(PROTOCOL_VERSION),
        &[Step {
            event: None,
            answer: None,
        }],
    );
    for args in [&["log"][..], &["run", "-"]] {
        let started = Instant::now();
        let outcome = with_module(dir, &looping, args);
        assert_refused(
            &outcome,
            3,
            "error: the module did not answer its open_stored request within 3000 ms: stopped by the host",
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{args:?}");
    }
    assert!(stdout(dir, &["--state", STATE, "log"]).starts_with("* v1 "));
}

#[test]
fn errors_keep_their_kind_protocol_errors_exit_2_and_refusals_1() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let before = store_with_v1(dir);
    for (answer_json, code, problem) in [
        (
            r#"{"error":{"kind":"bad_request","message":"invalid request: nope"}}"#,
            2,
            "error: invalid request: nope\n",
        ),
        (
            r#"{"error":{"kind":"internal","message":"broken"}}"#,
            2,
            "error: broken\n",
        ),
        (
            r#"{"error":{"kind":"version_not_found","message":"version not found: 3"}}"#,
            1,
            "error: version not found: 3\n",
        ),
        (
            r#"{"error":{"kind":"exploded","message":"?"}}"#,
            2,
            "error: the module's answer is not one of this protocol's: ",
        ),
        (
            r#"{"ok":{"head":"one"}}"#,
            2,
            "error: the module's answer is not one of this protocol's: ",
        ),
    ] {
        let wasm = module(Some(PROTOCOL_VERSION), &[answer(OK), answer(answer_json)]);
        let outcome = with_module(dir, &wasm, &["log"]);
        assert_refused(&outcome, code, problem);
        assert_eq!(common::export(dir, STATE), before);
    }
}
