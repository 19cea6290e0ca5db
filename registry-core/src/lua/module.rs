//! The `registry` module table: the spec's module-level functions.

use std::rc::Rc;

use mlua::{Lua, Table, Value as LuaValue};

use super::binding::{Args, Call, Results, convert_or_error, function, returns, value_or_error};
use super::context::{Context, RegistryEvent, ops_table};
use super::convert::to_entry;
use super::find::find_in;
use super::objects::{HistoryObject, SnapshotObject, VersionObject, get_in, versions_list};
use crate::delta::build_delta;
use crate::entry::Entry;
use crate::error::{Error, ErrorKind, Result};

/// Builds the read-only module table bound to one registry.
pub(crate) fn create(lua: &Lua, ctx: &Rc<Context>) -> mlua::Result<Table> {
    let module = lua.create_table()?;
    let add =
        |name: &'static str, results: Results, handler: fn(&Lua, &Rc<Context>, Args) -> Call| {
            let ctx = Rc::clone(ctx);
            let f = function(lua, name, results, move |lua, args| {
                handler(lua, &ctx, args)
            })?;
            module.raw_set(name, f)
        };
    add("get", Results::Two, get)?;
    add("find", Results::Two, find)?;
    add("snapshot", Results::Two, snapshot)?;
    add("snapshot_at", Results::Two, snapshot_at)?;
    add("current_version", Results::Two, current_version)?;
    add("versions", Results::Two, |lua, ctx, _| {
        versions_list(lua, ctx)
    })?;
    add("apply_version", Results::Two, apply_version)?;
    add("parse_id", Results::Two, parse_id)?;
    add("history", Results::One, history)?;
    add("build_delta", Results::Two, delta)?;
    module.set_readonly(true);
    Ok(module)
}

/// Reads head directly: no snapshot object is created.
fn get(lua: &Lua, ctx: &Rc<Context>, args: Args) -> Call {
    let id = args.id(1)?;
    get_in(lua, &ctx.head(), id)
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
    let version = ctx.version_arg(&args, 1)?;
    let ctx = Rc::clone(ctx);
    value_or_error(lua, version.map(|version| SnapshotObject { ctx, version }))
}

fn current_version(lua: &Lua, ctx: &Rc<Context>, _: Args) -> Call {
    value_or_error(lua, Ok(VersionObject::new(Rc::clone(ctx), ctx.head())))
}

/// `true, nil` once head is at the version; `false, message` otherwise.
fn apply_version(lua: &Lua, ctx: &Rc<Context>, args: Args) -> Call {
    let moved = ctx.version_arg(&args, 1)?.and_then(|version| {
        ctx.registry.borrow_mut().apply_version(version.id())?;
        Ok(version.id())
    });
    match moved {
        Ok(id) => {
            ctx.notify(&RegistryEvent::HeadMoved(id));
            returns(lua, (true, LuaValue::Nil))
        }
        Err(error) => returns(lua, (false, error.to_string())),
    }
}

/// `{ns = ..., name = ...}, nil`, or `nil, message` for a malformed id.
fn parse_id(lua: &Lua, _: &Rc<Context>, args: Args) -> Call {
    let text = args.string(1)?;
    let parsed = crate::id::EntryId::parse(&text).and_then(|id| {
        let table = lua.create_table_with_capacity(0, 2).map_err(vm_error)?;
        table.raw_set("ns", id.ns()).map_err(vm_error)?;
        table.raw_set("name", id.name()).map_err(vm_error)?;
        Ok(table)
    });
    value_or_error(lua, parsed)
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
    let ops = from.and_then(|from| build_delta(from, to?));
    convert_or_error(lua, ops, |ops| ops_table(lua, ops.iter()))
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
