//! `find` for the module (at head) and for snapshots.

use mlua::{Lua, Table, Value as LuaValue};

use super::binding::{Args, Call, convert_or_error};
use super::context::entries_table;
use super::convert::{lua_type_name, to_value};
use crate::criteria::Criteria;
use crate::error::{Error, ErrorKind, Result};
use crate::history::Version;

/// `entries, nil` for the criteria in argument 1, or `nil, message` for unusable criteria.
pub(crate) fn find_in(lua: &Lua, args: &Args, version: &Version) -> Call {
    let criteria = parse_criteria(args.table(1)?);
    let found = criteria.map(|criteria| version.state().find(&criteria));
    convert_or_error(lua, found, |entries| entries_table(lua, entries.iter()))
}

fn parse_criteria(table: &Table) -> Result<Criteria> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidCriteria, message);
    let mut pairs = Vec::new();
    for pair in table.pairs::<LuaValue, LuaValue>() {
        let (key, expected) = pair.map_err(|e| invalid(e.to_string()))?;
        let LuaValue::String(key) = key else {
            return Err(invalid(format!(
                "criteria keys must be strings such as \".kind\" or \"meta.env\", got a {} key",
                lua_type_name(&key)
            )));
        };
        let key = key.to_string_lossy();
        let expected = to_value(&expected, &format!("criterion {key}"))?;
        pairs.push((key, expected));
    }
    // Table order is arbitrary: sort so that the first error reported is always the same one.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Criteria::parse(pairs)
}
