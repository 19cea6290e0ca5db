//! `registry.get` as a Luau C function. Its common call, an id string that names an entry at
//! head, is answered here: the entry's table is built on the caller's stack, without mlua's
//! callback (argument and result values, a protected call, registry references) and the Lua
//! wrapper, which together cost as much as the lookup and the table. Every other call (a table
//! id, the module as argument 1, an unknown or malformed id, a state that cannot be loaded) goes
//! to the same Rust function as before, whose messages and errors this raises as the wrapper does.
#![expect(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::rc::Rc;

use mlua::{Function, Lua, ffi};

use super::binding::{call_raising, raise_marker};
use super::context::Context;
use super::tables::{Strings, push_entry};

/// Upvalue 1: [`Upvalue`]; 2: the strings table of [`Strings`]; 3: the raw function of the full
/// call ([`super::binding::raw_function`]); 4: the raise marker.
const UPVALUE: c_int = ffi::lua_upvalueindex(1);
const STRINGS: c_int = ffi::lua_upvalueindex(2);
const FULL: c_int = ffi::lua_upvalueindex(3);
const RAISE: c_int = ffi::lua_upvalueindex(4);

/// Calls with more arguments (all but the first are ignored) take the full path: this bounds the
/// stack the build uses, so that growing it cannot fail.
const MAX_ARGS: c_int = 16;

/// The Rust side of the function, in a userdata that drops it with the function.
struct Upvalue {
    ctx: Rc<Context>,
    strings: Rc<Strings>,
}

/// `registry.get` over `full`, the raw function of the full call.
pub(crate) fn function(lua: &Lua, ctx: &Rc<Context>, full: Function) -> mlua::Result<Function> {
    let strings = Strings::of(lua)?;
    let upvalue = Upvalue {
        ctx: Rc::clone(ctx),
        strings: Rc::clone(&strings),
    };
    // SAFETY: exec_raw pushed its three arguments (upvalues 2 to 4); the userdata goes below
    // them, and lua_pushcclosurek pops the four and pushes the closure, the one result. The
    // userdata's memory is sized and aligned for `Upvalue` (Luau aligns userdata for any type)
    // and written before anything can collect it.
    unsafe {
        lua.exec_raw((strings.table(), full, raise_marker(lua)?), move |state| {
            let memory = ffi::lua_newuserdatadtor(state, size_of::<Upvalue>(), drop_upvalue);
            memory.cast::<Upvalue>().write(upvalue);
            ffi::lua_insert(state, -4);
            ffi::lua_pushcclosurek(state, get, c"get".as_ptr(), 4, None);
        })
    }
}

unsafe extern "C" fn drop_upvalue(_: *mut ffi::lua_State, memory: *mut c_void) {
    // SAFETY: Luau calls this once, when it frees the userdata that `function` wrote.
    unsafe { memory.cast::<Upvalue>().drop_in_place() }
}

unsafe extern "C-unwind" fn get(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this with the arguments on the stack and the upvalues `function` set;
    // `push_found` has returned (dropping its Rust values) before `call_raising` may raise.
    unsafe {
        if push_found(state) {
            return 2;
        }
        call_raising(state, FULL, RAISE)
    }
}

/// Pushes the entry and nil when argument 1 is an id string that names an entry at head (and the
/// memory limit holds after building it); otherwise pushes nothing and returns false.
///
/// # Safety
/// `state` is running [`get`].
unsafe fn push_found(state: *mut ffi::lua_State) -> bool {
    // SAFETY: as the caller promises. The id's bytes belong to argument 1, which stays on the
    // stack; nothing below raises a Lua error: the memory limit is lifted while the table is
    // built (as the full path lifts it), and the stack needed is bounded by MAX_ARGS and the
    // depth of stored values, far below what a C function may use.
    unsafe {
        let args = ffi::lua_gettop(state);
        if args > MAX_ARGS || ffi::lua_type(state, 1) != ffi::LUA_TSTRING {
            return false;
        }
        let mut len = 0;
        let bytes = ffi::lua_tolstring(state, 1, &mut len);
        let Ok(id) = std::str::from_utf8(std::slice::from_raw_parts(bytes.cast::<u8>(), len))
        else {
            return false;
        };
        let upvalue = &*ffi::lua_touserdata(state, UPVALUE).cast::<Upvalue>();
        let head = upvalue.ctx.head();
        let Ok(entry) = head.state().and_then(|at_head| at_head.require_text(id)) else {
            return false;
        };
        let lua = Lua::get_or_init_from_ptr(state);
        let Ok(limit) = lua.set_memory_limit(0) else {
            return false;
        };
        push_entry(state, STRINGS, &upvalue.strings, entry);
        if lua.set_memory_limit(limit).is_err() || (limit > 0 && lua.used_memory() > limit) {
            // Over the limit: the full path builds again and fails as it always has.
            ffi::lua_settop(state, args);
            return false;
        }
        ffi::lua_pushnil(state);
        true
    }
}
