//! Conversions between Lua values and stored values, entries and ids.
//!
//! Errors name the path of the offending value (`data.handlers[2]: a function cannot be stored`).

use std::ffi::c_void;
use std::rc::Rc;

use mlua::{LuaString, Table, Value as LuaValue};

use super::errors::ErrorObject;
use crate::entry::Entry;
use crate::error::{Error, ErrorKind, Result};
use crate::id::EntryId;
use crate::state::State;
use crate::value::{Map, Value, shared_str};

/// Tables nested deeper than this are refused rather than risking the native stack; it leaves
/// room for the levels an export adds around a value within serde_json's limit of 128.
const MAX_DEPTH: usize = 100;

/// At most this many values in one converted value: a table referenced twice is copied twice,
/// so a few shared tables (`t = {t, t}` twenty times) would otherwise expand without bound.
const MAX_VALUES: usize = 1 << 20;

/// The Lua name of a value's type, as `type()` reports it.
pub(crate) fn lua_type_name(value: &LuaValue) -> &'static str {
    match value {
        LuaValue::Integer(_) | LuaValue::Number(_) => "number",
        LuaValue::LightUserData(_) | LuaValue::Error(_) | LuaValue::Other(_) => "userdata",
        other => other.type_name(),
    }
}

fn invalid_value(path: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidValue, format!("{path}: {message}"))
}

/// Converts a Lua value into a storable value; `path` names it in errors (e.g. `data`).
pub(crate) fn to_value(value: &LuaValue, path: &str) -> Result<Value> {
    walk(value, path, false)
}

/// Converts a value a script returned, where error objects (also inside tables) become
/// `{"kind": ..., "message": ..., "details": ...}` for every front end.
pub(crate) fn returned_to_value(value: &LuaValue) -> Result<Value> {
    walk(value, "returned", true)
}

fn walk(value: &LuaValue, path: &str, errors_as_data: bool) -> Result<Value> {
    let mut walker = Walker {
        root: path.to_owned(),
        open_tables: Vec::new(),
        values: 0,
        errors_as_data,
    };
    let mut path = path.to_owned();
    walker.value(value, &mut path)
}

struct Walker {
    /// The path of the whole value, for errors about its size.
    root: String,
    /// The tables on the path from the root to the value being converted, to detect cycles.
    open_tables: Vec<*const c_void>,
    /// How many values have been converted so far.
    values: usize,
    /// Whether error objects convert to data (returned values) or are refused (stored values).
    errors_as_data: bool,
}

