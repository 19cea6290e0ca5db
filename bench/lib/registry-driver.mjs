// The registry workloads in a JavaScript engine (Node 24 or Chromium: no Node APIs here).
// os.clock() inside the module is a fake counter (wasm/ehrt/shim.c), so time is taken from
// outside, around Registry.run: the setup runs once, then per workload a baseline script that
// only prepares (time P) and scripts that prepare and run one repetition (time T); a repetition
// costs T - median(P). The registry persists between runs. Each run is timed twice: wall time
// (performance.now()) and CPU time of the thread that runs the module, when the caller can read
// it (Node: process.threadCpuUsage; Chromium: the DevTools protocol's ThreadTime, read by the
// driver around each call).

export const NOW_MS = 1_767_225_600_000; // 2026-01-01, as the conformance scripts

/** Runs one script on `registry`; returns { wallMs, returned }, throwing on a script error. */
export function runScript(registry, source, chunk) {
  const t0 = performance.now();
  const result = registry.run({ source, chunk, now_ms: NOW_MS, memory_bytes: 1 << 30 });
  const wallMs = performance.now() - t0;
  if (result.error) throw new Error(`${chunk}: ${result.error.message}`);
  return { wallMs, returned: result.returned };
}

/**
 * jobs: { setup: source, workloads: [{ name, baseline: source, warmup: source, reps: [source...] }] }
 * exec(source, chunk) -> { wallMs, cpuMs, returned } (may be async).
 * Returns { setup: {wallMs, cpuMs}, workloads: { name: { ops, baseline: [{wallMs, cpuMs}], reps: [...] } } }.
 */
export async function runRegistryJobs(exec, jobs, { baselines = 3 } = {}) {
  const setup = await exec(jobs.setup, 'setup.lua');
  const out = { setup: { wallMs: setup.wallMs, cpuMs: setup.cpuMs }, workloads: {} };
  for (const w of jobs.workloads) {
    await exec(w.warmup, `${w.name}-warmup.lua`);
    const baseline = [];
    const reps = [];
    let ops = 0;
    // Interleaved, so that drifting load hits baselines and repetitions alike.
    for (let k = 0; k < Math.max(baselines, w.reps.length); k++) {
      if (k < baselines) {
        const b = await exec(w.baseline, `${w.name}-baseline.lua`);
        baseline.push({ wallMs: b.wallMs, cpuMs: b.cpuMs });
      }
      if (k < w.reps.length) {
        const r = await exec(w.reps[k], `${w.name}.lua`);
        reps.push({ wallMs: r.wallMs, cpuMs: r.cpuMs });
        ops = Number(r.returned[0]);
      }
    }
    out.workloads[w.name] = { ops, baseline, reps };
  }
  return out;
}

/** Module start-up: init (fetch, compile, instantiate) and an empty registry, in ms. */
export async function timeStartup(init, Registry, initArg) {
  const t0 = performance.now();
  await init(initArg);
  const initMs = performance.now() - t0;
  const registry = new Registry(NOW_MS);
  const readyMs = performance.now() - t0;
  const t1 = performance.now();
  const r = registry.run({ source: 'return 1', now_ms: NOW_MS });
  const firstRunMs = performance.now() - t1;
  if (r.returned[0] !== 1) throw new Error('the first run failed');
  return { readyMs, initMs, firstRunMs };
}
