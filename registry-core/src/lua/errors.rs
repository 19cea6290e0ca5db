//! Error objects, as registry functions return them (`nil, err`), and the `errors` constants.
//!
//! Scripts written for the original runtime call `err:kind()` and `err:retryable()`; scripts that
//! treat errors as strings use `tostring`, `..`, `string.format` and string methods. An error
//! object serves both: every string method called on it acts on its message, and
//! `string.format` formats it as its message.

use mlua::{Function, Lua, MetaMethod, Table, UserData, UserDataFields, UserDataMethods};
use mlua::{IntoLua, Value as LuaValue};

use super::binding::{Args, Call, Results, methods, returns};
use super::chunks;
use super::format;
use super::tables::from_value;
use crate::error::{Error, SCRIPT_ERROR_KINDS};
use crate::value::{Map, Value};

/// A returned error: the kind scripts compare with `errors.*`, the message, the details.
#[derive(Clone, Debug)]
pub(crate) struct ErrorObject {
    kind: &'static str,
    message: String,
    details: Option<Map>,
}

impl From<Error> for ErrorObject {
    fn from(error: Error) -> Self {
        Self {
            kind: error.kind().script_kind(),
            details: error.details(),
            message: error.message().to_owned(),
        }
    }
}

impl ErrorObject {
    /// `{"kind": ..., "message": ..., "details": ...}`, as front ends show a returned error.
    pub(crate) fn to_value(&self) -> Value {
        let details = self.details.clone().map_or(Value::Null, Value::Object);
        Value::Object(
            [
                ("details", details),
                ("kind", Value::string(self.kind)),
                ("message", Value::string(&self.message)),
            ]
            .into_iter()
            .collect(),
        )
    }
}

const META_KEY: &str = "registry.error_meta";

/// Builds the error metatable's functions and `string.format` (before the sandbox seals the
/// standard libraries), and returns the read-only `errors` table.
pub(crate) fn install(lua: &Lua) -> mlua::Result<Table> {
    let error_methods = methods(
        lua,
        &[
            ("kind", Results::One, error_kind),
            ("retryable", Results::One, error_retryable),
            ("message", Results::One, error_message),
            ("details", Results::One, error_details),
        ],
    )?;
    let message_of = lua.create_function(|_, value: LuaValue| {
        Ok(match value {
            LuaValue::UserData(ud) => ud.borrow::<ErrorObject>().ok().map(|e| e.message.clone()),
            _ => None,
        })
    })?;
    let string_library: Table = lua.globals().get("string")?;
    // `__index` (the error's methods, then every string method applied to the message) and
    // `__concat` (the message on either side), in Lua (`chunks/error_meta.lua`) so that Lua's
    // own errors apply to bad operands.
    let meta: Table =
        chunks::load(lua, chunks::ERROR_META).call((error_methods, message_of, &string_library))?;
    let format = format::with_messages(
        lua,
        string_library.raw_get("format")?,
        meta.raw_get("messages")?,
    )?;
    string_library.raw_set("format", format)?;
    lua.set_named_registry_value(META_KEY, meta)?;

    let constants = lua.create_table_with_capacity(0, SCRIPT_ERROR_KINDS.len())?;
    for kind in SCRIPT_ERROR_KINDS {
        constants.raw_set(kind, kind)?;
    }
    constants.set_readonly(true);
    Ok(constants)
}

fn meta_function(lua: &Lua, name: &str) -> mlua::Result<Function> {
    lua.named_registry_value::<Table>(META_KEY)?.get(name)
}

impl UserData for ErrorObject {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field_with(MetaMethod::Index.name(), |lua| meta_function(lua, "index"));
        fields.add_meta_field_with(MetaMethod::Concat.name(), |lua| {
            meta_function(lua, "concat")
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| Ok(this.message.clone()));
        methods.add_meta_method(MetaMethod::Len, |_, this, ()| Ok(this.message.len()));
    }
}

const ERROR: &str = "error";

fn error_kind(lua: &Lua, args: Args) -> Call {
    returns(lua, args.this::<ErrorObject>(ERROR)?.kind)
}

/// Only a conflict can succeed when retried: on a fresh snapshot.
fn error_retryable(lua: &Lua, args: Args) -> Call {
    returns(lua, args.this::<ErrorObject>(ERROR)?.kind == "CONFLICT")
}

fn error_message(lua: &Lua, args: Args) -> Call {
    returns(lua, args.this::<ErrorObject>(ERROR)?.message)
}

/// A fresh table each call, or nil when there is nothing to add to the message.
fn error_details(lua: &Lua, args: Args) -> Call {
    let this = args.this::<ErrorObject>(ERROR)?;
    let details = match &this.details {
        Some(map) => from_value(lua, &Value::Object(map.clone()))?,
        None => LuaValue::Nil,
    };
    returns(lua, details)
}

/// `nil, err` (or `false, err`) as a Lua value for the error slot.
pub(crate) fn error_value(lua: &Lua, error: Error) -> mlua::Result<LuaValue> {
    ErrorObject::from(error).into_lua(lua)
}
