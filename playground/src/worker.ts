// The registry worker: owns the WebAssembly module, one Registry, and the registry's browser
// storage. It runs scripts with the module's inner time limit and forwards every event (commits,
// head moves, printed text) as it happens, so the page can show a run live and rebuild the
// registry if it has to terminate this worker mid-script. Everything that grows with the history
// (reading, parsing, opening, exporting, saving) happens here, never on the page's thread.
import init, { Registry } from '@registry/glue';
import wasmUrl from '@registry/wasm?url';
import { applyEvent, changedSummary } from './history';
import { packHistory } from './share';
import type {
  ChangedIds,
  HistoryExport,
  Keeping,
  Op_,
  Request,
  Requests,
  Task,
  Versions,
  WireError,
  WorkerMessage,
} from './protocol';
import { readHistory, writeHistory } from './storage';

declare const self: DedicatedWorkerGlobalScope;

let registry: Registry | null = null;
/** Each version's changed ids, from the histories and commits this worker has seen. */
let ids: Record<number, ChangedIds> = {};
let keeping: Keeping = { save: true };
/** The user's registry while a scratch copy is in use (null: not known here, so the saved one). */
let base: HistoryExport | null = null;
/** The registry changed since it was last saved. */
let unsaved = false;
let dead = false;

function post(message: WorkerMessage) {
  self.postMessage(message);
}

function progress(task: Task | null) {
  post({ type: 'progress', task });
}

/** Makes `next` the registry this worker serves, forwarding its events. */
function adopt(next: Registry, history: HistoryExport | null): Registry {
  next.onEvent((event) => {
    if (event.event === 'committed') ids[event.version.id] = changedSummary(event.version.ops);
    if (event.event !== 'printed') unsaved = true;
    post({ type: 'event', event });
  });
  if (registry) {
    registry.onEvent(undefined);
    registry.free();
  }
  registry = next;
  ids = {};
  for (const v of (history ?? next.export()).versions) ids[v.id] = changedSummary(v.ops);
  unsaved = true;
  return next;
}

function need(): Registry {
  if (!registry) throw new Error('the registry is not open');
  return registry;
}

function versions(): Versions {
  return { ...need().versions(), ids };
}

/** Saves the registry in the browser if it changed (and is not a scratch copy). */
async function save() {
  if (!registry || !unsaved || !keeping.save || dead) return;
  unsaved = false;
  progress({ what: 'Saving the history in this browser', step: 1, steps: 2 });
  const history = registry.export();
  progress({ what: 'Saving the history in this browser', step: 2, steps: 2 });
  await writeHistory(history);
  progress(null);
  post({ type: 'saved', head: history.head, versions: history.versions.length });
}

/** Reads a history file (JSON) here rather than on the page. */
async function parse(file: Blob): Promise<unknown> {
  const text = await file.text();
  try {
    return JSON.parse(text);
  } catch (e) {
    throw Object.assign(new Error(e instanceof Error ? e.message : String(e)), {
      name: 'not_json',
    });
  }
}

/** The user's registry as saved in the browser (while on a scratch copy, which is never saved). */
async function savedHistory(): Promise<HistoryExport> {
  const stored = await readHistory();
  if (!stored.history || typeof stored.history !== 'object')
    throw new Error('your registry is not saved in this browser');
  const history = stored.history as HistoryExport;
  for (const change of stored.journal) applyEvent(history, change);
  return history;
}

function load(history: unknown, nowMs: number): Registry {
  return new Registry(nowMs, (history ?? undefined) as HistoryExport | undefined);
}

type Handlers = {
  [K in Op_]: (args: Requests[K]['args']) => Requests[K]['result'] | Promise<Requests[K]['result']>;
};

