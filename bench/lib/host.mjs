// The wasmtime driver: `registry-host --ephemeral run FILE`, one process per script, timed from
// outside (os.clock() inside the module is a fake counter): wall time around the process, and
// its CPU time (user + system, from GNU time's rusage, 10 ms resolution).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runOk } from './proc.mjs';
import { repoDir } from './scripts.mjs';
import { scratchFile } from './native.mjs';

export const REGISTRY_HOST = path.join(repoDir, 'target/release/registry-host');

/** Runs one script; returns { wallMs, cpuMs, stdout }. env: e.g. XDG_CACHE_HOME. */
export function hostRun(file, { env = {}, args = [] } = {}) {
  const timeFile = scratchFile('', 'time.txt');
  const r = runOk(
    '/usr/bin/time',
    [
      '-f',
      '%e %U %S',
      '-o',
      timeFile,
      REGISTRY_HOST,
      '--ephemeral',
      'run',
      '--timeout',
      '600s',
      '--memory',
      '1GiB',
      // Workloads commit more versions than a run may by default.
      '--max-versions',
      '10000000',
      ...args,
      file,
    ],
    { env: { ...process.env, ...env } },
  );
  const [, user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { wallMs: r.ms, cpuMs: (user + system) * 1000, stdout: r.stdout };
}

export { scratchFile };
