//! Embeds the registry module: `../dist/registry.wasm` (built by `scripts/build-wasm.sh`), or the
//! file named by `REGISTRY_WASM`. Exports its path and SHA-256 to the crate as
//! `REGISTRY_WASM_PATH` and `REGISTRY_WASM_SHA256`, so the binary never hashes it at start-up.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo::rerun-if-env-changed=REGISTRY_WASM");
    let path = match std::env::var_os("REGISTRY_WASM") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist/registry.wasm"),
    };
    println!("cargo::rerun-if-changed={}", path.display());
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            println!(
                "cargo::error=cannot read the registry module {}: {error}; run scripts/build-wasm.sh \
                 first (or set REGISTRY_WASM to a built registry.wasm)",
                path.display()
            );
            return;
        }
    };
    // include_bytes! resolves relative paths against the source file, so pass an absolute one.
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let sha256: String = Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    println!("cargo::rustc-env=REGISTRY_WASM_PATH={}", path.display());
    println!("cargo::rustc-env=REGISTRY_WASM_SHA256={sha256}");
}