const handlers: Handlers = {
  async open({ history, pending, nowMs, save: keep }) {
    const steps = history ? 2 : 3;
    progress({ what: 'Loading the registry module', step: 1, steps });
    await init({ module_or_path: wasmUrl });
    keeping = { save: keep };
    let opened = history;
    let changes = pending;
    if (!opened) {
      progress({ what: 'Reading the saved history', step: 2, steps });
      let stored: Awaited<ReturnType<typeof readHistory>> = { history: null, journal: [] };
      try {
        stored = await readHistory();
      } catch (e) {
        // No usable browser storage (disabled, or full): the playground still works, unsaved.
        post({
          type: 'unsaved',
          message: `the saved history could not be read: ${wireError(e).message}`,
        });
      }
      if (!stored.history || typeof stored.history !== 'object') {
        progress(null);
        return null;
      }
      opened = stored.history as HistoryExport;
      changes = [...stored.journal, ...pending];
    }
    for (const change of changes) applyEvent(opened, change);
    progress({
      what: `Opening ${opened.versions.length.toLocaleString('en')} versions`,
      step: steps,
      steps,
    });
    try {
      adopt(load(opened, nowMs), opened);
    } finally {
      progress(null);
    }
    // Saved again only if the journal or the page added changes.
    unsaved = changes.length > 0;
    return versions();
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
    adopt(fresh, null);
    return versions();
  },
  run({ source, chunk, nowMs, timeoutMs }) {
    const reg = need();
    const start = performance.now();
    const result = reg.run({ source, chunk, now_ms: nowMs, timeout_ms: timeoutMs });
    return { result, elapsedMs: performance.now() - start };
  },
  check: ({ source }) => need().check(source),
  versions,
  entries: ({ version, filter, offset, limit }) =>
    need().entries(version ?? undefined, filter ?? undefined, offset, limit),
  entriesWithIds: ({ version, ids: wanted }) => need().entriesWithIds(version ?? undefined, wanted),
  delta: ({ from, to }) => need().delta(from, to),
  applyVersion({ version }) {
    need().applyVersion(version);
    unsaved = true;
    return versions();
  },
  keep() {
    keeping = { save: true };
    base = null;
    unsaved = true;
    return null;
  },
  async scratch({ history }) {
    progress({ what: 'Making a scratch copy' });
    try {
      const mine = base ?? (keeping.save ? need().export() : await savedHistory());
      const start = history ?? mine;
      // A refused history leaves the current registry as it was.
      const copy = load(start, Date.now());
      base = mine;
      keeping = { save: false };
      adopt(copy, start);
      return versions();
    } finally {
      progress(null);
    }
  },
  async leaveScratch() {
    progress({ what: 'Restoring your registry' });
    try {
      const mine = base ?? (await savedHistory());
      adopt(load(mine, Date.now()), mine);
      keeping = { save: true };
      base = null;
      return versions();
    } finally {
      progress(null);
    }
  },
  async packHistory() {
    progress({ what: 'Packing the history for a link' });
    try {
      const history = need().export();
      return { packed: await packHistory(history), head: history.head };
    } finally {
      progress(null);
    }
  },
  exportFile() {
    progress({ what: 'Writing the history file' });
    try {
      return new Blob([JSON.stringify(need().export(), null, 2) + '\n'], {
        type: 'application/json',
      });
    } finally {
      progress(null);
    }
  },
  async import({ history, save: keep }) {
    progress({ what: 'Reading the history', step: 1, steps: 2 });
    try {
      const parsed = history instanceof Blob ? await parse(history) : history;
      progress({ what: 'Checking and opening the history', step: 2, steps: 2 });
      // A refused history leaves the current registry as it was.
      const next = load(parsed, Date.now());
      keeping = { save: keep };
      adopt(next, parsed as HistoryExport);
      return versions();
    } finally {
      progress(null);
    }
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

// Requests are served one at a time, in order; after each, a changed registry is saved (before
// the next request, after the reply).
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
    try {
      await save();
    } catch (e) {
      progress(null);
      post({
        type: 'unsaved',
        message: `the history could not be saved in this browser: ${wireError(e).message}`,
      });
    }
  });
};
