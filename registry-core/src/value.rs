//! Storable values: JSON-shaped, compact in memory, with numbers kept in one canonical form.
//!
//! Luau numbers are doubles. An integral double is stored as an integer so that `8080` prints and
//! serializes as `8080`, never `8080.0`, and so that `3` and `3.0` compare equal everywhere.
//!
//! A registry holds many small maps with the same keys and many repeated short strings, so a map
//! is a boxed slice sorted by key (no tree nodes), and keys and short strings are shared through a
//! small per-thread cache ([`shared_str`]) instead of being allocated for every value.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess,
};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// A stored value: nil (`Null`), boolean, number, string, array or string-keyed map.
///
/// Numbers are canonical: an integral number within `i64` is an `Integer` (never `-0`), a
/// `Float` is finite and either fractional or beyond `i64`, and `Unsigned` only holds integers
/// above `i64::MAX` (read from JSON; Lua numbers are doubles).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Integer(i64),
    Unsigned(u64),
    Float(f64),
    String(Rc<str>),
    Array(Box<[Value]>),
    Object(Map),
}

// Floats are never NaN (they are refused where values are made), so equality is reflexive.
impl Eq for Value {}

/// A string-keyed map of values, sorted by key (byte order), each key once.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Map {
    entries: Box<[(Rc<str>, Value)]>,
}

/// The largest magnitude below which every integral double is exactly an `i64` (2^63).
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

