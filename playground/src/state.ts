// The page's state: the registry worker and the page's copy of its history, what the views show
// (the version browsed, the version and entry selected, the tab), the last run's undo point and the
// scratch copy. Views read `state`, change it through the functions here, and re-render on refresh.
import seedSource from './seed.lua?raw';
import { ModuleError, RegistryWorker, WorkerLost } from './client';
import { errorText } from './dom';
import { differs, versionList } from './history';
import { HistoryMirror } from './persist';
import type {
  HistoryExport,
  Op_,
  RegistryEvent,
  Requests,
  SeedStep,
  VersionList,
} from './protocol';
import { setStatus, showNotice } from './status';

export type Tab = 'entries' | 'history' | 'diff';

export interface Scratch {
  /** The user's own registry, saved in the browser meanwhile and restored on leaving. */
  base: HistoryExport;
  /** A writing example runs on it, or it holds the registry of a shared link. */
  reason: 'example' | 'link';
}

export const state = {
  versions: { head: 0, versions: [] } as VersionList,
  /** The version the entries table shows; null follows head. */
  browsing: null as number | null,
  /** The version picked in the history list. */
  selectedVersion: null as number | null,
  selectedEntry: null as string | null,
  /** The user picked the diff's versions (else it follows the latest change). */
  diffChosen: false,
  activeTab: 'entries' as Tab,
  running: false,
  runs: 0,
  /** Where Undo moves head: the head before the last run, if that run moved it. */
  undoTarget: null as number | null,
  scratch: null as Scratch | null,
};

const root = document.documentElement.dataset;

export const mirror = new HistoryMirror((history) => {
  root.saved = String(Number(root.saved ?? 0) + 1);
  root.savedHead = String(history.head);
  root.savedVersions = String(history.versions.length);
  if (!state.scratch)
    setStatus(
      `History saved in this browser: ${history.versions.length} versions, head v${history.head}.`,
    );
});

// ---- change notification ---------------------------------------------------------------------

type Listener = () => void | Promise<void>;
const renderers: Listener[] = [];
const liveRenderers: (() => void)[] = [];
const readyListeners: ((ready: boolean) => void)[] = [];

/** `render` runs after every refresh, in registration order. */
export function onRefresh(render: Listener) {
  renderers.push(render);
}

/** `render` runs on each version a running script commits or head move it makes (the worker is
 * busy meanwhile: `state.versions` then comes from the page's copy of the history). */
export function onLive(render: () => void) {
  liveRenderers.push(render);
}

/** How often a run's progress is shown: a script may commit thousands of versions a second. */
const LIVE_INTERVAL_MS = 200;
let liveTimer: ReturnType<typeof setTimeout> | null = null;

const printedListeners: Array<(text: string) => void> = [];

/** Calls `show` with each piece of text the running script prints, as it prints it. */
export function onPrinted(show: (text: string) => void) {
  printedListeners.push(show);
}

/** An event of the worker's registry: printed text goes to the output; a change is kept in the
 * page's copy, and shown soon during a run. */
function onEvent(event: RegistryEvent) {
  if (event.event === 'printed') {
    for (const show of printedListeners) show(event.text);
    return;
  }
  mirror.apply(event);
  if (!state.running || liveTimer) return;
  liveTimer = setTimeout(() => {
    liveTimer = null;
    if (!state.running || !mirror.value) return;
    state.versions = versionList(mirror.value);
    for (const render of liveRenderers) render();
  }, LIVE_INTERVAL_MS);
}

export function onReady(listener: (ready: boolean) => void) {
  readyListeners.push(listener);
}

function setReady(ready: boolean) {
  root.ready = String(ready);
  for (const listener of readyListeners) listener(ready);
}

/** Takes the worker's version list and re-renders every view. */
export async function refresh() {
  try {
    state.versions = await call('versions', {});
  } catch {
    return;
  }
  const known = (id: number | null) =>
    id !== null && state.versions.versions.some((v) => v.id === id);
  if (!known(state.browsing)) state.browsing = null;
  if (!known(state.selectedVersion)) state.selectedVersion = null;
  if (!known(state.undoTarget)) state.undoTarget = null;
  for (const render of renderers) await render();
}

// ---- the worker --------------------------------------------------------------------------------

let worker: RegistryWorker | null = null;
let workerReady: Promise<void> = Promise.resolve();
let starting = false;

function onLost(error: WorkerLost) {
  if (starting) return; // the start itself reports it (and must not loop)
  setStatus(`Registry worker stopped (${error.message}); rebuilding it from the saved history…`);
  void startWorker(mirror.value);
}

