//! Property tests: deltas, snapshot immutability, rollback/forward, export/import.

use std::rc::Rc;

use proptest::prelude::*;
use registry_core::{Entry, EntryId, Op, Registry, Value, build_delta};
use serde_json::json;

/// A small id space so that generated states overlap.
fn arb_id() -> impl Strategy<Value = EntryId> {
    (0..3u8, 0..6u8)
        .prop_map(|(ns, name)| EntryId::parse(&format!("ns{ns}:e{name}")).expect("valid id"))
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        (-5.0f64..5.0).prop_map(Value::from),
        "[a-c]{0,3}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_entry() -> impl Strategy<Value = Entry> {
    (
        arb_id(),
        prop_oneof![Just("service"), Just("config")],
        prop::collection::btree_map("[a-b]", "[x-y]", 0..2),
        arb_value(),
    )
        .prop_map(|(id, kind, meta, data)| {
            let meta: serde_json::Map<String, Value> =
                meta.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
            // Deserialized so numbers take their canonical stored form.
            let entry = serde_json::from_value(
                json!({"id": id.as_str(), "kind": kind, "meta": meta, "data": data}),
            );
            entry.expect("generated entries are valid")
        })
}

/// A list of entries with distinct ids.
fn arb_state() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(arb_entry(), 0..10).prop_map(|entries| {
        let mut by_id = std::collections::BTreeMap::new();
        for entry in entries {
            by_id.insert(entry.id.clone(), entry);
        }
        by_id.into_values().collect()
    })
}

fn creates(entries: &[Entry]) -> Vec<Op> {
    entries
        .iter()
        .map(|e| Op::Create(Rc::new(e.clone())))
        .collect()
}

fn contents(registry: &Registry, version: u64) -> Vec<Entry> {
    let state = registry
        .version(version)
        .expect("version exists")
        .state()
        .expect("the state is loaded");
    state.entries().map(|e| (**e).clone()).collect()
}

proptest! {
    #[test]
    fn applying_a_delta_yields_the_target(a in arb_state(), b in arb_state()) {
        let mut registry = Registry::new(0);
        if !a.is_empty() {
            registry.apply(0, &creates(&a), 0).expect("seeding a applies");
        }
        let ops = build_delta(a.clone(), b.clone()).expect("delta builds");
        if !ops.is_empty() {
            let head = registry.head().id();
            registry.apply(head, &ops, 0).expect("the delta applies");
        }
        prop_assert_eq!(contents(&registry, registry.head().id()), b);
        prop_assert!(build_delta(a.clone(), a).expect("delta builds").is_empty());
    }

    #[test]
    fn snapshots_never_change(a in arb_state(), b in arb_state(), c in arb_state()) {
        let mut registry = Registry::new(0);
        let mut current = Vec::new();
        let mut snapshots = Vec::new();
        for target in [a, b, c] {
            let ops = build_delta(current.clone(), target.clone()).expect("delta builds");
            if !ops.is_empty() {
                let head = registry.head().id();
                registry.apply(head, &ops, 0).expect("the delta applies");
            }
            let head = Rc::clone(registry.head());
            snapshots.push((head, target.clone()));
            current = target;
        }
        for (version, expected) in snapshots {
            let seen: Vec<Entry> = version.state().expect("the state is loaded").entries().map(|e| (**e).clone()).collect();
            prop_assert_eq!(seen, expected);
        }
    }

    #[test]
    fn rollback_then_forward_restores_the_entries(a in arb_state(), b in arb_state()) {
        prop_assume!(!a.is_empty());
        let mut registry = Registry::new(0);
        registry.apply(0, &creates(&a), 0).expect("seeding applies");
        let ops = build_delta(a.clone(), b.clone()).expect("delta builds");
        prop_assume!(!ops.is_empty());
        let forward = registry.apply(1, &ops, 0).expect("applies").id();
        let before = contents(&registry, forward);
        registry.apply_version(1).expect("rollback");
        prop_assert_eq!(contents(&registry, registry.head().id()), a);
        registry.apply_version(forward).expect("forward");
        prop_assert_eq!(contents(&registry, registry.head().id()), before);
    }

    #[test]
    fn export_then_import_is_identical(states in prop::collection::vec(arb_state(), 1..5), rollback in 0usize..5) {
        let mut registry = Registry::new(7);
        let mut current = Vec::new();
        for (i, target) in states.into_iter().enumerate() {
            if i == rollback {
                registry.apply_version(0).expect("rollback to v0");
                current = Vec::new();
            }
            let ops = build_delta(current.clone(), target.clone()).expect("delta builds");
            if !ops.is_empty() {
                let head = registry.head().id();
                registry.apply(head, &ops, i as i64).expect("applies");
            }
            current = target;
        }
        let restored = Registry::from_json(&registry.to_json().expect("the history exports")).expect("imports");
        prop_assert_eq!(restored.export().expect("the history exports"), registry.export().expect("the history exports"));
        for version in registry.versions() {
            prop_assert_eq!(contents(&restored, version.id()), contents(&registry, version.id()));
        }
    }
}

proptest! {
    #[test]
    fn version_deltas_agree_with_list_deltas(a in arb_state(), b in arb_state()) {
        let mut registry = Registry::new(0);
        if !a.is_empty() {
            registry.apply(0, &creates(&a), 0).expect("seeding a applies");
        }
        let from = registry.head().id();
        let ops = build_delta(a.clone(), b.clone()).expect("delta builds");
        if !ops.is_empty() {
            registry.apply(from, &ops, 0).expect("the delta applies");
        }
        let to = registry.head().id();
        prop_assert_eq!(registry.delta(from, to).expect("versions exist"), ops);
    }
}
