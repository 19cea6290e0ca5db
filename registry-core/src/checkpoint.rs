//! Checkpoints: one version's whole state in a compact, versioned binary form, so that a front
//! end that stores history can open it without replaying every version (see
//! [`crate::Registry::open`]). The format is the core's; where and how a front end keeps the
//! bytes, and the checksum that guards them, are the front end's.
//!
//! Layout: the magic `LRCP`, the format version (u32, little-endian), then postcard of the
//! version id and its entries, sorted by id, each as its export JSON.

use serde::{Deserialize, Serialize};

use crate::entry::Entry;
use crate::error::{Error, ErrorKind, Result};
use crate::history::VersionId;
use crate::state::State;

/// The first bytes of every checkpoint.
pub const CHECKPOINT_MAGIC: &[u8; 4] = b"LRCP";
/// The checkpoint format this build writes and reads.
pub const CHECKPOINT_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Body {
    version: VersionId,
    entries: Vec<String>,
}

/// The checkpoint of `state`, the state of `version`.
pub fn encode_checkpoint(version: VersionId, state: &State) -> Vec<u8> {
    let body = Body {
        version,
        // An entry's values have string keys only: serializing cannot fail.
        entries: state
            .entries()
            .map(|entry| serde_json::to_string(entry).unwrap_or_default())
            .collect(),
    };
    let mut bytes = CHECKPOINT_MAGIC.to_vec();
    bytes.extend_from_slice(&CHECKPOINT_FORMAT.to_le_bytes());
    // Postcard of strings and integers into a vector cannot fail.
    bytes.extend(postcard::to_allocvec(&body).unwrap_or_default());
    bytes
}

/// Reads a checkpoint: the version it holds and its state, every entry checked as an import
/// checks it. Another format, or bytes that are not a checkpoint, are refused.
pub fn decode_checkpoint(bytes: &[u8]) -> Result<(VersionId, State)> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidHistory, message);
    let rest = bytes
        .strip_prefix(CHECKPOINT_MAGIC.as_slice())
        .ok_or_else(|| invalid("not a registry checkpoint".into()))?;
    let (format, body) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| invalid("the checkpoint is cut short".into()))?;
    let format = u32::from_le_bytes(*format);
    if format != CHECKPOINT_FORMAT {
        return Err(invalid(format!(
            "checkpoint format {format} is not supported (this build reads format \
             {CHECKPOINT_FORMAT})"
        )));
    }
    let body: Body = postcard::from_bytes(body)
        .map_err(|error| invalid(format!("the checkpoint cannot be read: {error}")))?;
    let entries = body
        .entries
        .iter()
        .enumerate()
        .map(|(position, text)| {
            serde_json::from_str::<Entry>(text).map_err(|error| {
                invalid(format!("the checkpoint's entry {}: {error}", position + 1))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let state = State::from_entries("checkpoint", entries)?;
    Ok((body.version, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Op, Registry};

    fn state() -> State {
        let mut registry = Registry::new(0);
        let ops: Vec<Op> = serde_json::from_value(serde_json::json!([
            {"kind": "entry.create", "entry": {"id": "svc:a", "kind": "service",
                "meta": {"env": "prod"}, "data": {"port": 8080, "ratio": 0.5, "tags": ["x"]}}},
            {"kind": "entry.create", "entry": {"id": "cfg:b", "kind": "config"}}
        ]))
        .expect("ops");
        registry.apply(0, &ops, 1).expect("applies");
        registry.head().state().expect("loaded").clone()
    }

    #[test]
    fn a_checkpoint_round_trips() -> Result<()> {
        let state = state();
        let bytes = encode_checkpoint(7, &state);
        let (version, decoded) = decode_checkpoint(&bytes)?;
        assert_eq!(version, 7);
        let entries = |state: &State| state.entries().map(|e| (**e).clone()).collect::<Vec<_>>();
        assert_eq!(entries(&decoded), entries(&state));
        assert!(decoded.delta(&state).is_empty());
        Ok(())
    }

    #[test]
    fn other_bytes_and_formats_are_refused() {
        let bytes = encode_checkpoint(1, &state());
        let message = |bytes: &[u8]| {
            decode_checkpoint(bytes)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(message(b"{}"), Err("not a registry checkpoint".into()));
        let mut newer = bytes.clone();
        newer[4] = 2;
        assert_eq!(
            message(&newer),
            Err("checkpoint format 2 is not supported (this build reads format 1)".into())
        );
        let cut = &bytes[..bytes.len() - 3];
        assert!(message(cut).is_err_and(|m| m.starts_with("the checkpoint ")));
    }
}