impl Walker {
    fn value(&mut self, value: &LuaValue, path: &mut String) -> Result<Value> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(invalid_value(
                &self.root,
                format!("a value of more than {MAX_VALUES} items cannot be stored"),
            ));
        }
        match value {
            LuaValue::Nil => Ok(Value::Null),
            LuaValue::Boolean(b) => Ok(Value::Bool(*b)),
            LuaValue::Integer(i) => Value::number(*i as f64).map_err(|e| invalid_value(path, e)),
            LuaValue::Number(n) => Value::number(*n).map_err(|e| invalid_value(path, e)),
            LuaValue::String(s) => match s.to_str() {
                Ok(text) => Ok(Value::string(&text)),
                Err(_) => Err(invalid_value(
                    path,
                    "a string that is not valid UTF-8 cannot be stored",
                )),
            },
            LuaValue::Table(table) => self.table(table, path),
            LuaValue::Function(_) => Err(invalid_value(path, "a function cannot be stored")),
            LuaValue::Thread(_) => {
                Err(invalid_value(path, "a thread (coroutine) cannot be stored"))
            }
            LuaValue::Buffer(_) => Err(invalid_value(path, "a buffer cannot be stored")),
            LuaValue::Vector(_) => Err(invalid_value(path, "a vector cannot be stored")),
            LuaValue::UserData(ud) => match ud.borrow::<ErrorObject>() {
                Ok(error) if self.errors_as_data => Ok(error.to_value()),
                Ok(_) => Err(invalid_value(
                    path,
                    "an error object cannot be stored (store err:message())",
                )),
                Err(_) => Err(invalid_value(path, "a userdata value cannot be stored")),
            },
            _ => Err(invalid_value(path, "a userdata value cannot be stored")),
        }
    }

    fn table(&mut self, table: &Table, path: &mut String) -> Result<Value> {
        let pointer = table.to_pointer();
        if self.open_tables.contains(&pointer) {
            return Err(invalid_value(path, "a cyclic table cannot be stored"));
        }
        if self.open_tables.len() >= MAX_DEPTH {
            return Err(invalid_value(
                path,
                format!("tables nested deeper than {MAX_DEPTH} levels cannot be stored"),
            ));
        }
        self.open_tables.push(pointer);
        let result = self.table_contents(table, path);
        self.open_tables.pop();
        result
    }

    fn table_contents(&mut self, table: &Table, path: &mut String) -> Result<Value> {
        // Raw iteration: metatables (__index, __pairs) do not change what is stored. Table order
        // is arbitrary, so keys are collected and checked in a fixed order: the error reported
        // is the same in every run.
        let mut named: Vec<(Rc<str>, LuaValue)> = Vec::new();
        let mut items: Vec<(usize, LuaValue)> = Vec::new();
        let mut bad_keys: Vec<String> = Vec::new();
        for pair in table.pairs::<LuaValue, LuaValue>() {
            let (key, item) = pair.map_err(|e| invalid_value(path, e))?;
            match key {
                LuaValue::String(key) => match key.to_str() {
                    Ok(key) => named.push((shared_str(&key), item)),
                    Err(_) => {
                        bad_keys.push("a key that is not valid UTF-8 cannot be stored".into())
                    }
                },
                LuaValue::Integer(_) | LuaValue::Number(_) => match array_index(&key) {
                    Some(index) => items.push((index, item)),
                    None => bad_keys
                        .push("a table with a non-integer number key cannot be stored".into()),
                },
                other => bad_keys.push(format!(
                    "a table with a {} key cannot be stored",
                    lua_type_name(&other)
                )),
            }
        }
        if let Some(message) = bad_keys.into_iter().min() {
            return Err(invalid_value(path, message));
        }
        if !items.is_empty() && !named.is_empty() {
            return Err(invalid_value(
                path,
                "a table mixing array items and named keys cannot be stored",
            ));
        }
        if items.is_empty() {
            named.sort_by(|a, b| a.0.cmp(&b.0));
            let mut map = Vec::with_capacity(named.len());
            for (key, item) in named {
                let len = path.len();
                push_key(path, &key);
                let converted = self.value(&item, path)?;
                path.truncate(len);
                map.push((key, converted));
            }
            return Ok(Value::Object(Map::from_sorted(map)));
        }
        items.sort_by_key(|(index, _)| *index);
        let count = items.len();
        // Sorted distinct keys fill 1..count exactly unless the first is 0 or the last is beyond.
        let first = items.first().map(|(index, _)| *index);
        let last = items.last().map(|(index, _)| *index);
        let outside = first.filter(|&i| i == 0).or(last.filter(|&i| i > count));
        if let Some(index) = outside {
            return Err(invalid_value(
                path,
                format!("an array must have keys 1..{count} without holes, found key {index}"),
            ));
        }
        let mut array = Vec::with_capacity(count);
        for (index, item) in items {
            let len = path.len();
            path.push_str(&format!("[{index}]"));
            array.push(self.value(&item, path)?);
            path.truncate(len);
        }
        Ok(Value::from(array))
    }
}

fn array_index(key: &LuaValue) -> Option<usize> {
    match key {
        LuaValue::Integer(i) => usize::try_from(*i).ok(),
        LuaValue::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 9.0e15 => Some(*n as usize),
        _ => None,
    }
}

