#!/usr/bin/env bash
# Installs the playground's npm packages exactly as locked (`npm ci` in playground/), skipped while
# playground/node_modules was installed from this lock file. scripts/playground.sh (the site) and
# scripts/install-toolchain.sh (Prettier, for the formatter check of scripts/test.sh) use it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../playground"
stamp=node_modules/.playground-lock.sha256
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock" ]]; then
  echo "playground npm packages: current"
else
  echo "playground npm packages: npm ci"
  npm ci --no-audit --no-fund
  echo "$lock" > "$stamp"
fi
