#!/usr/bin/env bash
# The main job: installs the toolchain, builds the one module and registry-host, runs the demo
# script through registry-host (wasmtime), then serves the browser playground on the same module
# at http://127.0.0.1:PORT/ until Ctrl+C. Idempotent: what is already there is skipped.
#
# usage: scripts/run.sh [--no-serve]    (--no-serve: stop after the demo)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-toolchain.sh
./scripts/build-wasm.sh
echo "== building registry-host (release)"
cargo build --release --locked -p registry-host --quiet

echo "== demo: target/release/registry-host --ephemeral run registry-core/examples/demo.lua"
./target/release/registry-host --ephemeral run registry-core/examples/demo.lua

[[ "${1:-}" == "--no-serve" ]] && exit 0
./scripts/playground.sh