impl Value {
    /// Converts a double to a stored number; NaN and infinities cannot be stored.
    pub fn number(n: f64) -> Result<Value> {
        if !n.is_finite() {
            let what = if n.is_nan() {
                "NaN"
            } else {
                "an infinite number"
            };
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("{what} cannot be stored"),
            ));
        }
        if n.fract() == 0.0 && n.abs() < I64_BOUND {
            // In range and integral, so the cast is exact (and turns -0.0 into 0).
            return Ok(Value::Integer(n as i64));
        }
        Ok(Value::Float(n))
    }

    /// A string value, shared with equal short strings made before.
    pub fn string(text: &str) -> Value {
        Value::String(shared_str(text))
    }

    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Puts every number in its canonical form, refusing NaN and infinities (for values built
    /// directly rather than through [`Value::number`] or deserialization).
    pub fn normalize(&mut self) -> Result<()> {
        match self {
            Value::Float(f) => *self = Value::number(*f)?,
            Value::Unsigned(u) => {
                if let Ok(i) = i64::try_from(*u) {
                    *self = Value::Integer(i);
                }
            }
            Value::Array(items) => items.iter_mut().try_for_each(Value::normalize)?,
            Value::Object(map) => map.normalize()?,
            Value::Null | Value::Bool(_) | Value::Integer(_) | Value::String(_) => {}
        }
        Ok(())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Integer(i64::from(i))
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Self {
        i64::try_from(u).map_or(Value::Unsigned(u), Value::Integer)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::string(text)
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::string(&text)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::Array(items.into_boxed_slice())
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Self {
        Value::Object(map)
    }
}

/// Compact JSON, as exported.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

impl Map {
    /// An empty map (allocates nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// A map of pairs already sorted by key, each key once.
    pub(crate) fn from_sorted(entries: Vec<(Rc<str>, Value)>) -> Self {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Self {
            entries: entries.into_boxed_slice(),
        }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    /// Sets `key` to `value`, returning the value it replaces. O(n): maps are built whole, this
    /// is for the few keys of an error's details.
    pub fn insert(&mut self, key: &str, value: Value) -> Option<Value> {
        match self.position(key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                let mut entries = std::mem::take(&mut self.entries).into_vec();
                entries.insert(i, (shared_str(key), value));
                self.entries = entries.into_boxed_slice();
                None
            }
        }
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(key, value)| (&**key, value))
    }

    /// [`Map::iter`] with the keys as the shared strings they are (the Lua binding keeps one Lua
    /// string per shared key).
    #[cfg(feature = "lua")]
    pub(crate) fn shared_iter(&self) -> impl ExactSizeIterator<Item = (&Rc<str>, &Value)> {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    fn position(&self, key: &str) -> std::result::Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// [`Value::normalize`] for every value.
    pub fn normalize(&mut self) -> Result<()> {
        self.entries
            .iter_mut()
            .try_for_each(|(_, value)| value.normalize())
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Pairs in any order; for a repeated key the last value wins, as in a JSON object.
impl<K: AsRef<str>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(pairs: I) -> Self {
        from_pairs(
            pairs
                .into_iter()
                .map(|(key, value)| (shared_str(key.as_ref()), value))
                .collect(),
        )
    }
}

/// Sorts pairs by key (stably) and keeps the last value of each key.
fn from_pairs(mut pairs: Vec<(Rc<str>, Value)>) -> Map {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut entries: Vec<(Rc<str>, Value)> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        match entries.last_mut() {
            Some(last) if last.0 == key => last.1 = value,
            _ => entries.push((key, value)),
        }
    }
    Map::from_sorted(entries)
}

/// Strings longer than this are not shared: long strings rarely repeat, and hashing them costs.
pub(crate) const SHARED_MAX_LEN: usize = 64;

/// Slots of the per-thread cache of shared strings (a power of two).
const SHARED_SLOTS: usize = 2048;

thread_local! {
    /// A direct-mapped cache: each string hashes to one slot, which keeps the last string seen
    /// there. Bounded (at most `SHARED_SLOTS` short strings stay alive), and single-threaded like
    /// the `Rc`s it hands out, natively and in the wasm module alike.
    static SHARED: RefCell<Vec<Option<Rc<str>>>> = RefCell::new(vec![None; SHARED_SLOTS]);
}

/// `text` as a shared string: equal short strings (keys, kinds, enum-like values) made on this
/// thread share one allocation while they stay in the cache.
pub(crate) fn shared_str(text: &str) -> Rc<str> {
    if text.len() > SHARED_MAX_LEN {
        return Rc::from(text);
    }
    // FNV-1a: fast on short strings; collisions only cost sharing.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let slot = (hash ^ (hash >> 32)) as usize & (SHARED_SLOTS - 1);
    SHARED.with(|cache| {
        let mut cache = cache.borrow_mut();
        match &cache[slot] {
            Some(shared) if **shared == *text => Rc::clone(shared),
            _ => {
                let shared: Rc<str> = Rc::from(text);
                cache[slot] = Some(Rc::clone(&shared));
                shared
            }
        }
    })
}

// Serialization. Human-readable formats (JSON, JavaScript through serde-wasm-bindgen) get plain
// JSON values, exactly as `serde_json::Value` serialized them: non-negative integers as u64,
// null as unit, maps with keys in order. Binary formats (postcard, which cannot tell types apart
// by looking) get a tagged form, `Tagged`.

/// The binary form of a value: an enum, so that the reader knows each value's type.
#[derive(Serialize)]
enum Tagged<'a> {
    Null,
    Bool(bool),
    Integer(i64),
    Unsigned(u64),
    Float(f64),
    String(&'a str),
    Array(&'a [Value]),
    Object(&'a Map),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            let tagged = match self {
                Value::Null => Tagged::Null,
                Value::Bool(b) => Tagged::Bool(*b),
                Value::Integer(i) => Tagged::Integer(*i),
                Value::Unsigned(u) => Tagged::Unsigned(*u),
                Value::Float(f) => Tagged::Float(*f),
                Value::String(text) => Tagged::String(text),
                Value::Array(items) => Tagged::Array(items),
                Value::Object(map) => Tagged::Object(map),
            };
            return tagged.serialize(serializer);
        }
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Integer(i) => match u64::try_from(*i) {
                Ok(u) => serializer.serialize_u64(u),
                Err(_) => serializer.serialize_i64(*i),
            },
            Value::Unsigned(u) => serializer.serialize_u64(*u),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::String(text) => serializer.serialize_str(text),
            Value::Array(items) => serializer.collect_seq(items.iter()),
            Value::Object(map) => map.serialize(serializer),
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(ValueVisitor { depth: 0 })
        } else {
            BinaryValue { depth: 0 }.deserialize(deserializer)
        }
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_map(MapVisitor)
        } else {
            Contents::<Map>::inside(0).deserialize(deserializer)
        }
    }
}

/// The variants of `Tagged`, in order.
const TAGS: &[&str] = &[
    "Null", "Bool", "Integer", "Unsigned", "Float", "String", "Array", "Object",
];

/// Binary values nested deeper than this are refused: postcard, unlike serde_json (128), has no
/// recursion limit of its own, and hostile bytes must not overflow the stack. Every value a
/// script (100 levels) or an import (under serde_json's limit) can store fits.
pub(crate) const MAX_BINARY_DEPTH: usize = 128;

/// A value of the binary form, inside `depth` containers.
struct BinaryValue {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for BinaryValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_enum("Tagged", TAGS, ValueVisitor { depth: self.depth })
    }
}

/// The items of a binary array (`Vec<Value>`) or the pairs of a binary map (`Map`), inside
/// `depth` containers.
struct Contents<T> {
    depth: usize,
    of: std::marker::PhantomData<T>,
}

impl<T> Contents<T> {
    fn inside(depth: usize) -> Self {
        Self {
            depth: depth + 1,
            of: std::marker::PhantomData,
        }
    }

