//! Fresh Lua tables for stored values, entries and ops, built on the VM's stack with Luau's C API
//! in one protected call per result. Building them through mlua's handles took a registry
//! reference for every nested table and string key; `find` returns 1,000 entries at a time.
//!
//! Tables are sized and filled in the same order as before (maps by their sorted keys), so
//! `pairs` visits them in the same order. Entries, and maps whose keys repeat, are clones of a
//! template filled by `registry_clone_fill` (`cpp/tables.cpp`) without a key lookup per field.
#![expect(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int};
use std::rc::Rc;

use mlua::{FromLuaMulti, Lua, Table, Value as LuaValue, ffi};

use crate::entry::{Entry, Op};
use crate::id::EntryId;
use crate::state::State;
use crate::value::{Map, SHARED_MAX_LEN, Value};

/// The entry and op keys, at indices 1 to 5 of the strings table; these are read from it.
const ID: c_int = 1;
const KIND: c_int = 2;
const ENTRY: c_int = 5;
const KEYS: [&str; 5] = ["id", "kind", "meta", "data", "entry"];

/// The table every entry table is cloned from, at this index of the strings table:
/// `{id = 1, kind = 2, meta = 3, data = 4}`, made as an entry table is (sized for four fields,
/// keys in this order), so that a clone has the same layout and `pairs` order, and filling it
/// only overwrites values (no key is inserted). A template's values are the positions of the
/// keys' values on the stack when [`registry_clone_fill`] fills a clone.
const ENTRY_TEMPLATE: c_int = 6;

/// Map templates follow: template `n` at index `FIRST_MAP + n`. A map's template is a table with
/// its keys (values their positions, 1 to n), made as the map's table is; it is cloned for every
/// later map with the same keys (the same shared strings, in the same order).
const FIRST_MAP: c_int = 7;
const MAP_BITS: u32 = 6;
const MAPS: usize = 1 << MAP_BITS;
/// Maps with more keys are built directly: their templates would cost more memory than they save.
const MAP_MAX_KEYS: usize = 32;

/// Cached Lua strings follow the map templates: slot `n` at index `FIRST_SLOT + n`.
const FIRST_SLOT: c_int = FIRST_MAP + MAPS as c_int;
/// Cache slots (a power of two): more than the distinct keys, kinds and short values that a
/// registry's entries usually repeat.
const SLOT_BITS: u32 = 9;
const SLOTS: usize = 1 << SLOT_BITS;

unsafe extern "C-unwind" {
    /// With a template at stack index -(n + 1) and its `n` values above it, replaces the `n + 1`
    /// with a clone of the template whose value at each key is the one at the position the
    /// template gives (`cpp/tables.cpp`). May run a GC step (it allocates); raises only what
    /// `lua_clonetable` raises (out of memory).
    fn registry_clone_fill(state: *mut ffi::lua_State, n: c_int);

    /// Pushes item `n` of the table at stack index `table` (positive), as `lua_rawgeti` does for a
    /// table without a hash part, without its index translation and checks (`cpp/tables.cpp`).
    /// Needs a free stack slot; raises nothing.
    fn registry_push_item(state: *mut ffi::lua_State, table: c_int, n: c_int);
}

// `cpp/tables.cpp` is compiled for the VM's layout without mlua's `luau-vector4` feature
// (`build.rs`: LUA_VECTOR_SIZE 3). That feature gives `lua_pushvector` a fourth component, so
// turning it on stops the build here rather than letting the C++ misread every table.
const _: unsafe extern "C-unwind" fn(*mut ffi::lua_State, f32, f32, f32) = ffi::lua_pushvector;

/// Stack slots reserved at a time: a build checks the stack only when what it is about to push
/// would pass what it reserved last, so a `find`'s entries after the first check none.
const RESERVE_AT_ONCE: c_int = 32;

/// Lua values made once per VM (kept as its app data) rather than once per table: the entry keys,
/// the entry template, a direct-mapped cache of map templates, and a direct-mapped cache of the
/// Lua strings for the stored strings that entries share (map keys, kinds, short values:
/// `Rc<str>`s from [`crate::value`]'s cache), found by the address of their text. Pushing a cached
/// string reads an array slot; making it again would hash the text, look it up among the VM's
/// strings and check whether the GC is due. Each build receives the table in a stack slot.
pub(crate) struct Strings {
    table: Table,
    cache: RefCell<Cache>,
}

