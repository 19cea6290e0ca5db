//! The userdata objects scripts hold: snapshots, changesets, the history and versions.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Lua, MetaMethod, UserData, UserDataFields, UserDataMethods, Value as LuaValue};

use super::binding::{
    Args, Call, Failure, Results, convert_or_error, methods, returns, value_or_error,
};
use super::context::{Context, RegistryEvent};
use super::convert::{require_entry, to_entry, to_id};
use super::find::find_in;
use super::tables::{entries_table, entry_table, ops_table};
use crate::entry::Op;
use crate::error::Result;
use crate::history::Version;
use crate::state::State;

/// A point-in-time view of one version. Holding it keeps that version's state alive; taking it is O(1).
#[derive(Clone)]
pub(crate) struct SnapshotObject {
    pub(crate) ctx: Rc<Context>,
    pub(crate) version: Rc<Version>,
}

impl UserData for SnapshotObject {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field_with(MetaMethod::Index.name(), |lua| {
            methods(
                lua,
                &[
                    ("entries", Results::One, snapshot_entries),
                    ("get", Results::Two, snapshot_get),
                    ("namespace", Results::One, snapshot_namespace),
                    ("find", Results::Two, snapshot_find),
                    ("changes", Results::One, snapshot_changes),
                    ("version", Results::One, snapshot_version),
                ],
            )
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(format!("registry.Snapshot{{version={}}}", this.version))
        });
    }
}

const SNAPSHOT: &str = "snapshot";

fn snapshot_entries(lua: &Lua, args: Args) -> Call {
    let this = args.this::<SnapshotObject>(SNAPSHOT)?;
    let state = this.version.state().map_err(|e| args.invalid(e))?;
    returns(lua, entries_table(lua, state.entries())?)
}

fn snapshot_get(lua: &Lua, args: Args) -> Call {
    let this = args.this::<SnapshotObject>(SNAPSHOT)?;
    let id = args.id(1)?;
    get_in(lua, &args, &this.version, id)
}

/// `entry, nil` or `nil, "entry not found: ns:name"` (or the id's parse error).
pub(crate) fn get_in(lua: &Lua, args: &Args, version: &Version, id: &LuaValue) -> Call {
    let state = version.state().map_err(|e| args.invalid(e))?;
    let found = require_entry(state, id).map(Rc::clone);
    convert_or_error(lua, found, |entry| entry_table(lua, &entry))
}

fn snapshot_namespace(lua: &Lua, args: Args) -> Call {
    let this = args.this::<SnapshotObject>(SNAPSHOT)?;
    let ns = args.string(1)?;
    let state = this.version.state().map_err(|e| args.invalid(e))?;
    returns(lua, entries_table(lua, state.namespace(&ns))?)
}

fn snapshot_find(lua: &Lua, args: Args) -> Call {
    let this = args.this::<SnapshotObject>(SNAPSHOT)?;
    find_in(lua, &args, &this.version)
}

fn snapshot_changes(lua: &Lua, args: Args) -> Call {
    let this = args.this::<SnapshotObject>(SNAPSHOT)?;
    returns(
        lua,
        ChangesObject {
            ctx: this.ctx,
            base: this.version,
            ops: Rc::default(),
        },
    )
}

fn snapshot_version(lua: &Lua, args: Args) -> Call {
    let this = args.this::<SnapshotObject>(SNAPSHOT)?;
    returns(lua, VersionObject::new(this.ctx, this.version))
}

/// A changeset being built on a snapshot; `apply` turns it into a version.
#[derive(Clone)]
pub(crate) struct ChangesObject {
    ctx: Rc<Context>,
    base: Rc<Version>,
    ops: Rc<RefCell<Vec<Op>>>,
}

impl UserData for ChangesObject {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field_with(MetaMethod::Index.name(), |lua| {
            methods(
                lua,
                &[
                    ("ops", Results::One, changes_ops),
                    ("create", Results::One, changes_create),
                    ("update", Results::One, changes_update),
                    ("delete", Results::One, changes_delete),
                    ("apply", Results::Two, changes_apply),
                ],
            )
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(format!(
                "registry.Changes{{ops={}}}",
                this.ops.borrow().len()
            ))
        });
    }
}

