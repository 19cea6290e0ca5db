//! The checkpoint of 100,000 spec-shaped entries: its size, and the time to encode and decode it,
//! in this build's format and in format 1 (entries as JSON strings), which it still reads. Not a
//! criterion benchmark: it prints figures (each the fastest of five, this thread's CPU time).
//!
//! `cargo bench -p registry-core --bench checkpoint`

mod common;

use std::time::Duration;

use registry_core::{CHECKPOINT_MAGIC, State, decode_checkpoint, encode_checkpoint};

use common::{ENTRIES, cpu_now};

/// The fastest of five runs of `work`, and its last result.
fn fastest<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..5 {
        let start = cpu_now();
        let value = work();
        best = best.min(cpu_now() - start);
        result = Some(value);
    }
    (best, result.expect("ran"))
}

/// Format 1 as the previous build wrote it: postcard of the version and each entry's JSON.
fn encode_format_1(version: u64, state: &State) -> Vec<u8> {
    let entries: Vec<String> = state
        .entries()
        .map(|entry| serde_json::to_string(entry).expect("JSON"))
        .collect();
    let mut bytes = CHECKPOINT_MAGIC.to_vec();
    bytes.extend_from_slice(&1_u32.to_le_bytes());
    bytes.extend(postcard::to_allocvec(&(version, entries)).expect("postcard"));
    bytes
}

fn main() {
    let registry = common::registry_with(ENTRIES);
    let state = registry.head().state().expect("built");
    println!("checkpoint of {ENTRIES} spec-shaped entries (fastest of 5, CPU time)");
    let formats: [(&str, &dyn Fn() -> Vec<u8>); 2] = [
        ("format 1 (JSON strings)", &|| encode_format_1(1, state)),
        ("format 2 (binary entries)", &|| encode_checkpoint(1, state)),
    ];
    for (name, encode) in formats {
        let (encoding, bytes) = fastest(encode);
        let (decoding, decoded) = fastest(|| decode_checkpoint(&bytes).expect("decodes"));
        assert_eq!(decoded.1.len(), ENTRIES);
        println!(
            "  {name:<26} {:>10} bytes ({} B/entry)  encode {:>7.1} ms  decode {:>7.1} ms",
            bytes.len(),
            bytes.len() / ENTRIES,
            encoding.as_secs_f64() * 1e3,
            decoding.as_secs_f64() * 1e3
        );
    }
}
