//! The calling convention shared by every registry function and method.
//!
//! Rust errors raised through mlua reach scripts as userdata, so `pcall` would hand scripts an
//! error object instead of a string. Instead, each Rust function returns either its results or a
//! private marker table followed by a message to raise, and a two-line Lua wrapper
//! (`chunks/wrapper.lua`) raises it with `error(message, 2)`: scripts get a plain string
//! prefixed with their own chunk and line, like errors from Lua's own libraries. Results pass
//! through the wrapper unchanged.
//!
//! Functions whose spec gives an error return (`nil, err` or `false, err`) never raise for a bad
//! argument: they return an `INVALID` error object instead.

use mlua::{AnyUserData, Function, IntoLua, Lua, MultiValue, Table, UserData, Value as LuaValue};

use super::chunks;
use super::convert::lua_type_name;
use super::errors::error_value;
use crate::error::{Error, ErrorKind, Result};

/// Why a call did not return normally.
pub(crate) enum Failure {
    /// Raise this message as a Lua error at the caller's line (bad arguments, malformed input).
    Raise(String),
    /// Return this error (`nil, err`, or `false, err` for [`Results::Status`]): a bad argument
    /// to a function whose spec gives an error return.
    Return(Error),
    /// A failure of the VM itself (out of memory, interrupted), passed through unchanged.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Failure {
    fn from(error: mlua::Error) -> Self {
        Failure::Lua(error)
    }
}

/// What a registry function returns to the wrapper: two values (the wrapper of a
/// [`Results::One`] function passes on the first). A pair is pushed as it is; a list of results
/// would be one more allocation per call.
pub(crate) type Call = std::result::Result<(LuaValue, LuaValue), Failure>;

/// What a wrapped function hands back to scripts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Results {
    /// One value; bad arguments raise.
    One,
    /// `value, nil` or `nil, err`; bad arguments return an error.
    Two,
    /// `true, nil` or `false, err`; bad arguments return an error.
    Status,
}

const WRAPPER_KEY: &str = "registry.wrap";

/// The marker table that precedes a message to raise. Scripts never see it, and it has no
/// metatable, so `==` against it is a plain identity test.
const RAISE_KEY: &str = "registry.raise";

/// Loads the wrapper (`chunks/wrapper.lua`) and makes the raise marker, once per VM.
pub(crate) fn install(lua: &Lua) -> mlua::Result<()> {
    let wrapper = chunks::load(lua, chunks::WRAPPER).into_function()?;
    lua.set_named_registry_value(WRAPPER_KEY, wrapper)?;
    lua.set_named_registry_value(RAISE_KEY, lua.create_table()?)
}

/// A Rust handler as scripts call it.
pub(crate) type Handler = fn(&Lua, Args) -> Call;

/// Wraps a module function (or closure) in the raising convention.
pub(crate) fn function<F>(
    lua: &Lua,
    name: &'static str,
    results: Results,
    handler: F,
) -> mlua::Result<Function>
where
    F: Fn(&Lua, Args) -> Call + 'static,
{
    wrap(lua, name, results, false, handler)
}

fn wrap<F>(
    lua: &Lua,
    name: &'static str,
    results: Results,
    method: bool,
    handler: F,
) -> mlua::Result<Function>
where
    F: Fn(&Lua, Args) -> Call + 'static,
{
    let raw = raw_function(lua, name, results, method, handler)?;
    let count = match results {
        Results::One => 1,
        Results::Two | Results::Status => 2,
    };
    lua.named_registry_value::<Function>(WRAPPER_KEY)?
        .call((raw, count, raise_marker(lua)?))
}

/// The raise marker, for C functions that follow the convention (`c_function.rs`).
pub(crate) fn raise_marker(lua: &Lua) -> mlua::Result<Table> {
    lua.named_registry_value::<Table>(RAISE_KEY)
}

/// A Rust handler as the function the wrapper calls: its results as a pair, or the raise
/// marker and a message to raise.
pub(crate) fn raw_function<F>(
    lua: &Lua,
    name: &'static str,
    results: Results,
    method: bool,
    handler: F,
) -> mlua::Result<Function>
where
    F: Fn(&Lua, Args) -> Call + 'static,
{
    lua.create_function(move |lua, values: MultiValue| {
        // While a memory limit is set, mlua wraps every table and string it creates in a protected
        // call (about 90 ns each, 30 per entry table). Registry functions build many, so the limit
        // is lifted for the call and checked once after it: the call's result may overshoot the
        // limit, the script's next step cannot.
        let limit = lua.set_memory_limit(0)?;
        let args = Args {
            function: name,
            values,
            // Argument n is at index n for methods (index 0 is self), at n - 1 for functions.
            shift: usize::from(!method),
            returns_errors: results != Results::One,
        };
        let outcome = handler(lua, args);
        lua.set_memory_limit(limit)?;
        if limit > 0 && lua.used_memory() > limit {
            return Err(mlua::Error::MemoryError("not enough memory".to_owned()));
        }
        match outcome {
            Ok(results) => Ok(results),
            Err(Failure::Raise(message)) => {
                Ok((LuaValue::Table(raise_marker(lua)?), message.into_lua(lua)?))
            }
            Err(Failure::Return(error)) => {
                let failed = match results {
                    Results::Status => LuaValue::Boolean(false),
                    Results::One | Results::Two => LuaValue::Nil,
                };
                Ok((failed, error_value(lua, error)?))
            }
            Err(Failure::Lua(error)) => Err(error),
        }
    })
}

