//! Fresh Lua tables for stored values, entries and ops, built on the VM's stack with Luau's C API
//! in one protected call per result. Building them through mlua's handles took a registry
//! reference for every nested table and string key; `find` returns 1,000 entries at a time.
//!
//! Tables are sized and filled in the same order as before (maps by their sorted keys), so
//! `pairs` visits them in the same order.
#![expect(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int};
use std::rc::Rc;

use mlua::{AppDataRef, FromLuaMulti, Lua, Table, Value as LuaValue, ffi};

use crate::entry::{Entry, Op};
use crate::id::EntryId;
use crate::state::State;
use crate::value::{Map, SHARED_MAX_LEN, Value};

/// The entry and op keys, at these indices of the strings table.
const ID: c_int = 1;
const KIND: c_int = 2;
const META: c_int = 3;
const DATA: c_int = 4;
const ENTRY: c_int = 5;
const KEYS: [&str; 5] = ["id", "kind", "meta", "data", "entry"];

/// Cached Lua strings follow the keys in the strings table: slot `n` at index `FIRST_SLOT + n`.
const FIRST_SLOT: c_int = 6;
/// Cache slots (a power of two): more than the distinct keys, kinds and short values that a
/// registry's entries usually repeat.
const SLOT_BITS: u32 = 9;
const SLOTS: usize = 1 << SLOT_BITS;

/// Lua strings made once per VM (kept as its app data) rather than once per table: the entry keys,
/// and a direct-mapped cache of the Lua strings for the stored strings that entries share (map
/// keys, kinds, short values: `Rc<str>`s from [`crate::value`]'s cache), found by the address of
/// their text. Pushing a cached string reads an array slot; making it again would hash the text,
/// look it up among the VM's strings and check whether the GC is due. Each build receives the
/// table as its one argument, stack slot [`STRINGS`].
struct Strings {
    table: Table,
    /// The shared string each cache slot holds. Holding the `Rc` keeps its address from being
    /// reused for other text while the slot names it.
    held: RefCell<Vec<Option<Rc<str>>>>,
}

const STRINGS: c_int = 1;

impl Strings {
    fn of(lua: &Lua) -> mlua::Result<AppDataRef<'_, Strings>> {
        if let Some(strings) = lua.app_data_ref::<Strings>() {
            return Ok(strings);
        }
        // The array part covers every slot, so storing a string in a slot never allocates.
        let table = lua.create_table_with_capacity(FIRST_SLOT as usize - 1 + SLOTS, 0)?;
        for key in KEYS {
            table.raw_push(key)?;
        }
        lua.set_app_data(Strings {
            table,
            held: RefCell::new(vec![None; SLOTS]),
        });
        lua.app_data_ref::<Strings>()
            .ok_or_else(|| mlua::Error::runtime("the table strings are not installed"))
    }
}

/// The cache slot of a shared string: its address, hashed (Fibonacci hashing).
fn slot_of(text: &Rc<str>) -> usize {
    let address = Rc::as_ptr(text).cast::<u8>() as usize as u64;
    (address.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (u64::BITS - SLOT_BITS)) as usize
}

/// The VM's stack while a build runs inside [`build`]'s protected call: the strings table in its
/// slot, then what has been pushed so far. Lua errors (out of memory) raised by the pushes end
/// the protected call; nothing here owns memory that unwinding would leak, and the cache's Rust
/// side changes only after its Lua side (see [`Stack::shared`]).
struct Stack<'a> {
    state: *mut ffi::lua_State,
    held: &'a mut [Option<Rc<str>>],
}

