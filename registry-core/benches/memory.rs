//! Live heap after building 100,000 entries and then 10,000 one-op versions, counted by a
//! `#[global_allocator]` wrapper around `System`. Not a timed benchmark: it prints figures.
//!
//! `cargo bench -p registry-core --bench memory`
#![expect(unsafe_code)] // the counting allocator

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use std::rc::Rc;

use imbl::shared_ptr::RcK;
use registry_core::{Entry, EntryId, Registry, Runner};

use common::{ENTRIES, NOW_MS, VERSIONS};

/// `System`, counting live bytes and the peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrink(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`, per the caller's contract.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and `new_size` is valid per the caller's contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrink(layout.size());
            grow(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// One-op versions added on top of the 100,000 entries (the target's "10,000 versions").
const ONE_OP_VERSIONS: usize = VERSIONS;

/// The target for the whole history: 10,000 one-op versions of 100,000 entries.
const BUDGET: usize = 120 << 20;

/// The target per spec-shaped entry, its index entries included.
const ENTRY_BUDGET: usize = 600;

fn main() {
    println!("registry-core memory: {ENTRIES} entries, then {ONE_OP_VERSIONS} one-op versions");
    println!(
        "(live heap bytes counted by a global allocator wrapper; v0 root and v1 bulk create included)\n"
    );

    let start = live();
    let mut registry = common::registry_with(ENTRIES);
    let entries = live() - start;
    println!(
        "  {ENTRIES} entries (v1):            {:>12} bytes  {:>10}  ({} bytes/entry, target <= {ENTRY_BUDGET}: {})",
        entries,
        mib(entries),
        entries / ENTRIES,
        if entries / ENTRIES <= ENTRY_BUDGET {
            "met"
        } else {
            "MISSED"
        }
    );

    let before = live();
    common::add_versions(&mut registry, ENTRIES, ONE_OP_VERSIONS);
    let versions = live() - before;
    let total = live() - start;
    println!(
        "  + {ONE_OP_VERSIONS} one-op versions:       {:>12} bytes  {:>10}  ({} bytes/version)",
        versions,
        mib(versions),
        versions / ONE_OP_VERSIONS
    );
    println!(
        "  total held ({} versions):   {:>12} bytes  {:>10}  target <= 120 MiB: {}",
        registry.versions().len(),
        total,
        mib(total),
        if total <= BUDGET { "met" } else { "MISSED" }
    );
    let peak = PEAK.load(Ordering::Relaxed);
    println!(
        "  peak while building:          {peak:>12} bytes  {:>10}",
        mib(peak)
    );

    breakdown(&registry);

    drop(registry);
    println!(
        "  after dropping the registry:  {:>12} bytes above the start",
        live().saturating_sub(start)
    );

    // The same history built from Lua: 10,000 `changes:update{...}; changes:apply()` on a runner.
    let start = live();
    let mut runner = Runner::new(common::registry_with(ENTRIES)).expect("runner");
    let with_runner = live() - start;
    let script = format!(
        "local registry = require(\"registry\")\nfor k = 0, {last} do\n{}end\n",
        common::LUA_UPDATE,
        last = ONE_OP_VERSIONS - 1
    );
    let before = live();
    let output = runner.run(&script, "memory", NOW_MS);
    assert!(output.error.is_none(), "{:?}", output.error);
    // A second, empty run lets nothing from the first stay reachable; Luau's GC may still hold
    // garbage, so this figure includes the VM's uncollected heap (bounded by its 256 MiB limit).
    let _ = runner.run("return 0", "gc", NOW_MS);
    let from_lua = live() - before;
    let versions_len = runner.registry().versions().len();
    println!(
        "\n  Lua-built: runner + {ENTRIES} entries: {:>12} bytes  {:>10}",
        with_runner,
        mib(with_runner)
    );
    println!(
        "  + {ONE_OP_VERSIONS} versions applied from Lua: {:>12} bytes  {:>10}  ({} bytes/version, VM garbage included)",
        from_lua,
        mib(from_lua),
        from_lua / ONE_OP_VERSIONS
    );
    println!(
        "  total ({versions_len} versions + VM):  {:>12} bytes  {:>10}",
        live() - start,
        mib(live() - start)
    );
}

type PersistentMap<K, V> = imbl::GenericOrdMap<K, V, RcK>;

/// The entry the `k`-th one-op version updates (its current value: no new allocation).
fn updated(state: &registry_core::State, k: usize) -> Rc<Entry> {
    let id = EntryId::parse(&common::id_text(common::updated_index(k, ENTRIES))).expect("id");
    Rc::clone(state.get(&id).expect("present"))
}

/// Where a one-op version's bytes go, by rebuilding the two maps `State` keeps (same types, same
/// operations as `State::insert` / `State::unindex`) and timing nothing: live bytes only.
fn breakdown(registry: &Registry) {
    const STEPS: usize = 1_000;
    let state = registry.head().state().expect("the state is loaded");
    println!(
        "\n  breakdown of one version (averaged over {STEPS} simulated updates of distinct ids):"
    );

    let before = live();
    let entries: Vec<Rc<Entry>> = (0..STEPS).map(|k| common::entry(k, 1)).collect();
    let per_entry = (live() - before) / STEPS;
    println!("    the new entry (Rc<Entry>, id, kind, meta, data): {per_entry:>6} bytes");
    drop(entries);

    // entries: id -> entry, path-copied by one insert.
    let mut map: PersistentMap<EntryId, Rc<Entry>> = state
        .entries()
        .map(|e| (e.id.clone(), Rc::clone(e)))
        .collect();
    let mut kept = Vec::with_capacity(STEPS);
    let before = live();
    for k in 0..STEPS {
        let e = updated(state, k);
        kept.push(map.clone());
        map.insert(e.id.clone(), e);
    }
    let per_insert =
        (live() - before - kept.capacity() * size_of::<PersistentMap<EntryId, Rc<Entry>>>())
            / STEPS;
    println!("    entries map path copy (one insert):             {per_insert:>6} bytes");
    drop(kept);

    // by_kind: kind -> entries of that kind, path-copied by one insert (the kind is unchanged).
    let mut by_kind: PersistentMap<Rc<str>, PersistentMap<EntryId, Rc<Entry>>> =
        PersistentMap::new();
    for e in state.entries() {
        by_kind
            .entry(Rc::clone(&e.kind))
            .or_default()
            .insert(e.id.clone(), Rc::clone(e));
    }
    let mut kept = Vec::with_capacity(STEPS);
    let before = live();
    for k in 0..STEPS {
        let e = updated(state, k);
        kept.push(by_kind.clone());
        by_kind
            .entry(Rc::clone(&e.kind))
            .or_default()
            .insert(e.id.clone(), e);
    }
    let per_reindex = (live()
        - before
        - kept.capacity() * size_of::<PersistentMap<Rc<str>, PersistentMap<EntryId, Rc<Entry>>>>())
        / STEPS;
    println!("    by_kind path copy (one insert):                 {per_reindex:>6} bytes");
    println!(
        "    rest (Version, ops, Vec slot, allocator rounding): measured total minus the above"
    );
}
