// Node 24 child of bench.mjs: runs the registry workloads (a job file, see lib/registry-driver.mjs)
// on dist/registry.js and prints the result as JSON. CPU time: process.threadCpuUsage() of the
// main thread, which runs the module (V8's compiler and GC helper threads are not counted).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runRegistryJobs, runScript, NOW_MS } from './lib/registry-driver.mjs';
import { repoDir } from './lib/scripts.mjs';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const dist = path.join(repoDir, 'dist');
const { default: init, Registry } = await import(
  pathToFileURL(path.join(dist, 'registry.js')).href
);
await init({ module_or_path: readFileSync(path.join(dist, 'registry.wasm')) });
const registry = new Registry(NOW_MS);
const exec = (source, chunk) => {
  const c0 = process.threadCpuUsage();
  const r = runScript(registry, source, chunk);
  const c = process.threadCpuUsage(c0);
  return { ...r, cpuMs: (c.user + c.system) / 1000 };
};
process.stdout.write(JSON.stringify(await runRegistryJobs(exec, jobs)));