impl Stack<'_> {
    /// Room for one table under construction: the table, a key, a value and a copy of it.
    fn reserve(&self) {
        // SAFETY: the state is the protected call's; luaL_checkstack raises a Lua error (caught
        // by that call) when the stack cannot grow.
        unsafe { ffi::luaL_checkstack(self.state, 4, c"nested too deeply".as_ptr()) }
    }

    fn string(&self, text: &str) {
        // SAFETY: a slot was reserved; Luau copies the bytes.
        unsafe { ffi::lua_pushlstring_(self.state, text.as_ptr().cast::<c_char>(), text.len()) }
    }

    /// Pushes a shared string, from the cache when its slot holds it. On a miss the string is
    /// made, stored in the slot's Lua side, and only then recorded on the Rust side: an error
    /// raised in between leaves the slot naming its old string, which the Lua side still holds.
    fn shared(&mut self, text: &Rc<str>) {
        if text.len() > SHARED_MAX_LEN {
            return self.string(text);
        }
        let slot = slot_of(text);
        let index = FIRST_SLOT + slot as c_int;
        if self.held[slot]
            .as_ref()
            .is_some_and(|held| Rc::ptr_eq(held, text))
        {
            // SAFETY: a slot was reserved; the strings table is at STRINGS.
            unsafe { ffi::lua_rawgeti_(self.state, STRINGS, index) };
            return;
        }
        self.string(text);
        // SAFETY: two slots were reserved (the string and its copy); the index is inside the
        // table's array part, so storing does not allocate.
        unsafe {
            ffi::lua_pushvalue(self.state, -1);
            ffi::lua_rawseti_(self.state, STRINGS, index);
        }
        self.held[slot] = Some(Rc::clone(text));
    }

    /// One of the entry keys.
    fn key(&self, key: c_int) {
        // SAFETY: a slot was reserved; the strings table is at STRINGS and holds the keys.
        unsafe { ffi::lua_rawgeti_(self.state, STRINGS, key) };
    }

    fn table(&self, items: usize, fields: usize) {
        self.reserve();
        let size = |n: usize| c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: room was reserved just above.
        unsafe { ffi::lua_createtable(self.state, size(items), size(fields)) }
    }

    /// Sets `table[key] = value` for the table under the key and value on top.
    fn set(&self) {
        // SAFETY: the table is at -3 (pushed by `table`), with no metatable.
        unsafe { ffi::lua_rawset(self.state, -3) }
    }

    /// Sets `table[n] = value` for the table under the value on top.
    fn set_item(&self, n: usize) {
        let n = c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: the table is at -2 (pushed by `table`), with no metatable.
        unsafe { ffi::lua_rawseti_(self.state, -2, n) }
    }

    fn nil(&self) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushnil(self.state) }
    }

    fn boolean(&self, b: bool) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushboolean(self.state, c_int::from(b)) }
    }

    fn number(&self, n: f64) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushnumber(self.state, n) }
    }

    /// Pushes a stored value as a fresh Lua value.
    fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.nil(),
            Value::Bool(b) => self.boolean(*b),
            // Luau numbers are doubles.
            Value::Integer(i) => self.number(*i as f64),
            Value::Unsigned(u) => self.number(*u as f64),
            Value::Float(f) => self.number(*f),
            Value::String(s) => self.shared(s),
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

    fn map(&mut self, map: &Map) {
        self.table(0, map.len());
        for (key, item) in map.shared_iter() {
            self.shared(key);
            self.value(item);
            self.set();
        }
    }

    /// `{id = "ns:name", kind = ..., meta = {...}, data = ...}`.
    fn entry(&mut self, entry: &Entry) {
        self.table(0, 4);
        self.key(ID);
        self.string(entry.id.as_str());
        self.set();
        self.key(KIND);
        self.shared(&entry.kind);
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

    /// Leaves only the result: the build's one value on top replaces the strings table.
    fn finish(&self) {
        // SAFETY: the result is on top, above the strings table.
        unsafe {
            ffi::lua_replace(self.state, STRINGS);
            ffi::lua_settop(self.state, STRINGS);
        }
    }
}

/// Runs `fill`, which pushes exactly one value, in one protected call with the strings table in
/// its slot, and returns that value.
fn build<R: FromLuaMulti>(lua: &Lua, fill: impl FnOnce(&mut Stack)) -> mlua::Result<R> {
    let strings = Strings::of(lua)?;
    let mut held = strings.held.borrow_mut();
    // SAFETY: `fill` only pushes through `Stack`, which reserves what it uses, and leaves one
    // value; `finish` then leaves that value alone on the call's stack.
    unsafe {
        lua.exec_raw(&strings.table, |state| {
            let mut stack = Stack {
                state,
                held: &mut held,
            };
            fill(&mut stack);
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

#[cfg(test)]
mod tests {
    use mlua::Lua;

    use super::*;

    /// Many more distinct shared strings than cache slots, converted in rounds, each value freed
    /// before the next round makes new ones: every slot is reused and every address may be
    /// handed out again, yet each Lua string has its value's text.
    #[test]
    fn cached_strings_keep_their_text_when_slots_are_reused() -> mlua::Result<()> {
        let lua = Lua::new();
        for round in 0..3 {
            let texts: Vec<String> = (0..4 * SLOTS).map(|i| format!("{round}-{i}")).collect();
            let value = Value::from(texts.iter().map(|t| Value::string(t)).collect::<Vec<_>>());
            for _ in 0..2 {
                let table: Table = lua.unpack(from_value(&lua, &value)?)?;
                let converted: Vec<String> =
                    table.sequence_values().collect::<mlua::Result<_>>()?;
                assert_eq!(converted, texts, "round {round}");
            }
        }
        Ok(())
    }
}
