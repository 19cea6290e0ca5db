// Node 24 child of bench.mjs: the VM comparison for one group of VMs (argv[2], a key of
// VM_GROUPS in lib/vm-driver.mjs: luau (ours without and with a time limit), wasmoon or fengari)
// on the programs of a job file (argv[3]: { programs: {name: source}, warmup, reps }); prints
// JSON. CPU time: the main thread's, around each eval (lib/node-clock.mjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  fengariAdapter,
  luauAdapters,
  runPrograms,
  timedEval,
  VM_GROUPS,
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
process.stdout.write(JSON.stringify(await runPrograms(exec, VM_GROUPS[group], job.programs, job)));
