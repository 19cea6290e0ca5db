//! The `registry` module table: the spec's module-level functions.

use std::rc::Rc;

use mlua::{Function, Lua, Table, Value as LuaValue};

use super::binding::{
    Args, Call, Results, convert_or_error, function, raw_function, returns, value_or_error,
};
use super::context::{Context, RegistryEvent};
use super::convert::to_entry;
use super::errors::error_value;
use super::find::find_in;
use super::objects::{
    HistoryObject, SnapshotObject, VersionObject, get_in, version_arg, versions_list,
};
use super::tables::ops_table;
use crate::delta::build_delta_from;
use crate::entry::Entry;
use crate::error::{Error, ErrorKind, Result};

/// Builds the read-only module table bound to one registry.
pub(crate) fn create(lua: &Lua, ctx: &Rc<Context>) -> mlua::Result<Table> {
    let module = lua.create_table()?;
    // Compared by address only: `registry:get(...)` passes the module as argument 1.
    let module_address = module.to_pointer() as usize;
    // Functions that take arguments refuse the module as the first; the others ignore it.
    let bind = |name: &'static str,
                takes_arguments: bool,
                handler: fn(&Lua, &Rc<Context>, Args) -> Call| {
        let ctx = Rc::clone(ctx);
        move |lua: &Lua, args: Args| {
            if takes_arguments
                && matches!(args.get(1), LuaValue::Table(t) if t.to_pointer() as usize == module_address)
            {
                return Err(args.refuse(format!(
                        "call registry.{name} with a dot: registry.{name}(...), not registry:{name}(...)"
                    )));
            }
            handler(lua, &ctx, args)
        }
    };
    let add = |name: &'static str,
               results: Results,
               takes_arguments: bool,
               handler: fn(&Lua, &Rc<Context>, Args) -> Call| {
        module.raw_set(
            name,
            function(lua, name, results, bind(name, takes_arguments, handler))?,
        )
    };
    // `get`, `snapshot()` and `snapshot_at` are C functions that answer their common calls
    // themselves (`c_function.rs`), in front of the full function made here.
    type CFunction = fn(&Lua, &Rc<Context>, Function) -> mlua::Result<Function>;
    let add_c_function = |name: &'static str,
                          takes_arguments: bool,
                          handler: fn(&Lua, &Rc<Context>, Args) -> Call,
                          c_function: CFunction| {
        let bound = bind(name, takes_arguments, handler);
        let full = raw_function(lua, name, Results::Two, false, bound)?;
        module.raw_set(name, c_function(lua, ctx, full)?)
    };
    add_c_function("get", true, get, super::get::function)?;
    add("find", Results::Two, true, find)?;
    add_c_function("snapshot", false, snapshot, super::snapshots::snapshot)?;
    add_c_function(
        "snapshot_at",
        true,
        snapshot_at,
        super::snapshots::snapshot_at,
    )?;
    add("current_version", Results::Two, false, current_version)?;
    add("versions", Results::Two, false, |lua, ctx, _| {
        versions_list(lua, ctx)
    })?;
    add("apply_version", Results::Status, true, apply_version)?;
    add("parse_id", Results::One, true, parse_id)?;
    add("history", Results::One, false, history)?;
    add("build_delta", Results::Two, true, delta)?;
    module.set_readonly(true);
    Ok(module)
}

/// Reads head directly: no snapshot object is created.
fn get(lua: &Lua, ctx: &Rc<Context>, args: Args) -> Call {
    let id = args.id(1)?;
    get_in(lua, &args, &ctx.head(), id)
}

fn find(lua: &Lua, ctx: &Rc<Context>, args: Args) -> Call {
    find_in(lua, &args, &ctx.head())
}

fn snapshot(lua: &Lua, ctx: &Rc<Context>, _: Args) -> Call {
    let snapshot = SnapshotObject {
        ctx: Rc::clone(ctx),
        version: ctx.head(),
    };
    value_or_error(lua, Ok(snapshot))
}

fn snapshot_at(lua: &Lua, ctx: &Rc<Context>, args: Args) -> Call {
    let version = version_arg(ctx, &args, 1)?;
    let ctx = Rc::clone(ctx);
    value_or_error(lua, version.map(|version| SnapshotObject { ctx, version }))
}

fn current_version(lua: &Lua, ctx: &Rc<Context>, _: Args) -> Call {
    value_or_error(lua, Ok(VersionObject::new(Rc::clone(ctx), ctx.head())))
}

/// `true, nil` once head is at the version; `false, err` otherwise.
fn apply_version(lua: &Lua, ctx: &Rc<Context>, args: Args) -> Call {
    let moved = version_arg(ctx, &args, 1)?.and_then(|version| {
        ctx.registry.borrow_mut().apply_version(version.id())?;
        Ok(version.id())
    });
    match moved {
        Ok(id) => {
            ctx.notify(&RegistryEvent::HeadMoved(id));
            returns(lua, true)
        }
        Err(error) => Ok((LuaValue::Boolean(false), error_value(lua, error)?)),
    }
}

/// `{ns = ..., name = ...}` for any string: split at the first `:`, or `ns = ""` and the whole
/// string as the name. Whether the parts can name a stored entry is checked where one is stored.
fn parse_id(lua: &Lua, _: &Rc<Context>, args: Args) -> Call {
    let text = args.string(1)?;
    let (ns, name) = text.split_once(':').unwrap_or(("", text.as_str()));
    let table = lua.create_table_with_capacity(0, 2)?;
    table.raw_set("ns", ns)?;
    table.raw_set("name", name)?;
    returns(lua, table)
}

fn history(lua: &Lua, ctx: &Rc<Context>, _: Args) -> Call {
    returns(
        lua,
        HistoryObject {
            ctx: Rc::clone(ctx),
        },
    )
}

fn delta(lua: &Lua, _: &Rc<Context>, args: Args) -> Call {
    let from = entry_list(args.table(1)?, "from");
    let to = entry_list(args.table(2)?, "to");
    let delta = from.and_then(|from| build_delta_from(from, to?));
    convert_or_error(lua, delta, |(from, ops)| ops_table(lua, &ops, &from))
}

/// Reads an array of entry tables; errors name the list and position, e.g. `to[3]: ...`.
fn entry_list(table: &Table, name: &str) -> Result<Vec<Entry>> {
    let len = table.raw_len();
    let pairs = table.pairs::<LuaValue, LuaValue>().count();
    if pairs != len {
        return Err(Error::new(
            ErrorKind::InvalidEntry,
            format!("{name} must be an array of entries (keys 1..n)"),
        ));
    }
    (1..=len)
        .map(|i| {
            let value = table.raw_get::<LuaValue>(i).map_err(vm_error)?;
            to_entry(&value).map_err(|e| e.at(format!("{name}[{i}]")))
        })
        .collect()
}

fn vm_error(error: mlua::Error) -> Error {
    Error::new(ErrorKind::InvalidValue, error.to_string())
}