/// Appends `.key`, or `["key"]` when the key is not an identifier.
fn push_key(path: &mut String, key: &str) {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

/// Reads an id in either form: `"ns:name"` or `{ns = "ns", name = "name"}`.
pub(crate) fn to_id(value: &LuaValue) -> Result<EntryId> {
    match value {
        // Parsed from the borrowed string: ids are read on every `get`.
        LuaValue::String(s) => match s.to_str() {
            Ok(text) => EntryId::parse(&text),
            Err(_) => Err(not_utf8_id()),
        },
        LuaValue::Table(t) => {
            let part = |key: &str| -> Result<String> {
                match t.raw_get::<LuaValue>(key) {
                    Ok(LuaValue::String(s)) => utf8_id(&s),
                    Ok(other) => Err(Error::new(
                        ErrorKind::InvalidId,
                        format!(
                            "invalid id table: {key} must be a string, got {}",
                            lua_type_name(&other)
                        ),
                    )),
                    Err(e) => Err(Error::new(ErrorKind::InvalidId, e.to_string())),
                }
            };
            for pair in t.pairs::<LuaValue, LuaValue>() {
                let key = pair.map(|(k, _)| k).unwrap_or(LuaValue::Nil);
                let known = matches!(&key, LuaValue::String(s) if s == "ns" || s == "name");
                if !known {
                    return Err(Error::new(
                        ErrorKind::InvalidId,
                        "invalid id table: only the fields ns and name are allowed",
                    ));
                }
            }
            EntryId::from_parts(&part("ns")?, &part("name")?)
        }
        other => Err(Error::new(
            ErrorKind::InvalidId,
            format!(
                "invalid id: expected \"namespace:name\" or {{ns = ..., name = ...}}, got {}",
                lua_type_name(other)
            ),
        )),
    }
}

/// The entry an id in either form names in `state`, or why there is none. The string form, the
/// common one, is read where the VM keeps it: no id is made.
pub(crate) fn require_entry<'s>(state: &'s State, id: &LuaValue) -> Result<&'s Rc<Entry>> {
    match id {
        LuaValue::String(s) => state.require_text(&s.to_str().map_err(|_| not_utf8_id())?),
        other => state.require(&to_id(other)?),
    }
}

fn utf8_id(text: &LuaString) -> Result<String> {
    text.to_str()
        .map(|s| s.to_owned())
        .map_err(|_| not_utf8_id())
}

fn not_utf8_id() -> Error {
    Error::new(ErrorKind::InvalidId, "invalid id: not valid UTF-8")
}

/// Reads an entry table `{id, kind, meta, data}`; field errors are prefixed with the field path.
pub(crate) fn to_entry(value: &LuaValue) -> Result<Entry> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidEntry, message);
    let LuaValue::Table(table) = value else {
        return Err(invalid(format!(
            "an entry must be a table, got {}",
            lua_type_name(value)
        )));
    };
    let field = |name: &str| table.raw_get::<LuaValue>(name).unwrap_or(LuaValue::Nil);
    // The smallest unknown key is named, so that the error is the same in every run.
    let unknown = table
        .pairs::<LuaValue, LuaValue>()
        .map(|pair| pair.map(|(k, _)| k).unwrap_or(LuaValue::Nil))
        .filter(|key| {
            !matches!(key, LuaValue::String(s) if ["id", "kind", "meta", "data"].iter().any(|f| s == f))
        })
        .map(|key| match &key {
            LuaValue::String(s) => format!("{:?}", s.to_string_lossy()),
            other => lua_type_name(other).to_owned(),
        })
        .min();
    if let Some(shown) = unknown {
        return Err(invalid(format!(
            "unknown entry field {shown} (an entry has id, kind, meta and data)"
        )));
    }
    let id = match field("id") {
        LuaValue::Nil => return Err(invalid("entry must have an id".into())),
        id => to_id(&id)?,
    };
    let kind = match field("kind") {
        LuaValue::Nil => return Err(invalid("entry must have a kind".into())),
        LuaValue::String(s) => s
            .to_str()
            .map(|s| s.to_owned())
            .map_err(|_| invalid("entry kind must be valid UTF-8".into()))?,
        other => {
            return Err(invalid(format!(
                "entry kind must be a string, got {}",
                lua_type_name(&other)
            )));
        }
    };
    let meta = match field("meta") {
        LuaValue::Nil => Map::new(),
        meta @ LuaValue::Table(_) => match to_value(&meta, "meta")? {
            Value::Object(map) => map,
            _ => {
                return Err(invalid(
                    "meta must be a table with string keys, not an array".into(),
                ));
            }
        },
        other => {
            return Err(invalid(format!(
                "meta must be a table, got {}",
                lua_type_name(&other)
            )));
        }
    };
    let data = to_value(&field("data"), "data")?;
    Entry::new(id, &kind, meta, data)
}

#[cfg(test)]
mod tests {
    use mlua::Lua;
    use proptest::prelude::*;

    use super::*;
    use crate::lua::tables::from_value;

