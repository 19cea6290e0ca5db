// The wasmtime driver: `registry-host --ephemeral run FILE` on a script that times itself with
// os.clock(), as the native driver does. In the module os.clock() reads the host's monotonic
// clock (wasm/ehrt/shim.c, wasm/src/host.rs), which registry-host takes from Rust's Instant:
// wall time, or under the shim native/cputime.c the main thread's CPU time (the module runs on
// registry-host's main thread). registry-host always runs scripts with a time limit, so Luau's
// interrupt is installed in these runs.
import path from 'node:path';
import { clockEnv, scratchFile } from './native.mjs';
import { runOk } from './proc.mjs';
import { parseClockLines, repoDir } from './scripts.mjs';

export const REGISTRY_HOST = path.join(repoDir, 'target/release/registry-host');

/** Runs one script file; returns { wallMs (around the process), stdout }. env: e.g. XDG_CACHE_HOME. */
export function hostRun(file, { env = process.env } = {}) {
  const r = runOk(
    REGISTRY_HOST,
    [
      '--ephemeral',
      'run',
      '--timeout',
      '600s',
      '--memory',
      '1GiB',
      // Workloads commit more versions than a run may by default.
      '--max-versions',
      '10000000',
      file,
    ],
    { env },
  );
  return { wallMs: r.ms, stdout: r.stdout };
}

/** Runs a self-timing script under registry-host; clock 'wall' or 'cpu'. Returns parsed clock lines. */
export function runHost(source, { clock = 'wall', name = 'bench.lua' } = {}) {
  return parseClockLines(hostRun(scratchFile(source, name), { env: clockEnv(clock) }).stdout);
}
