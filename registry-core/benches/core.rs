//! The core alone, without Lua: `Registry::apply`, `Registry::version`, `State::find`,
//! `State::get`, and taking a snapshot (cloning head's handle or its state).
//!
//! Clock: thread CPU time (see `common`).
//!
//! `cargo bench -p registry-core --bench core`

mod common;

use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use criterion::BenchmarkId;
use imbl::shared_ptr::RcK;
use registry_core::{Criteria, Entry, EntryId, Registry, Value};

use common::{CpuTime, ENTRIES, KINDS, NOW_MS, VERSIONS};

type Criterion = criterion::Criterion<CpuTime>;

fn main() {
    let mut c = common::criterion();
    let history = common::history(ENTRIES, VERSIONS);
    snapshot(&mut c, &history);
    apply(&mut c);
    version(&mut c, &history);
    find(&mut c, &history);
    get(&mut c, &history);
    c.final_summary();
}

/// `registry.snapshot()` holds an `Rc` of head; a Rust caller may also clone the state itself.
/// Both should cost the same at 100 and at 100,000 entries.
fn snapshot(c: &mut Criterion, big: &Registry) {
    let mut group = c.benchmark_group("core/snapshot");
    for n in [100, 1_000, 10_000, ENTRIES] {
        let small;
        let registry = if n == ENTRIES {
            big
        } else {
            small = common::registry_with(n);
            &small
        };
        assert_eq!(
            registry.head().state().expect("the state is loaded").len(),
            n
        );
        group.bench_with_input(BenchmarkId::new("head_rc", n), registry, |b, r| {
            b.iter(|| Rc::clone(black_box(r).head()))
        });
        group.bench_with_input(BenchmarkId::new("state_clone", n), registry, |b, r| {
            b.iter(|| {
                black_box(r)
                    .head()
                    .state()
                    .expect("the state is loaded")
                    .clone()
            })
        });
    }
    group.finish();
}

/// Versions kept per registry before it is replaced (untimed), to bound the bench's memory.
const APPLY_CHUNK: usize = 20_000;

/// `Registry::apply` of a one-update changeset on a 100,000-entry head. Only the apply is timed:
/// building the op and replacing a registry that grew `APPLY_CHUNK` versions are not.
fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/apply");
    let mut registry = common::registry_with(ENTRIES);
    let mut k = 0usize;
    group.bench_function("one_update_100k", |b| {
        b.iter_custom(|iters| apply_ops(&mut registry, &mut k, iters, |r| r.head().id()))
    });
    // The same, on a stale base: the conflict check looks the op's id up in base and head.
    group.bench_function("one_update_100k_stale_base", |b| {
        b.iter_custom(|iters| apply_ops(&mut registry, &mut k, iters, |_| 1))
    });
    group.finish();
}

/// Applies `iters` one-op changesets on the version `base` picks, timing only the applies;
/// a registry that reached `APPLY_CHUNK` versions is replaced (untimed) to bound memory.
fn apply_ops(
    registry: &mut Registry,
    k: &mut usize,
    iters: u64,
    base: impl Fn(&Registry) -> u64,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    while left > 0 {
        if registry.versions().len() >= APPLY_CHUNK {
            *registry = common::registry_with(ENTRIES);
        }
        let chunk = left.min(APPLY_CHUNK - registry.versions().len());
        let ops: Vec<_> = (0..chunk)
            .map(|j| [common::update_op(*k + j, ENTRIES)])
            .collect();
        *k += chunk;
        let start = common::cpu_now();
        for op in &ops {
            let on = base(registry);
            black_box(registry.apply(on, op, NOW_MS).expect("applies"));
        }
        total += common::cpu_now() - start;
        left -= chunk;
    }
    total
}

/// `Registry::version(id)` (what `snapshot_at` does before wrapping the handle) among 10,000.
fn version(c: &mut Criterion, history: &Registry) {
    let mut group = c.benchmark_group("core/version");
    for v in [1u64, 5_000, 10_000] {
        group.bench_with_input(BenchmarkId::from_parameter(v), &v, |b, &v| {
            b.iter(|| Rc::clone(history.version(black_box(v)).expect("exists")))
        });
    }
    group.finish();
}

/// `State::find` at head (100,000 entries): `.kind` equality (index, 1,000 matches); the same
/// including parsing the criteria; and, for comparison, a metadata equality that scans everything.
fn find(c: &mut Criterion, history: &Registry) {
    let mut group = c.benchmark_group("core/find");
    let state = history.head().state().expect("the state is loaded");
    let kind = |k: usize| Value::from(format!("kind-{}", k % KINDS));
    let criteria = Criteria::parse([(".kind", kind(42))]).expect("valid");
    assert_eq!(state.find(&criteria).len(), ENTRIES / KINDS);
    group.bench_function("kind_1pct", |b| b.iter(|| state.find(black_box(&criteria))));
    let mut k = 0;
    group.bench_function("kind_1pct_with_parse", |b| {
        b.iter(|| {
            k += 1;
            let criteria = Criteria::parse([(".kind", kind(k))]).expect("valid");
            state.find(&criteria)
        })
    });
    // Diagnosis: the same result if the kind index held the entries themselves (an imbl map
    // id -> entry per kind, as `State` could keep) instead of ids that each need a lookup in the
    // 100,000-entry map. Simulated here with the kind's 1,000 entries.
    let index: imbl::GenericOrdMap<EntryId, Rc<Entry>, RcK> = state
        .find(&criteria)
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    group.bench_function("kind_1pct_index_of_entries_simulated", |b| {
        b.iter(|| {
            index
                .values()
                .filter(|e| black_box(&criteria).matches(e))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let owner = Criteria::parse([("owner", Value::from("team-3"))]).expect("valid");
    assert_eq!(state.find(&owner).len(), ENTRIES / 10);
    group.bench_function("meta_scan_10pct", |b| {
        b.iter(|| state.find(black_box(&owner)))
    });
    group.finish();
}

/// `State::get` at head (100,000 entries), cycling through 1,024 ids spread over the id space.
fn get(c: &mut Criterion, history: &Registry) {
    let mut group = c.benchmark_group("core/get");
    let state = history.head().state().expect("the state is loaded");
    let ids: Vec<EntryId> = (0..1024)
        .map(|k| EntryId::parse(&common::id_text(common::updated_index(k, ENTRIES))).expect("id"))
        .collect();
    let mut k = 0;
    group.bench_function("100k", |b| {
        b.iter(|| {
            k = (k + 1) % ids.len();
            state.get(black_box(&ids[k])).expect("present").clone()
        })
    });
    let mut k = 0;
    group.bench_function("100k_with_parse", |b| {
        b.iter(|| {
            k = (k + 1) % ids.len();
            let id = EntryId::parse(black_box(ids[k].as_str())).expect("id");
            state.get(&id).expect("present").clone()
        })
    });
    group.finish();
}
