//! Versions, changesets, conflicts, rollback and export/import, through the Rust API.

use std::rc::Rc;

use registry_core::{Entry, EntryId, ErrorKind, Map, Op, Registry, Result, Value};
use serde_json::json;

/// A JSON literal as a stored value.
fn value(json: serde_json::Value) -> Value {
    serde_json::from_value(json).expect("a storable value")
}

fn map(json: serde_json::Value) -> Map {
    serde_json::from_value(json).expect("a JSON object")
}

fn id(text: &str) -> EntryId {
    EntryId::parse(text).expect("test ids are valid")
}

fn entry(text: &str, kind: &str, data: Value) -> Rc<Entry> {
    Rc::new(Entry::new(id(text), kind, Default::default(), data).expect("test entries are valid"))
}

fn create(text: &str, kind: &str) -> Op {
    Op::Create(entry(text, kind, Value::Null))
}

fn update(text: &str, kind: &str, data: Value) -> Op {
    Op::Update(entry(text, kind, data))
}

fn delete(text: &str) -> Op {
    Op::Delete { id: id(text) }
}

fn ids_at(registry: &Registry, version: u64) -> Vec<String> {
    let state = registry
        .version(version)
        .expect("version exists")
        .state()
        .expect("the state is loaded");
    state.entries().map(|e| e.id.to_string()).collect()
}

fn error_of(result: Result<impl std::fmt::Debug>) -> (ErrorKind, String) {
    let error = result.expect_err("expected an error");
    (error.kind(), error.to_string())
}

#[test]
fn a_new_registry_is_the_empty_root() {
    let registry = Registry::new(42);
    assert_eq!(registry.versions().len(), 1);
    let root = registry.head();
    assert_eq!((root.id(), root.parent(), root.time_ms()), (0, None, 42));
    assert!(root.state().expect("the state is loaded").is_empty());
}

#[test]
fn each_apply_creates_the_next_version_on_head() -> Result<()> {
    let mut registry = Registry::new(0);
    let v1 = registry.apply(0, &[create("a:x", "k")], 1000)?;
    assert_eq!((v1.id(), v1.parent(), v1.time_ms()), (1, Some(0), 1000));
    let v2 = registry.apply(1, &[create("a:y", "k")], 2000)?;
    assert_eq!((v2.id(), v2.parent()), (2, Some(1)));
    assert_eq!(ids_at(&registry, 2), ["a:x", "a:y"]);
    assert_eq!(
        ids_at(&registry, 1),
        ["a:x"],
        "older versions keep their state"
    );
    Ok(())
}

#[test]
fn apply_errors_name_the_problem_and_change_nothing() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(0, &[create("a:x", "service")], 0)?;
    let cases = [
        (
            vec![create("a:x", "service")],
            ErrorKind::EntryExists,
            "entry already exists: a:x",
        ),
        (
            vec![update("a:nope", "service", Value::Null)],
            ErrorKind::EntryNotFound,
            "entry not found: a:nope",
        ),
        (
            vec![delete("a:nope")],
            ErrorKind::EntryNotFound,
            "entry not found: a:nope",
        ),
        (
            vec![update("a:x", "config", Value::Null)],
            ErrorKind::KindChange,
            "cannot change kind of a:x from service to config",
        ),
        (vec![], ErrorKind::NoChanges, "no changes to apply"),
        // The first op is valid; the second fails, so neither lands.
        (
            vec![create("a:new", "k"), delete("a:missing")],
            ErrorKind::EntryNotFound,
            "entry not found: a:missing",
        ),
    ];
    for (ops, kind, message) in cases {
        assert_eq!(
            error_of(registry.apply(1, &ops, 0)),
            (kind, message.to_owned())
        );
        assert_eq!(registry.versions().len(), 2, "no version after: {message}");
        assert_eq!(registry.head().id(), 1);
        assert_eq!(ids_at(&registry, 1), ["a:x"]);
    }
    Ok(())
}

#[test]
fn ops_see_the_earlier_ops_of_their_changeset() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(
        0,
        &[
            create("a:x", "k"),
            update("a:x", "k", value(json!(2))),
            delete("a:x"),
            create("a:x", "k2"),
        ],
        0,
    )?;
    let state = registry.head().state().expect("the state is loaded");
    assert_eq!(&*state.require(&id("a:x"))?.kind, "k2");
    Ok(())
}

