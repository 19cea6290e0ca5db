//! State shared by the module's functions and objects within one runner.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use mlua::{Lua, Table, Value as LuaValue};

use super::binding::{Args, Failure};
use super::convert::entry_table;
use super::objects::VersionObject;
use crate::entry::{Entry, Op};
use crate::error::Result;
use crate::history::{Registry, Version, VersionId, version_id_from_number, version_not_found};
use crate::id::EntryId;
use crate::state::State;

/// A change a script made to the registry, reported as it happens.
#[derive(Debug)]
pub enum RegistryEvent<'a> {
    /// `changes:apply()` created this version (and moved head to it).
    Committed(&'a Version),
    /// `registry.apply_version` moved head to this version.
    HeadMoved(VersionId),
    /// `print` wrote this text (what the output limit kept of it), while the script runs.
    Printed(&'a str),
}

/// Receives every [`RegistryEvent`], e.g. to persist each version in its own transaction or to
/// show printed lines before the run ends.
pub type EventListener = Box<dyn FnMut(&RegistryEvent<'_>)>;

/// The registry, the time of the run in progress (it stamps new versions), and who to tell.
pub(crate) struct Context {
    pub(crate) registry: RefCell<Registry>,
    pub(crate) now_ms: Cell<i64>,
    pub(crate) listener: RefCell<Option<EventListener>>,
    /// Set while a change is to be undone rather than reported (a returned value's
    /// `__tostring`); printed text is still reported.
    pub(crate) changes_unreported: Cell<bool>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Context {
    pub(crate) fn new(registry: Registry) -> Rc<Self> {
        Rc::new(Self {
            registry: RefCell::new(registry),
            now_ms: Cell::new(0),
            listener: RefCell::new(None),
            changes_unreported: Cell::new(false),
        })
    }

    /// Tells the listener, if any (no registry borrow is held while it runs).
    pub(crate) fn notify(&self, event: &RegistryEvent<'_>) {
        if self.changes_unreported.get() && !matches!(event, RegistryEvent::Printed(_)) {
            return;
        }
        if let Some(listener) = self.listener.borrow_mut().as_mut() {
            listener(event);
        }
    }

    /// The head version (a cheap handle; no borrow is held).
    pub(crate) fn head(&self) -> Rc<Version> {
        Rc::clone(self.registry.borrow().head())
    }

    /// The version with this id, or `version not found: N`.
    pub(crate) fn version(&self, id: VersionId) -> Result<Rc<Version>> {
        self.registry.borrow().version(id).map(Rc::clone)
    }

    /// Argument `n` as a version: a version object or a version number.
    pub(crate) fn version_arg(
        &self,
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
        Ok(version_id_from_number(number)
            .and_then(|id| self.version(id).map_err(|_| version_not_found(id))))
    }
}

/// An array of fresh entry tables.
pub(crate) fn entries_table<'a>(
    lua: &Lua,
    entries: impl IntoIterator<Item = &'a Rc<Entry>>,
) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    for entry in entries {
        table.raw_push(entry_table(lua, entry)?)?;
    }
    Ok(table)
}

/// An array of `{kind = "entry.create" | "entry.update" | "entry.delete", entry = {...}}`. A
/// delete carries the entry it deletes: the one an earlier op of the list left, or the one in
/// `before` (the state the ops start from); `{id = ...}` alone when neither has it.
pub(crate) fn ops_table(lua: &Lua, ops: &[Op], before: &State) -> mlua::Result<Table> {
    let mut latest: HashMap<&EntryId, Option<&Rc<Entry>>> = HashMap::new();
    let table = lua.create_table_with_capacity(ops.len(), 0)?;
    for op in ops {
        let entry = match op {
            Op::Create(entry) | Op::Update(entry) => {
                latest.insert(&entry.id, Some(entry));
                entry_table(lua, entry)?
            }
            Op::Delete { id } => {
                let deleted = latest.insert(id, None).unwrap_or_else(|| before.get(id));
                match deleted {
                    Some(entry) => entry_table(lua, entry)?,
                    None => {
                        let entry = lua.create_table_with_capacity(0, 1)?;
                        entry.raw_set("id", id.as_str())?;
                        entry
                    }
                }
            }
        };
        let item = lua.create_table_with_capacity(0, 2)?;
        item.raw_set("kind", op.kind_name())?;
        item.raw_set("entry", entry)?;
        table.raw_push(item)?;
    }
    Ok(table)
}
