//! Registry functions as Luau C functions. mlua's callback (argument and result values, a
//! protected call) and the Lua wrapper of `binding.rs` cost more than a cheap call itself, so a
//! function's common call is answered by a C function over a Rust value, its [`FastPath`], and
//! every other call (a wrong argument, an error, the memory limit reached) goes to the function's
//! full Rust implementation through [`call_raising`], so its results, messages and errors are
//! those of the wrapped function.
#![expect(unsafe_code)]

use std::ffi::{CStr, c_int, c_void};

use mlua::{Function, IntoLuaMulti, Lua, ffi};

use super::binding::raise_marker;

/// Upvalue 1: the [`FastPath`] value, in a userdata that drops it with the function; 2: the raw
/// function of the full call ([`super::binding::raw_function`]); 3: the raise marker.
const FAST: c_int = ffi::lua_upvalueindex(1);
const FULL: c_int = ffi::lua_upvalueindex(2);
const RAISE: c_int = ffi::lua_upvalueindex(3);

/// The first of the upvalues a caller of [`c_function`] adds.
pub(crate) const FIRST_EXTRA: c_int = ffi::lua_upvalueindex(4);

/// Calls with more arguments take the full path: this bounds the stack a fast path may use
/// (a C function's `LUA_MINSTACK` slots beyond its arguments), so that growing it cannot fail.
const MAX_ARGS: c_int = 16;

/// Luau aligns a userdata's memory for any of its basic types (`LUAI_USER_ALIGNMENT_T`).
const USERDATA_ALIGN: usize = 8;

/// The common call of a function that returns `value, nil` ([`super::binding::Results::Two`]).
pub(crate) trait FastPath: 'static {
    /// The function's name in Luau's debug information.
    const NAME: &'static CStr;
    /// What a common call asks for.
    type Found;

    /// What this call asks for, if it is a common call; None sends it to the full path. Reads
    /// the call's arguments (stack indices 1 to top); allocates nothing in the VM.
    ///
    /// # Safety
    /// `state` is running the function that [`c_function`] made with this value.
    unsafe fn find(&self, state: *mut ffi::lua_State) -> Option<Self::Found>;

    /// Pushes the one result, or returns false (the full path then answers the call). Runs with
    /// the memory limit lifted, as the full path's handlers do, at most `MAX_ARGS` (16)
    /// arguments on the stack and room for three more values; must not raise a Lua error.
    ///
    /// # Safety
    /// As for [`FastPath::find`].
    unsafe fn push(&self, lua: &Lua, state: *mut ffi::lua_State, found: Self::Found) -> bool;
}

/// A C function that answers the common call with `fast` and every other call with `full`, the
/// raw function of the full call; `extras` become its upvalues from [`FIRST_EXTRA`] on.
pub(crate) fn c_function<T: FastPath>(
    lua: &Lua,
    fast: T,
    full: Function,
    extras: impl IntoLuaMulti,
) -> mlua::Result<Function> {
    const { assert!(align_of::<T>() <= USERDATA_ALIGN) };
    // SAFETY: exec_raw's function sees only its arguments (upvalues 2 on); the userdata goes
    // below them, and lua_pushcclosurek pops them all and pushes the closure, the one result.
    // The userdata's memory is sized and aligned for `T` (assert above) and written before
    // anything can collect it.
    unsafe {
        lua.exec_raw((full, raise_marker(lua)?, extras), move |state| {
            let upvalues = ffi::lua_gettop(state) + 1;
            let memory = ffi::lua_newuserdatadtor(state, size_of::<T>(), drop_fast::<T>);
            memory.cast::<T>().write(fast);
            ffi::lua_insert(state, 1);
            ffi::lua_pushcclosurek(state, call::<T>, T::NAME.as_ptr(), upvalues, None);
        })
    }
}

unsafe extern "C" fn drop_fast<T>(_: *mut ffi::lua_State, memory: *mut c_void) {
    // SAFETY: Luau calls this once, when it frees the userdata that `c_function` wrote.
    unsafe { memory.cast::<T>().drop_in_place() }
}

unsafe extern "C-unwind" fn call<T: FastPath>(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Luau calls this with the arguments on the stack and the upvalues `c_function` set;
    // `push_fast` has returned (dropping its Rust values) before `call_raising` may raise.
    unsafe {
        if push_fast::<T>(state) {
            return 2;
        }
        call_raising(state, FULL, RAISE)
    }
}

/// Pushes the fast path's result and nil; or pushes nothing and returns false when the call is
/// not a common one, or its result would exceed the memory limit (the full path then makes it
/// again and fails as it always has).
///
/// # Safety
/// `state` is running [`call::<T>`].
unsafe fn push_fast<T: FastPath>(state: *mut ffi::lua_State) -> bool {
    // SAFETY: as the caller promises; upvalue 1 holds a `T`. Nothing here raises: the memory
    // limit is lifted while the result is made, and at most MAX_ARGS + 4 slots are used.
    unsafe {
        let args = ffi::lua_gettop(state);
        if args > MAX_ARGS {
            return false;
        }
        let fast = &*ffi::lua_touserdata(state, FAST).cast::<T>();
        let Some(found) = fast.find(state) else {
            return false;
        };
        let lua = Lua::get_or_init_from_ptr(state);
        let Ok(limit) = lua.set_memory_limit(0) else {
            return false;
        };
        let pushed = fast.push(lua, state, found);
        let within_limit =
            lua.set_memory_limit(limit).is_ok() && (limit == 0 || lua.used_memory() <= limit);
        if !pushed || !within_limit {
            ffi::lua_settop(state, args);
            return false;
        }
        ffi::lua_pushnil(state);
        true
    }
}

/// The wrapper's convention in a C function that stands in for the wrapper: calls the raw
/// function at stack index `raw` with the call's arguments, then raises the message that follows
/// the raise marker (at index `raise`) at the caller's line, as the wrapper's `error(message, 2)`
/// does, or returns the two results.
///
/// # Safety
/// `state` is running a C function whose arguments are all its stack holds; `raw` and `raise`
/// are upvalue indices. No Rust value that needs dropping may be live in the caller: this may
/// raise.
unsafe fn call_raising(state: *mut ffi::lua_State, raw: c_int, raise: c_int) -> c_int {
    // SAFETY: as the caller promises; a C function has LUA_MINSTACK (20) free slots, of which
    // this uses at most three (the function, then the location and the message's copy).
    unsafe {
        let args = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, raw);
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, args, 2);
        if ffi::lua_rawequal(state, 1, raise) == 0 {
            return 2;
        }
        // Level 1 is this C function's caller, as level 2 is the Lua wrapper's.
        ffi::luaL_where(state, 1);
        ffi::lua_insert(state, -2);
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}
