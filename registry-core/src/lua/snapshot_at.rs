//! `registry.snapshot_at` as a Luau C function. Its common call, a number that names a version,
//! makes the snapshot here and returns it with nil, without mlua's callback (argument and result
//! values, a protected call) and the Lua wrapper, which cost more than the snapshot itself. Every
//! other call (a version object, the module as argument 1, a number that names no version, any
//! other value) goes to the same Rust function as before, whose messages and errors this raises
//! as the wrapper does.
#![expect(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::rc::Rc;

use mlua::{Function, Lua, ffi};

use super::binding::{call_raising, raise_marker};
use super::context::Context;
use super::objects::SnapshotObject;

/// Upvalue 1: the context, in a userdata that drops it with the function; 2: the raw function of
/// the full call ([`super::binding::raw_function`]); 3: the raise marker.
const CONTEXT: c_int = ffi::lua_upvalueindex(1);
const FULL: c_int = ffi::lua_upvalueindex(2);
const RAISE: c_int = ffi::lua_upvalueindex(3);

/// Calls with more arguments (all but the first are ignored) take the full path: this bounds the
/// stack used, so that growing it cannot fail.
const MAX_ARGS: c_int = 16;

/// `registry.snapshot_at` over `full`, the raw function of the full call.
pub(crate) fn function(lua: &Lua, ctx: &Rc<Context>, full: Function) -> mlua::Result<Function> {
    let ctx = Rc::clone(ctx);
    // SAFETY: exec_raw pushed its two arguments (upvalues 2 and 3); the userdata goes below
    // them, and lua_pushcclosurek pops the three and pushes the closure, the one result. The
    // userdata's memory is sized and aligned for `Rc<Context>` (Luau aligns userdata for any
    // type) and written before anything can collect it.
    unsafe {
        lua.exec_raw((full, raise_marker(lua)?), move |state| {
            let memory = ffi::lua_newuserdatadtor(state, size_of::<Rc<Context>>(), drop_context);
            memory.cast::<Rc<Context>>().write(ctx);
            ffi::lua_insert(state, -3);
            ffi::lua_pushcclosurek(state, snapshot_at, c"snapshot_at".as_ptr(), 3, None);
        })
    }
}

unsafe extern "C" fn drop_context(_: *mut ffi::lua_State, memory: *mut c_void) {
    // SAFETY: Luau calls this once, when it frees the userdata that `function` wrote.
    unsafe { memory.cast::<Rc<Context>>().drop_in_place() }
}

unsafe extern "C-unwind" fn snapshot_at(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this with the arguments on the stack and the upvalues `function` set;
    // `push_snapshot` has returned (dropping its Rust values) before `call_raising` may raise.
    unsafe {
        if push_snapshot(state) {
            return 2;
        }
        call_raising(state, FULL, RAISE)
    }
}

/// Pushes the snapshot and nil when argument 1 is a number that names a version (and the memory
/// limit holds after making it); otherwise pushes nothing and returns false.
///
/// # Safety
/// `state` is running [`snapshot_at`].
unsafe fn push_snapshot(state: *mut ffi::lua_State) -> bool {
    // SAFETY: as the caller promises. The memory limit is lifted while the snapshot is made (as
    // the full path lifts it); at most MAX_ARGS + 2 slots of this function's stack are used, and
    // mlua's current thread is given the one slot its push needs.
    unsafe {
        let args = ffi::lua_gettop(state);
        if args > MAX_ARGS || ffi::lua_type(state, 1) != ffi::LUA_TNUMBER {
            return false;
        }
        let ctx = &*ffi::lua_touserdata(state, CONTEXT).cast::<Rc<Context>>();
        let Ok(version) = ctx.version_numbered(ffi::lua_tonumber(state, 1)) else {
            return false;
        };
        let lua = Lua::get_or_init_from_ptr(state);
        let Ok(limit) = lua.set_memory_limit(0) else {
            return false;
        };
        let snapshot = SnapshotObject {
            ctx: Rc::clone(ctx),
            version,
        };
        let pushed = lua.create_userdata(snapshot).and_then(|snapshot| {
            lua.exec_raw_lua(|raw| {
                let current = raw.state();
                if ffi::lua_checkstack(current, 1) == 0 {
                    return Err(mlua::Error::StackError);
                }
                raw.push(snapshot)?;
                ffi::lua_xmove(current, state, 1);
                Ok(())
            })
        });
        let within_limit =
            lua.set_memory_limit(limit).is_ok() && (limit == 0 || lua.used_memory() <= limit);
        if pushed.is_err() || !within_limit {
            // Over the limit: the full path makes it again and fails as it always has.
            ffi::lua_settop(state, args);
            return false;
        }
        ffi::lua_pushnil(state);
        true
    }
}
