//! History import from untrusted bytes.
//!
//! Two kinds of input, chosen by the first byte: arbitrary text for `Registry::from_json`, or a
//! valid export (built by applying generated changesets and rollbacks) put through structured
//! mutations (truncated version lists, swapped or duplicated records, dangling parents, wrong
//! format names and versions, bad heads, dropped, duplicated, moved or retyped operations,
//! empty kinds) and then, optionally, cut or spliced as text.
//!
//! Checks: the import returns `Ok` or an error of kind `InvalidHistory`, never panics; an
//! unmutated export imports to an identical export; whenever an import succeeds, `export()`
//! then `import()` (and `to_json()` then `from_json()`) give back an identical export, and the
//! registry's head and version count are those of the export.
#![no_main]

use std::rc::Rc;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use registry_core::{Entry, ErrorKind, HistoryExport, Op, Registry};
use registry_core_fuzz::{small_id, small_op, string};

/// A valid history: generated changesets (failures are skipped) and rollbacks.
fn history(u: &mut Unstructured) -> Result<Registry> {
    let mut registry = Registry::new(i64::arbitrary(u)?);
    for _ in 0..u.int_in_range(0..=10)? {
        if u.ratio(1, 5)? {
            let count = registry.versions().len() as u64;
            let target = u.int_in_range(0..=count - 1)?;
            registry.apply_version(target).expect("an existing version");
            continue;
        }
        let mut ops = Vec::new();
        for _ in 0..u.int_in_range(1..=3)? {
            ops.push(small_op(u)?);
        }
        let head = registry.head().id();
        let time = if u.ratio(1, 4)? {
            i64::arbitrary(u)?
        } else {
            1000
        };
        let _ = registry.apply(head, &ops, time);
    }
    Ok(registry)
}

fn index(u: &mut Unstructured, len: usize) -> Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    u.choose_index(len)
}

/// One structured change to an export.
fn mutate(u: &mut Unstructured, export: &mut HistoryExport) -> Result<()> {
    let versions = &mut export.versions;
    let len = versions.len();
    match u.int_in_range(0..=15)? {
        0 => versions.truncate(index(u, len + 1)?),
        1 if len > 0 => {
            let (a, b) = (index(u, len)?, index(u, len)?);
            let id = versions[a].id;
            versions[a].id = versions[b].id;
            versions[b].id = id;
        }
        2 if len > 0 => {
            let (a, b) = (index(u, len)?, index(u, len)?);
            versions.swap(a, b);
        }
        3 if len > 0 => {
            let at = index(u, len)?;
            versions[at].parent = if u.ratio(1, 4)? {
                None
            } else if u.ratio(1, 2)? {
                Some(u64::arbitrary(u)?)
            } else {
                Some(u.int_in_range(0..=len as u64 + 1)?)
            };
        }
        4 if len > 0 => {
            let at = index(u, len)?;
            let copy = versions[at].clone();
            versions.insert(index(u, len + 1)?, copy);
        }
        5 if len > 0 => {
            versions.remove(index(u, len)?);
        }
        6 => export.format_version = *u.choose(&[0, 2, u32::MAX])?,
        7 => export.format = string(u)?,
        8 => {
            export.head = if u.ratio(1, 2)? {
                u64::arbitrary(u)?
            } else {
                u.int_in_range(0..=len as u64)?
            }
        }
        9 if len > 0 => {
            let at = index(u, len)?;
            let ops = &mut versions[at].ops;
            if !ops.is_empty() {
                let op = index(u, ops.len())?;
                ops.remove(op);
            }
        }
        10 if len > 0 => {
            let at = index(u, len)?;
            let ops = &mut versions[at].ops;
            if !ops.is_empty() {
                let op = ops[index(u, ops.len())?].clone();
                let to = index(u, ops.len() + 1)?;
                ops.insert(to, op);
            }
        }
        11 if len > 0 => {
            // Retype an operation: create <-> update, or into a delete of its id.
            let at = index(u, len)?;
            let ops = &mut versions[at].ops;
            if !ops.is_empty() {
                let op = index(u, ops.len())?;
                ops[op] = match &ops[op] {
                    Op::Create(e) if u.ratio(1, 2)? => Op::Update(Rc::clone(e)),
                    Op::Update(e) if u.ratio(1, 2)? => Op::Create(Rc::clone(e)),
                    Op::Create(e) | Op::Update(e) => Op::Delete { id: e.id.clone() },
                    Op::Delete { id } => Op::Create(Rc::new(
                        Entry::new(
                            id.clone(),
                            "service",
                            Default::default(),
                            Default::default(),
                        )
                        .expect("a valid entry"),
                    )),
                };
            }
        }
        12 if len > 0 => {
            // Move an operation to another version.
            let (from, to) = (index(u, len)?, index(u, len)?);
            if !versions[from].ops.is_empty() {
                let op = index(u, versions[from].ops.len())?;
                let op = versions[from].ops.remove(op);
                versions[to].ops.push(op);
            }
        }
        13 if len > 0 => {
            // Another id, or an empty kind (which `Entry::new` refuses, but the fields are public).
            let at = index(u, len)?;
            let ops = &mut versions[at].ops;
            if !ops.is_empty() {
                let op = index(u, ops.len())?;
                let id = small_id(u)?;
                ops[op] = match &ops[op] {
                    Op::Create(e) | Op::Update(e) => {
                        let mut entry = Entry::clone(e);
                        if u.ratio(1, 2)? {
                            entry.id = id;
                        } else {
                            entry.kind = Rc::from("");
                        }
                        if matches!(ops[op], Op::Create(_)) {
                            Op::Create(Rc::new(entry))
                        } else {
                            Op::Update(Rc::new(entry))
                        }
                    }
                    Op::Delete { .. } => Op::Delete { id },
                };
            }
        }
        14 if len > 0 => {
            let at = index(u, len)?;
            versions[at].time_ms = i64::arbitrary(u)?;
        }
        _ if len > 0 => {
            let at = index(u, len)?;
            versions[at].id = if u.ratio(1, 2)? {
                u64::arbitrary(u)?
            } else {
                u.int_in_range(0..=len as u64 + 1)?
            };
        }
        _ => {}
    }
    Ok(())
}

