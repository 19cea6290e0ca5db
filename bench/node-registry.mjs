// Node 24 child of bench.mjs: runs one self-timing script (lib/scripts.mjs clockScript) on a
// fresh Registry of dist/registry.js and prints what it printed. argv: cpu|wall, the script file.
// With cpu, the module's clock, and so os.clock() in the script, is the main thread's CPU time
// (lib/node-clock.mjs); with wall, it is performance.now(), as in any JavaScript host.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { moduleClockIsThreadCpu } from './lib/node-clock.mjs';
import { runScript, NOW_MS } from './lib/registry-driver.mjs';
import { repoDir } from './lib/scripts.mjs';

const [clock, file] = process.argv.slice(2);
if (clock === 'cpu') moduleClockIsThreadCpu();
else if (clock !== 'wall') throw new Error(`clock must be cpu or wall, not ${clock}`);
const dist = path.join(repoDir, 'dist');
const { default: init, Registry } = await import(
  pathToFileURL(path.join(dist, 'registry.js')).href
);
await init({ module_or_path: readFileSync(path.join(dist, 'registry.wasm')) });
const registry = new Registry(NOW_MS);
process.stdout.write(runScript(registry, readFileSync(file, 'utf8'), path.basename(file)).printed);
