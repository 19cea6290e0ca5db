#!/usr/bin/env bash
# Runs the demo script on a fresh registry and prints what it printed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --locked -p registry-core --example run_script -- registry-core/examples/demo.lua
