//! Crash safety: `registry-host run` killed with SIGKILL at random points while its script
//! commits one version after another, hundreds of times on one store whose history keeps growing.
//! After every kill the store opens, and it holds exactly the versions whose commit finished:
//! every earlier version unchanged, every version a reader saw committed before the kill, ids
//! dense from v0, each new version on the one before with the one operation its step made, and
//! head the newest. Replay a failure with `REGISTRY_TEST_SEED`.

#![cfg(unix)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{NOW_MS, Random, export, host, run_host};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

/// How many runs are killed.
const KILLS: usize = 200;
/// The changesets each script applies: far more than a run gets through before its kill.
const STEPS: u64 = 2000;
/// Kills land from half the time a command takes to load the store to this long after it.
const PAST_STARTUP: Duration = Duration::from_millis(40);

const STATE: &str = "crash.db";

/// Applies `STEPS` one-op changesets, printing each version's id once it is applied.
fn script(run: usize) -> String {
    format!(
        r#"local r = require("registry")
for step = 1, {STEPS} do
    local changes = r.snapshot():changes()
    local entry = {{id = "crash:counter", kind = "counter", data = {{run = {run}, step = step}}}}
    if r.get("crash:counter") then changes:update(entry) else changes:create(entry) end
    print(assert(changes:apply()):id())
end
"#
    )
}

/// Version `id` as `step` of `run` made it.
fn expected_version(id: u64, run: usize, step: u64) -> Value {
    let kind = if id == 1 {
        "entry.create"
    } else {
        "entry.update"
    };
    json!({
        "id": id,
        "parent": id - 1,
        "time_ms": NOW_MS,
        "ops": [{"kind": kind, "entry": {
            "id": "crash:counter", "kind": "counter", "meta": {}, "data": {"run": run, "step": step}
        }}],
    })
}

/// The newest version a reader sees committed in the store, read through SQLite while the run
/// goes on; `None` before the store exists or while it is being created.
fn committed_so_far(store: &Path) -> Option<u64> {
    let conn = Connection::open_with_flags(store, OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
    conn.query_row("SELECT max(id) FROM versions", [], |row| row.get(0))
        .ok()
}

#[test]
fn killed_runs_keep_every_finished_commit_and_nothing_half_done() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let store = dir.join(STATE);
    let mut random = Random::from_env_or_clock();
    // The versions checked so far, v0 first.
    let mut history: Vec<Value> = Vec::new();
    // How long `log` took last: about how long a run takes to load the store.
    let mut startup = Duration::from_millis(100);
    let (mut before_first_commit, mut mid_run) = (0, 0);
    let started = Instant::now();
    for run in 0..KILLS {
        let name = format!("run{run}.lua");
        std::fs::write(dir.join(&name), script(run)).expect("a writable temporary folder");
        let mut child = host(dir)
            .args(["--state", STATE, "run", "--timeout", "1m", &name])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("registry-host starts");
        let earliest = startup / 2;
        let window = u64::try_from((startup - earliest + PAST_STARTUP).as_micros()).unwrap_or(0);
        std::thread::sleep(earliest + Duration::from_micros(random.below(window)));
        let seen = committed_so_far(&store);
        child.kill().expect("the run can be killed");
        let output = child.wait_with_output().expect("the run ends");
        assert_eq!(
            output.status.signal(),
            Some(9),
            "run {run} ended before its kill: {output:?}"
        );

        let timer = Instant::now();
        let log = run_host(dir, &["--state", STATE, "log"]);
        startup = timer.elapsed();
        assert_eq!(
            log.code,
            Some(0),
            "after run {run} the store does not open: {log:?}"
        );
        let exported = export(dir, STATE);
        let versions = exported["versions"]
            .as_array()
            .expect("an export lists versions");
        let newest = versions.len() as u64 - 1;
        assert!(
            versions.len() >= history.len(),
            "run {run}: versions were lost ({} before, {} now)",
            history.len(),
            versions.len()
        );
        assert_eq!(
            versions[..history.len()],
            history[..],
            "run {run}: earlier versions changed"
        );
        let first_new = history.len().max(1);
        if history.is_empty() {
            assert_eq!(
                versions[0],
                json!({"id": 0, "parent": null, "time_ms": NOW_MS, "ops": []})
            );
        }
        for (index, version) in versions.iter().enumerate().skip(first_new) {
            let step = (index - first_new + 1) as u64;
            assert_eq!(
                *version,
                expected_version(index as u64, run, step),
                "run {run}: version {index} is not step {step} of the run"
            );
        }
        assert!(
            versions.len() - first_new <= STEPS as usize,
            "run {run} made more versions than steps"
        );
        assert_eq!(
            exported["head"], newest,
            "run {run}: head is not the newest"
        );
        assert!(
            log.stdout.starts_with(&format!("* v{newest} ")),
            "run {run}: {}",
            log.stdout
        );
        if let Some(seen) = seen {
            assert!(
                seen <= newest,
                "run {run}: v{seen} was committed before the kill and is gone (newest v{newest})"
            );
        }
        if versions.len() > history.len().max(1) {
            mid_run += 1;
        } else {
            before_first_commit += 1;
        }
        history.clone_from(versions);
    }
    eprintln!(
        "{KILLS} kills in {:.1?}: {mid_run} after commits had started, {before_first_commit} \
         before the run's first commit; {} versions in the end",
        started.elapsed(),
        history.len()
    );
    assert!(
        mid_run >= KILLS / 10,
        "too few kills landed while versions were being committed: {mid_run}"
    );
}
