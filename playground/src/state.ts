// The page's state: the registry worker, its version list and the changes of a run it has not
// saved yet, what the views show (the version browsed, the version and entry selected, the tab),
// the last run's undo point and the scratch copy. Views read `state`, change it through the functions here, and re-render on refresh.
import seedSource from './seed.lua?raw';
import { ModuleError, RegistryWorker, WorkerLost } from './client';
import { errorText, nextTask } from './dom';
import { applyToList, type RegistryChange } from './history';
import type {
  HistoryExport,
  Op_,
  RegistryEvent,
  Requests,
  SeedStep,
  Versions,
  WorkerNotice,
} from './protocol';
import { setStatus, showNotice, showProgress } from './status';
import { journal } from './storage';

export type Tab = 'entries' | 'history' | 'diff';

export interface Scratch {
  /** The registry of a shared link the copy started as (the changes since are `pending`): a
   * stopped worker restarts from it. null: a copy of the user's registry, which the worker keeps
   * aside and the browser keeps saved meanwhile (a stopped worker restarts from that). */
  start: HistoryExport | null;
  /** A writing example runs on it, or it holds the registry of a shared link. */
  reason: 'example' | 'link';
}

export const state = {
  versions: { head: 0, versions: [], ids: {} } as Versions,
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

/** Changes the page saw that the browser's saved history may not hold yet: a worker that has to be
 * replaced mid-run reopens the saved history with them. */
let pending: RegistryChange[] = [];
/** Changes not yet appended to the saved history's journal (the worker is busy running). */
let unjournaled: RegistryChange[] = [];
let journalTimer: ReturnType<typeof setTimeout> | null = null;

/** Keeps a change a running script made, and journals it soon (never a scratch copy's). */
function keepChange(change: RegistryChange) {
  pending.push(change);
  if (state.scratch) return;
  unjournaled.push(change);
  journalTimer ??= setTimeout(flushJournal, 150);
}

/** Appends the changes seen since the last append to the saved history's journal. */
export function flushJournal() {
  if (journalTimer) clearTimeout(journalTimer);
  journalTimer = null;
  const batch = unjournaled;
  unjournaled = [];
  if (!batch.length) return;
  journal(batch).then(
    () => (root.journaled = String(Number(root.journaled ?? 0) + batch.length)),
    () => undefined, // the worker still has the changes, and saves them after the run
  );
}

function onSaved(head: number, versions: number) {
  // The worker saves after it has forwarded every change it made: the save holds them all.
  pending = [];
  unjournaled = [];
  if (journalTimer) clearTimeout(journalTimer);
  journalTimer = null;
  root.saved = String(Number(root.saved ?? 0) + 1);
  root.savedHead = String(head);
  root.savedVersions = String(versions);
  if (!state.scratch)
    setStatus(
      `History saved in this browser: ${versions.toLocaleString('en')} versions, head v${head}.`,
    );
}

function onNotice(notice: WorkerNotice) {
  if (notice.type === 'event') onEvent(notice.event);
  else if (notice.type === 'progress') showProgress(notice.task);
  else if (notice.type === 'saved') onSaved(notice.head, notice.versions);
  else showNotice(notice.message);
}

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
 * busy meanwhile: `state.versions` then follows the changes it forwards). */
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

/** An event of the worker's registry: printed text goes to the output; a change is kept until
 * saved, applied to the version list, and shown soon during a run. */
function onEvent(event: RegistryEvent) {
  if (event.event === 'printed') {
    for (const show of printedListeners) show(event.text);
    return;
  }
  keepChange(event);
  applyToList(state.versions, event);
  if (!state.running || liveTimer) return;
  liveTimer = setTimeout(() => {
    liveTimer = null;
    if (!state.running) return;
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
  for (const render of renderers) {
    await render();
    await nextTask(); // each view in a task of its own
  }
}

// ---- the worker --------------------------------------------------------------------------------

let worker: RegistryWorker | null = null;
let workerReady: Promise<void> = Promise.resolve();
let starting = false;

function onLost(error: WorkerLost) {
  if (starting) return; // the start itself reports it (and must not loop)
  setStatus(`Registry worker stopped (${error.message}); rebuilding it from the saved history…`);
  void startWorker();
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
}

/** How long opening may take: reading and opening a large saved history takes seconds. */
const OPEN_FENCE_MS = 180_000;

/** Starts a worker over the saved history (or the scratch copy in use) and the changes the page
 * saw since; over the sample data if nothing is saved or the saved history is refused. */
export function startWorker(): Promise<void> {
  worker?.terminate();
  const next = new RegistryWorker(onNotice, onLost);
  worker = next;
  const scratch = state.scratch;
  workerReady = (async () => {
    starting = true;
    setReady(false);
    let list: Versions | null = null;
    try {
      list = await next.call(
        'open',
        { history: scratch?.start ?? null, pending, nowMs: Date.now(), save: !scratch },
        OPEN_FENCE_MS,
      );
    } catch (e) {
      if (!(e instanceof ModuleError)) throw e;
      showNotice(`The saved history was refused (${errorText(e)}); starting from the sample data.`);
    }
    if (list) state.versions = list;
    else await seedInto(next);
    starting = false;
    setReady(true);
    setStatus(
      `Ready: ${state.versions.versions.length.toLocaleString('en')} versions, head v${state.versions.head}.`,
    );
  })();
  workerReady.catch((e) => {
    starting = false;
    showProgress(null);
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
  void startWorker();
}

/** Replaces the registry with `history` (an export, or a JSON file the worker reads; checked by
 * the module) and forgets what views picked. A scratch copy is not saved. */
export async function replaceRegistry(history: HistoryExport | Blob): Promise<Versions> {
  const list = await call('import', { history, save: !state.scratch }, OPEN_FENCE_MS);
  adoptList(list);
  return list;
}

/** The worker serves another registry: its version list, and nothing picked in the last one. */
function adoptList(list: Versions) {
  pending = [];
  state.versions = list;
  forgetSelection();
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
  state.versions = await call('applyVersion', { version: target });
  state.browsing = null;
}

// ---- scratch copies ----------------------------------------------------------------------------

/** From now on the page works on a copy (of `history`, else of the user's registry), made in the
 * worker; the user's registry is kept aside, and is what the browser saves meanwhile. */
export async function enterScratch(
  reason: Scratch['reason'],
  history: HistoryExport | null = null,
) {
  // A refused history changes nothing, in the worker either.
  const list = await call('scratch', { history }, OPEN_FENCE_MS);
  state.scratch = { start: history, reason };
  adoptList(list);
}

/** Drops the copy: the user's registry is back as it was. */
export async function leaveScratch() {
  if (!state.scratch) return;
  const list = await call('leaveScratch', {}, OPEN_FENCE_MS);
  state.scratch = null;
  adoptList(list);
}

/** Keeps the copy as the user's registry (the one from a link, say). */
export function keepScratch() {
  state.scratch = null;
  void call('keep', {});
}