    fn eval(lua: &Lua, source: &str) -> LuaValue {
        lua.load(source).eval().expect("test source evaluates")
    }

    fn convert(lua: &Lua, source: &str) -> std::result::Result<String, String> {
        to_value(&eval(lua, source), "data")
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn converts_nested_tables() {
        let lua = Lua::new();
        assert_eq!(
            convert(
                &lua,
                "return {port = 8080, ratio = 0.5, tags = {'a', 'b'}, on = true}"
            ),
            Ok(r#"{"on":true,"port":8080,"ratio":0.5,"tags":["a","b"]}"#.into())
        );
        assert_eq!(convert(&lua, "return {}"), Ok("{}".into()));
        assert_eq!(
            convert(&lua, "local t = {} return {t, t}"),
            Ok("[{},{}]".into()),
            "shared, not cyclic"
        );
    }

    #[test]
    fn names_the_path_of_unstorable_values() {
        let lua = Lua::new();
        for (source, message) in [
            (
                "return {handlers = {1, print}}",
                "data.handlers[2]: a function cannot be stored",
            ),
            ("return {x = 0/0}", "data.x: NaN cannot be stored"),
            (
                "return {x = math.huge}",
                "data.x: an infinite number cannot be stored",
            ),
            (
                "return {['a b'] = coroutine.create(print)}",
                "data[\"a b\"]: a thread (coroutine) cannot be stored",
            ),
            (
                "local t = {} t.self = t return t",
                "data.self: a cyclic table cannot be stored",
            ),
            (
                "return {1, x = 2}",
                "data: a table mixing array items and named keys cannot be stored",
            ),
            (
                "return {[1] = 1, [3] = 3}",
                "data: an array must have keys 1..2 without holes, found key 3",
            ),
            (
                "return {[true] = 1}",
                "data: a table with a boolean key cannot be stored",
            ),
            (
                "return {[1.5] = 1}",
                "data: a table with a non-integer number key cannot be stored",
            ),
        ] {
            assert_eq!(convert(&lua, source), Err(message.into()), "{source}");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let lua = Lua::new();
        let err = convert(
            &lua,
            "local t = {} for i = 1, 10000 do t = {t} end return t",
        )
        .expect_err("too deep");
        assert!(
            err.ends_with("tables nested deeper than 100 levels cannot be stored"),
            "{err}"
        );
    }

    #[test]
    fn reads_entries_and_names_missing_fields() {
        let lua = Lua::new();
        let entry = to_entry(&eval(
            &lua,
            "return {id = {ns = 'a', name = 'b'}, kind = 'k', data = 1}",
        ));
        assert_eq!(entry.map(|e| e.id.to_string()), Ok("a:b".into()));
        for (source, message) in [
            ("return {kind = 'k'}", "entry must have an id"),
            ("return {id = 'a:b'}", "entry must have a kind"),
            (
                "return {id = 'a:b', kind = 3}",
                "entry kind must be a string, got number",
            ),
            (
                "return {id = 'ab', kind = 'k'}",
                "invalid id \"ab\": expected namespace:name",
            ),
            (
                "return {id = 'a:b', kind = 'k', meta = {1}}",
                "meta must be a table with string keys, not an array",
            ),
            (
                "return {id = 'a:b', kind = 'k', tags = {}}",
                "unknown entry field \"tags\" (an entry has id, kind, meta and data)",
            ),
            (
                "return {id = 'a:b', kind = 'k', data = {f = print}}",
                "data.f: a function cannot be stored",
            ),
        ] {
            assert_eq!(
                to_entry(&eval(&lua, source))
                    .map_err(|e| e.to_string())
                    .err(),
                Some(message.into()),
                "{source}"
            );
        }
    }

    /// A storable Lua value, described so that it can be built in a VM.
    #[derive(Debug, Clone)]
    enum Storable {
        Nil,
        Bool(bool),
        Number(f64),
        Text(String),
        Array(Vec<Storable>),
        Map(Vec<(String, Storable)>),
    }

    fn arb_number() -> impl Strategy<Value = f64> {
        let integral = any::<i64>().prop_map(|n| n as f64);
        prop_oneof![
            any::<f64>().prop_filter("finite", |n| n.is_finite()),
            integral,
            (-1_000i32..1_000).prop_map(f64::from),
            prop::sample::select(vec![
                -0.0,
                0.1,
                9_007_199_254_740_992.0,
                9_007_199_254_740_994.0,
                9_223_372_036_854_775_808.0,
                -9_223_372_036_854_775_808.0,
                9_223_372_036_854_774_784.0,
                1.8e19,
                -1e300,
                5e-324,
            ]),
        ]
    }

    /// Never nil inside a table: a nil item is no item.
    fn arb_storable() -> impl Strategy<Value = Storable> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Storable::Bool),
            arb_number().prop_map(Storable::Number),
            "\\PC{0,8}".prop_map(Storable::Text),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Storable::Array),
                prop::collection::btree_map("\\PC{0,4}", inner, 0..4)
                    .prop_map(|m| Storable::Map(m.into_iter().collect())),
            ]
        })
    }

    fn build(lua: &Lua, value: &Storable) -> mlua::Result<LuaValue> {
        Ok(match value {
            Storable::Nil => LuaValue::Nil,
            Storable::Bool(b) => LuaValue::Boolean(*b),
            Storable::Number(n) => LuaValue::Number(*n),
            Storable::Text(text) => LuaValue::String(lua.create_string(text)?),
            Storable::Array(items) => {
                let table = lua.create_table()?;
                for item in items {
                    table.raw_push(build(lua, item)?)?;
                }
                LuaValue::Table(table)
            }
            Storable::Map(pairs) => {
                let table = lua.create_table()?;
                for (key, item) in pairs {
                    table.raw_set(key.as_str(), build(lua, item)?)?;
                }
                LuaValue::Table(table)
            }
        })
    }

    /// Deep equality of Lua values; numbers by `==` (so `-0.0` equals the `0` it is stored as).
    fn same(a: &LuaValue, b: &LuaValue) -> bool {
        match (a, b) {
            (LuaValue::Table(a), LuaValue::Table(b)) => {
                let pairs = |t: &Table| t.pairs::<LuaValue, LuaValue>().count();
                pairs(a) == pairs(b)
                    && a.pairs::<LuaValue, LuaValue>().all(|pair| {
                        pair.is_ok_and(|(key, value)| {
                            b.raw_get::<LuaValue>(key)
                                .is_ok_and(|other| same(&value, &other))
                        })
                    })
            }
            (
                LuaValue::Integer(_) | LuaValue::Number(_),
                LuaValue::Integer(_) | LuaValue::Number(_),
            ) => number(a) == number(b),
            (LuaValue::String(a), LuaValue::String(b)) => a.as_bytes() == b.as_bytes(),
            (LuaValue::Boolean(a), LuaValue::Boolean(b)) => a == b,
            (LuaValue::Nil, LuaValue::Nil) => true,
            _ => false,
        }
    }

    fn number(value: &LuaValue) -> Option<f64> {
        match value {
            LuaValue::Integer(i) => Some(*i as f64),
            LuaValue::Number(n) => Some(*n),
            _ => None,
        }
    }

    proptest! {
        #[test]
        fn lua_to_core_to_json_to_core_to_lua_is_the_identity(
            value in prop_oneof![Just(Storable::Nil), arb_storable()]
        ) {
            let lua = Lua::new();
            let original = build(&lua, &value).expect("builds");
            let stored = to_value(&original, "data").expect("storable");
            let json = serde_json::to_string(&stored).expect("serializes");
            let read: Value = serde_json::from_str(&json).expect("reads back");
            prop_assert_eq!(&read, &stored);
            let back = from_value(&lua, &read).expect("converts");
            prop_assert!(same(&original, &back), "{:?} became {}", value, json);
        }
    }

    #[test]
    fn numbers_and_empty_tables_keep_their_stored_form() {
        let lua = Lua::new();
        for (source, stored) in [
            (
                "return {3.0, -0.0, 2^53, 2^60, -2^63, 2^63, 0.1}",
                "[3,0,9007199254740992,1152921504606846976,-9.223372036854776e+18,9.223372036854776e+18,0.1]",
            ),
            (
                "return {a = {}, b = {{}}, ['ключ'] = '値'}",
                r#"{"a":{},"b":[{}],"ключ":"値"}"#,
            ),
        ] {
            assert_eq!(convert(&lua, source), Ok(stored.into()), "{source}");
        }
    }
}
