#!/usr/bin/env bash
# Clippy on the wasm32 build of the module's crate (registry-wasm, its tests included), which a
# native `cargo clippy --workspace` never sees: its wasm-bindgen code, the C ABI and the
# in-browser test only compile for wasm32. Uses the wasm toolchain's settings
# (wasm_cargo_setup in toolchain-env.sh) like scripts/test-wasm.sh, so it shares that build's
# compiled dependencies, Luau's C++ included. Needs scripts/install-toolchain.sh to have run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"
"$REPO_ROOT/scripts/patch-vendored.sh" > /dev/null
wasm_cargo_setup
cd "$REPO_ROOT"
cargo clippy --target wasm32-unknown-unknown -p registry-wasm --all-targets --locked -- -D warnings
