#!/usr/bin/env bash
# Makes target/patched/mlua-<version>: a copy of mlua's crates.io source with
# wasm/patches/mlua-<version>-heap-dump.patch applied. Only the wasm build uses it (through
# `--config patch.crates-io.mlua.path=...`); native builds keep the registry crate. Idempotent:
# a stamp holding the patch's checksum says whether the copy is current.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"

patch_file="$REPO_ROOT/wasm/patches/mlua-$MLUA_VERSION-heap-dump.patch"
stamp="$PATCHED_MLUA_DIR/.wasm-patch.sha256"
want=$(sha256sum "$patch_file" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "mlua $MLUA_VERSION patched copy: up to date"
  exit 0
fi

registry_src() { compgen -G "${CARGO_HOME:-$HOME/.cargo}/registry/src/*/mlua-$MLUA_VERSION" | head -n1 || true; }
src=$(registry_src)
if [[ -z "$src" ]]; then
  # Download the crate with a throwaway manifest, so no project Cargo.lock is touched.
  fetch_dir="$REPO_ROOT/target/patched/.fetch-mlua"
  mkdir -p "$fetch_dir"
  : > "$fetch_dir/lib.rs"
  printf '[package]\nname = "fetch-mlua"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "lib.rs"\n[dependencies]\nmlua = { version = "=%s", features = ["luau", "vendored"] }\n[workspace]\n' \
    "$MLUA_VERSION" > "$fetch_dir/Cargo.toml"
  cargo fetch --quiet --manifest-path "$fetch_dir/Cargo.toml"
  src=$(registry_src)
  [[ -n "$src" ]] || { echo "error: mlua $MLUA_VERSION not found in the cargo registry after cargo fetch" >&2; exit 1; }
fi

# Build the copy beside its final place, then swap it in, so an interrupted run leaves no half-patched tree.
tmp="$PATCHED_MLUA_DIR.tmp"
rm -rf "$tmp"
mkdir -p "$(dirname "$PATCHED_MLUA_DIR")"
cp -R "$src" "$tmp"
patch --silent --forward -p1 -d "$tmp" < "$patch_file"
echo "$want" > "$tmp/.wasm-patch.sha256"
rm -rf "$PATCHED_MLUA_DIR"
mv "$tmp" "$PATCHED_MLUA_DIR"
echo "mlua $MLUA_VERSION patched copy: created at ${PATCHED_MLUA_DIR#"$REPO_ROOT"/}"
