#!/usr/bin/env bash
# Builds the ONE WebAssembly module: a cdylib crate with mlua/Luau, for wasm32-unknown-unknown,
# then wasm-bindgen (--target web) and wasm-opt (--translate-to-exnref). Output in the out dir:
#   <name>.wasm  the module, exnref exception handling (wasmtime 48, Node >= 24, Chromium)
#   <name>.js, <name>.d.ts  wasm-bindgen's JS glue; its default URL points at <name>.wasm
#
# usage: scripts/build-wasm.sh [-p PACKAGE] [--manifest-path Cargo.toml] [--out-dir DIR] [--name NAME]
#   defaults: -p registry-wasm, the repo's Cargo.toml, dist/, registry
# env: WASM_OPT_LEVEL (default -Oz), LUAU_OPT_LEVEL (Luau's VM, default -O3), LUAU_FRONTEND_OPT_LEVEL (its parser and compiler, default -Os)
#
# All wasm settings (compilers, flags, link libraries, the mlua patch) are passed to this cargo
# run only (wasm_cargo_setup in toolchain-env.sh), so native builds of the workspace are unaffected.
# Needs scripts/install-toolchain.sh to have run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"

package=registry-wasm manifest="$REPO_ROOT/Cargo.toml" out_dir="$REPO_ROOT/dist" name=registry
while (($#)); do
  case $1 in
    -p | --package) package=$2; shift 2 ;;
    --manifest-path) manifest=$(realpath "$2"); shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    *) sed -n '2,9s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
  esac
done
# -Oz over -O3, measured on the proof crate (Luau C++ at -O3, Node 24): 1.29 MB vs 1.35 MB
# (471 KB vs 478 KB gzipped), fib(27) 19 ms vs 25 ms, table work and string concat equal.
# Re-measured with the interpreter loop kept whole (BENCHMARKS.md, 2. VM): -O3 ran fib about a
# fifth faster in Node 24 and Chromium (few runs, loaded machine), equal under wasmtime, 23 KB
# larger: measure it with the start-up time on a quiet machine before switching.
wasm_opt_level=${WASM_OPT_LEVEL:--Oz}

for f in clang-19 llvm-ar-19 wasm-bindgen "$WASM_OPT" "$EHRT_DIR/libwasmeh.a"; do
  command -v "$f" > /dev/null || [[ -f "$f" ]] || { echo "error: $f missing: run scripts/install-toolchain.sh" >&2; exit 1; }
done
"$REPO_ROOT/scripts/patch-vendored.sh" > /dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm_cargo_setup

echo "cargo build $package (wasm32-unknown-unknown, release, patched mlua $MLUA_VERSION)"
cargo build --release --target wasm32-unknown-unknown --manifest-path "$manifest" -p "$package" \
  --message-format json-render-diagnostics > "$work/cargo.json"
# The cdylib is the only .wasm artifact of a wasm32 build (dependencies are rlibs).
wasm=$(grep '"reason":"compiler-artifact"' "$work/cargo.json" | grep -o '"[^"]*\.wasm"' | tr -d '"' | sort -u)
[[ -n "$wasm" && "$wasm" != *$'\n'* ]] || { echo "error: expected one .wasm artifact, got: '$wasm'" >&2; exit 1; }

# wasm-bindgen-cli must match the wasm-bindgen crate exactly (its JS glue and the crate's custom
# section describe each other); read the crate's version from the lock this build used.
crate_wb=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$(dirname "$(cargo locate-project --workspace --message-format plain --manifest-path "$manifest")")/Cargo.lock")
cli_wb=$(wasm-bindgen --version | awk '{ print $2 }')
if [[ -n "$crate_wb" && "$crate_wb" != "$cli_wb" ]]; then
  echo "error: wasm-bindgen crate $crate_wb but wasm-bindgen-cli $cli_wb:" \
    "run WASM_BINDGEN_VERSION=$crate_wb scripts/install-toolchain.sh" >&2
  exit 1
fi

echo "wasm-bindgen --target web"
wasm-bindgen --target web --out-dir "$work/bindgen" --out-name "$name" "$wasm"

# wasm-opt: features listed explicitly (exactly what Rust 1.95 and clang-19 emit), so wasm-opt
# neither rejects them nor introduces others. clang-19 emits the legacy exception instructions
# (try/catch), which wasmtime refuses; --translate-to-exnref rewrites them to the standard form
# (try_table/throw_ref) that wasmtime 48, Node >= 24 and current Chromium all run.
features=(--mvp-features --enable-exception-handling --enable-bulk-memory --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue --enable-reference-types)
# --no-inline: wasm-opt would inline both instantiations of Luau's interpreter loop
# (luau_execute<false>, <true>) into their one caller, doubling the function V8 must compile
# before its optimizing tier runs the loop (BENCHMARKS.md, 2. VM).
echo "wasm-opt $wasm_opt_level --translate-to-exnref"
mkdir -p "$out_dir"
"$WASM_OPT" "${features[@]}" --no-inline='*luau_execute*' "$wasm_opt_level" --strip-debug --strip-producers --translate-to-exnref \
  "$work/bindgen/${name}_bg.wasm" -o "$out_dir/$name.wasm"

# Ship <name>.wasm instead of wasm-bindgen's <name>_bg.wasm: point the glue's default URL at it.
grep -q "${name}_bg\.wasm" "$work/bindgen/$name.js" || { echo "error: ${name}_bg.wasm not named in $name.js" >&2; exit 1; }
sed "s/${name}_bg\.wasm/${name}.wasm/g" "$work/bindgen/$name.js" > "$out_dir/$name.js"
cp "$work/bindgen/$name.d.ts" "$out_dir/$name.d.ts"
# JS snippets the crate imports (wasm/host.js): the glue loads them by relative path.
rm -rf "$out_dir/snippets"
if [[ -d "$work/bindgen/snippets" ]]; then cp -R "$work/bindgen/snippets" "$out_dir/"; fi

size=$(stat -c %s "$out_dir/$name.wasm")
gz=$(gzip -9 -c "$out_dir/$name.wasm" | wc -c)
echo "built $out_dir/$name.wasm: $size bytes, $gz gzipped"
