//! Instructions per `registry.get`, per `registry.find` (1,000 results), per
//! `registry.snapshot_at`, per `registry.snapshot` and per `history:snapshot_at` from Lua, for
//! callgrind: instruction counts are deterministic where this machine's timings drift. Not timed.
//!
//! Each workload runs as a Lua loop twice, `SHORT` and `LONG` times, each inside its own
//! never-inlined function; callgrind's inclusive counts of the two give the cost of one call:
//! (long − short) / (LONG − SHORT). The constant parts (compiling, starting the run, the setup)
//! cancel out; the GC of what the calls allocated does not, as in the criterion benches.
//!
//! ```sh
//! cargo bench -p registry-core --bench calls --no-run    # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/calls.out target/release/deps/calls-HASH
//! callgrind_annotate --inclusive=yes /tmp/calls.out | grep 'calls::'
//! ```
//!
//! `calls-HASH get`, `calls-HASH find`, `calls-HASH snapshot_at`, `calls-HASH snapshot` or
//! `calls-HASH history_snapshot_at` runs one workload only.

mod common;

use std::hint::black_box;

use registry_core::Runner;

use common::{ENTRIES, add_versions, lua_check, lua_ids, lua_loop, registry_with};

const GET_SHORT: u64 = 1_000;
const GET_LONG: u64 = 3_000;
const FIND_SHORT: u64 = 10;
const FIND_LONG: u64 = 30;
const SNAPSHOT_AT_SHORT: u64 = 2_000;
const SNAPSHOT_AT_LONG: u64 = 6_000;

/// Entries and versions of the `snapshot_at` fixture: taking a snapshot does not depend on
/// how many entries a version holds, and the version is found by index.
const SNAPSHOT_AT_ENTRIES: usize = 100;
const SNAPSHOT_AT_VERSIONS: usize = 1_000;

const GET: &str = "local e = registry.get(ids[i % 1024 + 1])";
const FIND: &str = "local found = registry.find({[\".kind\"] = \"kind-\" .. (i % 100)})";
const SNAPSHOT_AT: &str = "local s = registry.snapshot_at(i % 1000 + 1)";
const SNAPSHOT: &str = "local s = registry.snapshot()";
const HISTORY_SETUP: &str = "local history = registry.history()";
const HISTORY_SNAPSHOT_AT: &str = "local s = history:snapshot_at(i % 1000 + 1)";

fn main() {
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    let runs = |workload: &str| only.as_deref().is_none_or(|w| w == workload);
    if runs("get") || runs("find") {
        let mut runner = Runner::new(registry_with(ENTRIES)).expect("runner");
        let ids = lua_ids(ENTRIES);
        lua_check(
            &mut runner,
            &format!("{ids}\nlocal i = 1\n{GET}\nassert(e.id)"),
        );
        lua_check(
            &mut runner,
            "assert(#registry.find({[\".kind\"] = \"kind-42\"}) == 1000)",
        );
        if runs("get") {
            get_short(&mut runner, &ids);
            get_long(&mut runner, &ids);
        }
        if runs("find") {
            find_short(&mut runner);
            find_long(&mut runner);
        }
    }
    if runs("snapshot_at") || runs("snapshot") || runs("history_snapshot_at") {
        let mut registry = registry_with(SNAPSHOT_AT_ENTRIES);
        add_versions(&mut registry, SNAPSHOT_AT_ENTRIES, SNAPSHOT_AT_VERSIONS);
        let mut runner = Runner::new(registry).expect("runner");
        lua_check(
            &mut runner,
            "assert(registry.snapshot_at(1000):version():id() == 1000)",
        );
        if runs("snapshot_at") {
            snapshot_at_short(&mut runner);
            snapshot_at_long(&mut runner);
        }
        if runs("snapshot") {
            snapshot_short(&mut runner);
            snapshot_long(&mut runner);
        }
        if runs("history_snapshot_at") {
            history_snapshot_at_short(&mut runner);
            history_snapshot_at_long(&mut runner);
        }
    }
}

#[inline(never)]
fn get_short(runner: &mut Runner, ids: &str) {
    black_box(lua_loop(runner, ids, GET, GET_SHORT));
}

#[inline(never)]
fn get_long(runner: &mut Runner, ids: &str) {
    black_box(lua_loop(runner, ids, GET, GET_LONG));
}

#[inline(never)]
fn find_short(runner: &mut Runner) {
    black_box(lua_loop(runner, "", FIND, FIND_SHORT));
}

#[inline(never)]
fn find_long(runner: &mut Runner) {
    black_box(lua_loop(runner, "", FIND, FIND_LONG));
}

#[inline(never)]
fn snapshot_at_short(runner: &mut Runner) {
    black_box(lua_loop(runner, "", SNAPSHOT_AT, SNAPSHOT_AT_SHORT));
}

#[inline(never)]
fn snapshot_at_long(runner: &mut Runner) {
    black_box(lua_loop(runner, "", SNAPSHOT_AT, SNAPSHOT_AT_LONG));
}

#[inline(never)]
fn snapshot_short(runner: &mut Runner) {
    black_box(lua_loop(runner, "", SNAPSHOT, SNAPSHOT_AT_SHORT));
}

#[inline(never)]
fn snapshot_long(runner: &mut Runner) {
    black_box(lua_loop(runner, "", SNAPSHOT, SNAPSHOT_AT_LONG));
}

#[inline(never)]
fn history_snapshot_at_short(runner: &mut Runner) {
    black_box(lua_loop(
        runner,
        HISTORY_SETUP,
        HISTORY_SNAPSHOT_AT,
        SNAPSHOT_AT_SHORT,
    ));
}

#[inline(never)]
fn history_snapshot_at_long(runner: &mut Runner) {
    black_box(lua_loop(
        runner,
        HISTORY_SETUP,
        HISTORY_SNAPSHOT_AT,
        SNAPSHOT_AT_LONG,
    ));
}
