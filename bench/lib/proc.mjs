// Running child processes and timing them from outside.
import { spawnSync } from 'node:child_process';

/** Runs a command, returns { stdout, stderr, status, ms } (wall time around the process). */
export function run(cmd, args, { input, env, cwd, timeoutMs = 600_000 } = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    input,
    env: env ?? process.env,
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
  });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, ms };
}

export function runOk(cmd, args, options) {
  const r = run(cmd, args, options);
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`,
    );
  }
  return r;
}
