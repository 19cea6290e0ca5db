//! Property tests: deltas, snapshot immutability, rollback/forward, export/import.

use std::rc::Rc;

use proptest::prelude::*;
use registry_core::{Entry, EntryId, Map, Op, Registry, Value, build_delta};

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
        // Not canonical yet (3.0 stays a float): entries put numbers in canonical form.
        (-5.0f64..5.0).prop_map(Value::Float),
        "[a-c]{0,3}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
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
            let meta: Map = meta.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
            Entry::new(id, kind, meta, data).expect("generated entries are valid")
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

/// Any JSON value, with the numbers that need care: integral floats, -0.0, integers beyond
/// 2^53 and at the i64 and u64 bounds, tiny and huge floats; keys in any script.
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(serde_json::Value::from),
        (-1_000i64..1_000).prop_map(|n| serde_json::Value::from(n as f64)),
        prop::sample::select(vec![
            -0.0,
            0.5,
            9_007_199_254_740_992.0,
            9_007_199_254_740_994.0,
            9_223_372_036_854_775_808.0,
            -9_223_372_036_854_775_808.0,
            9_223_372_036_854_774_784.0,
            1.8e19,
            1e300,
            5e-324,
        ])
        .prop_map(serde_json::Value::from),
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        number,
        "\\PC{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("\\PC{0,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What the registry stored for a JSON value before it had a value type of its own: the
/// serde_json value with every integral double within i64 turned into an integer.
fn stored_before(json: serde_json::Value) -> serde_json::Value {
    match json {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().expect("a float");
            if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 {
                serde_json::Value::from(f as i64)
            } else {
                serde_json::Value::Number(n)
            }
        }
        serde_json::Value::Array(items) => items.into_iter().map(stored_before).collect(),
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, stored_before(value)))
                .collect(),
        ),
        other => other,
    }
}

proptest! {
    #[test]
    fn json_to_value_to_json_keeps_the_old_stored_form(json in arb_json()) {
        let text = json.to_string();
        let value: Value = serde_json::from_str(&text).expect("JSON reads as a value");
        prop_assert_eq!(value.to_string(), stored_before(json).to_string());
        let again: Value = serde_json::from_str(&value.to_string()).expect("reads back");
        prop_assert_eq!(&again, &value);
    }

    #[test]
    fn json_to_value_to_postcard_and_back_is_the_identity(json in arb_json()) {
        let value: Value = serde_json::from_value(json).expect("JSON reads as a value");
        let bytes = postcard::to_allocvec(&value).expect("serializes");
        let back: Value = postcard::from_bytes(&bytes).expect("deserializes");
        prop_assert_eq!(back.to_string(), value.to_string());
        prop_assert_eq!(back, value);
    }

    #[test]
    fn entries_round_trip_through_postcard(entry in arb_entry()) {
        let bytes = postcard::to_allocvec(&entry).expect("serializes");
        prop_assert_eq!(postcard::from_bytes::<Entry>(&bytes).expect("deserializes"), entry);
    }
}

#[test]
fn entries_keep_their_json_form() {
    let text = r#"{"id":"a:x","kind":"service","meta":{"env":"prod","port":8080}}"#;
    let entry: Entry = serde_json::from_str(text).expect("an entry");
    assert_eq!(
        serde_json::to_string(&entry).expect("serializes"),
        text,
        "null data is left out"
    );
    let bytes = postcard::to_allocvec(&entry).expect("serializes");
    assert_eq!(postcard::from_bytes::<Entry>(&bytes), Ok(entry));
}