const CHANGES: &str = "changes";

fn changes_ops(lua: &Lua, args: Args) -> Call {
    let this = args.this::<ChangesObject>(CHANGES)?;
    let ops = this.ops.borrow();
    let base = this.base.state().map_err(|e| args.invalid(e))?;
    returns(lua, ops_table(lua, &ops, base)?)
}

/// Adds an op and returns the changeset itself, for chaining.
fn push_op(lua: &Lua, args: &Args, op: Op) -> Call {
    let this = args.this::<ChangesObject>(CHANGES)?;
    this.ops.borrow_mut().push(op);
    returns(lua, args.get(0).clone())
}

fn changes_create(lua: &Lua, args: Args) -> Call {
    args.this::<ChangesObject>(CHANGES)?;
    args.table(1)?;
    let entry = to_entry(args.get(1)).map_err(|e| args.invalid(e))?;
    push_op(lua, &args, Op::Create(Rc::new(entry)))
}

fn changes_update(lua: &Lua, args: Args) -> Call {
    args.this::<ChangesObject>(CHANGES)?;
    args.table(1)?;
    let entry = to_entry(args.get(1)).map_err(|e| args.invalid(e))?;
    push_op(lua, &args, Op::Update(Rc::new(entry)))
}

fn changes_delete(lua: &Lua, args: Args) -> Call {
    args.this::<ChangesObject>(CHANGES)?;
    let id = to_id(args.id(1)?).map_err(|e| args.invalid(e))?;
    push_op(lua, &args, Op::Delete { id })
}

fn changes_apply(lua: &Lua, args: Args) -> Call {
    let this = args.this::<ChangesObject>(CHANGES)?;
    let now = this.ctx.now_ms.get();
    let applied = {
        let ops = this.ops.borrow();
        let mut registry = this.ctx.registry.borrow_mut();
        registry.apply(this.base.id(), &ops, now).map(Rc::clone)
    };
    if let Ok(version) = &applied {
        this.ctx.notify(&RegistryEvent::Committed(version));
    }
    value_or_error(
        lua,
        applied.map(|version| VersionObject::new(this.ctx, version)),
    )
}

/// The version history.
#[derive(Clone)]
pub(crate) struct HistoryObject {
    pub(crate) ctx: Rc<Context>,
}

impl UserData for HistoryObject {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field_with(MetaMethod::Index.name(), |lua| {
            methods(
                lua,
                &[
                    ("versions", Results::Two, history_versions),
                    ("get_version", Results::Two, history_get_version),
                    ("snapshot_at", Results::Two, history_snapshot_at),
                ],
            )
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            let registry = this.ctx.registry.borrow();
            Ok(format!(
                "registry.History{{versions={}, head={}}}",
                registry.versions().len(),
                registry.head()
            ))
        });
    }
}

const HISTORY: &str = "history";

fn history_versions(lua: &Lua, args: Args) -> Call {
    let this = args.this::<HistoryObject>(HISTORY)?;
    versions_list(lua, &this.ctx)
}

/// Every version, v0 included, ascending by id, as `versions, nil`.
pub(crate) fn versions_list(lua: &Lua, ctx: &Rc<Context>) -> Call {
    let versions: Vec<Rc<Version>> = ctx.registry.borrow().versions().to_vec();
    let table = lua.create_table_with_capacity(versions.len(), 0)?;
    for version in versions {
        table.raw_push(VersionObject::new(Rc::clone(ctx), version))?;
    }
    value_or_error(lua, Ok(table))
}

fn history_get_version(lua: &Lua, args: Args) -> Call {
    let this = args.this::<HistoryObject>(HISTORY)?;
    let version = version_arg(&this.ctx, &args, 1)?;
    value_or_error(lua, version.map(|v| VersionObject::new(this.ctx, v)))
}