#[test]
fn update_replaces_meta_and_data() -> Result<()> {
    let mut registry = Registry::new(0);
    let Value::Object(meta) = value(json!({"a": 1, "b": 2})) else {
        unreachable!()
    };
    let first = Entry::new(id("a:x"), "k", meta, value(json!({"keep": true})))?;
    registry.apply(0, &[Op::Create(Rc::new(first))], 0)?;
    registry.apply(1, &[update("a:x", "k", value(json!({"new": 1})))], 0)?;
    let now = registry
        .head()
        .state()
        .expect("the state is loaded")
        .require(&id("a:x"))?
        .clone();
    assert!(now.meta.is_empty());
    assert_eq!(now.data, value(json!({"new": 1})));
    Ok(())
}

#[test]
fn stale_changesets_conflict_only_on_ids_changed_since() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(0, &[create("a:x", "k"), create("a:y", "k")], 0)?; // v1
    registry.apply(1, &[update("a:x", "k", value(json!(1)))], 0)?; // v2
    registry.apply(2, &[create("a:z", "k")], 0)?; // v3
    assert_eq!(
        error_of(registry.apply(1, &[update("a:x", "k", value(json!(9)))], 0)),
        (
            ErrorKind::Conflict,
            "conflict: a:x was changed in v2 after snapshot v1".to_owned()
        )
    );
    assert_eq!(
        error_of(registry.apply(1, &[create("a:z", "k")], 0)),
        (
            ErrorKind::Conflict,
            "conflict: a:z was changed in v3 after snapshot v1".to_owned()
        )
    );
    assert_eq!(
        error_of(registry.apply(
            1,
            &[
                create("a:z", "k"),
                update("a:y", "k", value(json!(3))),
                update("a:x", "k", value(json!(9)))
            ],
            0
        )),
        (
            ErrorKind::Conflict,
            "conflict: a:x was changed in v2 after snapshot v1".to_owned()
        ),
        "of several changed ids, the least is named, whatever the ops' order"
    );
    let v4 = registry.apply(1, &[update("a:y", "k", value(json!(1)))], 0)?;
    assert_eq!(
        (v4.id(), v4.parent()),
        (4, Some(3)),
        "other ids do not conflict; applied on head"
    );
    registry.apply(4, &[delete("a:y")], 0)?; // v5
    assert_eq!(
        error_of(registry.apply(4, &[update("a:y", "k", value(json!(2)))], 0)),
        (
            ErrorKind::Conflict,
            "conflict: a:y was changed in v5 after snapshot v4".to_owned()
        )
    );
    Ok(())
}

#[test]
fn rollback_then_apply_starts_a_branch() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(0, &[create("a:x", "k")], 0)?; // v1
    registry.apply(1, &[create("a:y", "k")], 0)?; // v2
    registry.apply_version(1)?;
    assert_eq!(ids_at(&registry, registry.head().id()), ["a:x"]);
    let v3 = registry.apply(1, &[create("a:z", "k")], 0)?;
    assert_eq!((v3.id(), v3.parent()), (3, Some(1)));
    registry.apply_version(2)?;
    assert_eq!(
        ids_at(&registry, registry.head().id()),
        ["a:x", "a:y"],
        "forward again"
    );
    registry.apply_version(2)?;
    assert_eq!(
        registry.versions().len(),
        4,
        "apply_version creates no version"
    );
    assert_eq!(
        error_of(registry.apply_version(42)),
        (
            ErrorKind::VersionNotFound,
            "version not found: 42".to_owned()
        )
    );
    Ok(())
}

#[test]
fn a_changeset_from_another_branch_conflicts_when_head_differs() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(0, &[create("a:x", "k")], 0)?; // v1
    registry.apply(1, &[update("a:x", "k", value(json!(1)))], 0)?; // v2
    registry.apply_version(1)?;
    assert_eq!(
        error_of(registry.apply(2, &[update("a:x", "k", value(json!(5)))], 0)),
        (
            ErrorKind::Conflict,
            "conflict: a:x at head v1 differs from snapshot v2 (head was moved with apply_version)"
                .to_owned()
        )
    );
    Ok(())
}

#[test]
fn find_by_index_agrees_with_a_scan() -> Result<()> {
    let mut registry = Registry::new(0);
    let ops: Vec<Op> = (0..300)
        .map(|i| {
            create(
                &format!("ns{}:e{i}", i % 7),
                if i % 3 == 0 { "service" } else { "config" },
            )
        })
        .collect();
    registry.apply(0, &ops, 0)?;
    let state = registry.head().state().expect("the state is loaded");
    for (key, value) in [(".kind", "service"), (".ns", "ns3"), (".id", "ns3:e3")] {
        let criteria = registry_core::Criteria::parse([(key, Value::from(value))])?;
        let indexed: Vec<_> = state
            .find(&criteria)
            .iter()
            .map(|e| e.id.to_string())
            .collect();
        let scanned: Vec<_> = state
            .entries()
            .filter(|e| criteria.matches(e))
            .map(|e| e.id.to_string())
            .collect();
        assert_eq!(indexed, scanned, "{key}");
        assert!(!indexed.is_empty(), "{key}");
    }
    Ok(())
}

