//! What the runner needs of Luau's C API that mlua does not offer: the script's view of
//! `coroutine.yield` and `coroutine.isyieldable`, and reading a coroutine's status and frames.
#![expect(unsafe_code)]

use mlua::{Function, Lua, Table, Thread, ffi};
use std::ffi::{CStr, c_int};

use super::interrupt;

/// Luau's message for a yield where the thread cannot yield.
const UNYIELDABLE: &CStr = c"attempt to yield across metamethod/C-call boundary";

/// Makes `coroutine.yield` and `coroutine.isyieldable` (in `coroutine`, Luau's library) treat
/// the script's main thread as unyieldable, as a function called from Rust or C is: a yield
/// there fails with Luau's own message, and `isyieldable` says false. The runner runs the script
/// as a coroutine's body, which Luau lets yield, so that the interrupt can yield it to re-enter
/// the interpreter (`interrupt.rs`); to the script nothing changes. Other threads are untouched.
pub(crate) fn hide_script_yield(lua: &Lua, coroutine: &Table) -> mlua::Result<()> {
    // SAFETY: both functions follow the Lua C API; each is left on the stack as exec_raw's result.
    let (script_yield, script_isyieldable) = unsafe {
        (
            lua.exec_raw::<Function>((), |state| {
                ffi::lua_pushcclosurek(state, script_yield, c"yield".as_ptr(), 0, None);
            })?,
            lua.exec_raw::<Function>((), |state| {
                ffi::lua_pushcclosurek(state, script_isyieldable, c"isyieldable".as_ptr(), 0, None);
            })?,
        )
    };
    coroutine.raw_set("yield", script_yield)?;
    coroutine.raw_set("isyieldable", script_isyieldable)
}

unsafe extern "C-unwind" fn script_yield(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this with the values to yield on the stack.
    unsafe {
        if interrupt::is_script_thread(state) {
            ffi::lua_pushstring(state, UNYIELDABLE.as_ptr());
            ffi::lua_error(state);
        }
        ffi::lua_yield(state, ffi::lua_gettop(state))
    }
}

unsafe extern "C-unwind" fn script_isyieldable(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this as a C function; it pushes one value.
    unsafe {
        let yieldable = !interrupt::is_script_thread(state) && ffi::lua_isyieldable(state) != 0;
        ffi::lua_pushboolean(state, c_int::from(yieldable));
        1
    }
}

/// Whether the coroutine is suspended in a yield.
pub(crate) fn yielded(coroutine: &Thread) -> bool {
    // SAFETY: `coroutine` holds the thread alive; lua_status only reads its status.
    unsafe { ffi::lua_status(coroutine.state()) == ffi::LUA_YIELD }
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
