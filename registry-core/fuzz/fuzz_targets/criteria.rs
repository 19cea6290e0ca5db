//! `find` criteria from untrusted input: `(key, value)` pairs and the text form.
//!
//! Checks: parsing never panics and fails only with `InvalidCriteria`; matching never panics;
//! several criteria hold together exactly when each holds alone; and `State::find` (which
//! answers `.id`, `.kind` and `.ns` equality from indexes) returns exactly the entries a plain
//! scan with `Criteria::matches` returns, in id order.
#![no_main]

use std::rc::Rc;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use registry_core::{Criteria, Entry, EntryId, ErrorKind, Op, Registry, Value};
use registry_core_fuzz::{KINDS, META_KEYS, STRINGS, any_map, any_value, string};

/// Pieces of regex syntax, so that patterns reach the parser's and compiler's corners
/// (repetition blow-ups hit the size limit, classes, flags, anchors, unbalanced groups).
const REGEX_PIECES: [&str; 32] = [
    "a",
    ".",
    ".*",
    "(",
    ")",
    "(?:",
    "(?i)",
    "[a-z]",
    "[^",
    "]",
    "\\",
    "\\d",
    "\\w",
    "\\b",
    "\\pL",
    "\\p{Greek}",
    "^",
    "$",
    "|",
    "*",
    "+",
    "?",
    "+?",
    "{2}",
    "{2,}",
    "{1000}",
    "{1,1000}",
    "(a*)*",
    "é",
    "[[:alpha:]]",
    "\\x{10FFFF}",
    "(?<n>",
];

const FIELDS: [&str; 10] = [
    ".kind", ".name", ".ns", ".id", ".other", "", "meta.", "meta.env", "a.b", "tags",
];

#[derive(Debug)]
struct Input {
    pairs: Vec<(String, Value)>,
    query: String,
    entries: Vec<Entry>,
}

fn pattern(u: &mut Unstructured) -> Result<String> {
    if u.ratio(1, 4)? {
        return string(u);
    }
    let mut text = String::new();
    for _ in 0..u.int_in_range(1..=8)? {
        text.push_str(u.choose(&REGEX_PIECES)?);
    }
    Ok(text)
}

fn key(u: &mut Unstructured) -> Result<String> {
    if u.ratio(1, 8)? {
        return string(u);
    }
    let operator = *u.choose(&["", "", "~", "*", "^", "$", "é", "."])?;
    let field = if u.ratio(7, 8)? {
        (*u.choose(&FIELDS)?).to_owned()
    } else {
        format!("meta.{}", u.choose(&META_KEYS)?)
    };
    Ok(format!("{operator}{field}"))
}

fn pair(u: &mut Unstructured) -> Result<(String, Value)> {
    let key = key(u)?;
    let value = if key.starts_with('~') && u.ratio(3, 4)? {
        Value::from(pattern(u)?)
    } else if key.starts_with('.') || u.ratio(1, 2)? {
        Value::from(string(u)?)
    } else {
        any_value(u, 3)?
    };
    Ok((key, value))
}

/// The text form: either arbitrary text or terms built from keys, `=`, quotes and values.
fn query(u: &mut Unstructured) -> Result<String> {
    if u.ratio(1, 4)? {
        return Ok(<&str>::arbitrary(u)?.to_owned());
    }
    let mut text = String::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let quote_all = u.ratio(1, 6)?;
        if quote_all {
            text.push('"');
        }
        text.push_str(&key(u)?);
        if u.ratio(7, 8)? {
            text.push('=');
        }
        let value = match u.int_in_range(0..=5)? {
            0 => pattern(u)?,
            1 => format!("\"{}\"", string(u)?),
            2 => any_value(u, 2)?.to_string(),
            3 => i64::arbitrary(u)?.to_string(),
            4 => (*u.choose(&[
                "true",
                "null",
                "[]",
                "[1,\"a\"]",
                "1e400",
                "3.0",
                "{}",
                "\"",
            ])?)
            .to_owned(),
            _ => string(u)?,
        };
        text.push_str(&value);
        if quote_all {
            text.push('"');
        }
        text.push_str(u.choose(&[" ", "  ", "\t", "\u{3000}", ""])?);
    }
    Ok(text)
}

