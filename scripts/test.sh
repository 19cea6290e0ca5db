#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, dependency checks, native
# unit/property/conformance tests, the module in headless Chromium, and the wasmtime host.
# Installs what it needs first (idempotent: what is already there is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
./scripts/install-toolchain.sh

step "the module (dist/registry.wasm)"
./scripts/build-wasm.sh

step "format (Rust; TypeScript and JavaScript with Prettier)"
cargo fmt --all --check
(cd playground && npm run --silent format:check)

step "lints (native, then the module's crate for wasm32)"
cargo clippy --workspace --all-targets --locked -- -D warnings
./scripts/clippy-wasm.sh

step "dependencies: licenses, bans and sources (cargo deny, offline, deny.toml)"
cargo fetch --locked --quiet  # every feature's crates, which the offline check reads
cargo deny --offline check licenses bans sources

step "native tests (unit, property, conformance; the host under wasmtime)"
cargo test --workspace --locked

step "the module in headless Chromium (wasm-pack)"
./scripts/test-wasm.sh

step "the playground, end to end in headless Chromium"
./scripts/test-playground.sh

step "fuzz targets build (the long runs are scripts/fuzz.sh --run SECONDS)"
./scripts/fuzz.sh
