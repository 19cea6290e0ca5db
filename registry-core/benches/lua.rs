//! What scripts pay: each benchmark runs a Lua loop of N calls on a `Runner` (one `Runner::run`
//! per sample, N growing linearly across samples) and reports the slope, the per-call cost a
//! script sees (argument checks, conversions, results, and the GC of what it allocated); the
//! run's constant cost (compiling, starting) falls out of the slope. Clock: thread CPU time.
//!
//! `cargo bench -p registry-core --bench lua`

mod common;

use std::time::Duration;

use criterion::BenchmarkId;
use registry_core::Runner;

use common::{CpuTime, ENTRIES, VERSIONS, lua_check, lua_ids, lua_loop};

type Criterion = criterion::Criterion<CpuTime>;

/// The runner's default VM memory limit (`DEFAULT_MEMORY_LIMIT` in runner.rs), restored after the
/// no-limit diagnostics.
const LUA_MEMORY_LIMIT: usize = 256 << 20;

fn main() {
    let mut c = common::criterion();
    // 100,000 entries at head, 10,000 versions (v1 creates everything, v2..v10000 update one).
    let mut big = Runner::new(common::history(ENTRIES, VERSIONS)).expect("runner");
    snapshot(&mut c, &mut big);
    snapshot_at(&mut c, &mut big);
    find(&mut c, &mut big);
    get(&mut c, &mut big);
    drop(big);
    apply(&mut c);
    c.final_summary();
}

/// `registry.snapshot()` at 100 to 100,000 entries.
fn snapshot(c: &mut Criterion, big: &mut Runner) {
    let mut group = c.benchmark_group("lua/snapshot");
    for n in [100, 1_000, 10_000, ENTRIES] {
        let mut small;
        let runner = if n == ENTRIES {
            &mut *big
        } else {
            small = Runner::new(common::registry_with(n)).expect("runner");
            &mut small
        };
        assert_eq!(
            runner
                .registry()
                .head()
                .state()
                .expect("the state is loaded")
                .len(),
            n
        );
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_custom(|iters| lua_loop(runner, "", "local s = registry.snapshot()", iters))
        });
    }
    group.finish();
}

/// `registry.snapshot_at(v)` for v1, v5000 and v10000 among 10,000 versions.
fn snapshot_at(c: &mut Criterion, runner: &mut Runner) {
    let mut group = c.benchmark_group("lua/snapshot_at");
    for v in [1, 5_000, 10_000] {
        group.bench_function(BenchmarkId::from_parameter(v), |b| {
            let body = format!("local s = registry.snapshot_at({v})");
            b.iter_custom(|iters| lua_loop(runner, "", &body, iters))
        });
    }
    // The same through the history object with a version object, as the spec's example does.
    group.bench_function("history_5000", |b| {
        let setup = "local history = registry.history()\n\
                     local version = assert(history:get_version(5000))";
        let body = "local s = history:snapshot_at(version)";
        b.iter_custom(|iters| lua_loop(runner, setup, body, iters))
    });
    group.finish();
}

/// `registry.find({[".kind"] = k})` at head: 1,000 of 100,000 entries match (1%); the result is
/// 1,000 fresh entry tables. Also `snapshot:find` on a snapshot taken once.
fn find(c: &mut Criterion, runner: &mut Runner) {
    let mut group = c.benchmark_group("lua/find");
    lua_check(
        runner,
        "assert(#registry.find({[\".kind\"] = \"kind-42\"}) == 1000)",
    );
    group.bench_function("kind_1pct", |b| {
        let body = "local found = registry.find({[\".kind\"] = \"kind-\" .. (i % 100)})";
        b.iter_custom(|iters| lua_loop(runner, "", body, iters))
    });
    // Diagnosis: the same without the VM's memory limit. With a limit set (the runner sets
    // 256 MiB), mlua wraps every table/string creation and raw_set in a protected call.
    runner.set_memory_limit(0).expect("limit");
    group.bench_function("kind_1pct_no_memory_limit", |b| {
        let body = "local found = registry.find({[\".kind\"] = \"kind-\" .. (i % 100)})";
        b.iter_custom(|iters| lua_loop(runner, "", body, iters))
    });
    runner.set_memory_limit(LUA_MEMORY_LIMIT).expect("limit");
    group.bench_function("snapshot_kind_1pct", |b| {
        let setup = "local snapshot = registry.snapshot()";
        let body = "local found = snapshot:find({[\".kind\"] = \"kind-\" .. (i % 100)})";
        b.iter_custom(|iters| lua_loop(runner, setup, body, iters))
    });
    group.finish();
}

/// `registry.get(id)` at head (100,000 entries), cycling through 1,024 ids; and `snapshot:get`.
fn get(c: &mut Criterion, runner: &mut Runner) {
    let mut group = c.benchmark_group("lua/get");
    let ids = lua_ids(ENTRIES);
    group.bench_function("100k", |b| {
        let body = "local e = registry.get(ids[i % 1024 + 1])";
        b.iter_custom(|iters| lua_loop(runner, &ids, body, iters))
    });
    group.bench_function("snapshot_100k", |b| {
        let setup = format!("{ids}\nlocal snapshot = registry.snapshot()");
        let body = "local e = snapshot:get(ids[i % 1024 + 1])";
        b.iter_custom(|iters| lua_loop(runner, &setup, body, iters))
    });
    // Diagnosis: the same without the VM's memory limit (see `find`).
    runner.set_memory_limit(0).expect("limit");
    group.bench_function("100k_no_memory_limit", |b| {
        let body = "local e = registry.get(ids[i % 1024 + 1])";
        b.iter_custom(|iters| lua_loop(runner, &ids, body, iters))
    });
    runner.set_memory_limit(LUA_MEMORY_LIMIT).expect("limit");
    // The loop and the id lookup alone, to show what the figures above include besides the call.
    group.bench_function("empty_loop", |b| {
        let body = "local e = ids[i % 1024 + 1]";
        b.iter_custom(|iters| lua_loop(runner, &ids, body, iters))
    });
    group.finish();
}

/// Versions kept per runner before it is replaced (untimed), to bound the bench's memory.
const APPLY_CHUNK: u64 = 20_000;

/// One update applied from Lua on a 100,000-entry head: take a snapshot, make a changeset, add one
/// `changes:update{...}` (building the entry table in Lua), `changes:apply()`.
fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("lua/apply");
    let mut runner = Runner::new(common::registry_with(ENTRIES)).expect("runner");
    let mut done = 0u64;
    group.bench_function("one_update_100k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                if runner.registry().versions().len() as u64 >= APPLY_CHUNK {
                    runner = Runner::new(common::registry_with(ENTRIES)).expect("runner");
                    done = 0;
                }
                let chunk = left.min(APPLY_CHUNK - runner.registry().versions().len() as u64);
                // The updated entry is chosen as in the Rust bench: (k * 7919) % 100000.
                let body = format!("local k = {done} + i - 1\n{}", common::LUA_UPDATE);
                total += lua_loop(&mut runner, "", &body, chunk);
                done += chunk;
                left -= chunk;
            }
            total
        })
    });
    group.finish();
}
