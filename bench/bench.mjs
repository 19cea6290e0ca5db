// The benchmark suite of the issue, in four parts (run by scripts/bench.sh, which builds what is
// missing first):
//   drivers  the same Lua workloads at 100,000 entries natively, under wasmtime, in Node 24 and
//            in headless Chromium; ops/s and the ratio to native
//   vm       Luau in our module against wasmoon (Lua 5.4, emscripten) and fengari (Lua 5.3 in
//            JavaScript) on plain-Lua programs, in Node 24 and Chromium
//   growth   our registry against a naive plain-Lua registry at 1,000 / 10,000 / 100,000 entries
//   startup  module size, ready time in Chromium and in registry-host (cold and warm)
// Usage: node bench.mjs [--parts drivers,vm,growth,startup] [--write ../BENCHMARKS.md] [--json FILE]
//        node bench.mjs --report-only FILE [--write ...]   (the tables again, from a saved results file)
// Prints the tables; --write replaces the part of BENCHMARKS.md between the suite markers. It
// writes figures only (machine, command, tables): analysis is hand-written prose in BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import { withBrowser } from './lib/browser.mjs';
import { hostRun, REGISTRY_HOST } from './lib/host.mjs';
import { runNative, scratchFile } from './lib/native.mjs';
import { runOk } from './lib/proc.mjs';
import { runPrograms } from './lib/vm-driver.mjs';
import {
  benchDir,
  clockScript,
  readLua,
  REGISTRY_WORKLOADS,
  repoDir,
  setupScript,
  vmProgram,
  workloadScript,
} from './lib/scripts.mjs';
import { median, summarize } from './lib/stats.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const PARTS = option('--parts', 'drivers,vm,growth,startup').split(',');
const WRITE = option('--write');
// A partial run keeps the last full run's results file.
const JSON_OUT = option(
  '--json',
  path.join(
    repoDir,
    PARTS.length === 4 ? 'target/bench/results.json' : 'target/bench/results-partial.json',
  ),
);
const NODE = process.execPath;

const REPS = 5; // measured repetitions per workload and driver (after one warm-up)
const HOST_PAIRS = 5; // wasmtime: processes per variant (baseline, and with the workload)
// wasmtime: repetitions of a workload inside one process, so that it outweighs the noise of
// the setup that the baseline subtracts (about 1.5 s of CPU time in that process).
const HOST_REPS = { get: 2, find_kind: 2, find_scan: 2, snapshot_at: 4, build_delta: 1, apply: 2 };
const VM_PROGRAMS = ['fib', 'sort', 'strings', 'plain_registry'];
const GROWTH_SIZES = [1000, 10000, 100000];

const log = (...m) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...m);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const results = { parts: {}, loads: [] };

/** The SHA-256 of dist/registry.wasm, checked against the module registry-host embeds. */
function moduleHash() {
  const dist = createHash('sha256')
    .update(readFileSync(path.join(repoDir, 'dist/registry.wasm')))
    .digest('hex');
  const host = runOk(REGISTRY_HOST, ['module-hash']).stdout.trim();
  if (host !== dist) {
    throw new Error(
      `registry-host embeds module ${host.slice(0, 12)} but dist/registry.wasm is ${dist.slice(0, 12)}: ` +
        'rebuild it (cargo build --release -p registry-host; scripts/bench.sh does)',
    );
  }
  return dist;
}
const noteLoad = (when) => results.loads.push({ when, load: loadavg() });

// ---------------------------------------------------------------------------------------------
// Part 1: the same workloads on every driver.

/** Per-repetition { cpu, wall } seconds of a JavaScript driver's result (T - median(P)). */
function jsReps(w) {
  const base = {
    cpu: median(w.baseline.map((b) => b.cpuMs)),
    wall: median(w.baseline.map((b) => b.wallMs)),
  };
  return {
    ops: w.ops,
    cpu: w.reps.map((r) => (r.cpuMs - base.cpu) / 1000),
    wall: w.reps.map((r) => (r.wallMs - base.wall) / 1000),
    baselineCpu: base.cpu / 1000,
  };
}