#[test]
fn export_import_round_trips_branches_and_head() -> Result<()> {
    let mut registry = Registry::new(5);
    registry.apply(0, &[create("a:x", "k")], 10)?;
    // 3.8724788949055555 needs serde_json's exact float parsing to round-trip (found by a property test).
    registry.apply(
        1,
        &[update(
            "a:x",
            "k",
            value(json!({"n": 3.872_478_894_905_555_5, "list": [1, 2]})),
        )],
        20,
    )?;
    registry.apply_version(1)?;
    registry.apply(1, &[delete("a:x")], 30)?;
    registry.apply_version(2)?;
    let text = registry.to_json().expect("the history exports");
    let restored = Registry::from_json(&text)?;
    assert_eq!(
        restored.export().expect("the history exports"),
        registry.export().expect("the history exports")
    );
    assert_eq!(restored.head().id(), 2);
    assert_eq!(restored.version(3)?.parent(), Some(1));
    assert_eq!(ids_at(&restored, 3), Vec::<String>::new());
    Ok(())
}

#[test]
fn imports_refuse_broken_histories() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(0, &[create("a:x", "k")], 0)?;
    let good: serde_json::Value =
        serde_json::from_str(&registry.to_json().expect("the history exports"))
            .expect("export is JSON");
    let broken = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut doc = good.clone();
        edit(&mut doc);
        error_of(Registry::from_json(&doc.to_string())).1
    };
    assert_eq!(
        broken(&|d| d["format_version"] = json!(2)),
        "history format version 2 is not supported (this build reads version 1)"
    );
    assert_eq!(
        broken(&|d| d["format"] = json!("other")),
        r#"not a registry history: format is "other", expected "luau-registry-history""#
    );
    assert_eq!(
        broken(&|d| d["versions"][1]["id"] = json!(7)),
        "version ids must be consecutive from 0: expected v1, found v7"
    );
    assert_eq!(
        broken(&|d| d["versions"][1]["parent"] = json!(1)),
        "v1: parent must be an earlier version"
    );
    assert_eq!(
        broken(&|d| d["versions"][1]["ops"] = json!([])),
        "v1: no changes to apply"
    );
    assert_eq!(
        broken(&|d| d["versions"][1]["ops"][0]["kind"] = json!("entry.update")),
        "v1: entry not found: a:x"
    );
    assert_eq!(
        broken(&|d| d["head"] = json!(9)),
        "head v9 is not a version of this history"
    );
    assert!(broken(&|d| d["versions"] = json!([])).contains("history has no versions"));
    assert!(
        broken(&|d| d["versions"][1]["ops"][0]["kind"] = json!("entry.explode"))
            .starts_with("invalid history: versions[1]: unknown variant `entry.explode`"),
        "a malformed record is named by its position"
    );
    assert_eq!(
        broken(&|d| {
            d["format_version"] = json!(2);
            d["versions"] = json!("not even a list");
        }),
        "history format version 2 is not supported (this build reads version 1)",
        "a newer format is reported before its contents are read"
    );
    let truncated = &registry.to_json().expect("the history exports")[..40];
    assert!(
        error_of(Registry::from_json(truncated))
            .1
            .starts_with("invalid history JSON: ")
    );
    Ok(())
}

/// Found by reading the code behind the fuzz targets: entries built in Rust kept `3.0`.
#[test]
fn entries_built_in_rust_keep_numbers_canonical() -> Result<()> {
    let meta: Map = [("port", Value::Float(3.0))].into_iter().collect();
    let entry = Entry::new(id("a:x"), "service", meta, Value::Float(3.0))?;
    assert_eq!(entry.data, Value::Integer(3));
    let mut registry = Registry::new(0);
    registry.apply(0, &[Op::Create(Rc::new(entry))], 0)?;
    let port = |n: Value| registry_core::Criteria::parse([("port", n)]);
    assert_eq!(
        registry
            .head()
            .state()
            .expect("the state is loaded")
            .find(&port(value(json!(3)))?)
            .len(),
        1
    );
    assert_eq!(
        registry
            .head()
            .state()
            .expect("the state is loaded")
            .find(&port(value(json!(3.0)))?)
            .len(),
        1
    );
    let restored = Registry::from_json(&registry.to_json().expect("the history exports"))?;
    assert_eq!(
        restored.export().expect("the history exports"),
        registry.export().expect("the history exports")
    );
    Ok(())
}

