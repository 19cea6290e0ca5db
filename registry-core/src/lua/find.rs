//! `find` for the module (at head) and for snapshots.

use mlua::{Lua, Table, Value as LuaValue};

use super::binding::{Args, Call, convert_or_error};
use super::convert::{lua_type_name, to_value};
use super::runner::time_limit;
use super::tables::entries_table;
use crate::criteria::Criteria;
use crate::error::{Error, ErrorKind, Result};
use crate::history::Version;

/// `entries, nil` for the criteria in argument 1, or `nil, message` for unusable criteria.
pub(crate) fn find_in(lua: &Lua, args: &Args, version: &Version) -> Call {
    let criteria = parse_criteria(args.table(1)?);
    let state = version.state().map_err(|e| args.invalid(e))?;
    // A long search stops at the run's time limit, as a loop in the script would.
    let found = match criteria {
        Ok(criteria) => Ok(state.find_checked(&criteria, time_limit(lua))?),
        Err(error) => Err(error),
    };
    convert_or_error(lua, found, |entries| entries_table(lua, entries.iter()))
}

fn parse_criteria(table: &Table) -> Result<Criteria> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidCriteria, message);
    let mut keyed = Vec::new();
    let mut other_keys = Vec::new();
    for pair in table.pairs::<LuaValue, LuaValue>() {
        let (key, expected) = pair.map_err(|e| invalid(e.to_string()))?;
        match key {
            LuaValue::String(key) => keyed.push((key.to_string_lossy(), expected)),
            other => other_keys.push(lua_type_name(&other)),
        }
    }
    // Table order is arbitrary: everything is checked in a fixed order, so that the error
    // reported is the same in every run.
    if let Some(key_type) = other_keys.into_iter().min() {
        return Err(invalid(format!(
            "criteria keys must be strings such as \".kind\" or \"meta.env\", got a {key_type} key"
        )));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let pairs = keyed
        .into_iter()
        .map(|(key, expected)| {
            let expected = to_value(&expected, &format!("criterion {key}"))?;
            Ok((key, expected))
        })
        .collect::<Result<Vec<_>>>()?;
    Criteria::parse(pairs)
}
