#!/usr/bin/env bash
# Makes target/patched/<crate>-<version> for each crate of $PATCHED_CRATES (toolchain-env.sh): a
# copy of its crates.io source with wasm/patches/<crate>-<version>-*.patch applied in name order.
# Only the wasm build uses the copies (wasm_cargo_setup links them in place of the registry
# sources); native builds keep the registry crates. Idempotent: a stamp holding the patches'
# checksum says whether a copy is current.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"

registry_src() { compgen -G "${CARGO_HOME:-$HOME/.cargo}/registry/src/*/$1" | head -n1 || true; }

for crate in $PATCHED_CRATES; do
  patches=("$REPO_ROOT/wasm/patches/$crate-"*.patch)
  [[ -f "${patches[0]}" ]] || { echo "error: no wasm/patches/$crate-*.patch" >&2; exit 1; }
  dest="$PATCHED_DIR/$crate"
  stamp="$dest/.wasm-patch.sha256"
  want=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$crate patched copy: up to date"
    continue
  fi

  src=$(registry_src "$crate")
  if [[ -z "$src" ]]; then
    # Download mlua (and with it its vendored Luau, luau0-src) with a throwaway manifest, so no
    # project Cargo.lock is touched.
    fetch_dir="$REPO_ROOT/target/patched/.fetch-mlua"
    mkdir -p "$fetch_dir"
    : > "$fetch_dir/lib.rs"
    printf '[package]\nname = "fetch-mlua"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "lib.rs"\n[dependencies]\nmlua = { version = "=%s", features = ["luau", "vendored"] }\n[workspace]\n' \
      "$MLUA_VERSION" > "$fetch_dir/Cargo.toml"
    cargo fetch --quiet --manifest-path "$fetch_dir/Cargo.toml"
    src=$(registry_src "$crate")
    [[ -n "$src" ]] || { echo "error: $crate not found in the cargo registry after cargo fetch" >&2; exit 1; }
  fi

  # Build the copy beside its final place, then swap it in, so an interrupted run leaves no
  # half-patched tree.
  tmp="$dest.tmp"
  rm -rf "$tmp"
  mkdir -p "$PATCHED_DIR"
  cp -R "$src" "$tmp"
  for p in "${patches[@]}"; do
    patch --silent --forward -p1 -d "$tmp" < "$p"
  done
  echo "$want" > "$tmp/.wasm-patch.sha256"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  echo "$crate patched copy: created at ${dest#"$REPO_ROOT"/}"
done