/// The Rust side of the strings table's caches.
struct Cache {
    /// The shared string each string slot holds. Holding the `Rc` keeps its address from being
    /// reused for other text while the slot names it.
    strings: Vec<Option<Rc<str>>>,
    /// The keys each map slot was last asked for, and whether the slot's template is for them.
    maps: Vec<Option<MapSlot>>,
}

struct MapSlot {
    /// Held, as the strings' `Rc`s are, so that their addresses name these keys.
    keys: Box<[Rc<str>]>,
    /// A template is made the second time in a row the slot is asked for the same keys: maps
    /// whose keys are never repeated (or not shared) cost one record each, not a template.
    template: bool,
}

impl Strings {
    pub(crate) fn of(lua: &Lua) -> mlua::Result<Rc<Strings>> {
        if let Some(strings) = lua.app_data_ref::<Rc<Strings>>() {
            return Ok(Rc::clone(&strings));
        }
        // The array part covers every slot, so storing in a slot never allocates.
        let table = lua.create_table_with_capacity(FIRST_SLOT as usize - 1 + SLOTS, 0)?;
        for key in KEYS {
            table.raw_push(key)?;
        }
        let template = lua.create_table_with_capacity(0, 4)?;
        for (position, key) in KEYS[..4].iter().enumerate() {
            template.raw_set(*key, position + 1)?;
        }
        table.raw_set(ENTRY_TEMPLATE, template)?;
        let strings = Rc::new(Strings {
            table,
            cache: RefCell::new(Cache {
                strings: vec![None; SLOTS],
                maps: std::iter::repeat_with(|| None).take(MAPS).collect(),
            }),
        });
        lua.set_app_data(Rc::clone(&strings));
        Ok(strings)
    }

    /// The Lua side, for C functions that keep it as an upvalue.
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }
}

/// The cache slot of a shared string: its address, hashed (Fibonacci hashing).
fn slot_of(text: &Rc<str>) -> usize {
    let address = Rc::as_ptr(text).cast::<u8>() as usize as u64;
    (address.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (u64::BITS - SLOT_BITS)) as usize
}

/// The template slot of a map's keys: their addresses, hashed.
fn map_slot_of(map: &Map) -> usize {
    let hash = map.shared_iter().fold(0_u64, |hash, (key, _)| {
        let address = Rc::as_ptr(key).cast::<u8>() as usize as u64;
        (hash ^ address).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    });
    (hash >> (u64::BITS - MAP_BITS)) as usize
}

/// The VM's stack while a build runs: the strings table in its slot, then what has been pushed
/// so far. A build runs either inside [`build`]'s protected call or in a C function with the
/// memory limit lifted ([`push_entry`]); Lua errors (out of memory) raised by the pushes end the
/// protected call; nothing here owns memory that unwinding would leak, and the caches' Rust side
/// changes only after their Lua side (see [`Stack::shared`]).
struct Stack<'a> {
    state: *mut ffi::lua_State,
    /// The stack index of the strings table.
    strings: c_int,
    /// The index of the top value (`lua_gettop`), kept by every push and store below.
    top: c_int,
    /// The stack has room up to this index: the last check reserved it.
    room: c_int,
    cache: &'a mut Cache,
}

impl<'a> Stack<'a> {
    /// Pushes the strings table (from `strings`, any stack index) and builds above it.
    ///
    /// # Safety
    /// `state` is running a C function or protected call with room for one more value, and the
    /// value at `strings` is the table of `cache`'s [`Strings`].
    unsafe fn new(state: *mut ffi::lua_State, strings: c_int, cache: &'a mut Cache) -> Self {
        // SAFETY: as the caller promises.
        let top = unsafe {
            ffi::lua_pushvalue(state, strings);
            ffi::lua_gettop(state)
        };
        Stack {
            state,
            strings: top,
            top,
            room: top,
            cache,
        }
    }

    /// Room for one table under construction: the table, a key, a value and a copy of it.
    fn reserve(&mut self) {
        self.reserve_values(2);
    }

