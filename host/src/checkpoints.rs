//! When the host writes checkpoints (registry-core's `encode_checkpoint`), kept in the store
//! beside the versions so that opening a store replays few operations.
//!
//! A version gets a checkpoint when building its state from the nearest checkpoint on its way
//! from v0 (v0's empty state being known) replays at least [`CHECKPOINT_AFTER_OPS`] operations,
//! or as many as the state holds entries if that is more. Replaying then costs about what
//! decoding a checkpoint costs, at most, and each checkpoint (about as large as its entries) is
//! paid for by at least as many stored operations: all checkpoints together stay within a
//! small multiple of the operations' size. Older checkpoints stay, so every version, not only
//! head's latest, is built from a checkpoint near it.

use std::collections::HashSet;

use anyhow::{Result, anyhow};
use registry_core::{Registry, Version, VersionId, encode_checkpoint};

/// The fewest operations replayed that make a checkpoint due (see the module's docs).
pub const CHECKPOINT_AFTER_OPS: usize = 10_000;

/// Whether a state of `entries` entries reached by replaying `replayed` operations gets a
/// checkpoint.
fn due(replayed: usize, entries: usize) -> bool {
    replayed >= CHECKPOINT_AFTER_OPS.max(entries)
}

fn encode(version: &Version) -> Result<(VersionId, Vec<u8>)> {
    let state = version
        .state()
        .map_err(|error| anyhow!("cannot build the checkpoint of {version}: {error}"))?;
    Ok((version.id(), encode_checkpoint(version.id(), state)))
}

/// The checkpoint of `history`'s head, when one is due given the stored `checkpoints`.
pub fn for_head(
    history: &Registry,
    checkpoints: &[VersionId],
) -> Result<Option<(VersionId, Vec<u8>)>> {
    let head = history.head();
    let mut replayed = 0;
    let mut at = Some(head.id());
    while let Some(id) = at.filter(|id| !checkpoints.contains(id)) {
        let version = history.version(id)?;
        replayed += version.op_count();
        at = version.parent();
    }
    // The state is built only when the operations alone may make a checkpoint due.
    if !due(replayed, 0) || !due(replayed, head.state()?.len()) {
        return Ok(None);
    }
    encode(head).map(Some)
}

/// The checkpoints of a whole history about to replace a store's (an import): those due,
/// walking the versions in order as if each had been committed by a run, and head's.
pub fn for_import(history: &Registry) -> Result<Vec<(VersionId, Vec<u8>)>> {
    let versions = history.versions();
    // Per version, the operations replayed to build it from the nearest checkpoint (or v0).
    let mut replayed = vec![0; versions.len()];
    let mut chosen = HashSet::new();
    let mut checkpoints = Vec::new();
    for version in versions.iter().skip(1) {
        let parent = version.parent().unwrap_or_default();
        let before = if chosen.contains(&parent) {
            0
        } else {
            replayed[index(parent)]
        };
        let here = before + version.op_count();
        replayed[index(version.id())] = here;
        let head = version.id() == history.head().id();
        if head || due(here, version.state()?.len()) {
            chosen.insert(version.id());
            checkpoints.push(encode(version)?);
        }
    }
    Ok(checkpoints)
}

fn index(id: VersionId) -> usize {
    usize::try_from(id).unwrap_or(usize::MAX)
}
