//! Checkpoints: one version's whole state in a compact, versioned binary form, so that a front
//! end that stores history can open it without replaying every version (see
//! [`crate::Registry::open`]). The format is the core's; where and how a front end keeps the
//! bytes, and the checksum that guards them, are the front end's.
//!
//! Layout: the magic `LRCP`, the format version (u32, little-endian), then postcard of the
//! version id and its entries, sorted by id. Format 2 holds each entry in the core's binary form
//! (postcard of [`Entry`], values tagged); format 1, which this build still reads, held each
//! entry's export JSON as a string.

use serde::Serialize;

use crate::entry::Entry;
use crate::error::{Error, ErrorKind, Result};
use crate::history::VersionId;
use crate::state::State;

/// The first bytes of every checkpoint.
pub const CHECKPOINT_MAGIC: &[u8; 4] = b"LRCP";
/// The checkpoint format this build writes. It reads this one and format 1.
pub const CHECKPOINT_FORMAT: u32 = 2;

#[derive(Serialize)]
struct Body<'a> {
    version: VersionId,
    entries: Vec<&'a Entry>,
}

/// The checkpoint of `state`, the state of `version`.
pub fn encode_checkpoint(version: VersionId, state: &State) -> Vec<u8> {
    let body = Body {
        version,
        entries: state.entries().map(|entry| &**entry).collect(),
    };
    let mut bytes = CHECKPOINT_MAGIC.to_vec();
    bytes.extend_from_slice(&CHECKPOINT_FORMAT.to_le_bytes());
    // Postcard into a vector fails only for what postcard cannot express (sequences of unknown
    // length, which an entry's values never are).
    bytes.extend(postcard::to_allocvec(&body).unwrap_or_default());
    bytes
}

/// Reads a checkpoint: the version it holds and its state, every entry checked as an import
/// checks it (its id, a non-empty kind, canonical numbers, nesting within bounds, no id twice).
/// Another format, or bytes that are not a checkpoint, are refused.
pub fn decode_checkpoint(bytes: &[u8]) -> Result<(VersionId, State)> {
    let rest = bytes
        .strip_prefix(CHECKPOINT_MAGIC.as_slice())
        .ok_or_else(|| invalid("not a registry checkpoint".into()))?;
    let (format, body) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| invalid("the checkpoint is cut short".into()))?;
    let read_entry = match u32::from_le_bytes(*format) {
        1 => read_json_entry,
        CHECKPOINT_FORMAT => read_binary_entry,
        other => {
            return Err(invalid(format!(
                "checkpoint format {other} is not supported (this build reads formats 1 and \
                 {CHECKPOINT_FORMAT})"
            )));
        }
    };
    let unreadable =
        |error: postcard::Error| invalid(format!("the checkpoint cannot be read: {error}"));
    let (version, body) = postcard::take_from_bytes::<VersionId>(body).map_err(unreadable)?;
    let (count, mut body) = postcard::take_from_bytes::<usize>(body).map_err(unreadable)?;
    // Read one by one, so that a bad entry is named and a hostile count allocates nothing.
    let mut entries = Vec::new();
    for position in 1..=count {
        let (entry, rest) = read_entry(body)
            .map_err(|error| invalid(format!("the checkpoint's entry {position}: {error}")))?;
        entries.push(entry);
        body = rest;
    }
    if !body.is_empty() {
        return Err(invalid(format!(
            "the checkpoint has {} bytes after its {count} entries",
            body.len()
        )));
    }
    let state =
        State::from_entries("checkpoint", entries).map_err(|error| invalid(error.to_string()))?;
    Ok((version, state))
}

/// Format 2: postcard of the entry.
fn read_binary_entry(bytes: &[u8]) -> std::result::Result<(Entry, &[u8]), String> {
    postcard::take_from_bytes::<Entry>(bytes).map_err(|error| match error {
        // Postcard keeps no message of the checks' own errors.
        postcard::Error::SerdeDeCustom => {
            "an invalid id, an empty kind, a number that cannot be stored, or values nested \
             too deep"
                .to_owned()
        }
        other => other.to_string(),
    })
}