function registryJobs() {
  return {
    setup: setupScript(),
    workloads: REGISTRY_WORKLOADS.map((name) => ({
      name,
      baseline: workloadScript(name, { reps: 0 }),
      warmup: workloadScript(name, { reps: 1, firstRep: 100 }),
      reps: Array.from({ length: REPS }, (_, k) =>
        workloadScript(name, { reps: 1, firstRep: k + 1 }),
      ),
    })),
  };
}

function driversNative() {
  const out = {};
  for (const clock of ['cpu', 'wall']) {
    log(`drivers: native (${clock} clock)`);
    const lines = runNative(clockScript({ reps: REPS }), { clock, name: 'registry.lua' });
    for (const name of ['setup', ...REGISTRY_WORKLOADS]) {
      (out[name] ??= { ops: lines[name][0].ops })[clock] = lines[name].map((l) => l.seconds);
    }
  }
  return out;
}

function driversHost() {
  // Baseline: setup + the prepares of all but build_delta; each workload then runs on top of
  // the same prefix, so one baseline serves them all. build_delta's prepare (two lists of
  // 100,000 entry tables) is heavy: it has a baseline of its own.
  const shared = REGISTRY_WORKLOADS.filter((n) => n !== 'build_delta');
  const hostScript = (names, run, reps) => {
    let source = `${readLua('prelude.lua')}\nlocal SETUP = (function()\n${readLua('registry/setup.lua')}\nend)()\n`;
    for (const n of names)
      source += `local W_${n} = (function()\n${readLua(`registry/${n}.lua`)}\nend)()\n`;
    source += 'SETUP.run()\n';
    for (const n of names) source += `local ctx_${n} = W_${n}.prepare()\n`;
    if (run)
      source += `local ops\nfor rep = 1, ${reps} do ops = W_${run}.run(ctx_${run}, rep) end\nprint(ops)\n`;
    return scratchFile(source, `host-${run ?? 'baseline'}.lua`);
  };
  const variants = [
    { key: 'baseline', file: hostScript(shared) },
    { key: 'baseline_build_delta', file: hostScript(['build_delta']) },
    ...shared.map((n) => ({ key: n, file: hostScript(shared, n, HOST_REPS[n]) })),
    { key: 'build_delta', file: hostScript(['build_delta'], 'build_delta', HOST_REPS.build_delta) },
  ];
  const times = {};
  for (let k = 0; k < HOST_PAIRS; k++) {
    for (const v of variants) {
      log(`drivers: wasmtime ${v.key} (${k + 1}/${HOST_PAIRS})`);
      const r = hostRun(v.file);
      (times[v.key] ??= []).push(r);
    }
  }
  const out = {
    setup: {
      cpu: times.baseline.map((t) => t.cpuMs / 1000),
      wall: times.baseline.map((t) => t.wallMs / 1000),
      note: 'whole process, setup included',
    },
  };
  for (const n of REGISTRY_WORKLOADS) {
    const base = times[n === 'build_delta' ? 'baseline_build_delta' : 'baseline'];
    const b = { cpu: median(base.map((t) => t.cpuMs)), wall: median(base.map((t) => t.wallMs)) };
    const ops = Number(times[n][0].stdout.trim().split('\n').at(-1));
    out[n] = {
      ops,
      reps: HOST_REPS[n],
      cpu: times[n].map((t) => (t.cpuMs - b.cpu) / 1000 / HOST_REPS[n]),
      wall: times[n].map((t) => (t.wallMs - b.wall) / 1000 / HOST_REPS[n]),
      baselineCpu: b.cpu / 1000,
    };
  }
  return out;
}