    /// Room for a table, `n` values and a copy of the last (a string stored in the cache).
    fn reserve_values(&mut self, n: usize) {
        // SAFETY: reads the state's top only.
        debug_assert_eq!(self.top, unsafe { ffi::lua_gettop(self.state) });
        let n = c_int::try_from(n).unwrap_or(c_int::MAX).saturating_add(2);
        if n <= self.room - self.top {
            return;
        }
        let n = n.max(RESERVE_AT_ONCE);
        // SAFETY: the state is the protected call's; luaL_checkstack raises a Lua error (caught
        // by that call) when the stack cannot grow. The room it makes stays the running C
        // function's (Luau shrinks no stack below a call's top) until the build ends.
        unsafe { ffi::luaL_checkstack(self.state, n, c"nested too deeply".as_ptr()) }
        self.room = self.top + n;
    }

    /// Replaces the template at -(n + 1) and the `n` values above it with the filled clone.
    fn clone_fill(&mut self, n: usize) {
        // SAFETY: the template (a table of `Strings`, its values the positions 1..=n) and its
        // `n` values are on top, as the pushes that precede every call leave them.
        unsafe { registry_clone_fill(self.state, n as c_int) }
        self.top -= n as c_int;
    }

    /// Pushes item `n` of the strings table.
    fn item(&mut self, n: c_int) {
        // SAFETY: a slot was reserved; the strings table is at `self.strings`.
        unsafe { registry_push_item(self.state, self.strings, n) }
        self.top += 1;
    }

    fn string(&mut self, text: &str) {
        // SAFETY: a slot was reserved; Luau copies the bytes.
        unsafe { ffi::lua_pushlstring_(self.state, text.as_ptr().cast::<c_char>(), text.len()) }
        self.top += 1;
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
        if self.cache.strings[slot]
            .as_ref()
            .is_some_and(|held| Rc::ptr_eq(held, text))
        {
            return self.item(index);
        }
        self.string(text);
        // Two slots were reserved (the string and its copy); the index is inside the strings
        // table's array part, so storing does not allocate.
        self.copy();
        self.store_item(self.strings, index as usize);
        self.cache.strings[slot] = Some(Rc::clone(text));
    }

    fn table(&mut self, items: usize, fields: usize) {
        self.reserve();
        let size = |n: usize| c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: room was reserved just above.
        unsafe { ffi::lua_createtable(self.state, size(items), size(fields)) }
        self.top += 1;
    }