    /// The seed of one item or value, refused beyond [`MAX_BINARY_DEPTH`].
    fn item<E: de::Error>(&self) -> std::result::Result<BinaryValue, E> {
        if self.depth > MAX_BINARY_DEPTH {
            return Err(E::custom(format!(
                "values nested deeper than {MAX_BINARY_DEPTH} levels"
            )));
        }
        Ok(BinaryValue { depth: self.depth })
    }
}

impl<'de> DeserializeSeed<'de> for Contents<Vec<Value>> {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<Value>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> de::Visitor<'de> for Contents<Vec<Value>> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<Value>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(self.item()?)? {
            items.push(item);
        }
        Ok(items)
    }
}

impl<'de> DeserializeSeed<'de> for Contents<Map> {
    type Value = Map;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Map, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> de::Visitor<'de> for Contents<Map> {
    type Value = Map;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map with string keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Map, A::Error> {
        read_map(map, |map| map.next_value_seed(self.item()?))
    }
}

struct ValueVisitor {
    /// Containers around this value (binary form only; serde_json bounds its own).
    depth: usize,
}

fn canonical<E: de::Error>(n: f64) -> std::result::Result<Value, E> {
    Value::number(n).map_err(E::custom)
}

impl<'de> de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> std::result::Result<Value, E> {
        Ok(Value::Integer(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(u))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> std::result::Result<Value, E> {
        canonical(n)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<Value, E> {
        Ok(Value::string(text))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::from(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Value, A::Error> {
        MapVisitor.visit_map(map).map(Value::Object)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> std::result::Result<Value, A::Error> {
        let (tag, variant) = data.variant::<u32>()?;
        match tag {
            0 => variant.unit_variant().map(|()| Value::Null),
            1 => variant.newtype_variant().map(Value::Bool),
            2 => variant.newtype_variant().map(Value::Integer),
            3 => variant.newtype_variant::<u64>().map(Value::from),
            4 => canonical(variant.newtype_variant()?),
            5 => variant.newtype_variant_seed(SharedStr).map(Value::String),
            6 => variant
                .newtype_variant_seed(Contents::<Vec<Value>>::inside(self.depth))
                .map(Value::from),
            7 => variant
                .newtype_variant_seed(Contents::<Map>::inside(self.depth))
                .map(Value::Object),
            other => Err(de::Error::invalid_value(
                de::Unexpected::Unsigned(u64::from(other)),
                &"a value tag 0..=7",
            )),
        }
    }
}

struct MapVisitor;

impl<'de> de::Visitor<'de> for MapVisitor {
    type Value = Map;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map with string keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Map, A::Error> {
        read_map(map, |map| map.next_value())
    }
}

/// A map's pairs, each value read by `value`: plainly from JSON, depth-bounded from the binary
/// form.
fn read_map<'de, A: MapAccess<'de>>(
    mut map: A,
    mut value: impl FnMut(&mut A) -> std::result::Result<Value, A::Error>,
) -> std::result::Result<Map, A::Error> {
    let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
    while let Some(key) = map.next_key_seed(SharedStr)? {
        pairs.push((key, value(&mut map)?));
    }
    Ok(from_pairs(pairs))
}

/// Reads a string into a shared string ([`shared_str`]).
struct SharedStr;

impl<'de> DeserializeSeed<'de> for SharedStr {
    type Value = Rc<str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Rc<str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl de::Visitor<'_> for SharedStr {
    type Value = Rc<str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<Rc<str>, E> {
        Ok(shared_str(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn integral_doubles_become_integers() -> Result<()> {
        assert_eq!(Value::number(8080.0)?.to_string(), "8080");
        assert_eq!(Value::number(-0.0)?, Value::Integer(0));
        assert_eq!(Value::number(3.0)?, Value::number(3.0)?);
        assert_eq!(Value::number(0.5)?.to_string(), "0.5");
        assert_eq!(Value::number(1e300)?.to_string(), "1e+300");
        assert_eq!(Value::number(-9.3e18)?, Value::Float(-9.3e18));
        Ok(())
    }

    #[test]
    fn refuses_nan_and_infinities() {
        assert_eq!(
            Value::number(f64::NAN).map_err(|e| e.to_string()),
            Err("NaN cannot be stored".into())
        );
        assert_eq!(
            Value::number(f64::NEG_INFINITY).map_err(|e| e.to_string()),
            Err("an infinite number cannot be stored".into())
        );
    }

    #[test]
    fn parsed_numbers_are_canonical_and_big_integers_exact() {
        assert_eq!(
            json(r#"{"b": {"c": 1.0}, "a": [3.0, 2.5, -0.0]}"#).to_string(),
            r#"{"a":[3,2.5,0],"b":{"c":1}}"#
        );
        for text in [
            "18446744073709551615",
            "-9223372036854775808",
            "9223372036854775807",
            "9007199254740993",
            "1e+19",
        ] {
            assert_eq!(json(text).to_string(), text);
        }
        assert_eq!(json("9223372036854775808"), Value::Unsigned(1 << 63));
        assert_eq!(json("5"), Value::Integer(5), "small unsigned are integers");
    }

    #[test]
    fn maps_sort_keys_and_keep_the_last_of_a_repeated_key() {
        let map = json(r#"{"b": 1, "a": 2, "b": 3, "é": {}, "": []}"#);
        assert_eq!(map.to_string(), r#"{"":[],"a":2,"b":3,"é":{}}"#);
        let Value::Object(map) = map else {
            unreachable!("an object")
        };
        assert_eq!(map.get("b"), Some(&Value::Integer(3)));
        assert_eq!(map.get("c"), None);
    }

    #[test]
    fn insert_keeps_keys_sorted() {
        let mut map = Map::new();
        assert_eq!(map.insert("b", Value::Integer(1)), None);
        assert_eq!(map.insert("a", Value::Integer(2)), None);
        assert_eq!(map.insert("b", Value::Integer(3)), Some(Value::Integer(1)));
        assert_eq!(Value::Object(map).to_string(), r#"{"a":2,"b":3}"#);
    }

    #[test]
    fn normalize_canonicalizes_built_values() -> Result<()> {
        let mut value = Value::from(vec![Value::Float(3.0), Value::Unsigned(7)]);
        value.normalize()?;
        assert_eq!(
            value,
            Value::from(vec![Value::Integer(3), Value::Integer(7)])
        );
        let mut nan = Value::from(vec![Value::Float(f64::NAN)]);
        assert_eq!(
            nan.normalize().map_err(|e| e.to_string()),
            Err("NaN cannot be stored".into())
        );
        Ok(())
    }

    #[test]
    fn short_strings_are_shared() {
        let (Value::String(a), Value::String(b)) =
            (Value::string("production"), json("\"production\""))
        else {
            unreachable!("strings")
        };
        assert!(Rc::ptr_eq(&a, &b));
        let long = "x".repeat(SHARED_MAX_LEN + 1);
        let (Value::String(a), Value::String(b)) = (Value::string(&long), Value::string(&long))
        else {
            unreachable!("strings")
        };
        assert!(!Rc::ptr_eq(&a, &b), "long strings are not cached");
    }

    #[test]
    fn binary_form_round_trips_and_refuses_bad_input() {
        let value =
            json(r#"{"a": [null, true, -1, 18446744073709551615, 0.25, "é", {}], "b": {"c": []}}"#);
        let bytes = postcard::to_allocvec(&value).expect("serializes");
        assert_eq!(postcard::from_bytes::<Value>(&bytes).ok(), Some(value));
        // Tag 4 (Float) holding a NaN.
        let mut nan = vec![4];
        nan.extend_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(
            postcard::from_bytes::<Value>(&nan),
            Err(postcard::Error::SerdeDeCustom)
        );
        assert!(postcard::from_bytes::<Value>(&[9]).is_err(), "unknown tag");
    }

    /// `levels` arrays, each holding the next, the innermost holding a null, in binary form.
    fn nested_arrays(levels: usize) -> Vec<u8> {
        let mut bytes = [6, 1].repeat(levels);
        bytes.push(0);
        bytes
    }

    #[test]
    fn binary_values_nested_beyond_the_limit_are_refused_without_recursing_further() {
        let deepest = postcard::from_bytes::<Value>(&nested_arrays(MAX_BINARY_DEPTH));
        assert_eq!(
            deepest.map(|value| value.to_string().len()),
            Ok(2 * MAX_BINARY_DEPTH + 4),
            "as deep as a stored value may be"
        );
        for levels in [MAX_BINARY_DEPTH + 1, 1_000_000] {
            assert_eq!(
                postcard::from_bytes::<Value>(&nested_arrays(levels)),
                Err(postcard::Error::SerdeDeCustom),
                "{levels} levels"
            );
        }
        // Maps too, and a map read as itself (an entry's meta) counts as a level.
        let mut map = [7, 1, 1, b'k'].repeat(MAX_BINARY_DEPTH);
        map.push(0);
        assert!(postcard::from_bytes::<Value>(&map).is_ok());
        assert!(postcard::from_bytes::<Map>(&map[1..]).is_ok());
        let mut deeper = [7, 1, 1, b'k'].repeat(MAX_BINARY_DEPTH + 1);
        deeper.push(0);
        assert!(postcard::from_bytes::<Value>(&deeper).is_err());
        assert!(postcard::from_bytes::<Map>(&deeper[1..]).is_err());
    }
}