function driversNode() {
  log('drivers: Node 24');
  const job = scratchFile(JSON.stringify(registryJobs()), 'registry-job.json');
  const r = runOk(NODE, [path.join(benchDir, 'node-registry.mjs'), job]);
  const res = JSON.parse(r.stdout);
  const out = { setup: { cpu: [res.setup.cpuMs / 1000], wall: [res.setup.wallMs / 1000] } };
  for (const [name, w] of Object.entries(res.workloads)) out[name] = jsReps(w);
  return out;
}

async function driversChromium() {
  log('drivers: Chromium');
  const jobs = registryJobs();
  return withBrowser(async (browser) => {
    const { page, errors, timed, close } = await browser.page();
    await page.evaluate(() => window.bench.open());
    const { runRegistryJobs } = await import('./lib/registry-driver.mjs');
    const exec = (source, chunk) => timed(([s, c]) => window.bench.run(s, c), [source, chunk]);
    const res = await runRegistryJobs(exec, jobs);
    await close();
    if (errors.length) throw errors[0];
    const out = {
      version: browser.version,
      setup: { cpu: [res.setup.cpuMs / 1000], wall: [res.setup.wallMs / 1000] },
    };
    for (const [name, w] of Object.entries(res.workloads)) out[name] = jsReps(w);
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Part 2: VMs.

function vmJob() {
  return {
    warmup: 1,
    reps: REPS,
    programs: Object.fromEntries(VM_PROGRAMS.map((p) => [p, vmProgram(p)])),
  };
}

function vmNativeLuau() {
  // Reference: the same programs in native Luau (run_script), timed inside with os.clock().
  let source = '';
  for (const p of VM_PROGRAMS) {
    source += `do\n  local program = function()\n${vmProgram(p)}\n  end\n  program()\n`;
    source += `  for rep = 1, ${REPS} do\n    local t = os.clock()\n    local r = program()\n`;
    source += `    print("${p}", r, os.clock() - t)\n  end\nend\n`;
  }
  const out = {};
  for (const clock of ['cpu', 'wall']) {
    const lines = runNative(source, { clock, name: 'vm.lua' });
    for (const p of VM_PROGRAMS) {
      (out[p] ??= { result: lines[p][0].ops })[clock] = lines[p].map((l) => l.seconds * 1000);
    }
  }
  return out;
}

const vmSummary = (res) =>
  Object.fromEntries(
    Object.entries(res).map(([p, r]) => [
      p,
      {
        result: r.result,
        cpu: r.runs.map((x) => x.cpuMs),
        wall: r.runs.map((x) => x.wallMs),
      },
    ]),
  );

function vmNode() {
  const job = scratchFile(JSON.stringify(vmJob()), 'vm-job.json');
  const out = {};
  for (const vm of ['luau', 'wasmoon', 'fengari']) {
    log(`vm: Node 24 ${vm}`);
    const r = runOk(NODE, [path.join(benchDir, 'node-vm.mjs'), vm, job]);
    out[vm] = vmSummary(JSON.parse(r.stdout));
  }
  return out;
}

async function vmChromium() {
  const job = vmJob();
  return withBrowser(async (browser) => {
    const out = {};
    for (const vm of ['luau', 'wasmoon', 'fengari']) {
      log(`vm: Chromium ${vm}`);
      const { page, errors, timed, close } = await browser.page();
      await page.evaluate((v) => window.bench.openVm(v), vm);
      const exec = (source) => timed((s) => window.bench.eval(s), source);
      out[vm] = vmSummary(await runPrograms(exec, job.programs, job));
      await close();
      if (errors.length) throw errors[0];
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Part 3: growth against the naive registry (natively, CPU clock).

function growth() {
  const out = {};
  for (const size of GROWTH_SIZES) {
    for (const impl of ['ours', 'naive']) {
      log(`growth: ${impl} at ${size}`);
      const source =
        readLua('growth/common.lua').replace('__SIZE__', String(size)) +
        readLua(`growth/${impl}.lua`) +
        readLua('growth/trailer.lua');
      const lines = runNative(source, { clock: 'cpu', name: `growth-${impl}-${size}.lua` });
      const perOp = (name) => lines[name].map((l) => l.seconds / l.ops);
      (out[impl] ??= {})[size] = {
        versions: lines.setup[0].ops,
        setup: lines.setup[0].seconds,
        snapshot: perOp('snapshot'),
        snapshot_at_old: perOp('snapshot_at_old'),
        apply_one: perOp('apply_one'),
      };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Part 4: start-up.

function moduleSizes() {
  const files = {
    'registry.wasm': path.join(repoDir, 'dist/registry.wasm'),
    'registry.js': path.join(repoDir, 'dist/registry.js'),
  };
  const out = {};
  for (const [name, file] of Object.entries(files)) {
    const bytes = readFileSync(file);
    out[name] = {
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  }
  return out;
}

async function startupChromium() {
  return withBrowser(async (browser) => {
    const cold = [];
    for (let k = 0; k < 1 + 2 * REPS; k++) {
      const { page, errors, close } = await browser.page(); // a fresh context: nothing cached
      const r = await page.evaluate(() => window.bench.startup());
      await close();
      if (errors.length) throw errors[0];
      if (k > 0) cold.push(r); // the first launch also warms the browser itself
    }
    return {
      readyMs: cold.map((r) => r.readyMs),
      initMs: cold.map((r) => r.initMs),
      firstRunMs: cold.map((r) => r.firstRunMs),
    };
  });
}

function startupHost() {
  const empty = scratchFile('return 1\n', 'empty.lua');
  const cache = path.join(repoDir, 'target/bench/xdg-cache');
  const hyperfine = spawnSync('hyperfine', ['--version']).status === 0;
  const cmd = `${REGISTRY_HOST} --ephemeral run ${empty}`;
  const env = { ...process.env, XDG_CACHE_HOME: cache };
  if (hyperfine) {
    const json = scratchFile('', 'hyperfine.json');
    const run = (extra) => {
      runOk('hyperfine', ['--style', 'none', '-N', '--export-json', json, ...extra, cmd], { env });
      const r = JSON.parse(readFileSync(json, 'utf8')).results[0];
      return {
        wallMs: r.times.map((t) => t * 1000),
        userMs: r.user * 1000,
        systemMs: r.system * 1000,
      };
    };
    const cold = run(['--runs', '3', '--prepare', `rm -rf ${cache}`]);
    rmSync(cache, { recursive: true, force: true });
    const warm = run(['--warmup', '2', '--runs', '20']);
    return { tool: 'hyperfine', cold, warm };
  }
  const loop = (runs, prepare) => {
    const wallMs = [];
    for (let k = 0; k < runs; k++) {
      prepare?.();
      wallMs.push(hostRun(empty, { env: { XDG_CACHE_HOME: cache } }).wallMs);
    }
    return { wallMs };
  };
  const cold = loop(3, () => rmSync(cache, { recursive: true, force: true }));
  loop(2);
  return { tool: 'loop', cold, warm: loop(20) };
}

// ---------------------------------------------------------------------------------------------
// The report.

const fmtOps = (x) =>
  x >= 1e6
    ? `${(x / 1e6).toFixed(2)} M`
    : x >= 1e3
      ? `${(x / 1e3).toFixed(1)} k`
      : x >= 10
        ? x.toFixed(0)
        : x.toFixed(2);
const fmtMs = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtUs = (s) => {
  const us = s * 1e6;
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  return us >= 1000 ? `${(us / 1000).toPrecision(3)} ms` : `${us.toPrecision(3)} µs`;
};
const pct = (x) => `±${Math.round((x * 100) / 2)}%`;
const ratioText = (r) => `${r.toFixed(2)}×`;
const sz = (b) => `${(b / 1e6).toFixed(2)} MB`;

const OP_UNIT = {
  get: 'gets/s',
  find_kind: 'finds/s',
  find_scan: 'finds/s',
  snapshot_at: 'snapshot_at/s',
  build_delta: 'deltas/s',
  apply: 'changesets/s',
};

function machine() {
  const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  const field = (name) => lscpu.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const git = (a) => execFileSync('git', a, { cwd: repoDir, encoding: 'utf8' }).trim();
  const dirty =
    git([
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      'registry-core',
      'wasm',
      'host',
    ]) !== '';
  return {
    cpu: field('Model name'),
    cores: `${cpus().length} cores (${field('Thread\\(s\\) per core')} thread per core)`,
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    commit:
      git(['rev-parse', '--short', 'HEAD']) +
      (dirty
        ? ' (with uncommitted changes to tracked files under registry-core/, wasm/ or host/)'
        : ''),
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  };
}

/** Summaries of part 1: rows of { name, driver: { ops/s median, spread, ratio } }. */
function driversTable(d, clock) {
  const drivers = ['native', 'wasmtime', 'node', 'chromium'].filter((k) => d[k]);
  const rows = [];
  for (const name of REGISTRY_WORKLOADS) {
    const row = { name, unit: OP_UNIT[name], cells: {} };
    const nat = d.native && summarize(d.native[name][clock]).median;
    for (const k of drivers) {
      const w = d[k][name];
      const s = summarize(w[clock]);
      row.cells[k] = {
        opsPerSec: w.ops / s.median,
        secPerOp: s.median / w.ops,
        spread: s.spread,
        n: s.n,
        ratio: nat ? s.median / nat : null,
      };
    }
    rows.push(row);
  }
  return { drivers, rows };
}

function report(meta) {
  const md = [];
  const p = results.parts;
  // Within 10% of the target either way, a rerun on this shared machine can flip the verdict.
  const verdict = (ok, value, target) =>
    (ok ? '**met**' : '**missed**') +
    (value !== undefined && Math.abs(value / target - 1) < 0.1
      ? ' (at the edge: within 10% of the target)'
      : '');
  md.push('## Suite: every driver, the VMs, growth and start-up', '');
  md.push(
    `Generated by \`./scripts/bench.sh\` (\`bench/\`); do not edit by hand. Rerun it to refresh.`,
    '',
  );
  md.push('| | |', '|---|---|');
  md.push(`| date | ${meta.date} |`);
  md.push(`| machine | \`${meta.cpu}\`, ${meta.cores}, ${meta.memory} memory |`);
  md.push(`| command | \`./scripts/bench.sh\` (\`${meta.command}\` on Node ${meta.node}) |`);
  md.push(
    `| code | \`main\` at ${meta.commit}; module \`dist/registry.wasm\` SHA-256 ${meta.module}… (the one registry-host embeds) |`,
  );
  md.push(
    `| load average (1, 5, 15 min) | ${results.loads.map((l) => `${l.when}: ${l.load}`).join('; ')} (2 cores: above 2 means other work was competing) |`,
  );
  md.push(`| suite time | ${(meta.seconds / 60).toFixed(1)} min |`);
  if (meta.repetitions) md.push(`| repetitions | ${meta.repetitions} |`);
  md.push('');
  md.push('Figures only: what they measure and what limits them is the hand-written part above.');
  md.push(
    'Each figure is the median of the repetitions; ± is half the range (max − min) over the median.',
  );
  md.push('');

  if (p.drivers) {
    const d = p.drivers;
    md.push(
      '### 1. Drivers: the same Lua workloads natively, under wasmtime, in Node 24 and in Chromium',
      '',
    );
    for (const clock of ['cpu', 'wall']) {
      const t = driversTable(d, clock);
      md.push(
        clock === 'cpu'
          ? '**CPU time** (the figures the targets are judged on):'
          : '**Wall-clock time** (inflated by the load; for reference; wasmtime left out: a difference of two whole-process wall times under this load is noise):',
        '',
      );
      if (clock === 'wall') t.drivers = t.drivers.filter((k) => k !== 'wasmtime');
      const head = t.drivers.map(
        (k) =>
          ({
            native: 'native',
            wasmtime: 'wasmtime (registry-host)',
            node: 'Node 24',
            chromium: 'Chromium',
          })[k],
      );
      md.push(`| workload | ${head.join(' | ')} |`);
      md.push(`|---|${t.drivers.map(() => '---').join('|')}|`);
      for (const row of t.rows) {
        const cells = t.drivers.map((k) => {
          const c = row.cells[k];
          const ratio = k === 'native' ? '' : ` — **${ratioText(c.ratio)}**`;
          return `${fmtOps(c.opsPerSec)} ${row.unit} (${fmtUs(c.secPerOp)}, ${pct(c.spread)})${ratio}`;
        });
        md.push(`| \`${row.name}\` | ${cells.join(' | ')} |`);
      }
      md.push('');
    }
    md.push('Bold: time relative to native (1.00× = as fast; higher is slower).', '');
    const t = driversTable(d, 'cpu');
    const worst = (k) => t.rows.reduce((m, r) => Math.max(m, r.cells[k]?.ratio ?? 0), 0);
    const list = (k) =>
      t.rows
        .filter((r) => r.cells[k]?.ratio > 1.5)
        .map((r) => `\`${r.name}\` ${ratioText(r.cells[k].ratio)}`)
        .join(', ');
    md.push('| target | measured (CPU) | met? |', '|---|---|---|');
    for (const k of ['wasmtime', 'chromium']) {
      if (!d[k]) continue;
      const w = worst(k);
      md.push(
        `| wasm within 1.5× of native, ${k === 'wasmtime' ? 'under wasmtime' : 'in Chromium'} | worst ${ratioText(w)}${w > 1.5 ? `; over 1.5×: ${list(k)}` : ''} | ${verdict(w <= 1.5, w, 1.5)} |`,
      );
    }
    if (d.node) md.push(`| (no target) Node 24 | worst ${ratioText(worst('node'))} | |`);
    md.push('');
  }

  if (p.vm) {
    const v = p.vm;
    md.push('### 2. VM: Luau in our module against wasmoon and fengari', '');
    const engines = ['node', 'chromium'].filter((e) => v[e]);
    const rows = [];
    md.push(
      `| program | ${engines.map((e) => `${e === 'node' ? 'Node 24' : 'Chromium'}: Luau (ours) | wasmoon | fengari`).join(' | ')} | native Luau |`,
    );
    md.push(`|---|${engines.map(() => '---|---|---').join('|')}|---|`);
    for (const prog of VM_PROGRAMS) {
      const cells = [];
      for (const e of engines) {
        const ours = summarize(v[e].luau[prog].cpu);
        for (const vm of ['luau', 'wasmoon', 'fengari']) {
          const s = summarize(v[e][vm][prog].cpu);
          const faster = vm === 'luau' ? '' : ` (${(s.median / ours.median).toFixed(2)}× ours)`;
          cells.push(`${fmtMs(s.median)} ${pct(s.spread)}${faster}`);
          if (vm !== 'luau') rows.push({ e, prog, vm, ours: ours.median, them: s.median });
        }
      }
      const nat = v.native && summarize(v.native[prog].cpu);
      cells.push(nat ? fmtMs(nat.median) : '—');
      md.push(`| \`${prog}\` | ${cells.join(' | ')} |`);
    }
    md.push('');
    md.push('In brackets: their time over ours (above 1 = ours is faster).', '');
    md.push('| target | measured (CPU) | met? |', '|---|---|---|');
    for (const e of engines) {
      const lost = rows.filter((r) => r.e === e && r.them <= r.ours);
      md.push(
        `| faster than wasmoon and fengari on every program, ${e === 'node' ? 'Node 24' : 'Chromium'} | ${lost.length === 0 ? `faster on all ${rows.filter((r) => r.e === e).length} pairs` : `slower on ${lost.map((r) => `\`${r.prog}\` vs ${r.vm} (${(r.ours / r.them).toFixed(2)}× their time)`).join(', ')}`} | ${verdict(lost.length === 0)} |`,
      );
    }
    md.push('');
  }

  if (p.growth) {
    const g = p.growth;
    md.push('### 3. Registry against the naive design', '');
    md.push(
      `| operation | ${GROWTH_SIZES.map((n) => `ours, ${n.toLocaleString('en-US')}`).join(' | ')} | ${GROWTH_SIZES.map((n) => `naive, ${n.toLocaleString('en-US')}`).join(' | ')} | ours 100k ÷ 1k | naive 100k ÷ 1k |`,
    );
    md.push(
      `|---|${GROWTH_SIZES.map(() => '---').join('|')}|${GROWTH_SIZES.map(() => '---').join('|')}|---|---|`,
    );
    const growthRatio = {};
    for (const op of ['snapshot', 'snapshot_at_old', 'apply_one']) {
      const m = (impl, n) => median(g[impl][n][op]);
      const cells = [
        ...GROWTH_SIZES.map((n) => fmtUs(m('ours', n))),
        ...GROWTH_SIZES.map((n) => fmtUs(m('naive', n))),
      ];
      const ro = m('ours', 100000) / m('ours', 1000);
      const rn = m('naive', 100000) / m('naive', 1000);
      growthRatio[op] = ro;
      md.push(`| \`${op}\` | ${cells.join(' | ')} | ${ratioText(ro)} | ${ratioText(rn)} |`);
    }
    md.push(
      `| versions in the history | ${GROWTH_SIZES.map((n) => g.ours[n].versions).join(' | ')} | ${GROWTH_SIZES.map((n) => g.naive[n].versions).join(' | ')} | | |`,
    );
    md.push('');
    md.push('| target | measured (CPU) | met? |', '|---|---|---|');
    for (const op of ['snapshot', 'snapshot_at_old']) {
      md.push(
        `| \`${op}\` flat as history grows (taken as: 100,000 entries within 2× of 1,000) | ${ratioText(growthRatio[op])} | ${verdict(growthRatio[op] <= 2)} |`,
      );
    }
    md.push('');
  }

  if (p.startup) {
    const s = p.startup;
    md.push('### 4. Start-up', '');
    md.push('| what | measured | target | met? |', '|---|---|---|---|');
    for (const [name, z] of Object.entries(s.sizes)) {
      md.push(
        `| download: \`dist/${name}\` | ${sz(z.raw)} raw, ${sz(z.gzip)} gzip -9, ${sz(z.brotli)} brotli -11 | — | |`,
      );
    }
    if (s.chromium) {
      const r = summarize(s.chromium.readyMs);
      md.push(
        `| Chromium: \`await init()\` (fetch from 127.0.0.1, compile, instantiate) + \`new Registry\`, fresh context each time (${r.n} runs) | **${fmtMs(r.median)} ms** wall (${fmtMs(r.min)}–${fmtMs(r.max)}), of which \`init()\` ${fmtMs(median(s.chromium.initMs))} ms; then a first \`run\` of \`return 1\`: ${fmtMs(median(s.chromium.firstRunMs))} ms | < 50 ms | ${verdict(r.median < 50, r.median, 50)} |`,
      );
    }
    if (s.host) {
      const c = summarize(s.host.cold.wallMs);
      const w = summarize(s.host.warm.wallMs);
      const cpu = (x) =>
        x.userMs !== undefined
          ? `; CPU ${fmtMs(x.userMs + x.systemMs)} ms (user + system, mean)`
          : '';
      md.push(
        `| registry-host cold: \`--ephemeral run\` of \`return 1\`, empty \`XDG_CACHE_HOME\` (compiles the module) | ${fmtMs(c.median)} ms wall (${fmtMs(c.min)}–${fmtMs(c.max)}, ${s.host.cold.wallMs.length} runs${cpu(s.host.cold)}) | — | |`,
      );
      md.push(
        `| registry-host warm: the same with the compiled module cached (${s.host.tool}, ${s.host.warm.wallMs.length} runs) | **${fmtMs(w.median)} ms** wall (${fmtMs(w.min)}–${fmtMs(w.max)}${cpu(s.host.warm)}) | < 30 ms | ${verdict(w.median < 30, w.median, 30)} |`,
      );
    }
    md.push('');
  }
  return md.join('\n');
}

// ---------------------------------------------------------------------------------------------

const REPORT_ONLY = option('--report-only');
let meta;
if (REPORT_ONLY) {
  // Rebuilds the report from a results file of an earlier run (its own date, load and machine).
  Object.assign(results, JSON.parse(readFileSync(REPORT_ONLY, 'utf8')));
  meta = results.meta;
} else {
  const started = performance.now();
  const moduleAtStart = moduleHash();
  noteLoad('start');
  if (PARTS.includes('drivers')) {
    const d = {};
    d.native = driversNative();
    d.wasmtime = driversHost();
    d.node = driversNode();
    d.chromium = await driversChromium();
    results.parts.drivers = d;
    noteLoad('after part 1');
  }
  if (PARTS.includes('vm')) {
    log('vm: native Luau reference');
    const v = { native: vmNativeLuau(), node: vmNode() };
    v.chromium = await vmChromium();
    // Same checksum everywhere, or the comparison means nothing.
    for (const prog of VM_PROGRAMS) {
      const seen = new Set([
        v.native[prog].result,
        ...['node', 'chromium'].flatMap((e) =>
          ['luau', 'wasmoon', 'fengari'].map((vm) => v[e][vm][prog].result),
        ),
      ]);
      if (seen.size !== 1)
        throw new Error(`vm: ${prog} returned different results: ${[...seen].join(', ')}`);
    }
    results.parts.vm = v;
    noteLoad('after part 2');
  }
  if (PARTS.includes('growth')) {
    results.parts.growth = growth();
    noteLoad('after part 3');
  }
  if (PARTS.includes('startup')) {
    log('startup');
    results.parts.startup = {
      sizes: moduleSizes(),
      chromium: await startupChromium(),
      host: startupHost(),
    };
    noteLoad('end');
  }
  meta = {
    ...machine(),
    seconds: (performance.now() - started) / 1000,
    module: moduleAtStart.slice(0, 12),
    command: `node ${path.relative(repoDir, process.argv[1])} ${args.join(' ')}`.trim(),
    repetitions:
      `${REPS} measured after one warm-up; wasmtime: ${HOST_PAIRS} processes per variant, ` +
      `each repetition N times in one process, N = ${Object.entries(HOST_REPS)
        .map(([k, v]) => `${v} (${k})`)
        .join(', ')}`,
  };
  let moduleAtEnd = moduleAtStart;
  try {
    moduleAtEnd = moduleHash();
  } catch {
    moduleAtEnd = 'changed';
  }
  if (moduleAtEnd !== moduleAtStart)
    meta.module +=
      ' **(dist/registry.wasm changed during this run: figures may mix two builds; run again)**';
  results.meta = meta;
  mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  writeFileSync(JSON_OUT, JSON.stringify(results, null, 1));
}
const section = report(meta);
console.log(section);
const ALL = ['drivers', 'vm', 'growth', 'startup'];
if (WRITE && !ALL.every((part) => results.parts[part])) {
  log(`not writing ${WRITE}: only a full run (all four parts) replaces its section`);
} else if (WRITE) {
  const file = path.resolve(WRITE);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const begin = '<!-- suite:begin -->';
  const end = '<!-- suite:end -->';
  const block = `${begin}\n${section}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next =
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}