/// One change to the JSON text (kept valid UTF-8).
fn mutate_text(u: &mut Unstructured, text: &mut String) -> Result<()> {
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let at = *u.choose(&boundaries)?;
    match u.int_in_range(0..=3)? {
        0 => text.truncate(at),
        1 => text.insert_str(
            at,
            u.choose(&[
                "1", "-", ".0", "e9", "\"", "{", "]", ",", "null", "\\u0000", "é",
            ])?,
        ),
        2 => {
            let end = *u.choose(&boundaries)?;
            if end > at {
                text.replace_range(at..end, "");
            }
        }
        _ => {
            let tokens = [
                ("\"format_version\":1", "\"format_version\":1.0"),
                ("\"format_version\":1", "\"format_version\":-1"),
                ("\"format_version\":1", "\"format_version\":4294967297"),
                ("\"parent\":null", "\"parent\":0"),
                ("\"head\":", "\"head\":1"),
                ("\"entry.create\"", "\"entry.update\""),
                ("\"entry.update\"", "\"entry.delete\""),
                ("\"meta\":{}", "\"meta\":{\"a\":1.0,\"a\":2}"),
                ("\"kind\":\"service\"", "\"kind\":\"\""),
                (",\"data\":", ",\"extra\":1,\"data\":"),
                ("\"id\":\"a:x\"", "\"id\":\"a:\""),
                ("\"data\":1", "\"data\":1e400"),
                ("\"data\":1", "\"data\":9223372036854775808"),
                ("\"data\":1", "\"data\":-0.0"),
            ];
            // Nesting just under and over serde_json's recursion limit (128).
            let depth = *u.choose(&[0, 120, 130])?;
            let nested = format!("\"data\":{}1{}", "[".repeat(depth), "]".repeat(depth));
            let (from, to) = if depth > 0 {
                ("\"data\":1", nested.as_str())
            } else {
                *u.choose(&tokens)?
            };
            if let Some(found) = text.find(from) {
                text.replace_range(found..found + from.len(), to);
            }
        }
    }
    Ok(())
}

fn check_import(result: registry_core::Result<Registry>) -> Option<Registry> {
    match result {
        Ok(registry) => {
            let export = registry.export().expect("the history exports");
            assert_eq!(registry.versions().len(), export.versions.len());
            assert!(export.head < export.versions.len() as u64);
            let again = Registry::import(export.clone()).expect("an export of an import imports");
            assert_eq!(
                again.export().expect("the history exports"),
                export,
                "export -> import is not identical"
            );
            let text = registry.to_json().expect("the history exports");
            let from_text = Registry::from_json(&text).expect("to_json of an import imports");
            assert_eq!(
                from_text.export().expect("the history exports"),
                export,
                "to_json -> from_json is not identical"
            );
            Some(registry)
        }
        Err(error) => {
            assert_eq!(
                error.kind(),
                ErrorKind::InvalidHistory,
                "an import failed with another kind: {error}"
            );
            assert!(!error.message().is_empty());
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // Raw text.
        check_import(Registry::from_json(&String::from_utf8_lossy(rest)));
        return;
    }
    let mut u = Unstructured::new(rest);
    let Ok(registry) = history(&mut u) else {
        return;
    };
    let original = registry.export().expect("the history exports");
    let mut export = original.clone();
    let mutations = u.int_in_range(0..=4u8).unwrap_or(0);
    for _ in 0..mutations {
        if mutate(&mut u, &mut export).is_err() {
            break;
        }
    }
    let mut text = serde_json::to_string(&export).expect("an export serializes");
    let text_mutations = if u.ratio(1, 3).unwrap_or(false) { 1 } else { 0 };
    for _ in 0..text_mutations {
        if mutate_text(&mut u, &mut text).is_err() {
            break;
        }
    }
    let imported = check_import(Registry::from_json(&text));
    if export == original && text == serde_json::to_string(&original).expect("serializes") {
        let imported = imported.expect("an unmutated export imports");
        assert_eq!(
            imported.export().expect("the history exports"),
            original,
            "an unmutated export changed on import"
        );
    }
});