    /// Pushes a copy of the value on top.
    fn copy(&mut self) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushvalue(self.state, -1) }
        self.top += 1;
    }

    /// Sets `table[key] = value` for the table under the key and value on top.
    fn set(&mut self) {
        // SAFETY: the table is at -3 (pushed by `table`), with no metatable.
        unsafe { ffi::lua_rawset(self.state, -3) }
        self.top -= 2;
    }

    /// Sets `table[n] = value` for the table at `table` (a stack index) and the value on top.
    fn store_item(&mut self, table: c_int, n: usize) {
        let n = c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: a table without a metatable is at `table`.
        unsafe { ffi::lua_rawseti_(self.state, table, n) }
        self.top -= 1;
    }

    /// Sets `table[n] = value` for the table under the value on top.
    fn set_item(&mut self, n: usize) {
        // The table was pushed by `table`.
        self.store_item(-2, n);
    }

    fn nil(&mut self) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushnil(self.state) }
        self.top += 1;
    }

    fn boolean(&mut self, b: bool) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushboolean(self.state, c_int::from(b)) }
        self.top += 1;
    }

    fn number(&mut self, n: f64) {
        // SAFETY: a slot was reserved.
        unsafe { ffi::lua_pushnumber(self.state, n) }
        self.top += 1;
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

    /// Pushes a map as a fresh table, from its keys' template when there is one.
    fn map(&mut self, map: &Map) {
        if (1..=MAP_MAX_KEYS).contains(&map.len()) {
            self.reserve_values(map.len());
            if self.map_template(map) {
                for (_, item) in map.shared_iter() {
                    self.value(item);
                }
                self.clone_fill(map.len());
                return;
            }
        }
        self.table(0, map.len());
        for (key, item) in map.shared_iter() {
            self.shared(key);
            self.value(item);
            self.set();
        }
    }

    /// Pushes the template for `map`'s keys and returns true, or pushes nothing and returns
    /// false when the slot was not asked for these keys last time (it records them).
    fn map_template(&mut self, map: &Map) -> bool {
        let slot = map_slot_of(map);
        let index = FIRST_MAP + slot as c_int;
        let same_keys = self.cache.maps[slot].as_ref().is_some_and(|held| {
            held.keys.len() == map.len()
                && held
                    .keys
                    .iter()
                    .zip(map.shared_iter())
                    .all(|(held, (key, _))| Rc::ptr_eq(held, key))
        });
        if !same_keys {
            self.cache.maps[slot] = Some(MapSlot {
                keys: map.shared_iter().map(|(key, _)| Rc::clone(key)).collect(),
                template: false,
            });
            return false;
        }
        if self.cache.maps[slot]
            .as_ref()
            .is_some_and(|held| held.template)
        {
            // Room was reserved by `map`.
            self.item(index);
            return true;
        }
        // Asked twice in a row: make the template as the map's own table would be made.
        self.table(0, map.len());
        for (position, (key, _)) in map.shared_iter().enumerate() {
            self.shared(key);
            self.number((position + 1) as f64);
            self.set();
        }
        // Room for the copy was reserved by `table`; the index is inside the strings table's
        // array part, so storing does not allocate.
        self.copy();
        self.store_item(self.strings, index as usize);
        if let Some(held) = &mut self.cache.maps[slot] {
            held.template = true;
        }
        true
    }

    /// `{id = "ns:name", kind = ..., meta = {...}, data = ...}`: a clone of the entry template.
    fn entry(&mut self, entry: &Entry) {
        self.reserve_values(4);
        self.item(ENTRY_TEMPLATE);
        self.string(entry.id.as_str());
        self.shared(&entry.kind);
        self.map(&entry.meta);
        self.value(&entry.data);
        self.clone_fill(4);
    }

    /// `{id = "ns:name"}`, for a deleted entry no state has.
    fn id_only(&mut self, id: &EntryId) {
        self.table(0, 1);
        self.item(ID);
        self.string(id.as_str());
        self.set();
    }

    /// Leaves only the result: the build's one value on top replaces the strings table.
    fn finish(&mut self) {
        debug_assert_eq!(self.top, self.strings + 1);
        // SAFETY: the result is on top, just above the strings table.
        unsafe { ffi::lua_replace(self.state, self.strings) }
        self.top = self.strings;
    }
}

/// Runs `fill`, which pushes exactly one value, in one protected call, and returns that value.
fn build<R: FromLuaMulti>(lua: &Lua, fill: impl FnOnce(&mut Stack)) -> mlua::Result<R> {
    let strings = Strings::of(lua)?;
    let mut cache = strings.cache.borrow_mut();
    // SAFETY: the strings table is the call's one argument, at index 1, and a protected call
    // has room for one more value; `fill` only pushes through `Stack`, which reserves what it
    // uses, and leaves one value; `finish` then leaves that value alone on the call's stack.
    unsafe {
        lua.exec_raw(&strings.table, |state| {
            let mut stack = Stack::new(state, 1, &mut cache);
            fill(&mut stack);
            stack.finish();
            ffi::lua_replace(state, 1);
        })
    }
}

