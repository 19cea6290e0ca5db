// The registry workloads in a JavaScript engine (no Node APIs here). Node 24 runs one
// self-timing script (lib/scripts.mjs clockScript) through runScript; Chromium, whose page has no
// CPU clock to give the module, runs runRegistryJobs: CPU time there is read from outside, by the
// driver around each call (the DevTools protocol's ThreadTime of the page's main thread), so a
// repetition's CPU time is a difference: the setup runs once, then per workload a baseline script
// that only prepares (time P) and scripts that prepare and run one repetition (time T); a
// repetition costs T - median(P). The registry persists between runs. Wall time needs no
// baseline: each repetition script times its run with os.clock(), performance.now() in the page.

export const NOW_MS = 1_767_225_600_000; // 2026-01-01, as the conformance scripts

/** Runs one script on `registry`; returns { wallMs, returned, printed }, throwing on a script error. */
export function runScript(registry, source, chunk) {
  const t0 = performance.now();
  const result = registry.run({ source, chunk, now_ms: NOW_MS, memory_bytes: 1 << 30 });
  const wallMs = performance.now() - t0;
  if (result.error) throw new Error(`${chunk}: ${result.error.message}`);
  return { wallMs, returned: result.returned, printed: result.printed };
}

/**
 * jobs: { setup: source, workloads: [{ name, baseline: source, warmup: source, reps: [source...] }] }
 * exec(source, chunk) -> { cpuMs, returned, printed } (may be async); each repetition script
 * prints `name<TAB>ops<TAB>seconds` (its own os.clock() around the run).
 * Returns { setup: {cpuMs}, workloads: { name: { ops, baselineCpuMs: [...], repCpuMs: [...],
 * repWallSeconds: [...] } } }.
 */
export async function runRegistryJobs(exec, jobs, { baselines = 3 } = {}) {
  const setup = await exec(jobs.setup, 'setup.lua');
  const out = { setup: { cpuMs: setup.cpuMs }, workloads: {} };
  for (const w of jobs.workloads) {
    await exec(w.warmup, `${w.name}-warmup.lua`);
    const res = { ops: 0, baselineCpuMs: [], repCpuMs: [], repWallSeconds: [] };
    // Interleaved, so that drifting load hits baselines and repetitions alike.
    for (let k = 0; k < Math.max(baselines, w.reps.length); k++) {
      if (k < baselines)
        res.baselineCpuMs.push((await exec(w.baseline, `${w.name}-baseline.lua`)).cpuMs);
      if (k < w.reps.length) {
        const r = await exec(w.reps[k], `${w.name}.lua`);
        const [name, ops, seconds] = r.printed.trim().split('\t');
        if (name !== w.name) throw new Error(`${w.name}: unexpected output ${r.printed}`);
        res.ops = Number(ops);
        res.repCpuMs.push(r.cpuMs);
        res.repWallSeconds.push(Number(seconds));
      }
    }
    out.workloads[w.name] = res;
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
