//! Fixtures shared by the benchmarks: entries shaped like the spec's examples, registries of a
//! given size built through one big changeset, a 10,000-version history, a helper that times a Lua
//! loop on a runner, and the clock every benchmark uses: this thread's CPU time.
//!
//! Why CPU time: the machine is shared (2 cores, other builds running), and wall-clock figures
//! included time the benchmark thread spent preempted. Every benchmark here is single-threaded,
//! CPU-bound and never sleeps (Luau's GC runs on the same thread), so on an idle machine its CPU
//! time equals its wall time.
#![allow(dead_code)]
#![expect(unsafe_code)] // clock_gettime

use std::rc::Rc;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput};
use registry_core::{Entry, EntryId, Map, Op, Registry, Runner, Value};
use serde_json::json;

/// This thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
pub fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Criterion measurement: this thread's CPU time.
pub struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1.0 {
            (1e3, "ps")
        } else if ns < 1e3 {
            (1.0, "ns")
        } else if ns < 1e6 {
            (1e-3, "µs")
        } else if ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for value in values {
            *value *= factor;
        }
        unit
    }

    fn scale_throughputs(&self, _: f64, _: &Throughput, _: &mut [f64]) -> &'static str {
        "(no throughput)"
    }

    fn scale_for_machines(&self, _: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// The settings every timed benchmark uses: short runs on a shared machine.
pub fn criterion() -> Criterion<CpuTime> {
    Criterion::default()
        .with_measurement(CpuTime)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

/// The clock every run uses: the conformance suite's, 2026-01-01T00:00:00Z.
pub use registry_conformance::NOW_MS;

/// Entries in the big registry.
pub const ENTRIES: usize = 100_000;

/// Distinct kinds: with 100,000 entries each kind matches 1,000 entries (1%).
pub const KINDS: usize = 100;

/// Versions in the history fixture: v1 creates every entry, v2..=v10000 each update one entry.
pub const VERSIONS: usize = 10_000;

/// Entries per namespace (so 100,000 entries span 100 namespaces).
const PER_NAMESPACE: usize = 1_000;

/// The id of entry `i`: `ns042:entry-042123`.
pub fn id_text(i: usize) -> String {
    format!("ns{:03}:entry-{i:06}", i / PER_NAMESPACE)
}

/// The kind of entry `i`: `kind-42` (round-robin, so kinds cut across namespaces).
pub fn kind_text(i: usize) -> String {
    format!("kind-{}", i % KINDS)
}

/// Entry `i` at `revision`, shaped like the spec's example service: four metadata fields (one an
/// array) and a small data table.
pub fn entry(i: usize, revision: u64) -> Rc<Entry> {
    let meta: Map = serde_json::from_value(json!({
        "environment": if i.is_multiple_of(2) { "production" } else { "staging" },
        "owner": format!("team-{}", i % 10),
        "revision": revision,
        "tags": ["microservice", "api"],
    }))
    .expect("an object literal");
    let data: Value = serde_json::from_value(json!({ "port": 8000 + (i % 1000), "replicas": 3 }))
        .expect("a storable value");
    let id = EntryId::parse(&id_text(i)).expect("valid id");
    Rc::new(Entry::new(id, &kind_text(i), meta, data).expect("valid entry"))
}

/// One changeset creating entries `0..n`.
pub fn create_ops(n: usize) -> Vec<Op> {
    (0..n).map(|i| Op::Create(entry(i, 0))).collect()
}

/// A registry whose head (v1) holds `n` entries, built with one changeset.
pub fn registry_with(n: usize) -> Registry {
    let mut registry = Registry::new(NOW_MS);
    registry
        .apply(0, &create_ops(n), NOW_MS)
        .expect("the bulk changeset applies");
    registry
}

/// Which entry the `k`-th one-op version updates: spread over the whole id space.
pub fn updated_index(k: usize, n: usize) -> usize {
    (k * 7_919) % n
}

/// The `k`-th one-op changeset on a registry of `n` entries: one update, same kind.
pub fn update_op(k: usize, n: usize) -> Op {
    Op::Update(entry(updated_index(k, n), k as u64 + 1))
}

/// Adds `count` one-op versions on top of head.
pub fn add_versions(registry: &mut Registry, n: usize, count: usize) {
    for k in 0..count {
        let head = registry.head().id();
        registry
            .apply(head, &[update_op(k, n)], NOW_MS)
            .expect("a one-op update applies");
    }
}

/// v1 with `n` entries, then one-op versions up to v`versions`: 10,000 versions in all for the
/// targets (v0, the empty root, aside).
pub fn history(n: usize, versions: usize) -> Registry {
    let mut registry = registry_with(n);
    add_versions(&mut registry, n, versions - 1);
    registry
}

/// Runs `body` `iters` times in a Lua loop on `runner` and returns the CPU time of the whole run.
/// `setup` runs first; it, compiling the chunk and starting the run are a constant per run, which
/// criterion's linear sampling (1, 2, 3, ... x N iterations per sample, slope reported) leaves
/// out of the per-iteration figure. `body` sees `registry` and the loop counter `i`.
pub fn lua_loop(runner: &mut Runner, setup: &str, body: &str, iters: u64) -> Duration {
    let script = format!(
        "local registry = require(\"registry\")\n{setup}\n\
         for i = 1, {iters} do\n{body}\nend\n"
    );
    let start = cpu_now();
    let output = runner.run(&script, "bench", NOW_MS);
    let spent = cpu_now().saturating_sub(start);
    assert!(
        output.error.is_none(),
        "bench script failed: {:?}\n{script}",
        output.error
    );
    spent
}

/// Runs a check script (untimed); panics with its error if it fails.
pub fn lua_check(runner: &mut Runner, source: &str) {
    let output = runner.run(
        &format!("local registry = require(\"registry\")\n{source}"),
        "check",
        NOW_MS,
    );
    assert!(
        output.error.is_none(),
        "bench check failed: {:?}\n{source}",
        output.error
    );
}

/// Lua source for an array `ids` of 1,024 existing ids spread over `n` entries.
pub fn lua_ids(n: usize) -> String {
    let mut source = String::from("local ids = {");
    for k in 0..1024 {
        source.push_str(&format!("\"{}\",", id_text(updated_index(k, n))));
    }
    source.push_str("}\n");
    source
}

/// Lua that updates entry `(k * 7919) % 100000` (the same entry and shape as the Rust history)
/// in one changeset and applies it; expects `registry` and `k` in scope.
pub const LUA_UPDATE: &str = r#"local n = (k * 7919) % 100000
local changes = registry.snapshot():changes()
changes:update({
  id = string.format("ns%03d:entry-%06d", n // 1000, n),
  kind = "kind-" .. (n % 100),
  meta = { environment = (n % 2 == 0) and "production" or "staging",
           owner = "team-" .. (n % 10), revision = k + 1,
           tags = { "microservice", "api" } },
  data = { port = 8000 + n % 1000, replicas = 3 },
})
assert(changes:apply())
"#;
