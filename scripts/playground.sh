#!/usr/bin/env bash
# Builds the browser playground (playground/) and serves it on 127.0.0.1, printing its address.
# Builds the registry module first if dist/registry.wasm is missing (scripts/install-toolchain.sh,
# scripts/build-wasm.sh), and runs `npm ci` unless playground/node_modules matches its lock file.
#
# usage: scripts/playground.sh [--build-only] [--port PORT]
#   --build-only  install and build, do not serve (scripts/test-playground.sh uses it)
#   --port PORT   serve on this port (default: $PLAYGROUND_PORT, else 4173 if free, else a free one;
#                 the saved history belongs to the page's origin, so a steady port keeps it)
# needs: Node >= 20.19 with npm; network only to package registries.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
site="$repo/playground"

build_only=false port=${PLAYGROUND_PORT:-}
while (($#)); do
  case $1 in
    --build-only) build_only=true; shift ;;
    --port) port=$2; shift 2 ;;
    *) sed -n '5,9s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
  esac
done

if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  echo "error: Node.js and npm are needed (Node >= 20.19)" >&2
  exit 1
fi
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || { echo "error: Node $(node --version) is too old: the playground's build (Vite 7) needs Node >= 20.19" >&2; exit 1; }

# 1. The registry module: the one .wasm and its JS glue, built by wasm/.
if [[ ! -f "$repo/dist/registry.wasm" || ! -f "$repo/dist/registry.js" ]]; then
  echo "== dist/registry.wasm missing: building the registry module"
  "$repo/scripts/install-toolchain.sh"
  "$repo/scripts/build-wasm.sh"
fi

# 2. npm packages, exactly as locked; skipped while node_modules was installed from this lock.
"$repo/scripts/playground-packages.sh"
cd "$site"

# 3. The site: type checks, then vite build into playground/dist.
echo "== building the site"
npm run --silent build

$build_only && exit 0

# 4. Serve it.
if [[ -z "$port" ]]; then
  port=$(node -e '
    const net = require("net");
    const listen = (p) => { const s = net.createServer();
      s.once("error", () => listen(0));
      s.listen(p, "127.0.0.1", () => { console.log(s.address().port); s.close(); }); };
    listen(4173);')
fi
echo "== Luau Registry playground: http://127.0.0.1:$port/ (Ctrl+C stops it)"
exec npx --no-install vite preview --host 127.0.0.1 --port "$port" --strictPort
