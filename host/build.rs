//! Embeds the registry module: `../dist/registry.wasm` (built by `scripts/build-wasm.sh`), or the
//! file named by `REGISTRY_WASM`. Exports its path and SHA-256 to the crate as
//! `REGISTRY_WASM_PATH` and `REGISTRY_WASM_SHA256` (so the binary never hashes it at start-up),
//! and sets `cfg(embedded_module)`.
//!
//! Without a module (a fresh clone, before `scripts/build-wasm.sh` has run) the crate still builds,
//! so `cargo check --workspace` and rust-analyzer work; that binary embeds nothing and refuses to
//! run without `--module PATH`, and a warning here says so. Its tests fail with that message.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo::rerun-if-env-changed=REGISTRY_WASM");
    println!("cargo::rustc-check-cfg=cfg(embedded_module)");
    let (path, named) = match std::env::var_os("REGISTRY_WASM") {
        Some(path) => (PathBuf::from(path), true),
        None => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist/registry.wasm"),
            false,
        ),
    };
    println!("cargo::rerun-if-changed={}", path.display());
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if named => {
            println!(
                "cargo::error=cannot read the registry module {} (REGISTRY_WASM): {error}",
                path.display()
            );
            return;
        }
        Err(error) => {
            println!(
                "cargo::warning=no registry module to embed ({}: {error}): this registry-host \
                 runs only with --module PATH; run scripts/build-wasm.sh to embed one",
                path.display()
            );
            return;
        }
    };
    // include_bytes! resolves relative paths against the source file, so pass an absolute one.
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    println!("cargo::rustc-cfg=embedded_module");
    println!("cargo::rustc-env=REGISTRY_WASM_PATH={}", path.display());
    println!(
        "cargo::rustc-env=REGISTRY_WASM_SHA256={}",
        hex::encode(Sha256::digest(&bytes))
    );
}
