#!/usr/bin/env bash
# Tests of the browser playground: installs and builds like scripts/playground.sh, then runs the
# unit tests of its pure modules (playground/tests/unit, compiled by tsc) and the end-to-end tests
# in headless Chromium (Debian's chromium, driven by playwright-core; no browser is downloaded).
# Exits non-zero on any failure; the last line is the summary.
# Screenshots of the main states: playground/test-results/.
#
# usage: scripts/test-playground.sh      env: CHROMIUM (default /usr/bin/chromium)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$repo/scripts/playground.sh" --build-only

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "== installing chromium (apt)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
  chromium=/usr/bin/chromium
fi
export CHROMIUM="$chromium"

cd "$repo/playground"
echo "== compiling the unit tests"
npx --no-install tsc -p tsconfig.unit.json
echo "== unit tests, then end-to-end tests ($("$chromium" --version 2> /dev/null || echo chromium))"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
node --test --test-concurrency=1 --test-reporter=spec build/unit/playground/tests/unit/ tests/*.test.mjs 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)
passed=${passed:-0} failed=${failed:-0}
if ((status == 0 && passed == 0)); then status=1; fi
if ((status != 0 && failed == 0)); then failed=1; fi
echo "playground: $passed passed, $failed failed"
exit "$status"
