//! Diagnostics for the Lua figures (not targets): what converting one entry into a Lua table
//! costs, with the binding's current code (copied from `lua/convert.rs`) and with candidate fixes,
//! under the runner's 256 MiB VM memory limit and without it; and what a soft memory limit checked
//! in an interrupt would cost a plain Lua loop.
//!
//! Clock: thread CPU time (see `common`).
//!
//! `cargo bench -p registry-core --bench convert`

mod common;

use common::CpuTime;
use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;

type Criterion = criterion::Criterion<CpuTime>;
use mlua::{Function, Lua, Table, Value as LuaValue, VmState};
use registry_core::{Entry, Map, Value};

/// The runner's VM limit (`DEFAULT_MEMORY_LIMIT` in runner.rs).
const LUA_MEMORY_LIMIT: usize = 256 << 20;

fn main() {
    let mut c = common::criterion();
    let entries: Vec<Rc<Entry>> = (0..1024).map(|k| common::entry(k * 97, 1)).collect();
    convert(&mut c, &entries);
    interrupt(&mut c);
    c.final_summary();
}

// ---- the binding's current conversion (registry-core/src/lua/convert.rs) ----

fn from_value(lua: &Lua, value: &Value) -> mlua::Result<LuaValue> {
    Ok(match value {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        Value::Number(n) => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => LuaValue::String(lua.create_string(s)?),
        Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items {
                table.raw_push(from_value(lua, item)?)?;
            }
            LuaValue::Table(table)
        }
        Value::Object(map) => LuaValue::Table(from_map(lua, map)?),
    })
}

fn from_map(lua: &Lua, map: &Map) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, map.len())?;
    for (key, item) in map {
        table.raw_set(key.as_str(), from_value(lua, item)?)?;
    }
    Ok(table)
}

fn entry_table(lua: &Lua, entry: &Entry) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, 4)?;
    table.raw_set("id", entry.id.as_str())?;
    table.raw_set("kind", &*entry.kind)?;
    table.raw_set("meta", from_map(lua, &entry.meta)?)?;
    table.raw_set("data", from_value(lua, &entry.data)?)?;
    Ok(table)
}

// ---- candidate: reuse Lua strings for keys and kinds (a per-VM cache of interned strings) ----

/// Lua strings already created, by content; pushing one is a reference copy, not a protected call.
struct Interned {
    lua: Lua,
    strings: HashMap<String, mlua::LuaString>,
}

impl Interned {
    fn get(&mut self, text: &str) -> mlua::Result<mlua::LuaString> {
        if let Some(s) = self.strings.get(text) {
            return Ok(s.clone());
        }
        let s = self.lua.create_string(text)?;
        self.strings.insert(text.to_owned(), s.clone());
        Ok(s)
    }
}

fn from_value_interned(lua: &Lua, cache: &mut Interned, value: &Value) -> mlua::Result<LuaValue> {
    Ok(match value {
        Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items {
                table.raw_push(from_value_interned(lua, cache, item)?)?;
            }
            LuaValue::Table(table)
        }
        Value::Object(map) => LuaValue::Table(from_map_interned(lua, cache, map)?),
        other => from_value(lua, other)?,
    })
}

fn from_map_interned(lua: &Lua, cache: &mut Interned, map: &Map) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, map.len())?;
    for (key, item) in map {
        table.raw_set(cache.get(key)?, from_value_interned(lua, cache, item)?)?;
    }
    Ok(table)
}

fn entry_table_interned(lua: &Lua, cache: &mut Interned, entry: &Entry) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, 4)?;
    table.raw_set(cache.get("id")?, entry.id.as_str())?;
    table.raw_set(cache.get("kind")?, cache.get(&entry.kind)?)?;
    table.raw_set(
        cache.get("meta")?,
        from_map_interned(lua, cache, &entry.meta)?,
    )?;
    table.raw_set(
        cache.get("data")?,
        from_value_interned(lua, cache, &entry.data)?,
    )?;
    Ok(table)
}

// ---- candidate: build the tables in Lua, one call per entry ----

const BUILDER: &str = r#"
return function(id, kind, meta, data) return { id = id, kind = kind, meta = meta, data = data } end
"#;

fn lua_with(limit: usize) -> Lua {
    let lua = Lua::new();
    lua.set_memory_limit(limit).expect("memory limit");
    lua
}

