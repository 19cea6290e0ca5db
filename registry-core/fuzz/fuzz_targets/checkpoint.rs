//! Checkpoints from untrusted bytes.
//!
//! Two kinds of input, chosen by the first byte: arbitrary bytes after the magic and format 2
//! (or, rarely, format 1, or no prefix at all) for `decode_checkpoint`; or the checkpoint of a
//! state of generated entries (any values, numbers not canonical, nested up to 3 deep) put
//! through byte mutations (flips, cuts, splices, repeated spans).
//!
//! Checks: decoding returns `Ok` or an error of kind `InvalidHistory`, never panics or
//! overflows the stack; an unmutated checkpoint decodes to its version and the same entries;
//! whatever decodes encodes again to bytes that decode to the same version and entries.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use registry_core::{
    CHECKPOINT_MAGIC, Entry, EntryId, ErrorKind, State, decode_checkpoint, encode_checkpoint,
};
use registry_core_fuzz::{any_map, any_value, string};

fn entries(state: &State) -> Vec<Entry> {
    state.entries().map(|entry| (**entry).clone()).collect()
}

/// A state of up to 8 generated entries (ids that may repeat are skipped).
fn state(u: &mut Unstructured) -> Result<State> {
    let mut list: Vec<Entry> = Vec::new();
    for _ in 0..u.int_in_range(0..=8)? {
        let Ok(id) = EntryId::from_parts(&string(u)?, &string(u)?) else {
            continue;
        };
        if list.iter().any(|entry| entry.id == id) {
            continue;
        }
        if let Ok(entry) = Entry::new(id, &string(u)?, any_map(u, 3)?, any_value(u, 3)?) {
            list.push(entry);
        }
    }
    Ok(State::from_entries("generated", list).expect("ids are distinct"))
}

fn mutate(u: &mut Unstructured, bytes: &mut Vec<u8>) -> Result<()> {
    for _ in 0..u.int_in_range(0..=3)? {
        if bytes.is_empty() {
            return Ok(());
        }
        let at = u.choose_index(bytes.len())?;
        match u.int_in_range(0..=3)? {
            0 => bytes[at] ^= 1 << u.int_in_range(0..=7)?,
            1 => bytes.truncate(at),
            2 => bytes[at] = u8::arbitrary(u)?,
            _ => {
                let end = u.int_in_range(at..=bytes.len())?;
                let span = bytes[at..end].to_vec();
                let times = u.int_in_range(1..=64)?;
                for _ in 0..times {
                    bytes.splice(at..at, span.iter().copied());
                }
            }
        }
    }
    Ok(())
}

/// Decodes, checks the error kind, and that what decodes round-trips.
fn check(bytes: &[u8]) -> Option<(u64, State)> {
    match decode_checkpoint(bytes) {
        Ok((version, state)) => {
            let again = decode_checkpoint(&encode_checkpoint(version, &state))
                .expect("an encoded checkpoint decodes");
            assert_eq!(again.0, version);
            assert_eq!(entries(&again.1), entries(&state));
            Some((version, state))
        }
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::InvalidHistory, "{error}");
            None
        }
    }
}

fn run(u: &mut Unstructured) -> Result<()> {
    if u8::arbitrary(u)? % 2 == 0 {
        let mut bytes = Vec::new();
        match u.int_in_range(0..=7)? {
            0 => {}
            1 => {
                bytes.extend_from_slice(CHECKPOINT_MAGIC);
                bytes.extend_from_slice(&1_u32.to_le_bytes());
            }
            _ => {
                bytes.extend_from_slice(CHECKPOINT_MAGIC);
                bytes.extend_from_slice(&2_u32.to_le_bytes());
            }
        }
        bytes.extend_from_slice(u.bytes(u.len())?);
        check(&bytes);
        return Ok(());
    }
    let state = state(u)?;
    let version = u64::arbitrary(u)?;
    let mut bytes = encode_checkpoint(version, &state);
    if bool::arbitrary(u)? {
        let (held, decoded) = check(&bytes).expect("an unmutated checkpoint decodes");
        assert_eq!(held, version);
        assert_eq!(entries(&decoded), entries(&state));
        return Ok(());
    }
    mutate(u, &mut bytes)?;
    check(&bytes);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
