// Node 24 child of bench.mjs: the VM comparison for one group of VMs (argv[2], a key of
// VM_GROUPS in lib/vm-driver.mjs: luau (ours without and with a time limit), wasmoon or fengari)
// on the programs of a job file (argv[3]: { programs: {name: source}, warmup }). It stays up for
// the whole part, so that bench.mjs can interleave it with the other drivers: each stdin line
// `{"key", "program"}` runs that program once on that VM (warmed up at its first request) and
// answers one JSON line { result, cpuMs, wallMs }. CPU time: the main thread's, around each eval
// (lib/node-clock.mjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  fengariAdapter,
  luauAdapters,
  timedEval,
  VM_GROUPS,
  vmRunner,
  wasmoonAdapter,
} from './lib/vm-driver.mjs';
import { threadCpuMs } from './lib/node-clock.mjs';
import { repoDir } from './lib/scripts.mjs';

const [group, jobFile] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, 'utf8'));
const require = createRequire(import.meta.url);

let vms;
if (group === 'luau') {
  const dist = path.join(repoDir, 'dist');
  const { default: init, Registry } = await import(
    pathToFileURL(path.join(dist, 'registry.js')).href
  );
  await init({ module_or_path: readFileSync(path.join(dist, 'registry.wasm')) });
  vms = luauAdapters(Registry);
} else if (group === 'wasmoon') {
  const { LuaFactory } = require('wasmoon');
  vms = { wasmoon: await wasmoonAdapter(LuaFactory) };
} else if (group === 'fengari') {
  vms = { fengari: fengariAdapter(require('fengari')) };
} else {
  throw new Error(`unknown VM group ${group}`);
}
const exec = async (key, source) => {
  const c0 = threadCpuMs();
  const r = await timedEval(vms[key], source);
  return { ...r, cpuMs: threadCpuMs() - c0 };
};
const rep = vmRunner(exec, job.programs, job);
for await (const line of createInterface({ input: process.stdin })) {
  const { key, program } = JSON.parse(line);
  if (!VM_GROUPS[group].includes(key)) throw new Error(`${key} is not in VM group ${group}`);
  process.stdout.write(`${JSON.stringify(await rep(key, program))}\n`);
}
