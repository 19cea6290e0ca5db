//! `registry.snapshot` and `registry.snapshot_at` as Luau C functions ([`super::c_function`]).
//! `snapshot()` is answered here whatever its arguments (it ignores them); `snapshot_at` when its
//! argument is a number that names a version. Every other call (a version object, the module as
//! argument 1, a number that names no version, any other value) goes to the full Rust function.
#![expect(unsafe_code)]

use std::rc::Rc;

use mlua::{Function, Lua, ffi};

use super::c_function::{FastPath, c_function};
use super::context::Context;
use super::objects::SnapshotObject;
use crate::history::Version;

struct Snapshot(Rc<Context>);

struct SnapshotAt(Rc<Context>);

/// `registry.snapshot` over `full`, the raw function of the full call.
pub(crate) fn snapshot(lua: &Lua, ctx: &Rc<Context>, full: Function) -> mlua::Result<Function> {
    c_function(lua, Snapshot(Rc::clone(ctx)), full, ())
}

/// `registry.snapshot_at` over `full`, the raw function of the full call.
pub(crate) fn snapshot_at(lua: &Lua, ctx: &Rc<Context>, full: Function) -> mlua::Result<Function> {
    c_function(lua, SnapshotAt(Rc::clone(ctx)), full, ())
}

impl FastPath for Snapshot {
    const NAME: &'static std::ffi::CStr = c"snapshot";
    type Found = Rc<Version>;

    unsafe fn find(&self, _: *mut ffi::lua_State) -> Option<Rc<Version>> {
        Some(self.0.head())
    }

    unsafe fn push(&self, lua: &Lua, state: *mut ffi::lua_State, version: Rc<Version>) -> bool {
        // SAFETY: as `FastPath::push` promises.
        unsafe { push_snapshot(lua, state, &self.0, version) }
    }
}

impl FastPath for SnapshotAt {
    const NAME: &'static std::ffi::CStr = c"snapshot_at";
    type Found = Rc<Version>;

    /// The version, when argument 1 is a number that names one.
    unsafe fn find(&self, state: *mut ffi::lua_State) -> Option<Rc<Version>> {
        // SAFETY: argument 1 is read only after its type is checked.
        unsafe {
            if ffi::lua_type(state, 1) != ffi::LUA_TNUMBER {
                return None;
            }
            self.0.version_numbered(ffi::lua_tonumber(state, 1)).ok()
        }
    }

    unsafe fn push(&self, lua: &Lua, state: *mut ffi::lua_State, version: Rc<Version>) -> bool {
        // SAFETY: as `FastPath::push` promises.
        unsafe { push_snapshot(lua, state, &self.0, version) }
    }
}

/// Pushes a snapshot object of `version`; false when mlua could not make it.
///
/// # Safety
/// As for [`FastPath::push`].
unsafe fn push_snapshot(
    lua: &Lua,
    state: *mut ffi::lua_State,
    ctx: &Rc<Context>,
    version: Rc<Version>,
) -> bool {
    // SAFETY: mlua makes the userdata on its current thread's stack, which is given the one slot
    // the push needs; it then moves to this function's stack, which has room for it.
    unsafe {
        let snapshot = SnapshotObject {
            ctx: Rc::clone(ctx),
            version,
        };
        lua.create_userdata(snapshot)
            .and_then(|snapshot| {
                lua.exec_raw_lua(|raw| {
                    let current = raw.state();
                    if ffi::lua_checkstack(current, 1) == 0 {
                        return Err(mlua::Error::StackError);
                    }
                    raw.push(snapshot)?;
                    ffi::lua_xmove(current, state, 1);
                    Ok(())
                })
            })
            .is_ok()
    }
}