fn history_snapshot_at(lua: &Lua, args: Args) -> Call {
    let this = args.this::<HistoryObject>(HISTORY)?;
    let version = version_arg(&this.ctx, &args, 1)?;
    value_or_error(
        lua,
        version.map(|version| SnapshotObject {
            ctx: this.ctx,
            version,
        }),
    )
}

/// Argument `n` as a version: a version object or a version number; `version not found: N`
/// when there is none.
pub(crate) fn version_arg(
    ctx: &Context,
    args: &Args,
    n: usize,
) -> std::result::Result<Result<Rc<Version>>, Failure> {
    if let Some(version) = args.userdata::<VersionObject>(n) {
        return Ok(Ok(version.version));
    }
    let number = match args.get(n) {
        LuaValue::Integer(i) => *i as f64,
        LuaValue::Number(n) => *n,
        _ => return Err(args.bad(n, "version")),
    };
    Ok(ctx.version_numbered(number))
}

/// A version handle.
#[derive(Clone)]
pub(crate) struct VersionObject {
    ctx: Rc<Context>,
    pub(crate) version: Rc<Version>,
}

impl VersionObject {
    pub(crate) fn new(ctx: Rc<Context>, version: Rc<Version>) -> Self {
        Self { ctx, version }
    }
}

impl UserData for VersionObject {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field_with(MetaMethod::Index.name(), |lua| {
            methods(
                lua,
                &[
                    ("id", Results::One, version_id),
                    ("previous", Results::One, version_previous),
                    ("next", Results::One, version_next),
                    ("string", Results::One, version_string),
                    ("time", Results::One, version_time),
                    ("ops", Results::One, version_ops),
                ],
            )
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(format!("registry.Version{{{}}}", this.version))
        });
        methods.add_meta_method(MetaMethod::Eq, |_, this, other: LuaValue| {
            let LuaValue::UserData(other) = other else {
                return Ok(false);
            };
            Ok(other
                .borrow::<VersionObject>()
                .is_ok_and(|other| other.version.id() == this.version.id()))
        });
    }
}

const VERSION: &str = "version";

fn version_id(lua: &Lua, args: Args) -> Call {
    let this = args.this::<VersionObject>(VERSION)?;
    returns(lua, this.version.id() as f64)
}

fn version_previous(lua: &Lua, args: Args) -> Call {
    let this = args.this::<VersionObject>(VERSION)?;
    let previous = match this.version.parent() {
        Some(parent) => Some(VersionObject::new(
            Rc::clone(&this.ctx),
            this.ctx.version(parent).map_err(|e| args.invalid(e))?,
        )),
        None => None,
    };
    returns(lua, previous)
}

fn version_string(lua: &Lua, args: Args) -> Call {
    let this = args.this::<VersionObject>(VERSION)?;
    returns(lua, this.version.to_string())
}

fn version_time(lua: &Lua, args: Args) -> Call {
    let this = args.this::<VersionObject>(VERSION)?;
    returns(lua, this.version.time_ms() as f64)
}

/// The version's ops; deletes carry the entry they deleted, from the parent.
fn version_ops(lua: &Lua, args: Args) -> Call {
    let this = args.this::<VersionObject>(VERSION)?;
    let ops = this.version.ops().map_err(|e| args.invalid(e))?;
    match this.version.parent() {
        Some(parent) => {
            let parent = this.ctx.version(parent).map_err(|e| args.invalid(e))?;
            let before = parent.state().map_err(|e| args.invalid(e))?;
            returns(lua, ops_table(lua, ops, before)?)
        }
        None => returns(lua, ops_table(lua, ops, &State::default())?),
    }
}

/// The child toward head when head descends from this version, else the newest child, else nil.
fn version_next(lua: &Lua, args: Args) -> Call {
    let this = args.this::<VersionObject>(VERSION)?;
    let next = this.ctx.registry.borrow().next(this.version.id());
    let next = match next {
        Some(id) => Some(VersionObject::new(
            Rc::clone(&this.ctx),
            this.ctx.version(id).map_err(|e| args.invalid(e))?,
        )),
        None => None,
    };
    returns(lua, next)
}