#[test]
fn next_leads_toward_head_or_to_the_newest_child() -> Result<()> {
    let mut registry = Registry::new(0);
    for name in ["a:1", "a:2", "a:3"] {
        registry.apply(registry.head().id(), &[create(name, "k")], 0)?;
    }
    registry.apply_version(1)?;
    registry.apply(1, &[create("a:4", "k")], 0)?;
    let nexts = |registry: &Registry| (0..=4).map(|v| registry.next(v)).collect::<Vec<_>>();
    assert_eq!(nexts(&registry), [Some(1), Some(4), Some(3), None, None]);
    registry.apply_version(3)?;
    assert_eq!(nexts(&registry), [Some(1), Some(2), Some(3), None, None]);
    registry.apply_version(1)?;
    assert_eq!(registry.next(1), Some(4), "at head: the newest child");
    Ok(())
}

#[test]
fn errors_carry_their_details() -> Result<()> {
    let mut registry = Registry::new(0);
    registry.apply(0, &[create("a:x", "k")], 0)?;
    registry.apply(1, &[update("a:x", "k", value(json!(1)))], 0)?;
    let conflict = registry
        .apply(1, &[delete("a:x")], 0)
        .expect_err("a stale snapshot conflicts");
    assert_eq!(
        conflict.details(),
        Some(map(json!({"id": "a:x", "version": 2, "snapshot": 1})))
    );
    assert_eq!(conflict.kind().script_kind(), "CONFLICT");
    let missing = registry.version(9).expect_err("no v9");
    assert_eq!(missing.details(), Some(map(json!({"version": 9}))));
    assert_eq!(missing.kind().script_kind(), "NOT_FOUND");
    let empty = registry.apply(2, &[], 0).expect_err("no ops");
    assert_eq!(
        (empty.details(), empty.kind().script_kind()),
        (None, "INVALID")
    );
    Ok(())
}

/// A history source over an export and checkpoints of some of its versions, recording what it
/// is asked.
struct Recorded {
    history: registry_core::HistoryExport,
    checkpoints: Vec<(u64, Vec<u8>)>,
    asked: Rc<std::cell::RefCell<Vec<String>>>,
}

impl registry_core::HistorySource for Recorded {
    fn ops(&self, versions: &[u64]) -> Result<Vec<Vec<Op>>> {
        self.asked.borrow_mut().push(format!("ops {versions:?}"));
        Ok(versions
            .iter()
            .map(|&v| self.history.versions[v as usize].ops.clone())
            .collect())
    }

    fn checkpoint(&self, version: u64) -> Result<registry_core::State> {
        self.asked
            .borrow_mut()
            .push(format!("checkpoint v{version}"));
        let bytes = self
            .checkpoints
            .iter()
            .find(|(at, _)| *at == version)
            .map(|(_, bytes)| bytes.as_slice())
            .unwrap_or_default();
        Ok(registry_core::decode_checkpoint(bytes)?.1)
    }

    fn loaded(&self) {
        self.asked.borrow_mut().push("loaded".into());
    }
}

/// A branching history: v1, v2 on it, v3 on v1 (head).
fn branched() -> Result<Registry> {
    let mut registry = Registry::new(5);
    registry.apply(0, &[create("a:x", "k"), create("a:y", "k")], 10)?;
    registry.apply(1, &[update("a:x", "k", value(json!(2)))], 20)?;
    registry.apply_version(1)?;
    registry.apply(1, &[delete("a:y")], 30)?;
    Ok(registry)
}

fn opened(
    registry: &Registry,
    checkpoints: &[u64],
) -> Result<(Registry, Rc<std::cell::RefCell<Vec<String>>>)> {
    let asked = Rc::default();
    let listing = registry_core::protocol::VersionList::of(registry);
    let source = Recorded {
        history: registry.export()?,
        checkpoints: checkpoints
            .iter()
            .map(|&at| {
                let state = registry.version(at)?.state()?;
                Ok((at, registry_core::encode_checkpoint(at, state)))
            })
            .collect::<Result<_>>()?,
        asked: Rc::clone(&asked),
    };
    let opened = Registry::open(
        &listing.versions,
        listing.head,
        checkpoints,
        Box::new(source),
    )?;
    Ok((opened, asked))
}

