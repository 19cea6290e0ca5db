//! Differential: `Registry` against a plain model, over arbitrary sequences of actions.
//!
//! Actions: apply a changeset of creates, updates and deletes (ids and kinds from small sets)
//! based on head, on an older version or on a missing one; move head with `apply_version`.
//! The model keeps, per version, its parent, its operations and a `BTreeMap` of entries, and
//! applies the documented rules: an empty changeset fails `no changes to apply`; a missing base
//! fails `version not found: N`; a changeset on a stale base fails with a conflict if an id it
//! touches was written between base and head (a write is identified by the operation that made
//! it, as the registry compares entries by identity, not content); then the operations run in
//! order on head: create of an existing id fails `entry already exists`, update or delete of a
//! missing id fails `entry not found`, an update with another kind fails; any failure changes
//! nothing. Success creates version max+1 whose parent is head, and moves head to it.
//!
//! After every action: the same result (version id, or exact error kind and message), then
//! every version's parent, operations and contents, and head. At the end, the kind, namespace
//! and id indexes answer `find` like a scan at every version, deltas between versions apply and
//! reach their target, and export/import round-trips.
#![no_main]

use std::collections::BTreeMap;
use std::rc::Rc;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use registry_core::{Criteria, Entry, EntryId, ErrorKind, Op, Registry, Value};
use registry_core_fuzz::{IDS, KINDS, small_op};

/// A model entry: the entry and the serial number of the operation that wrote it.
type Written = (Entry, u64);

/// Model ids are ordered like the registry's: by namespace, then name.
type Key = (String, String);

fn key(id: &EntryId) -> Key {
    (id.ns().to_owned(), id.name().to_owned())
}

struct ModelVersion {
    parent: Option<u64>,
    ops: Vec<Op>,
    entries: BTreeMap<Key, Written>,
}

struct Model {
    versions: Vec<ModelVersion>,
    head: u64,
    serial: u64,
}

type Outcome = std::result::Result<u64, (ErrorKind, String)>;

impl Model {
    fn new() -> Self {
        Self {
            versions: vec![ModelVersion {
                parent: None,
                ops: Vec::new(),
                entries: BTreeMap::new(),
            }],
            head: 0,
            serial: 0,
        }
    }

    fn get(&self, version: u64) -> &ModelVersion {
        &self.versions[usize::try_from(version).expect("small")]
    }

    /// The versions on head's side since the common ancestor with `base`, latest first.
    fn head_side(&self, base: u64) -> Vec<u64> {
        let ancestors = |mut v: u64| {
            let mut all = vec![v];
            while let Some(p) = self.get(v).parent {
                all.push(p);
                v = p;
            }
            all
        };
        let of_base = ancestors(base);
        ancestors(self.head)
            .into_iter()
            .take_while(|v| !of_base.contains(v))
            .collect()
    }

    fn apply(&mut self, base: u64, ops: &[Op]) -> Outcome {
        if ops.is_empty() {
            return Err((ErrorKind::NoChanges, "no changes to apply".into()));
        }
        if base >= self.versions.len() as u64 {
            return Err((
                ErrorKind::VersionNotFound,
                format!("version not found: {base}"),
            ));
        }
        let head = self.get(self.head);
        if base != self.head {
            let touched: std::collections::BTreeSet<Key> =
                ops.iter().map(|op| key(op.id())).collect();
            for id in touched {
                let stamp = |v: &ModelVersion| v.entries.get(&id).map(|(_, serial)| *serial);
                if stamp(self.get(base)) != stamp(head) {
                    let shown = format!("{}:{}", id.0, id.1);
                    let changed_in = self
                        .head_side(base)
                        .into_iter()
                        .find(|&v| self.get(v).ops.iter().any(|op| key(op.id()) == id));
                    let message = match changed_in {
                        Some(v) => {
                            format!("conflict: {shown} was changed in v{v} after snapshot v{base}")
                        }
                        None => format!(
                            "conflict: {shown} at head v{} differs from snapshot v{base} (head was moved with apply_version)",
                            self.head
                        ),
                    };
                    return Err((ErrorKind::Conflict, message));
                }
            }
        }
        let mut entries = head.entries.clone();
        let mut serial = self.serial;
        for op in ops {
            let id = key(op.id());
            match op {
                Op::Create(entry) => {
                    if entries.contains_key(&id) {
                        return Err((
                            ErrorKind::EntryExists,
                            format!("entry already exists: {}", entry.id),
                        ));
                    }
                    serial += 1;
                    entries.insert(id, (Entry::clone(entry), serial));
                }
                Op::Update(entry) => {
                    let Some((old, _)) = entries.get(&id) else {
                        return Err((
                            ErrorKind::EntryNotFound,
                            format!("entry not found: {}", entry.id),
                        ));
                    };
                    if old.kind != entry.kind {
                        return Err((
                            ErrorKind::KindChange,
                            format!(
                                "cannot change kind of {} from {} to {}",
                                entry.id, old.kind, entry.kind
                            ),
                        ));
                    }
                    serial += 1;
                    entries.insert(id, (Entry::clone(entry), serial));
                }
                Op::Delete { id: shown } => {
                    if entries.remove(&id).is_none() {
                        return Err((
                            ErrorKind::EntryNotFound,
                            format!("entry not found: {shown}"),
                        ));
                    }
                }
            }
        }
        self.serial = serial;
        let id = self.versions.len() as u64;
        self.versions.push(ModelVersion {
            parent: Some(self.head),
            ops: ops.to_vec(),
            entries,
        });
        self.head = id;
        Ok(id)
    }

