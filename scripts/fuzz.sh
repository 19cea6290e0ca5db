#!/usr/bin/env bash
# Builds the cargo-fuzz targets of registry-core (registry-core/fuzz, its own workspace); this is
# what CI runs. With `--run SECONDS`, also runs each target for that long, one after another,
# with a single job each. Installs what it needs first (nightly, cargo-fuzz); what is already
# there is skipped. See FUZZING.md.
#
#   scripts/fuzz.sh                          # build every target
#   scripts/fuzz.sh --run 600                # build, then fuzz each target for 10 minutes
#   scripts/fuzz.sh --run 60 changesets      # build, then fuzz only the named targets
#
# A run's output goes to registry-core/fuzz/artifacts/TARGET/run.log (libFuzzer's worker log,
# fuzz-0.log, lands beside it); a crash, leak or timeout input to artifacts/TARGET/. Exits 1 if
# any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_ROOT=$(pwd)
FUZZ_DIR="$REPO_ROOT/registry-core/fuzz"
ALL_TARGETS=(criteria lua_values history_import changesets checkpoint)
CARGO_FUZZ_VERSION=0.13.2

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

seconds=""
targets=()
while (($#)); do
  case $1 in
    --run)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || usage
      seconds=$2
      shift 2
      ;;
    -h | --help) usage 0 ;;
    -*) usage ;;
    *)
      [[ " ${ALL_TARGETS[*]} " == *" $1 "* ]] || { echo "error: unknown target $1 (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
      targets+=("$1")
      shift
      ;;
  esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")

step() { printf '\n== %s\n' "$*"; }

step "toolchain (nightly, cargo-fuzz)"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if cargo fuzz --version > /dev/null 2>&1; then
  cargo fuzz --version
else
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

step "build (address sanitizer, debug assertions)"
cargo +nightly fuzz build --fuzz-dir "$FUZZ_DIR"

[[ -n $seconds ]] || exit 0

# Per-target libFuzzer options beyond the common ones.
extra_options() {
  case $1 in
    # mlua keeps its shared reference counts as pointers just past a 16-byte Rc allocation,
    # which LeakSanitizer cannot see: every run would stop on a false leak report. At under 100
    # runs a second, libFuzzer's length control would keep inputs (scripts) tiny: allow 1 KiB.
    lua_values) echo "-detect_leaks=0 -max_len=1024 -len_control=0" ;;
    history_import) echo "-dict=$FUZZ_DIR/dicts/history_import.dict" ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  step "run $target for ${seconds}s"
  out="$FUZZ_DIR/artifacts/$target"
  corpus=("$FUZZ_DIR/corpus/$target")
  [[ -d $FUZZ_DIR/seeds/$target ]] && corpus+=("$FUZZ_DIR/seeds/$target")
  mkdir -p "$out" "${corpus[0]}"
  # libFuzzer writes its worker log (fuzz-0.log) to the working directory: keep it with the run.
  # shellcheck disable=SC2046 # extra_options prints whole options, one word each
  if (cd "$out" && cargo +nightly fuzz run --fuzz-dir "$FUZZ_DIR" "$target" "${corpus[@]}" -- \
    -max_total_time="$seconds" -jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=10 \
    $(extra_options "$target")) > "$out/run.log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$out/run.log" | tail -n 1 || true
  else
    failed+=("$target")
    echo "error: $target failed; last lines of $out/run.log:" >&2
    grep -E 'ERROR|SUMMARY|panicked|Test unit written|^thread' "$out/run.log" | tail -n 20 >&2 || tail -n 30 "$out/run.log" >&2
  fi
done

if ((${#failed[@]})); then
  echo "error: fuzzing found problems in: ${failed[*]} (inputs under registry-core/fuzz/artifacts/)" >&2
  exit 1
fi
