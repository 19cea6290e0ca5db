// Running child processes and timing them from outside.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

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

/**
 * A child that answers one JSON line on stdout per JSON line on stdin, kept running between
 * requests. request(obj) -> the answer (one request at a time); close() ends its stdin and
 * waits for it to exit. A child that exits or writes a non-JSON line fails the request with
 * its stderr.
 */
export function lineServer(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {}); // a child that died: its exit status tells
  const exited = new Promise((resolve) => child.on('close', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const failure = (what) => new Error(`${cmd} ${args.join(' ')} ${what}:\n${stderr}`);
  return {
    async request(obj) {
      child.stdin.write(`${JSON.stringify(obj)}\n`);
      const { value, done } = await lines.next();
      if (done) throw failure(`exited ${await exited} before answering ${JSON.stringify(obj)}`);
      try {
        return JSON.parse(value);
      } catch {
        throw failure(`answered ${JSON.stringify(value.slice(0, 200))}`);
      }
    },
    async close() {
      child.stdin.end();
      const status = await exited;
      if (status !== 0) throw failure(`exited ${status}`);
    },
  };
}
