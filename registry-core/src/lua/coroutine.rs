//! What the runner needs of Luau's C API that mlua does not offer: a C function that runs a
//! script as a coroutine's body, and reading a failed coroutine's status and frames.
#![expect(unsafe_code)]

use std::ffi::{CStr, c_int};

use mlua::{Function, Lua, Thread, ffi};

/// A function that calls its first argument with the rest, unprotected, and returns all it
/// returns: as a coroutine's body, it runs a script that cannot yield (a C call lies between) and
/// whose error ends the coroutine with the script's frames kept.
pub(crate) fn call_unprotected(lua: &Lua) -> mlua::Result<Function> {
    // SAFETY: `call` follows the Lua C API.
    unsafe { lua.create_c_function(call) }
}

unsafe extern "C-unwind" fn call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this with the function and its arguments on the stack.
    unsafe {
        ffi::lua_call(state, ffi::lua_gettop(state) - 1, ffi::LUA_MULTRET);
        ffi::lua_gettop(state)
    }
}

/// Whether the coroutine ended with an out-of-memory error.
pub(crate) fn failed_of_memory(coroutine: &Thread) -> bool {
    // SAFETY: `coroutine` holds the thread alive; lua_status only reads its status.
    unsafe { ffi::lua_status(coroutine.state()) == ffi::LUA_ERRMEM }
}

/// The current line of the innermost function from chunk `source` (as given to Luau, `=name`)
/// on a failed coroutine's stack.
pub(crate) fn failed_line(coroutine: &Thread, source: &str) -> Option<u32> {
    let state = coroutine.state();
    (0..)
        .map_while(|level| {
            // SAFETY: `coroutine` holds the thread alive and it is not running; lua_getinfo only
            // reads its frames (allocating nothing), and `frame.source` points into the frame's
            // function, alive while the frame is.
            unsafe {
                let mut frame = std::mem::zeroed::<ffi::lua_Debug>();
                if ffi::lua_getinfo(state, level, c"sl".as_ptr(), &mut frame) == 0 {
                    return None;
                }
                let ours = !frame.source.is_null()
                    && CStr::from_ptr(frame.source).to_bytes() == source.as_bytes();
                Some(ours.then_some(frame.currentline))
            }
        })
        .flatten()
        .find_map(|line| u32::try_from(line).ok().filter(|&line| line > 0))
}