/// Format 1: a string holding the entry's export JSON.
fn read_json_entry(bytes: &[u8]) -> std::result::Result<(Entry, &[u8]), String> {
    let (text, rest) = postcard::take_from_bytes::<&str>(bytes).map_err(|e| e.to_string())?;
    let entry = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok((entry, rest))
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidHistory, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Op, Registry};

    fn state() -> State {
        let mut registry = Registry::new(0);
        let ops: Vec<Op> = serde_json::from_value(serde_json::json!([
            {"kind": "entry.create", "entry": {"id": "svc:a", "kind": "service",
                "meta": {"env": "prod"}, "data": {"port": 8080, "ratio": 0.5, "tags": ["x"],
                "big": 18446744073709551615_u64, "nested": {"deep": [[{"k": null}]]}}}},
            {"kind": "entry.create", "entry": {"id": "cfg:b", "kind": "config"}}
        ]))
        .expect("ops");
        registry.apply(0, &ops, 1).expect("applies");
        registry.head().state().expect("loaded").clone()
    }

    fn entries(state: &State) -> Vec<Entry> {
        state.entries().map(|e| (**e).clone()).collect()
    }

    fn message(bytes: &[u8]) -> std::result::Result<(), String> {
        decode_checkpoint(bytes)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// `LRCP`, `format`, then postcard of `version` and `entries` as they are.
    fn checkpoint_of<T: Serialize>(format: u32, version: VersionId, entries: &[T]) -> Vec<u8> {
        let mut bytes = CHECKPOINT_MAGIC.to_vec();
        bytes.extend_from_slice(&format.to_le_bytes());
        bytes.extend(postcard::to_allocvec(&(version, entries)).expect("serializes"));
        bytes
    }

    #[test]
    fn a_checkpoint_round_trips_in_binary_entries() -> Result<()> {
        let state = state();
        let bytes = encode_checkpoint(7, &state);
        assert_eq!(&bytes[..8], b"LRCP\x02\x00\x00\x00");
        assert!(
            !bytes.windows(7).any(|w| w == b"\"port\""),
            "no JSON inside"
        );
        let (version, decoded) = decode_checkpoint(&bytes)?;
        assert_eq!(version, 7);
        assert_eq!(entries(&decoded), entries(&state));
        assert!(decoded.delta(&state).is_empty());
        Ok(())
    }

    #[test]
    fn format_1_is_still_read() -> Result<()> {
        let state = state();
        let json: Vec<String> = state
            .entries()
            .map(|entry| serde_json::to_string(entry).expect("JSON"))
            .collect();
        let (version, decoded) = decode_checkpoint(&checkpoint_of(1, 3, &json))?;
        assert_eq!(version, 3);
        assert_eq!(entries(&decoded), entries(&state));
        let bad = checkpoint_of(1, 3, &[r#"{"id": "nocolon", "kind": "x"}"#]);
        assert!(
            message(&bad).is_err_and(|m| m.starts_with(
                "the checkpoint's entry 1: invalid id \"nocolon\": expected namespace:name"
            )),
            "{:?}",
            message(&bad)
        );
        Ok(())
    }

    #[test]
    fn other_bytes_and_formats_are_refused() {
        let bytes = encode_checkpoint(1, &state());
        assert_eq!(message(b"{}"), Err("not a registry checkpoint".into()));
        assert_eq!(
            message(b"LRCP\x02"),
            Err("the checkpoint is cut short".into())
        );
        let mut newer = bytes.clone();
        newer[4] = 3;
        assert_eq!(
            message(&newer),
            Err("checkpoint format 3 is not supported (this build reads formats 1 and 2)".into())
        );
        for cut in [bytes.len() - 3, 9, 8] {
            assert!(
                message(&bytes[..cut]).is_err_and(|m| m.starts_with("the checkpoint")),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            message(&longer),
            Err("the checkpoint has 1 bytes after its 2 entries".into())
        );
    }

    #[test]
    fn every_entry_is_checked_as_an_import_checks_it() {
        use crate::{Map, Value};
        fn entry(
            id: &'static str,
            kind: &'static str,
            data: Value,
        ) -> (&'static str, &'static str, Map, Value) {
            (id, kind, Map::new(), data)
        }
        let cases = [
            (
                vec![entry("nocolon", "service", Value::Null)],
                "the checkpoint's entry 1: ",
            ),
            (
                vec![entry("a:b", "", Value::Null)],
                "the checkpoint's entry 1: ",
            ),
            (
                vec![
                    entry("a:b", "k", Value::Float(2.0)),
                    entry("a:b", "k", Value::Null),
                ],
                "checkpoint[2]: duplicate id a:b",
            ),
        ];
        for (list, expected) in cases {
            let bytes = checkpoint_of(2, 1, &list);
            assert!(
                message(&bytes).is_err_and(|m| m.starts_with(expected)),
                "{list:?}: {:?}",
                message(&bytes)
            );
        }
        // A float that is integral is read as the integer a stored one always is.
        let bytes = checkpoint_of(2, 1, &[entry("a:b", "k", Value::Float(2.0))]);
        let (_, state) = decode_checkpoint(&bytes).expect("decodes");
        assert_eq!(
            state.entries().next().map(|e| e.data.clone()),
            Some(Value::Integer(2))
        );
        // A NaN, a hostile count, values nested without end.
        let nan = checkpoint_of(2, 1, &[entry("a:b", "k", Value::Float(f64::NAN))]);
        assert!(message(&nan).is_err_and(|m| m.starts_with("the checkpoint's entry 1: ")));
        let mut huge = CHECKPOINT_MAGIC.to_vec();
        huge.extend_from_slice(&2_u32.to_le_bytes());
        huge.extend([1, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(message(&huge).is_err_and(|m| m.starts_with("the checkpoint's entry 1: ")));
        let mut deep = CHECKPOINT_MAGIC.to_vec();
        deep.extend_from_slice(&2_u32.to_le_bytes());
        deep.extend([1, 1, 3, b'a', b':', b'b', 1, b'k', 0]);
        deep.extend([6, 1].repeat(100_000));
        deep.push(0);
        assert_eq!(
            message(&deep),
            Err(
                "the checkpoint's entry 1: an invalid id, an empty kind, a number that cannot \
                 be stored, or values nested too deep"
                    .into()
            )
        );
    }
}