#[test]
fn an_opened_history_loads_only_what_is_read() -> Result<()> {
    let registry = branched()?;
    let (opened, asked) = opened(&registry, &[3])?;
    assert_eq!(opened.versions().len(), 4);
    assert_eq!(opened.head().op_count(), 1);
    assert!(asked.borrow().is_empty(), "opening reads nothing");
    assert_eq!(ids_at(&opened, 3), ["a:x"]);
    assert_eq!(*asked.borrow(), ["checkpoint v3", "loaded"]);
    assert_eq!(ids_at(&opened, 2), ["a:x", "a:y"]);
    assert_eq!(
        *asked.borrow(),
        ["checkpoint v3", "loaded", "ops [1, 2]", "loaded"]
    );
    assert_eq!(opened.delta(2, 3)?, registry.delta(2, 3)?);
    assert_eq!(opened.export()?, registry.export()?);
    assert_eq!(
        asked.borrow()[4..],
        ["ops [3]", "loaded"],
        "then v3's ops, the only ones left"
    );
    Ok(())
}

#[test]
fn a_state_is_built_from_the_nearest_checkpoint_on_its_path() -> Result<()> {
    // v1..v6 in a line, then v7 on v2.
    let mut registry = Registry::new(5);
    for n in 1..=6 {
        registry.apply(n - 1, &[create(&format!("a:{n}"), "k")], 10)?;
    }
    registry.apply_version(2)?;
    registry.apply(2, &[create("a:7", "k")], 10)?;
    let (opened, asked) = opened(&registry, &[1, 4])?;
    assert_eq!(ids_at(&opened, 6).len(), 6);
    assert_eq!(
        *asked.borrow(),
        ["checkpoint v4", "ops [5, 6]", "loaded"],
        "from v4, not v1 or v0"
    );
    asked.borrow_mut().clear();
    assert_eq!(ids_at(&opened, 3), ["a:1", "a:2", "a:3"]);
    assert_eq!(*asked.borrow(), ["checkpoint v1", "ops [2, 3]", "loaded"]);
    asked.borrow_mut().clear();
    assert_eq!(ids_at(&opened, 7), ["a:1", "a:2", "a:7"]);
    assert_eq!(
        *asked.borrow(),
        ["ops [7]", "loaded"],
        "from v1 again, v2's operations loaded already"
    );
    for version in opened.versions() {
        assert!(
            version
                .state()?
                .delta(registry.version(version.id())?.state()?)
                .is_empty()
        );
    }
    Ok(())
}

#[test]
fn an_opened_history_commits_and_checks_conflicts_like_the_original() -> Result<()> {
    let mut original = branched()?;
    let (mut opened, _) = opened(&original, &[])?;
    for registry in [&mut original, &mut opened] {
        assert_eq!(
            error_of(registry.apply(2, &[update("a:x", "k", value(json!(3)))], 40)),
            (
                ErrorKind::Conflict,
                "conflict: a:x at head v3 differs from snapshot v2 (head was moved with \
                 apply_version)"
                    .into()
            )
        );
        assert_eq!(
            error_of(registry.apply(1, &[update("a:y", "k", value(json!(3)))], 40)).1,
            "conflict: a:y was changed in v3 after snapshot v1"
        );
        registry.apply(3, &[create("a:z", "k")], 50)?;
    }
    assert_eq!(opened.export()?, original.export()?);
    Ok(())
}

#[test]
fn an_opened_history_refuses_a_bad_listing_or_source() -> Result<()> {
    let registry = branched()?;
    let mut listing = registry_core::protocol::VersionList::of(&registry);
    let open = |listing: &registry_core::protocol::VersionList, checkpoints: &[u64]| {
        let source = Recorded {
            history: registry.export().expect("exports"),
            checkpoints: Vec::new(),
            asked: Rc::default(),
        };
        Registry::open(
            &listing.versions,
            listing.head,
            checkpoints,
            Box::new(source),
        )
        .map(|_| ())
    };
    assert_eq!(
        error_of(open(&listing, &[1, 9])),
        (
            ErrorKind::InvalidHistory,
            "the checkpoint's v9 is not a version of this history".into()
        )
    );
    listing.versions[2].parent = Some(2);
    assert_eq!(
        error_of(open(&listing, &[])).1,
        "v2: parent must be an earlier version"
    );
    let mut history = registry.export()?;
    history.versions[2].ops = vec![delete("a:zz")];
    let listing = registry_core::protocol::VersionList::of(&registry);
    let source = Recorded {
        history,
        checkpoints: Vec::new(),
        asked: Rc::default(),
    };
    let opened = Registry::open(&listing.versions, listing.head, &[], Box::new(source))?;
    assert_eq!(
        error_of(opened.version(2)?.state().map(|_| ())),
        (
            ErrorKind::InvalidHistory,
            "the stored v2 does not apply: entry not found: a:zz".into()
        )
    );
    Ok(())
}
