//! Generators shared by the fuzz targets.
//!
//! Every generator is bounded (depth and length), so an input can never build a value deep
//! enough to overflow the stack on its own: what a target finds is the core's doing.

use std::rc::Rc;

use arbitrary::{Arbitrary, Result, Unstructured};
use registry_core::{Entry, EntryId, Map, Op, Value};

/// A small id space, so that operations collide. `a-b:y` sorts before `a:x` as a string but
/// after it by (namespace, name), the order the registry uses; `b:x:z` has a second colon.
pub const IDS: [&str; 4] = ["a:x", "a:y", "a-b:y", "b:x:z"];

/// A small kind space, so that updates sometimes change the kind.
pub const KINDS: [&str; 2] = ["service", "config"];

/// Metadata keys, including a dotted one (criteria look `a.b` up literally first) and an empty one.
pub const META_KEYS: [&str; 8] = ["env", "port", "tags", "a", "a.b", "b", "", "é"];

/// Strings that criteria, ids and metadata care about.
pub const STRINGS: [&str; 12] = [
    "", "prod", "api", "a", "a:x", "service", "config", ":", "x", "é", "a.b", " ",
];

/// Doubles at the edges of the canonical-number rule (integral below 2^63 become integers).
const SPECIAL_F64: [f64; 10] = [
    0.0,
    -0.0,
    0.5,
    3.0,
    1e300,
    9_007_199_254_740_992.0,
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    18_446_744_073_709_551_616.0,
    f64::MIN_POSITIVE,
];

/// A string: usually from [`STRINGS`], sometimes arbitrary.
pub fn string(u: &mut Unstructured) -> Result<String> {
    if u.ratio(3, 4)? {
        Ok((*u.choose(&STRINGS)?).to_owned())
    } else {
        Ok(<&str>::arbitrary(u)?.chars().take(64).collect())
    }
}

/// Any JSON value the public API accepts. Numbers are not necessarily in the canonical stored
/// form (e.g. `3.0` as a double), since `Criteria::parse` and `Entry::new` take any `Value`.
pub fn any_value(u: &mut Unstructured, depth: u32) -> Result<Value> {
    let top = if depth == 0 { 5 } else { 7 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => Value::from(u.int_in_range(-3i64..=3)?),
        3 => {
            if bool::arbitrary(u)? {
                Value::from(i64::arbitrary(u)?)
            } else {
                Value::from(u64::arbitrary(u)?)
            }
        }
        4 => {
            let n = if bool::arbitrary(u)? {
                *u.choose(&SPECIAL_F64)?
            } else {
                f64::arbitrary(u)?
            };
            if n.is_finite() {
                Value::Float(n)
            } else {
                Value::Null
            }
        }
        5 => Value::from(string(u)?),
        6 => {
            let len = u.int_in_range(0..=4)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(any_value(u, depth - 1)?);
            }
            Value::from(items)
        }
        _ => Value::Object(any_map(u, depth - 1)?),
    })
}

/// A map with keys mostly from [`META_KEYS`].
pub fn any_map(u: &mut Unstructured, depth: u32) -> Result<Map> {
    let len = u.int_in_range(0..=4)?;
    let mut map = Map::new();
    for _ in 0..len {
        let key = if u.ratio(3, 4)? {
            (*u.choose(&META_KEYS)?).to_owned()
        } else {
            string(u)?
        };
        map.insert(&key, any_value(u, depth)?);
    }
    Ok(map)
}

/// An id from [`IDS`].
pub fn small_id(u: &mut Unstructured) -> Result<EntryId> {
    Ok(EntryId::parse(u.choose(&IDS)?).expect("IDS are valid ids"))
}

/// A stored value from a small domain, so that equal contents recur.
pub fn small_value(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=6)? {
        0 => Value::Null,
        1 => Value::from(1),
        2 => Value::from(2),
        3 => Value::from("s"),
        4 => Value::from(vec![Value::from(1), Value::from("s")]),
        5 => Value::Object([("p", Value::from(1))].into_iter().collect()),
        _ => Value::Float(0.5),
    })
}

/// An entry in the canonical stored form, built the way an import builds one (JSON through
/// serde, which normalizes numbers), from the small id, kind and value domains.
pub fn stored_entry(u: &mut Unstructured) -> Result<Entry> {
    let id = small_id(u)?;
    let kind = *u.choose(&KINDS)?;
    let meta = if bool::arbitrary(u)? {
        serde_json::json!({})
    } else {
        serde_json::json!({ "env": small_value(u)? })
    };
    let data = small_value(u)?;
    let form = serde_json::json!({"id": id.as_str(), "kind": kind, "meta": meta, "data": data});
    Ok(serde_json::from_value(form).expect("small entries deserialize"))
}

/// A create, update or delete of a small entry.
pub fn small_op(u: &mut Unstructured) -> Result<Op> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Op::Create(Rc::new(stored_entry(u)?)),
        1 => Op::Update(Rc::new(stored_entry(u)?)),
        _ => Op::Delete { id: small_id(u)? },
    })
}