/// Pushes `entry` as a fresh table from a C function, where the strings table of `strings` is
/// at stack index `at`; nothing else stays pushed.
///
/// # Safety
/// `state` is running a C function with room for one more value and at most a few dozen
/// arguments (so that the stack can always grow by what a stored value's depth needs), the
/// value at `at` is `strings`'s table, and nothing can raise a Lua error while it runs: the
/// caller has lifted the memory limit.
pub(crate) unsafe fn push_entry(
    state: *mut ffi::lua_State,
    at: c_int,
    strings: &Strings,
    entry: &Entry,
) {
    let mut cache = strings.cache.borrow_mut();
    // SAFETY: as the caller promises.
    let mut stack = unsafe { Stack::new(state, at, &mut cache) };
    stack.entry(entry);
    stack.finish();
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
            stack.item(KIND);
            stack.string(op.kind_name());
            stack.set();
            stack.item(ENTRY);
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

    /// Maps of 32 keys (the most a template takes) nested 100 levels deep: each level's values
    /// wait on the stack for their clone, so the build needs about 33 slots a level. Converted
    /// three times (built directly, templates made, templates used), each time complete.
    #[test]
    fn deep_maps_from_templates_keep_every_value() -> mlua::Result<()> {
        let lua = Lua::new();
        let mut value = serde_json::json!("bottom");
        for level in 0..100 {
            let mut map = serde_json::Map::new();
            for key in 0..31 {
                map.insert(format!("k{key:02}"), serde_json::json!(level * 100 + key));
            }
            map.insert("next".to_owned(), value);
            value = serde_json::Value::Object(map);
        }
        let value = serde_json::from_value::<Value>(value).map_err(mlua::Error::external)?;
        let check: mlua::Function = lua
            .load(
                r#"
                local t = ...
                for level = 99, 0, -1 do
                    local count = 0
                    for _ in pairs(t) do count += 1 end
                    assert(count == 32, "level " .. level .. " has " .. count .. " fields")
                    for key = 0, 30 do
                        local got = t[string.format("k%02d", key)]
                        assert(got == level * 100 + key, "level " .. level .. ": " .. tostring(got))
                    end
                    t = t.next
                end
                return t
                "#,
            )
            .into_function()?;
        for _ in 0..3 {
            let bottom: String = check.call(from_value(&lua, &value)?)?;
            assert_eq!(bottom, "bottom");
        }
        Ok(())
    }

    /// Lists a table's fields in `pairs` order, nested tables included.
    const LISTED: &str = r#"
        local function list(t)
            local out = {}
            for k, v in pairs(t) do
                out[#out + 1] = tostring(k) .. "=" .. (type(v) == "table" and "{" .. list(v) .. "}" or tostring(v))
            end
            return table.concat(out, ",")
        end
        return list
    "#;

    /// A map is built directly the first time its keys are seen and from their template later;
    /// entries are always clones of the entry template. Either way the table has the fields and
    /// the `pairs` order of one built field by field: by a table constructor, which sizes the
    /// table for its fields and sets them in order as the direct build does, and by the direct
    /// build itself (the first round), nil values (whose keys take their places) included.
    #[test]
    fn tables_from_templates_are_the_tables_built_directly() -> mlua::Result<()> {
        let lua = Lua::new();
        let list: mlua::Function = lua.load(LISTED).eval()?;
        let json = |value| serde_json::from_value::<Value>(value).map_err(mlua::Error::external);
        let meta = json(serde_json::json!({
            "environment": "production",
            "owner": "team-1",
            "revision": 7,
            "tags": ["microservice", "api"],
            "nested": {"b": 2, "a": "x"},
        }))?;
        let Value::Object(meta) = meta else {
            unreachable!("an object literal")
        };
        let entry = Entry::new(
            EntryId::parse("ns:e").map_err(mlua::Error::external)?,
            "service",
            meta,
            json(serde_json::json!({"port": 8000}))?,
        )
        .map_err(mlua::Error::external)?;
        let with_nils = json(serde_json::json!({"a": 1, "b": null, "c": 3, "d": null, "e": 5}))?;
        let mut listed = Vec::new();
        for _ in 0..4 {
            let built = entry_table(&lua, &entry)?;
            let fields: Table = lua
                .load(
                    r#"
                    local e = ...
                    local m = e.meta
                    return {
                        id = e.id, kind = e.kind,
                        meta = {
                            environment = m.environment, nested = {a = m.nested.a, b = m.nested.b},
                            owner = m.owner, revision = m.revision, tags = {m.tags[1], m.tags[2]},
                        },
                        data = {port = e.data.port},
                    }
                    "#,
                )
                .call(&built)?;
            let text: String = list.call(built)?;
            assert_eq!(text, list.call::<String>(fields)?);
            let nils: String = list.call(from_value(&lua, &with_nils)?)?;
            listed.push((text, nils));
        }
        assert!(listed.iter().all(|round| *round == listed[0]), "{listed:?}");
        assert_eq!(listed[0].1.split(',').count(), 3, "{listed:?}");
        Ok(())
    }
}
