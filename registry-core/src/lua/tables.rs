//! Fresh Lua tables for stored values, entries and ops, built on the VM's stack with Luau's C API
//! in one protected call per result. Building them through mlua's handles took a registry
//! reference for every nested table and string key; `find` returns 1,000 entries at a time.
//!
//! Tables are sized and filled in the same order as before (maps by their sorted keys), so
//! `pairs` visits them in the same order.
#![expect(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{c_char, c_int};
use std::rc::Rc;

use mlua::{AppDataRef, FromLuaMulti, Lua, LuaString, Table, Value as LuaValue, ffi};

use crate::entry::{Entry, Op};
use crate::id::EntryId;
use crate::state::State;
use crate::value::{Map, Value};

/// Lua strings for the keys of entry and op tables, made once per VM (kept as its app data)
/// rather than once per table. Each build receives them as its arguments: stack slots
/// [`ID`]..=[`ENTRY`].
struct TableKeys {
    id: LuaString,
    kind: LuaString,
    meta: LuaString,
    data: LuaString,
    entry: LuaString,
}

const ID: c_int = 1;
const KIND: c_int = 2;
const META: c_int = 3;
const DATA: c_int = 4;
const ENTRY: c_int = 5;

impl TableKeys {
    fn of(lua: &Lua) -> mlua::Result<AppDataRef<'_, TableKeys>> {
        if lua.app_data_ref::<TableKeys>().is_none() {
            lua.set_app_data(TableKeys {
                id: lua.create_string("id")?,
                kind: lua.create_string("kind")?,
                meta: lua.create_string("meta")?,
                data: lua.create_string("data")?,
                entry: lua.create_string("entry")?,
            });
        }
        lua.app_data_ref::<TableKeys>()
            .ok_or_else(|| mlua::Error::runtime("the table keys are not installed"))
    }
}

/// The VM's stack while a build runs inside [`build`]'s protected call: the keys in their
/// slots, then what has been pushed so far. Lua errors (out of memory) raised by the pushes end
/// the protected call; nothing here owns memory that unwinding would leak.
struct Stack(*mut ffi::lua_State);

impl Stack {
    /// Room for one table under construction: the table, a key and a value.
    fn reserve(&self) {
        // SAFETY: the state is the protected call's; luaL_checkstack raises a Lua error (caught
        // by that call) when the stack cannot grow.
        unsafe { ffi::luaL_checkstack(self.0, 3, c"nested too deeply".as_ptr()) }
    }

    fn string(&self, text: &str) {
        // SAFETY: a slot was reserved; Luau copies the bytes.
        unsafe { ffi::lua_pushlstring_(self.0, text.as_ptr().cast::<c_char>(), text.len()) }
    }

    /// A copy of one of the key slots.
    fn key(&self, slot: c_int) {
        // SAFETY: a slot was reserved and `slot` is one of the build's arguments.
        unsafe { ffi::lua_pushvalue(self.0, slot) }
    }

    fn table(&self, items: usize, fields: usize) {
        self.reserve();
        let size = |n: usize| c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: room was reserved just above.
        unsafe { ffi::lua_createtable(self.0, size(items), size(fields)) }
    }

    /// Sets `table[key] = value` for the table under the key and value on top.
    fn set(&self) {
        // SAFETY: the table is at -3 (pushed by `table`), with no metatable.
        unsafe { ffi::lua_rawset(self.0, -3) }
    }

    /// Sets `table[n] = value` for the table under the value on top.
    fn set_item(&self, n: usize) {
        let n = c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: the table is at -2 (pushed by `table`), with no metatable.
        unsafe { ffi::lua_rawseti_(self.0, -2, n) }
    }

