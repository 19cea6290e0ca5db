//! Scripts' `string.format`: Luau's own, called directly from a C function once error objects
//! among the arguments are replaced by their messages (Luau's `%s` takes strings only). Called
//! directly, Luau's format reports its errors at the script's line and as `'format'`; a Lua
//! wrapper needed a `pcall` for that, which doubled the cost of every call.
#![expect(unsafe_code)]

use std::ffi::c_int;

use mlua::{Function, Lua, ffi};

/// Upvalue 1: Luau's `string.format`; upvalue 2: a Lua function returning its arguments with
/// error objects replaced by their messages.
const FORMAT: c_int = ffi::lua_upvalueindex(1);
const MESSAGES: c_int = ffi::lua_upvalueindex(2);

/// `string.format` for scripts, over Luau's `format` and the `messages` replacement.
pub(crate) fn with_messages(
    lua: &Lua,
    format: Function,
    messages: Function,
) -> mlua::Result<Function> {
    // SAFETY: the two upvalues are the arguments exec_raw pushed, on top of the stack;
    // lua_pushcclosurek pops them and pushes the closure, the one result.
    unsafe {
        lua.exec_raw((format, messages), |state| {
            ffi::lua_pushcclosurek(state, format_with_messages, c"format".as_ptr(), 2, None);
        })
    }
}

unsafe extern "C-unwind" fn format_with_messages(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this with the pattern and arguments on the stack and the two upvalues
    // set by `with_messages`; a C function has LUA_MINSTACK (20) free slots for the one pushed.
    unsafe {
        let top = ffi::lua_gettop(state);
        if (2..=top).any(|index| ffi::lua_type(state, index) == ffi::LUA_TUSERDATA) {
            ffi::lua_pushvalue(state, MESSAGES);
            ffi::lua_insert(state, 2);
            ffi::lua_call(state, top - 1, top - 1);
        }
        match ffi::lua_tocfunction(state, FORMAT) {
            // Run in this call's frame: its errors name the script's line, as a direct call's do.
            Some(format) => format(state),
            None => {
                ffi::lua_pushstring(state, c"string.format is not Luau's".as_ptr());
                ffi::lua_error(state)
            }
        }
    }
}
