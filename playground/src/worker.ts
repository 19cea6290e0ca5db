// The registry worker: owns the WebAssembly module and one Registry, runs scripts with the
// module's inner time limit, and forwards every event (commits, head moves, printed text) as it
// happens, so the page keeps the history and the output even if it has to terminate this worker
// mid-script.
import init, { Registry } from '@registry/glue';
import wasmUrl from '@registry/wasm?url';
import type { Op_, Request, Requests, WireError, WorkerMessage } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let registry: Registry | null = null;
/** Put in front of a script (on its first line, so lines stay the same) to compile it only. */
const COMPILE_ONLY = 'do return end; ';
let dead = false;

function post(message: WorkerMessage) {
  self.postMessage(message);
}

/** Makes `next` the registry this worker serves, forwarding its events. */
function adopt(next: Registry): Registry {
  next.onEvent((event) => post({ type: 'event', event }));
  if (registry) {
    registry.onEvent(undefined);
    registry.free();
  }
  registry = next;
  return next;
}

function need(): Registry {
  if (!registry) throw new Error('the registry is not open');
  return registry;
}

type Handlers = {
  [K in Op_]: (args: Requests[K]['args']) => Requests[K]['result'] | Promise<Requests[K]['result']>;
};

const handlers: Handlers = {
  async open({ history, nowMs }) {
    await init({ module_or_path: wasmUrl });
    return adopt(new Registry(nowMs, history ?? undefined)).versions();
  },
  seed({ steps, nowMs }) {
    const fresh = new Registry(nowMs, undefined);
    for (const step of steps) {
      const { error } = fresh.run({
        source: step.source,
        chunk: 'seed.lua',
        now_ms: step.nowMs,
        timeout_ms: 10_000,
      });
      if (error) {
        fresh.free();
        throw Object.assign(
          new Error(`seed step "${step.title}" failed at line ${error.line}: ${error.message}`),
          { name: 'seed_failed' },
        );
      }
    }
    // Adopted only once complete: the page takes the seeded history with export().
    return adopt(fresh).versions();
  },
  run({ source, chunk, nowMs, timeoutMs }) {
    const reg = need();
    const start = performance.now();
    const result = reg.run({ source, chunk, now_ms: nowMs, timeout_ms: timeoutMs });
    return { result, elapsedMs: performance.now() - start };
  },
  check({ source, chunk }) {
    // Luau compiles the whole chunk, and the chunk returns before its first statement: a syntax
    // check by the module's own compiler, on the script's own lines, that runs nothing.
    return need().run({
      source: COMPILE_ONLY + source,
      chunk,
      now_ms: Date.now(),
      timeout_ms: 1000,
    }).error;
  },
  versions: () => need().versions(),
  entries: ({ version, filter }) => need().entries(version, filter),
  delta: ({ from, to }) => need().delta(from, to),
  applyVersion({ version }) {
    const reg = need();
    reg.applyVersion(version);
    return reg.versions();
  },
  export: () => need().export(),
  import({ history }) {
    const reg = need();
    reg.import(history);
    return reg.versions();
  },
};

function wireError(e: unknown): WireError {
  const fatal =
    e instanceof WebAssembly.RuntimeError ||
    e instanceof WebAssembly.CompileError ||
    e instanceof WebAssembly.LinkError ||
    (e instanceof Error && e.message === 'Module terminated');
  if (fatal) dead = true;
  if (e instanceof Error) return { name: e.name, message: e.message, fatal };
  return { name: 'Error', message: String(e), fatal };
}

// Requests are served one at a time, in order (open is asynchronous: it loads the module).
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  queue = queue.then(async () => {
    if (dead) {
      post({
        type: 'error',
        id: request.id,
        error: { name: 'Error', message: 'Module terminated', fatal: true },
      });
      return;
    }
    try {
      const handler = handlers[request.op] as (args: unknown) => unknown;
      const value = await handler(request.args);
      post({ type: 'reply', id: request.id, value });
    } catch (e) {
      post({ type: 'error', id: request.id, error: wireError(e) });
    }
  });
};
