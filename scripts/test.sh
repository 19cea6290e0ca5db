#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit, property and conformance tests.
# Installs what it needs first (idempotent: what is already there is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

step "format"
cargo fmt --all --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "native tests (unit, property, conformance)"
cargo test --workspace --locked
