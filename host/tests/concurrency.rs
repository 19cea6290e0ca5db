//! Concurrent processes on one store. The model (see `host/src/store/mod.rs`): one writer at a time.
//! A command that writes holds the store's writer lock from before it loads the history until it
//! exits, so runs take turns, each starting from the latest head, and none loses another's
//! update; a writer waits for the lock up to `--wait`, then fails naming the store and the wait.
//! Readers take no lock and see the versions committed so far, even while a run goes on.
//!
//! Because runs are serialized, a changeset can only be stale with respect to versions of its own
//! run; there the core's conflict rule refuses it, and nothing is overwritten.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{
    CHILD_DEADLINE, CREATE, Outcome, Spawned, UPDATE, export, head, host, run_host, run_script,
    stdout,
};
use serde_json::json;

const STATE: &str = "shared.db";

/// Writers started at once.
const WRITERS: usize = 3;
/// Increments each writer applies, one changeset each.
const INCREMENTS: u64 = 40;

/// Reads the counter and writes it back plus one, `INCREMENTS` times, each in its own changeset
/// on a fresh snapshot, spinning a little between them so that the runs overlap; prints each
/// version's id.
fn incrementer(writer: usize) -> String {
    format!(
        r#"local r = require("registry")
for step = 1, {INCREMENTS} do
    local n = r.get("c:counter").data.n
    local v = assert(r.snapshot():changes()
        :update({{id = "c:counter", kind = "counter", data = {{n = n + 1, writer = {writer}, step = step}}}})
        :apply())
    print(v:id())
    local t = os.clock() while os.clock() - t < 0.002 do end
end
"#
    )
}

fn spawn(dir: &std::path::Path, args: &[&str]) -> Spawned {
    Spawned::new(host(dir).args(args))
}

fn finish(child: Spawned) -> Outcome {
    child.finish(CHILD_DEADLINE, "a run to exit")
}

#[test]
fn concurrent_runs_take_turns_and_lose_no_update() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let create = r#"assert(require("registry").snapshot():changes()
        :create({id = "c:counter", kind = "counter", data = {n = 0}}):apply())"#;
    assert_eq!(
        run_script(dir, STATE, "create.lua", create, &[]).code,
        Some(0)
    );
    let children: Vec<Spawned> = (0..WRITERS)
        .map(|writer| {
            let name = format!("writer{writer}.lua");
            std::fs::write(dir.join(&name), incrementer(writer)).expect("a writable folder");
            spawn(dir, &["--state", STATE, "run", &name])
        })
        .collect();
    let outcomes: Vec<Outcome> = children.into_iter().map(finish).collect();

    let mut committed = BTreeSet::new();
    let mut by_writer = Vec::new();
    for (writer, outcome) in outcomes.iter().enumerate() {
        assert_eq!(
            (outcome.code, outcome.stderr.as_str()),
            (Some(0), ""),
            "writer {writer}: {outcome:?}"
        );
        let ids: Vec<u64> = outcome
            .stdout
            .lines()
            .map(|line| line.parse().expect("a version id per line"))
            .collect();
        assert_eq!(ids.len() as u64, INCREMENTS, "writer {writer}: {ids:?}");
        // Each run held the store from start to end: its versions are consecutive.
        assert!(
            ids.windows(2).all(|pair| pair[1] == pair[0] + 1),
            "writer {writer} was interleaved with another: {ids:?}"
        );
        for &id in &ids {
            assert!(committed.insert(id), "v{id} was reported twice");
        }
        by_writer.push(ids);
    }
    let total = WRITERS as u64 * INCREMENTS;
    assert_eq!(
        committed,
        (2..=total + 1).collect(),
        "ids are unique and dense after v1"
    );

    let history = export(dir, STATE);
    let versions = history["versions"].as_array().expect("versions");
    assert_eq!(
        versions.len() as u64,
        total + 2,
        "v0, v1 and every increment"
    );
    assert_eq!(history["head"], total + 1);
    for (writer, ids) in by_writer.iter().enumerate() {
        for (step, &id) in (1..).zip(ids) {
            let version = &versions[id as usize];
            assert_eq!(version["parent"], id - 1, "v{id} is on the latest head");
            assert_eq!(
                version["ops"],
                json!([{"kind": "entry.update", "entry": {
                    "id": "c:counter", "kind": "counter", "meta": {},
                    "data": {"n": id - 1, "writer": writer, "step": step}
                }}]),
                "v{id} is step {step} of writer {writer}, on the count before it"
            );
        }
    }
    let counter = stdout(dir, &["--state", STATE, "show", "--where", ".id=c:counter"]);
    assert!(
        counter.contains(&format!("\"n\":{total}")),
        "no increment was lost: {counter}"
    );
}