/** The seed script's sections, each run as its own script an hour after the previous one. */
function seedSteps(now: number): SeedStep[] {
  const parts = seedSource.split(/^-- @@ /m).slice(1);
  return parts.map((part, i) => {
    const newline = part.indexOf('\n');
    return {
      title: part.slice(0, newline).trim(),
      source: part.slice(newline + 1),
      nowMs: now - (parts.length - i) * 3_600_000,
    };
  });
}

async function seedInto(target: RegistryWorker) {
  const now = Date.now();
  state.versions = await target.call(
    'seed',
    { steps: seedSteps(now), nowMs: now - 24 * 3_600_000 },
    60_000,
  );
  mirror.replace(await target.call('export', {}));
}

/** Starts a worker over `history` (or the sample data if there is none or it is refused). */
export function startWorker(history: HistoryExport | null): Promise<void> {
  worker?.terminate();
  const next = new RegistryWorker(onEvent, onLost);
  worker = next;
  workerReady = (async () => {
    starting = true;
    setReady(false);
    if (history) {
      try {
        state.versions = await next.call('open', { history, nowMs: Date.now() }, 60_000);
        mirror.replace(history);
      } catch (e) {
        if (!(e instanceof ModuleError)) throw e;
        showNotice(
          `The saved history was refused (${errorText(e)}); starting from the sample data.`,
        );
        history = null;
      }
    }
    if (!history) {
      await next.call('open', { history: null, nowMs: Date.now() }, 60_000);
      await seedInto(next);
    }
    starting = false;
    setReady(true);
    setStatus(`Ready: ${state.versions.versions.length} versions, head v${state.versions.head}.`);
  })();
  workerReady.catch((e) => {
    starting = false;
    setStatus(`The registry module could not start: ${errorText(e)}`);
  });
  return workerReady.then(() => refresh()).catch(() => undefined);
}

/** A request to the current worker, once it is ready. */
export async function call<K extends Op_>(
  op: K,
  args: Requests[K]['args'],
  fenceMs?: number,
): Promise<Requests[K]['result']> {
  await workerReady;
  if (!worker) throw new Error('no registry worker');
  return worker.call(op, args, fenceMs);
}

/** Ends the running script at once: the worker is replaced by one built from the history. */
export function stopWorker() {
  if (!worker) return;
  worker.terminate();
  void startWorker(mirror.value);
}

/** Makes the page's history agree with the worker's (cheap unless they differ). */
export async function reconcile(list: VersionList) {
  if (differs(mirror.value, list)) mirror.replace(await call('export', {}));
}

/** Replaces the registry with `history` (checked by the module) and forgets what views picked. */
export async function replaceRegistry(history: HistoryExport): Promise<VersionList> {
  const list = await call('import', { history });
  mirror.replace(await call('export', {}));
  state.versions = list;
  forgetSelection();
  return list;
}

/** Replaces the registry with the sample data. */
export async function reseed() {
  await workerReady;
  if (!worker) throw new Error('no registry worker');
  await seedInto(worker);
  forgetSelection();
}

function forgetSelection() {
  state.browsing = null;
  state.selectedVersion = null;
  state.selectedEntry = null;
  state.undoTarget = null;
  state.diffChosen = false;
}

/** Moves head (roll back, roll forward, make a version head, undo a run). */
export async function moveHead(target: number) {
  const list = await call('applyVersion', { version: target });
  mirror.setHead(list.head);
  state.versions = list;
  state.browsing = null;
}

// ---- scratch copies ----------------------------------------------------------------------------

/** From now on the page works on a copy (of `history`, else of the user's registry): the user's
 * registry is kept aside, and is what the browser saves meanwhile. */
export async function enterScratch(
  reason: Scratch['reason'],
  history: HistoryExport | null = null,
) {
  const entering = state.scratch === null;
  const scratch = state.scratch ?? { base: await call('export', {}), reason };
  if (entering) {
    state.scratch = scratch;
    mirror.hold(scratch.base);
  }
  try {
    await replaceRegistry(history ?? scratch.base);
  } catch (e) {
    if (entering) {
      state.scratch = null;
      mirror.release();
    }
    throw e;
  }
  scratch.reason = reason;
}

/** Drops the copy: the user's registry is back as it was. */
export async function leaveScratch() {
  const scratch = state.scratch;
  if (!scratch) return;
  await replaceRegistry(scratch.base);
  state.scratch = null;
  mirror.release();
}

/** Keeps the copy as the user's registry (the one from a link, say). */
export function keepScratch() {
  state.scratch = null;
  mirror.release();
}