/// A table of wrapped methods, used as a userdata type's `__index`.
pub(crate) fn methods(
    lua: &Lua,
    methods: &[(&'static str, Results, Handler)],
) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, methods.len())?;
    for &(name, results, handler) in methods {
        table.raw_set(name, wrap(lua, name, results, true, handler)?)?;
    }
    table.set_readonly(true);
    Ok(table)
}

/// One result (`value, nil` where the function returns two).
pub(crate) fn returns(lua: &Lua, value: impl IntoLua) -> Call {
    Ok((value.into_lua(lua)?, LuaValue::Nil))
}

/// `value, nil` on success, `nil, err` on failure.
pub(crate) fn value_or_error<T: IntoLua>(lua: &Lua, result: Result<T>) -> Call {
    match result {
        Ok(value) => returns(lua, value),
        Err(error) => Ok((LuaValue::Nil, error_value(lua, error)?)),
    }
}

/// [`value_or_error`] for a result that still needs converting into a Lua value.
pub(crate) fn convert_or_error<T, R: IntoLua>(
    lua: &Lua,
    result: Result<T>,
    convert: impl FnOnce(T) -> mlua::Result<R>,
) -> Call {
    match result {
        Ok(value) => value_or_error(lua, Ok(convert(value)?)),
        Err(error) => value_or_error::<LuaValue>(lua, Err(error)),
    }
}

/// The arguments of one call, with checks that raise Lua-style messages.
pub(crate) struct Args {
    function: &'static str,
    values: MultiValue,
    /// How far argument n is from index n in `values`: 0 for methods, 1 for functions (no self).
    shift: usize,
    /// Whether bad arguments are returned as errors rather than raised.
    returns_errors: bool,
}

impl Args {
    /// Argument `n`, counted from 1 as scripts count it (for methods, after self).
    pub(crate) fn get(&self, n: usize) -> &LuaValue {
        self.given(n).unwrap_or(&LuaValue::Nil)
    }

    /// Argument `n` (0 is self), if the call passed one.
    fn given(&self, n: usize) -> Option<&LuaValue> {
        self.values.get(n.checked_sub(self.shift)?)
    }

    /// `bad argument #n to 'name' (expected expected, got type)`.
    pub(crate) fn bad(&self, n: usize, expected: &str) -> Failure {
        let got = self.given(n).map_or("no value", lua_type_name);
        self.refuse(format!(
            "bad argument #{n} to '{}' ({expected} expected, got {got})",
            self.function
        ))
    }

    /// Refuses the call: raised, or returned as an `INVALID` error where the function has an
    /// error return.
    pub(crate) fn refuse(&self, message: String) -> Failure {
        if self.returns_errors {
            Failure::Return(Error::new(ErrorKind::InvalidArgument, message))
        } else {
            Failure::Raise(message)
        }
    }

    /// Raises `function: message`, for well-typed arguments with a bad value.
    pub(crate) fn invalid(&self, message: impl std::fmt::Display) -> Failure {
        Failure::Raise(format!("{}: {message}", self.function))
    }

    /// Argument `n`, which must be a table.
    pub(crate) fn table(&self, n: usize) -> std::result::Result<&Table, Failure> {
        match self.get(n) {
            LuaValue::Table(table) => Ok(table),
            _ => Err(self.bad(n, "table")),
        }
    }

    /// Argument `n`, which must be an id: a string, or a table `{ns = ..., name = ...}`.
    pub(crate) fn id(&self, n: usize) -> std::result::Result<&LuaValue, Failure> {
        match self.get(n) {
            value @ (LuaValue::String(_) | LuaValue::Table(_)) => Ok(value),
            _ => Err(self.bad(n, "string")),
        }
    }

    /// Argument `n`, which must be a valid UTF-8 string (nothing is silently replaced).
    pub(crate) fn string(&self, n: usize) -> std::result::Result<String, Failure> {
        match self.get(n) {
            LuaValue::String(s) => match s.to_str() {
                Ok(text) => Ok(text.to_owned()),
                Err(_) => Err(self.refuse(format!(
                    "bad argument #{n} to '{}' (string is not valid UTF-8)",
                    self.function
                ))),
            },
            _ => Err(self.bad(n, "string")),
        }
    }

    /// The receiver of a method call (argument 0), which must be a `T`.
    pub(crate) fn this<T: UserData + Clone + 'static>(
        &self,
        what: &str,
    ) -> std::result::Result<T, Failure> {
        let receiver = match self.given(0) {
            Some(LuaValue::UserData(ud)) => userdata_clone::<T>(ud),
            _ => None,
        };
        receiver.ok_or_else(|| {
            Failure::Raise(format!(
                "calling '{0}' on bad self ({what} expected; call it as {what}:{0}(...))",
                self.function
            ))
        })
    }

    /// Argument `n` as userdata of type `T`, if it is one.
    pub(crate) fn userdata<T: 'static + Clone>(&self, n: usize) -> Option<T> {
        match self.get(n) {
            LuaValue::UserData(ud) => userdata_clone::<T>(ud),
            _ => None,
        }
    }
}

fn userdata_clone<T: 'static + Clone>(ud: &AnyUserData) -> Option<T> {
    ud.borrow::<T>().ok().map(|this| this.clone())
}