/// One entry (shaped like the spec's example service) converted per iteration, cycling over 1,024.
fn convert(c: &mut Criterion, entries: &[Rc<Entry>]) {
    let mut group = c.benchmark_group("convert/entry_table");
    for (name, limit) in [("limit", LUA_MEMORY_LIMIT), ("no_limit", 0)] {
        let lua = lua_with(limit);
        let mut k = 0;
        group.bench_function(format!("current/{name}"), |b| {
            b.iter(|| {
                k = (k + 1) % entries.len();
                entry_table(&lua, &entries[k]).expect("converts")
            })
        });
        let mut cache = Interned {
            lua: lua.clone(),
            strings: HashMap::new(),
        };
        group.bench_function(format!("interned_strings/{name}"), |b| {
            b.iter(|| {
                k = (k + 1) % entries.len();
                entry_table_interned(&lua, &mut cache, &entries[k]).expect("converts")
            })
        });
        // Meta/data conversion as today, but the outer table built by one Lua call.
        let builder: Function = lua.load(BUILDER).eval().expect("builder");
        group.bench_function(format!("lua_builder_outer/{name}"), |b| {
            b.iter(|| {
                k = (k + 1) % entries.len();
                let e = &entries[k];
                let meta = from_map(&lua, &e.meta).expect("meta");
                let data = from_value(&lua, &e.data).expect("data");
                builder
                    .call::<Table>((e.id.as_str(), &*e.kind, meta, data))
                    .expect("builds")
            })
        });
        // Upper bound for caching converted entries in the VM: deep-copy already converted entry
        // tables with Luau's `table.clone`, 1,024 per call (one protected call per batch).
        let cached = lua.create_table().expect("table");
        for e in entries {
            cached
                .raw_push(entry_table(&lua, e).expect("converts"))
                .expect("push");
        }
        let copy_all: Function = lua.load(DEEP_COPY_ALL).eval().expect("deep copy");
        group.bench_function(format!("luau_deep_copy_of_cached/{name}"), |b| {
            b.iter_custom(|iters| {
                let start = common::cpu_now();
                let mut left = iters;
                while left > 0 {
                    let batch = left.min(entries.len() as u64);
                    black_box(copy_all.call::<Table>((&cached, batch)).expect("copies"));
                    left -= batch;
                }
                common::cpu_now() - start
            })
        });
    }
    group.finish();
}

const DEEP_COPY_ALL: &str = r#"
local function deep(t)
    local c = table.clone(t)
    for k, v in c do
        if type(v) == "table" then c[k] = deep(v) end
    end
    return c
end
return function(entries, n)
    local out = table.create(n)
    for i = 1, n do out[i] = deep(entries[i]) end
    return out
end
"#;

/// A plain Lua loop (`x = x + i`): without an interrupt; with an interrupt doing what the runner's
/// time-limit watchdog does when no limit is set (it is installed on every runner); and with that
/// interrupt also checking a soft memory limit (`Lua::used_memory`), the alternative to mlua's
/// allocator limit, which makes mlua protect every table/string operation.
fn interrupt(c: &mut Criterion) {
    let mut group = c.benchmark_group("convert/loop_iteration");
    for variant in [
        "no_interrupt",
        "watchdog_like_interrupt",
        "interrupt_with_memory_check",
    ] {
        let lua = lua_with(0);
        let deadline: std::cell::Cell<Option<f64>> = std::cell::Cell::new(None);
        match variant {
            "watchdog_like_interrupt" => lua.set_interrupt(move |_| match deadline.get() {
                None => Ok(VmState::Continue),
                Some(_) => Err(mlua::Error::runtime("time")),
            }),
            "interrupt_with_memory_check" => lua.set_interrupt(move |lua| {
                if lua.used_memory() > LUA_MEMORY_LIMIT {
                    return Err(mlua::Error::runtime("not enough memory"));
                }
                match deadline.get() {
                    None => Ok(VmState::Continue),
                    Some(_) => Err(mlua::Error::runtime("time")),
                }
            }),
            _ => {}
        }
        let run: Function = lua
            .load("return function(n) local x = 0 for i = 1, n do x = x + i end return x end")
            .eval()
            .expect("loop");
        group.bench_function(variant, |b| {
            b.iter_custom(|iters| {
                let start = common::cpu_now();
                black_box(run.call::<f64>(iters as f64).expect("runs"));
                common::cpu_now() - start
            })
        });
    }
    group.finish();
}