#[test]
fn readers_are_not_blocked_by_a_long_run_and_writers_wait_their_turn() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    std::fs::write(
        dir.join("long.lua"),
        format!("{CREATE}\nprint('committed')\nwhile true do end"),
    )
    .expect("a writable folder");
    // Long enough that a reader it blocked could not answer in time, even on a busy machine.
    let long = spawn(
        dir,
        &["--state", STATE, "run", "--timeout", "8s", "long.lua"],
    );
    let started = Instant::now();
    // Wait for its commit, seen through a reader.
    while !stdout(dir, &["--state", STATE, "log"]).starts_with("* v1 ") {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "v1 never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Readers answer at once, with what is committed.
    for args in [
        &["log"][..],
        &["show"],
        &["diff", "0", "1"],
        &["export", "-"],
    ] {
        let asked = Instant::now();
        let outcome = run_host(dir, &[&["--state", STATE][..], args].concat());
        assert_eq!(
            outcome.code,
            Some(0),
            "{args:?} during the run: {outcome:?}"
        );
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "{args:?} waited {:?} for the run",
            asked.elapsed()
        );
    }
    assert!(stdout(dir, &["--state", STATE, "show", "v1"]).contains("svc:api"));
    // A writer that will not wait long gives up, saying why; one that waits gets its turn.
    let waited = Instant::now();
    std::fs::write(dir.join("next.lua"), UPDATE).expect("a writable folder");
    let impatient = run_host(
        dir,
        &["--state", STATE, "--wait", "300ms", "run", "next.lua"],
    );
    assert_eq!(impatient.code, Some(2), "{impatient:?}");
    assert_eq!(
        impatient.stderr,
        format!(
            "error: {STATE} is in use by another registry-host: gave up after waiting 300ms for \
             it to finish (see --wait)\n"
        )
    );
    assert!(
        waited.elapsed() < Duration::from_secs(3),
        "{:?}",
        waited.elapsed()
    );
    assert_eq!(impatient.stdout, "", "the script did not run");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the checks outlived the run"
    );
    let patient = spawn(dir, &["--state", STATE, "--wait", "20s", "run", "next.lua"]);
    let long = finish(long);
    assert_eq!(long.code, Some(3), "{long:?}");
    assert_eq!(long.stdout, "committed\n");
    let patient = finish(patient);
    assert_eq!(
        (patient.code, patient.stdout.as_str()),
        (Some(0), "9090\n"),
        "{patient:?}"
    );
    assert_eq!(head(dir, STATE), 2, "the waiting run started from v1");
    assert_eq!(export(dir, STATE)["versions"][2]["parent"], 1);
}

#[test]
fn a_stale_changeset_meets_the_conflict_rule_and_overwrites_nothing() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    assert_eq!(
        run_script(dir, STATE, "create.lua", CREATE, &[]).code,
        Some(0)
    );
    let stale = r#"local r = require("registry")
local old = r.snapshot()
assert(r.snapshot():changes():update({id = "svc:api", kind = "service", data = {port = 1}}):apply())
local version, message = old:changes():update({id = "svc:api", kind = "service", data = {port = 2}}):apply()
print(version, message)
assert(old:changes():update({id = "cfg:db", kind = "config", data = {x = 1}}):apply())
"#;
    let outcome = run_script(dir, STATE, "stale.lua", stale, &[]);
    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (
            Some(0),
            "nil\tconflict: svc:api was changed in v2 after snapshot v1\n"
        ),
        "{outcome:?}"
    );
    let history = export(dir, STATE);
    assert_eq!(
        history["head"], 3,
        "the untouched id applied on the stale snapshot"
    );
    let api = stdout(dir, &["--state", STATE, "show", "--where", ".id=svc:api"]);
    assert!(api.contains("\"port\":1"), "nothing was overwritten: {api}");
}

#[test]
fn a_lock_held_outside_registry_host_fails_a_commit_after_the_wait_and_keeps_the_store() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    assert_eq!(
        run_script(dir, STATE, "create.lua", CREATE, &[]).code,
        Some(0)
    );
    // Someone holds SQLite's write lock, with the sqlite3 shell say.
    let other = rusqlite::Connection::open(dir.join(STATE)).expect("the store");
    other
        .execute_batch("BEGIN IMMEDIATE")
        .expect("the write lock");
    let started = Instant::now();
    let outcome = run_script(dir, STATE, "update.lua", UPDATE, &["--wait", "300ms"]);
    assert_eq!(outcome.code, Some(2), "{outcome:?}");
    assert_eq!(
        outcome.stderr,
        format!(
            "error: {STATE} is locked by another process: gave up after waiting 300ms (see \
             --wait)\n"
        )
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(head(dir, STATE), 1, "readers still read");
    other.execute_batch("ROLLBACK").expect("a rollback");
    drop(other);
    let outcome = run_script(dir, STATE, "update.lua", UPDATE, &[]);
    assert_eq!((outcome.code, outcome.stdout.as_str()), (Some(0), "9090\n"));
    assert_eq!(head(dir, STATE), 2);
}
