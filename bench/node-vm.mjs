// Node 24 child of bench.mjs: the VM comparison for one VM (argv[2]: luau, wasmoon or fengari)
// on the programs of a job file (argv[3]: { programs: {name: source}, warmup, reps }); prints
// JSON. CPU time: process.threadCpuUsage() of the main thread around each eval.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  fengariAdapter,
  luauAdapter,
  runPrograms,
  timedEval,
  wasmoonAdapter,
} from './lib/vm-driver.mjs';
import { repoDir } from './lib/scripts.mjs';

const [vmName, jobFile] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, 'utf8'));
const require = createRequire(import.meta.url);

let vm;
if (vmName === 'luau') {
  const dist = path.join(repoDir, 'dist');
  const { default: init, Registry } = await import(
    pathToFileURL(path.join(dist, 'registry.js')).href
  );
  await init({ module_or_path: readFileSync(path.join(dist, 'registry.wasm')) });
  vm = luauAdapter(Registry);
} else if (vmName === 'wasmoon') {
  const { LuaFactory } = require('wasmoon');
  vm = await wasmoonAdapter(LuaFactory);
} else if (vmName === 'fengari') {
  vm = fengariAdapter(require('fengari'));
} else {
  throw new Error(`unknown VM ${vmName}`);
}
const exec = async (source) => {
  const c0 = process.threadCpuUsage();
  const r = await timedEval(vm, source);
  const c = process.threadCpuUsage(c0);
  return { ...r, cpuMs: (c.user + c.system) / 1000 };
};
process.stdout.write(JSON.stringify(await runPrograms(exec, job.programs, job)));
