//! `registry.get` as a Luau C function ([`super::c_function`]). Its common call, an id string
//! that names an entry at head, is answered here: the entry's table is built on the caller's
//! stack. Every other call (a table id, the module as argument 1, an unknown or malformed id, a
//! state that cannot be loaded) goes to the full Rust function.
#![expect(unsafe_code)]

use std::rc::Rc;

use mlua::{Function, Lua, ffi};

use super::c_function::{FIRST_EXTRA, FastPath, c_function};
use super::context::Context;
use super::tables::{Strings, push_entry};
use crate::entry::Entry;

/// The strings table of [`Strings`], the function's first extra upvalue.
const STRINGS: std::ffi::c_int = FIRST_EXTRA;

struct Get {
    ctx: Rc<Context>,
    strings: Rc<Strings>,
}

/// `registry.get` over `full`, the raw function of the full call.
pub(crate) fn function(lua: &Lua, ctx: &Rc<Context>, full: Function) -> mlua::Result<Function> {
    let strings = Strings::of(lua)?;
    let table = strings.table().clone();
    let get = Get {
        ctx: Rc::clone(ctx),
        strings,
    };
    c_function(lua, get, full, table)
}

impl FastPath for Get {
    const NAME: &'static std::ffi::CStr = c"get";
    type Found = Rc<Entry>;

    /// The entry, when argument 1 is an id string that names one at head.
    unsafe fn find(&self, state: *mut ffi::lua_State) -> Option<Rc<Entry>> {
        // SAFETY: the id's bytes belong to argument 1, which stays on the stack while they are read.
        unsafe {
            if ffi::lua_type(state, 1) != ffi::LUA_TSTRING {
                return None;
            }
            let mut len = 0;
            let bytes = ffi::lua_tolstring(state, 1, &mut len);
            let id =
                std::str::from_utf8(std::slice::from_raw_parts(bytes.cast::<u8>(), len)).ok()?;
            let head = self.ctx.head();
            let entry = head.state().and_then(|at_head| at_head.require_text(id));
            entry.ok().map(Rc::clone)
        }
    }

    unsafe fn push(&self, _: &Lua, state: *mut ffi::lua_State, entry: Rc<Entry>) -> bool {
        // SAFETY: as `FastPath::push` promises, which is what `push_entry` needs; the strings
        // table is upvalue STRINGS.
        unsafe { push_entry(state, STRINGS, &self.strings, &entry) };
        true
    }
}