fn entry(u: &mut Unstructured) -> Result<Option<Entry>> {
    let ns = string(u)?;
    let name = string(u)?;
    let Ok(id) = EntryId::parse(&format!("{ns}:{name}")) else {
        return Ok(None);
    };
    let kind = if u.ratio(3, 4)? {
        (*u.choose(&KINDS)?).to_owned()
    } else {
        string(u)?
    };
    let meta = any_map(u, 3)?;
    Ok(Entry::new(id, &kind, meta, Value::Null).ok())
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut pairs = Vec::new();
        for _ in 0..u.int_in_range(0..=4)? {
            pairs.push(pair(u)?);
        }
        let query = query(u)?;
        let mut entries = Vec::new();
        for _ in 0..u.int_in_range(0..=6)? {
            entries.extend(entry(u)?);
        }
        // Some entries with ids and kinds the criteria vocabulary names.
        for text in STRINGS.iter().filter(|s| s.contains(':') && s.len() > 2) {
            if u.ratio(1, 2)? {
                let id = EntryId::parse(text).expect("a valid id");
                entries.extend(Entry::new(id, "service", any_map(u, 2)?, Value::Null).ok());
            }
        }
        Ok(Self {
            pairs,
            query,
            entries,
        })
    }
}

fn parsed(result: registry_core::Result<Criteria>, what: &str) -> Option<Criteria> {
    match result {
        Ok(criteria) => Some(criteria),
        Err(error) => {
            assert_eq!(
                error.kind(),
                ErrorKind::InvalidCriteria,
                "{what} failed with another kind: {error}"
            );
            assert!(!error.message().is_empty(), "{what}: empty error message");
            None
        }
    }
}

fuzz_target!(|input: Input| {
    let whole = parsed(Criteria::parse(input.pairs.clone()), "parse");
    let from_query = parsed(Criteria::parse_query(&input.query), "parse_query");
    // Each pair alone: the whole parses exactly when every pair does.
    let singles: Option<Vec<Criteria>> = input
        .pairs
        .iter()
        .map(|pair| parsed(Criteria::parse([pair.clone()]), "parse one"))
        .collect();
    assert_eq!(
        whole.is_some(),
        singles.is_some(),
        "parse of all vs each: {:?}",
        input.pairs
    );

    // One version holding the entries with distinct ids.
    let mut registry = Registry::new(0);
    let mut ops = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for entry in &input.entries {
        if seen.insert(entry.id.clone()) {
            ops.push(Op::Create(Rc::new(entry.clone())));
        }
    }
    if !ops.is_empty() {
        registry
            .apply(0, &ops, 0)
            .expect("creates of distinct ids apply");
    }
    let state = registry.head().state().expect("the state is in memory");

    for criteria in whole.iter().chain(&from_query) {
        let scanned: Vec<&EntryId> = state
            .entries()
            .filter(|e| criteria.matches(e))
            .map(|e| &e.id)
            .collect();
        let found = state.find(criteria);
        let found: Vec<&EntryId> = found.iter().map(|e| &e.id).collect();
        assert_eq!(
            found, scanned,
            "find disagrees with a scan for {criteria:?}"
        );
    }

    if let (Some(whole), Some(singles)) = (&whole, &singles) {
        for entry in &input.entries {
            let each = singles.iter().all(|c| c.matches(entry));
            assert_eq!(
                whole.matches(entry),
                each,
                "criteria together differ from each alone on {entry:?}"
            );
        }
    }
    assert!(
        input.entries.iter().all(|e| Criteria::default().matches(e)),
        "empty criteria match everything"
    );
});
