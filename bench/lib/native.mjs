// The native driver: registry-core's run_script example (a fresh Runner, as the conformance
// harness) on a script that times itself with os.clock(). Natively os.clock() is Luau's
// lua_clock(), CLOCK_MONOTONIC: wall time. With the LD_PRELOAD shim native/cputime.c it reads
// the main thread's CPU time instead (the wasmtime driver, lib/host.mjs, uses the same shim).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runOk } from './proc.mjs';
import { parseClockLines, repoDir } from './scripts.mjs';

export const RUN_SCRIPT = path.join(repoDir, 'target/release/examples/run_script');
const CPUTIME_SHIM = path.join(repoDir, 'target/bench/libcputime.so');

const scratch = mkdtempSync(path.join(tmpdir(), 'registry-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

/** Writes a script to a scratch file and returns its path. */
export function scratchFile(source, name = 'script.lua') {
  const file = path.join(scratch, `${counter++}-${name}`);
  writeFileSync(file, source);
  return file;
}

/** The environment that makes os.clock() read clock 'wall' (as is) or 'cpu' (the shim). */
export function clockEnv(clock) {
  if (clock === 'wall') return { ...process.env };
  if (clock === 'cpu') return { ...process.env, LD_PRELOAD: CPUTIME_SHIM };
  throw new Error(`clock must be cpu or wall, not ${clock}`);
}

/** Runs a self-timing script natively; clock 'wall' or 'cpu'. Returns parsed clock lines. */
export function runNative(source, { clock = 'wall', name = 'bench.lua' } = {}) {
  const r = runOk(RUN_SCRIPT, [scratchFile(source, name)], { env: clockEnv(clock) });
  return parseClockLines(r.stdout);
}