    fn nil(&self) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushnil(self.0) }
    }

    fn boolean(&self, b: bool) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushboolean(self.0, c_int::from(b)) }
    }

    fn number(&self, n: f64) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushnumber(self.0, n) }
    }

    /// Pushes a stored value as a fresh Lua value.
    fn value(&self, value: &Value) {
        match value {
            Value::Null => self.nil(),
            Value::Bool(b) => self.boolean(*b),
            // Luau numbers are doubles.
            Value::Integer(i) => self.number(*i as f64),
            Value::Unsigned(u) => self.number(*u as f64),
            Value::Float(f) => self.number(*f),
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                self.table(items.len(), 0);
                for (i, item) in items.iter().enumerate() {
                    self.value(item);
                    self.set_item(i + 1);
                }
            }
            Value::Object(map) => self.map(map),
        }
    }

    fn map(&self, map: &Map) {
        self.table(0, map.len());
        for (key, item) in map.iter() {
            self.string(key);
            self.value(item);
            self.set();
        }
    }

    /// `{id = "ns:name", kind = ..., meta = {...}, data = ...}`.
    fn entry(&self, entry: &Entry) {
        self.table(0, 4);
        self.key(ID);
        self.string(entry.id.as_str());
        self.set();
        self.key(KIND);
        self.string(&entry.kind);
        self.set();
        self.key(META);
        self.map(&entry.meta);
        self.set();
        self.key(DATA);
        self.value(&entry.data);
        self.set();
    }

    /// `{id = "ns:name"}`, for a deleted entry no state has.
    fn id_only(&self, id: &EntryId) {
        self.table(0, 1);
        self.key(ID);
        self.string(id.as_str());
        self.set();
    }

    /// Leaves only the result: the build's one value on top replaces the key slots.
    fn finish(&self) {
        // SAFETY: the result is on top, above the five key slots.
        unsafe {
            ffi::lua_replace(self.0, ID);
            ffi::lua_settop(self.0, ID);
        }
    }
}

/// Runs `fill`, which pushes exactly one value, in one protected call with the keys in their
/// slots, and returns that value.
fn build<R: FromLuaMulti>(lua: &Lua, fill: impl FnOnce(&Stack)) -> mlua::Result<R> {
    let keys = TableKeys::of(lua)?;
    let args = (&keys.id, &keys.kind, &keys.meta, &keys.data, &keys.entry);
    // SAFETY: `fill` only pushes through `Stack`, which reserves what it uses, and leaves one
    // value; `finish` then leaves that value alone on the call's stack.
    unsafe {
        lua.exec_raw(args, |state| {
            let stack = Stack(state);
            fill(&stack);
            stack.finish();
        })
    }
}

/// Converts a stored value into a fresh Lua value.
pub(crate) fn from_value(lua: &Lua, value: &Value) -> mlua::Result<LuaValue> {
    build(lua, |stack| stack.value(value))
}

/// An entry as a fresh Lua table: `{id = "ns:name", kind = ..., meta = {...}, data = ...}`.
pub(crate) fn entry_table(lua: &Lua, entry: &Entry) -> mlua::Result<Table> {
    build(lua, |stack| stack.entry(entry))
}

/// An array of fresh entry tables.
pub(crate) fn entries_table<'a>(
    lua: &Lua,
    entries: impl IntoIterator<Item = &'a Rc<Entry>>,
) -> mlua::Result<Table> {
    let entries = entries.into_iter();
    build(lua, |stack| {
        stack.table(entries.size_hint().0, 0);
        for (i, entry) in entries.enumerate() {
            stack.entry(entry);
            stack.set_item(i + 1);
        }
    })
}

/// An array of `{kind = "entry.create" | "entry.update" | "entry.delete", entry = {...}}`. A
/// delete carries the entry it deletes: the one an earlier op of the list left, or the one in
/// `before` (the state the ops start from); `{id = ...}` alone when neither has it.
pub(crate) fn ops_table(lua: &Lua, ops: &[Op], before: &State) -> mlua::Result<Table> {
    let mut latest: HashMap<&EntryId, Option<&Rc<Entry>>> = HashMap::new();
    build(lua, |stack| {
        stack.table(ops.len(), 0);
        for (i, op) in ops.iter().enumerate() {
            stack.table(0, 2);
            stack.key(KIND);
            stack.string(op.kind_name());
            stack.set();
            stack.key(ENTRY);
            match op {
                Op::Create(entry) | Op::Update(entry) => {
                    latest.insert(&entry.id, Some(entry));
                    stack.entry(entry);
                }
                Op::Delete { id } => {
                    match latest.insert(id, None).unwrap_or_else(|| before.get(id)) {
                        Some(entry) => stack.entry(entry),
                        None => stack.id_only(id),
                    }
                }
            }
            stack.set();
            stack.set_item(i + 1);
        }
    })
}
