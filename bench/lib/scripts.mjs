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
 * One workload, on a registry that already holds the setup's state (Chromium: the registry
 * persists between runs). reps = 0: prepare only, the baseline to subtract from the CPU time read
 * around the run; otherwise the script also times its repetitions with os.clock() and prints
 * `name<TAB>ops<TAB>seconds`.
 */
export function workloadScript(name, { reps, firstRep = 1 }) {
  let source = `${read('prelude.lua')}\n${wrap('W', `registry/${name}.lua`)}`;
  source += 'local ctx = W.prepare()\nlocal ops = 0\nlocal t = os.clock()\n';
  source += `for rep = ${firstRep}, ${firstRep + reps - 1} do ops = W.run(ctx, rep) end\n`;
  if (reps > 0) source += 'print(W.name, ops, os.clock() - t)\n';
  source += 'return ops\n';
  return source;
}

/**
 * Everything in one script, timed from inside with os.clock() (what it reads is the driver's
 * choice: the monotonic clock, or the main thread's CPU time): setup, then each workload
 * `warmup + reps` times, printing `name<TAB>ops<TAB>seconds` per repetition.
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

/**
 * The VM programs in one script timed from inside with os.clock() (native Luau, registry-host):
 * each program once untimed, then `reps` times, printing `name<TAB>checksum<TAB>seconds`.
 */
export function vmClockScript(names, { reps }) {
  let source = '';
  for (const p of names) {
    source += `do\n  local program = function()\n${vmProgram(p)}\n  end\n  program()\n`;
    source += `  for rep = 1, ${reps} do\n    local t = os.clock()\n    local r = program()\n`;
    source += `    print("${p}", r, os.clock() - t)\n  end\nend\n`;
  }
  return source;
}

export function readLua(rel) {
  return read(rel);
}
