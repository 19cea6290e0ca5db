// Builds the Lua sources every driver runs from the files in bench/lua/. A workload file returns
// a table { name, prepare(), run(ctx, rep) -> ops }; scripts cannot require files, so a script is
// prelude.lua, then each file wrapped in a function, then a trailer that says what runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(benchDir, '..');
const luaDir = path.join(benchDir, 'lua');

/** The registry workloads at 100,000 entries, in the order they run (apply last: it adds versions). */
export const REGISTRY_WORKLOADS = [
  'get',
  'find_kind',
  'find_scan',
  'snapshot_at',
  'build_delta',
  'apply',
];

const read = (rel) => readFileSync(path.join(luaDir, rel), 'utf8');

function wrap(variable, rel) {
  return `local ${variable} = (function()\n${read(rel)}\nend)()\n`;
}

/** Setup alone: builds the shared state (100,000 entries, 10,000 versions). */
export function setupScript() {
  return `${read('prelude.lua')}\n${wrap('SETUP', 'registry/setup.lua')}SETUP.run()\n`;
}

/**
 * One workload, on a registry that already holds the setup's state (JavaScript drivers: the
 * registry persists between runs). reps = 0: prepare only, the baseline to subtract.
 * withSetup: builds the state first in the same script (wasmtime: one process per script).
 */
export function workloadScript(name, { reps, firstRep = 1, withSetup = false }) {
  let source = `${read('prelude.lua')}\n`;
  if (withSetup) source += wrap('SETUP', 'registry/setup.lua');
  source += wrap('W', `registry/${name}.lua`);
  if (withSetup) source += 'SETUP.run()\n';
  source += 'local ctx = W.prepare()\nlocal ops = 0\n';
  source += `for rep = ${firstRep}, ${firstRep + reps - 1} do ops = W.run(ctx, rep) end\n`;
  source += 'return ops\n';
  return source;
}

/**
 * Everything in one script, timed from inside with os.clock() (real time natively): setup, then
 * each workload `warmup + reps` times, printing `name<TAB>ops<TAB>seconds` per repetition.
 */
export function clockScript({ reps, warmup = 1, workloads = REGISTRY_WORKLOADS }) {
  let source = `${read('prelude.lua')}\n${wrap('SETUP', 'registry/setup.lua')}`;
  for (const name of workloads) source += wrap(`W_${name}`, `registry/${name}.lua`);
  source += `
local t0 = os.clock()
local ops = SETUP.run()
print("setup", ops, os.clock() - t0)
for _, W in ipairs({ ${workloads.map((n) => `W_${n}`).join(', ')} }) do
  local ctx = W.prepare()
  for rep = 1, ${warmup + reps} do
    local t = os.clock()
    local n = W.run(ctx, rep)
    local dt = os.clock() - t
    if rep > ${warmup} then print(W.name, n, dt) end
  end
end
`;
  return source;
}

/** Parses `name<TAB>ops<TAB>seconds` lines into { name: [{ ops, seconds }] }. */
export function parseClockLines(printed) {
  const out = {};
  for (const line of printed.split('\n')) {
    const [name, ops, seconds] = line.split('\t');
    if (seconds === undefined) continue;
    (out[name] ??= []).push({ ops: Number(ops), seconds: Number(seconds) });
  }
  return out;
}

/** A plain-Lua program of the VM comparison (bench/lua/vm/NAME.lua): returns a checksum. */
export function vmProgram(name) {
  return read(`vm/${name}.lua`);
}

export function readLua(rel) {
  return read(rel);
}
