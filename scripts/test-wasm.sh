#!/usr/bin/env bash
# The wasm-bindgen tests of the JavaScript API, conformance scripts included, in headless
# Chromium through wasm-pack (Debian's chromium and chromedriver; wasm/webdriver.json sets the
# browser flags for running as root without a display).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchain-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-env.sh"
"$REPO_ROOT/scripts/patch-vendored.sh" > /dev/null
wasm_cargo_setup
cd "$REPO_ROOT"
wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver wasm