    fn apply_version(&mut self, id: u64) -> Outcome {
        if id >= self.versions.len() as u64 {
            return Err((
                ErrorKind::VersionNotFound,
                format!("version not found: {id}"),
            ));
        }
        self.head = id;
        Ok(id)
    }
}

fn outcome<T>(result: registry_core::Result<T>, id: impl Fn(&T) -> u64) -> Outcome {
    result
        .map(|v| id(&v))
        .map_err(|e| (e.kind(), e.message().to_owned()))
}

fn compare(registry: &Registry, model: &Model) {
    assert_eq!(
        registry.versions().len(),
        model.versions.len(),
        "version count"
    );
    assert_eq!(registry.head().id(), model.head, "head");
    for (version, expected) in registry.versions().iter().zip(&model.versions) {
        assert_eq!(
            version.parent(),
            expected.parent,
            "parent of v{}",
            version.id()
        );
        assert_eq!(
            &version.ops().expect("ops are in memory")[..],
            &expected.ops[..],
            "ops of v{}",
            version.id()
        );
        let got: Vec<&Entry> = version
            .state()
            .expect("the state is in memory")
            .entries()
            .map(|e| &**e)
            .collect();
        let want: Vec<&Entry> = expected.entries.values().map(|(e, _)| e).collect();
        assert_eq!(got, want, "contents of v{}", version.id());
        assert_eq!(
            version.state().expect("the state is in memory").len(),
            want.len()
        );
    }
}

/// The indexes answer like a scan; a delta from any version reaches any other.
fn check_derived(registry: &Registry, u: &mut Unstructured) -> Result<()> {
    for version in registry.versions() {
        let state = version.state().expect("the state is in memory");
        let mut queries: Vec<(&str, &str)> = Vec::new();
        queries.extend(KINDS.iter().map(|k| (".kind", *k)));
        queries.extend(IDS.iter().map(|i| (".id", *i)));
        queries.extend(["a", "a-b", "b", "b:x"].map(|ns| (".ns", ns)));
        for (field, text) in queries {
            let criteria = Criteria::parse([(field, Value::from(text))]).expect("valid criteria");
            let found: Vec<Rc<Entry>> = state.find(&criteria);
            let scanned: Vec<&Rc<Entry>> =
                state.entries().filter(|e| criteria.matches(e)).collect();
            assert_eq!(
                found.iter().collect::<Vec<_>>(),
                scanned,
                "find {field}={text} at v{}",
                version.id()
            );
        }
    }
    let count = registry.versions().len() as u64;
    for _ in 0..3 {
        let from = u.int_in_range(0..=count - 1)?;
        let to = u.int_in_range(0..=count - 1)?;
        let ops = registry.delta(from, to).expect("versions exist");
        let mut state = registry
            .version(from)
            .expect("exists")
            .state()
            .expect("the state is in memory")
            .clone();
        for op in &ops {
            state
                .apply(op)
                .expect("a delta's operations apply in order");
        }
        let got: Vec<&Entry> = state.entries().map(|e| &**e).collect();
        let target = registry
            .version(to)
            .expect("exists")
            .state()
            .expect("the state is in memory");
        let want: Vec<&Entry> = target.entries().map(|e| &**e).collect();
        assert_eq!(got, want, "delta v{from} -> v{to} does not reach v{to}");
        if from == to {
            assert!(ops.is_empty(), "a delta from a version to itself is empty");
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut registry = Registry::new(0);
    let mut model = Model::new();
    let mut time = 0i64;
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let Ok(action) = u.int_in_range(0..=9u8) else {
            break;
        };
        let count = model.versions.len() as u64;
        let (got, want) = if action < 2 {
            // Move head anywhere (sometimes to a version that does not exist).
            let Ok(target) = u.int_in_range(0..=count) else {
                break;
            };
            (
                outcome(registry.apply_version(target), |()| target),
                model.apply_version(target),
            )
        } else {
            let base = match action {
                2..=5 => model.head,
                6..=8 => u.int_in_range(0..=count - 1).unwrap_or(0),
                _ => count + u.int_in_range(0..=3u64).unwrap_or(0),
            };
            let mut ops = Vec::new();
            let Ok(len) = u.int_in_range(0..=4) else {
                break;
            };
            for _ in 0..len {
                let Ok(op) = small_op(&mut u) else { break };
                ops.push(op);
            }
            time += 1;
            (
                outcome(registry.apply(base, &ops, time), |v| v.id()),
                model.apply(base, &ops),
            )
        };
        assert_eq!(got, want, "registry and model disagree");
        compare(&registry, &model);
    }
    let _ = check_derived(&registry, &mut u);
    let restored = Registry::from_json(&registry.to_json().expect("the history exports"))
        .expect("an export imports");
    assert_eq!(
        restored.export().expect("the history exports"),
        registry.export().expect("the history exports"),
        "export/import round trip"
    );
});
