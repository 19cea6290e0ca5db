//! Instructions per `registry.get` and per `registry.find` (1,000 results) from Lua, for
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
//! `calls-HASH get` or `calls-HASH find` runs one workload only.

mod common;

use std::hint::black_box;

use registry_core::Runner;

use common::{ENTRIES, lua_check, lua_ids, lua_loop};

const GET_SHORT: u64 = 1_000;
const GET_LONG: u64 = 3_000;
const FIND_SHORT: u64 = 10;
const FIND_LONG: u64 = 30;

const GET: &str = "local e = registry.get(ids[i % 1024 + 1])";
const FIND: &str = "local found = registry.find({[\".kind\"] = \"kind-\" .. (i % 100)})";

fn main() {
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    let mut runner = Runner::new(common::registry_with(ENTRIES)).expect("runner");
    let ids = lua_ids(ENTRIES);
    lua_check(
        &mut runner,
        &format!("{ids}\nlocal i = 1\n{GET}\nassert(e.id)"),
    );
    lua_check(
        &mut runner,
        "assert(#registry.find({[\".kind\"] = \"kind-42\"}) == 1000)",
    );
    if only.as_deref().is_none_or(|w| w == "get") {
        get_short(&mut runner, &ids);
        get_long(&mut runner, &ids);
    }
    if only.as_deref().is_none_or(|w| w == "find") {
        find_short(&mut runner);
        find_long(&mut runner);
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
