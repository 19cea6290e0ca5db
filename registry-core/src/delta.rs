//! `build_delta`: the operations that turn one list of entries into another.

use crate::entry::{Entry, Op};
use crate::error::Result;
use crate::state::State;

/// Compares two entry lists by id: deletes first, then updates, then creates, each sorted by id
/// (see [`State::delta`]). Duplicate ids in either list are refused.
pub fn build_delta(from: Vec<Entry>, to: Vec<Entry>) -> Result<Vec<Op>> {
    build_delta_from(from, to).map(|(_, ops)| ops)
}

/// [`build_delta`], with the `from` list as a state (deletes look up the entry they delete).
pub(crate) fn build_delta_from(from: Vec<Entry>, to: Vec<Entry>) -> Result<(State, Vec<Op>)> {
    let from = State::from_entries("from", from)?;
    let to = State::from_entries("to", to)?;
    let ops = from.delta(&to);
    Ok((from, ops))
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::id::EntryId;
    use crate::value::Value;

    fn entry(id: &str, kind: &str, data: Value) -> Entry {
        Entry::new(
            EntryId::parse(id).expect("id"),
            kind,
            Default::default(),
            data,
        )
        .expect("entry")
    }

    fn summary(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|op| format!("{} {}", op.kind_name(), op.id()))
            .collect()
    }

    #[test]
    fn orders_deletes_updates_creates_by_id() -> Result<()> {
        let from = vec![
            entry("b:x", "k", value!(1)),
            entry("a:x", "k", value!(1)),
            entry("c:x", "k", value!(1)),
        ];
        let to = vec![
            entry("z:new", "k", value!(1)),
            entry("c:x", "k", value!(2)),
            entry("a:new", "k", value!(1)),
        ];
        assert_eq!(
            summary(&build_delta(from, to)?),
            [
                "entry.delete a:x",
                "entry.delete b:x",
                "entry.update c:x",
                "entry.create a:new",
                "entry.create z:new"
            ]
        );
        Ok(())
    }

    #[test]
    fn kind_change_is_delete_then_create() -> Result<()> {
        let ops = build_delta(
            vec![entry("a:x", "service", value!(1))],
            vec![entry("a:x", "config", value!(1))],
        )?;
        assert_eq!(summary(&ops), ["entry.delete a:x", "entry.create a:x"]);
        Ok(())
    }

    #[test]
    fn equal_lists_give_no_ops() -> Result<()> {
        let list = vec![entry("a:x", "k", value!({"b": [1, 2], "a": 3}))];
        let reordered = vec![entry("a:x", "k", value!({"a": 3, "b": [1, 2]}))];
        assert!(build_delta(list, reordered)?.is_empty());
        Ok(())
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let err = build_delta(
            vec![],
            vec![
                entry("a:x", "k", Value::Null),
                entry("a:x", "k", Value::Null),
            ],
        );
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("to[2]: duplicate id a:x".into())
        );
    }
}
