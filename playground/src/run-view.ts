// Running scripts: the Run, Stop and Undo buttons, and the output pane (one block per run, kept
// until cleared; it follows the end unless the user scrolled up; resizable; copy and clear).
import { WorkerLost } from './client';
import { $, errorText, h, storageGet, storageSet } from './dom';
import { showLua } from './luavalue';
import type { RunResult } from './protocol';
import {
  call,
  moveHead,
  onLive,
  onPrinted,
  onReady,
  onRefresh,
  refresh,
  state,
  stopWorker,
} from './state';
import { setStatus, showNotice } from './status';

/** Makes the spec's examples runnable as written: they use `registry` (and one `snapshot`)
 * without defining it. One line, so error lines match the editor's. */
export const PRELUDE =
  'local registry = require("registry"); local snapshot = registry.snapshot(); ';
/** The chunk name of the editor's script, in errors and tracebacks. */
export const CHUNK = 'playground.lua';
const DEFAULT_LIMIT_S = 5;
/** Older run blocks are dropped beyond this many. */
const KEPT_RUNS = 50;
/** How often printed text is shown while a script runs (it may print thousands of lines a second). */
const PRINTED_INTERVAL_MS = 100;
/** `?innerFence=off` leaves the time limit to the page's outer fence alone (for testing it). */
const innerFence = new URLSearchParams(location.search).get('innerFence') !== 'off';

export interface ScriptSource {
  getSource(): string;
  markError(line: number | null): void;
  goToLine(line: number): void;
}

const runButton = $<HTMLButtonElement>('run');
const stopButton = $<HTMLButtonElement>('stop');
const undoButton = $<HTMLButtonElement>('undo');
const limitInput = $<HTMLInputElement>('time-limit');
const output = $('output');
const runStatus = $('run-status');
const outputPane = $('output-pane');
const resizer = $('output-resizer');

let editor: ScriptSource;
let ready = false;

function limitMs(): number {
  const seconds = Number(limitInput.value);
  return Math.round(
    (Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) : DEFAULT_LIMIT_S) * 1000,
  );
}

// ---- the output pane ---------------------------------------------------------------------------

/** True while the user has not scrolled up: new output scrolls into view. */
let following = true;

function appendBlock(block: HTMLElement) {
  output.querySelector(':scope > .placeholder')?.remove();
  output.append(block);
  const blocks = output.querySelectorAll(':scope > .run');
  for (let i = 0; i < blocks.length - KEPT_RUNS; i++) blocks[i].remove();
  if (following) output.scrollTop = output.scrollHeight;
}

function clearOutput() {
  output.replaceChildren(
    h('p', { class: 'muted placeholder' }, 'Run a script to see what it prints and returns.'),
  );
  following = true;
  output.dataset.following = 'true';
}

async function copyOutput() {
  const text = [...output.querySelectorAll<HTMLElement>(':scope > .run')]
    .map((b) => b.innerText.trim())
    .join('\n\n');
  try {
    await navigator.clipboard.writeText(text);
    setStatus('Output copied to the clipboard.');
  } catch {
    setStatus('The clipboard is not available here: select the output and copy it.');
  }
}

const MIN_HEIGHT = 80;
const maxHeight = () => Math.max(MIN_HEIGHT, window.innerHeight - 240);
function setOutputHeight(px: number) {
  const height = Math.round(Math.min(Math.max(px, MIN_HEIGHT), maxHeight()));
  document.documentElement.style.setProperty('--output-height', `${height}px`);
  storageSet('outputHeight', String(height));
}

/** Resizing: the handle under the output sets its height (pointer or arrow keys). */
function initResizer() {
  const storedHeight = Number(storageGet('outputHeight'));
  if (storedHeight > 0) setOutputHeight(storedHeight);
  // The separator reports the pane's height however it changed (window size, layout).
  new ResizeObserver(() => {
    resizer.setAttribute(
      'aria-valuenow',
      String(Math.round(outputPane.getBoundingClientRect().height)),
    );
    resizer.setAttribute('aria-valuemax', String(maxHeight()));
  }).observe(outputPane);
  resizer.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    resizer.setPointerCapture(e.pointerId);
    const top = outputPane.getBoundingClientRect().top;
    const move = (m: PointerEvent) => setOutputHeight(m.clientY - top);
    const up = () => {
      resizer.removeEventListener('pointermove', move);
      resizer.removeEventListener('pointerup', up);
    };
    resizer.addEventListener('pointermove', move);
    resizer.addEventListener('pointerup', up);
  });
  resizer.addEventListener('keydown', (e) => {
    const step = e.key === 'ArrowDown' ? 24 : e.key === 'ArrowUp' ? -24 : 0;
    if (!step) return;
    e.preventDefault();
    setOutputHeight(outputPane.getBoundingClientRect().height + step);
  });
}

// ---- runs --------------------------------------------------------------------------------------

function runBlock(n: number, summary: string, ok: boolean) {
  return h(
    'section',
    { class: 'run', 'data-run': n, 'data-state': ok ? 'ok' : 'error', 'aria-label': `Run ${n}` },
    h('div', { class: 'run-head' }, `Run ${n} · ${summary}`),
  );
}

function printedBlock(text: string) {
  return h('pre', { class: 'printed', 'data-testid': 'printed' }, text.replace(/\n$/, ''));
}

/** The block of the run in progress: what the script printed so far, shown as it prints. */
let live: {
  block: HTMLElement;
  text: string;
  printed: HTMLElement | null;
  timer: ReturnType<typeof setTimeout> | null;
} | null = null;

function startLive(n: number) {
  const block = runBlock(n, 'Running…', true);
  block.dataset.state = 'running';
  live = { block, text: '', printed: null, timer: null };
  appendBlock(block);
}

function showPrinted(text: string) {
  if (!live) return;
  live.text += text;
  live.timer ??= setTimeout(flushPrinted, PRINTED_INTERVAL_MS);
}

function flushPrinted() {
  if (!live) return;
  if (live.timer) clearTimeout(live.timer);
  live.timer = null;
  if (!live.text) return;
  const printed = printedBlock(live.text);
  if (live.printed) live.printed.replaceWith(printed);
  else live.block.append(printed);
  live.printed = printed;
  if (following) output.scrollTop = output.scrollHeight;
}

/** Puts a run's final block where its live block was; returns what the live block printed. */
function endLive(block: HTMLElement): HTMLElement | null {
  flushPrinted();
  const printed = live?.printed ?? null;
  // The live block is gone if the output was cleared during the run.
  if (live?.block.isConnected) live.block.replaceWith(block);
  else appendBlock(block);
  live = null;
  if (following) output.scrollTop = output.scrollHeight;
  return printed;
}

function renderRun(n: number, result: RunResult, elapsedMs: number) {
  const ok = !result.error;
  const summary = `${ok ? 'Finished' : 'Failed'} in ${elapsedMs < 10 ? elapsedMs.toFixed(1) : Math.round(elapsedMs)} ms · head v${result.head}`;
  runStatus.textContent = summary;
  runStatus.dataset.state = ok ? 'ok' : 'error';
  const block = runBlock(n, summary, ok);
  if (result.printed) block.append(printedBlock(result.printed));
  if (result.returned.length) {
    const list = h('ol', {
      class: 'returned',
      'aria-label': 'Returned values',
      'data-testid': 'returned',
    });
    for (const value of result.returned) list.append(h('li', {}, h('code', {}, showLua(value))));
    block.append(
      h(
        'div',
        { class: 'returned-head' },
        `returned ${result.returned.length} value${result.returned.length === 1 ? '' : 's'}`,
      ),
      list,
    );
  }
  if (result.error) {
    const { line, message, traceback } = result.error;
    const box = h(
      'div',
      { class: 'run-error', role: 'alert', 'data-testid': 'error', 'data-line': line ?? undefined },
      h('strong', {}, line !== null ? `Error on line ${line}: ` : 'Error: '),
      message,
    );
    if (line !== null) {
      const go = h('button', { type: 'button', class: 'link' }, `Go to line ${line}`);
      go.addEventListener('click', () => editor.goToLine(line));
      box.append(' ', go);
    }
    if (traceback)
      box.append(h('details', {}, h('summary', {}, 'Traceback'), h('pre', {}, traceback)));
    block.append(box);
  }
  if (!result.printed && !result.returned.length && !result.error)
    block.append(h('p', { class: 'muted' }, 'No output.'));
  endLive(block);
}

function renderLost(n: number, e: unknown, limit: number, waitedMs: number) {
  runStatus.dataset.state = 'error';
  let box: HTMLElement;
  if (e instanceof WorkerLost) {
    runStatus.textContent = `Stopped after ${(waitedMs / 1000).toFixed(1)} s`;
    const why =
      e.reason === 'timeout'
        ? `The script did not finish within its time limit of ${limit / 1000} s (+1 s grace): the worker was terminated.`
        : e.message === 'the registry worker was replaced'
          ? 'The script was stopped: the worker was terminated.'
          : `The registry worker stopped: ${e.message}.`;
    box = h(
      'div',
      { class: 'run-error', role: 'alert', 'data-testid': 'timeout' },
      h('strong', {}, 'Stopped. '),
      why,
      ' A new worker was built from the history; every version committed before the stop is kept.',
    );
  } else {
    runStatus.textContent = 'Failed';
    box = h('div', { class: 'run-error', role: 'alert', 'data-testid': 'error' }, errorText(e));
  }
  const block = runBlock(n, runStatus.textContent, false);
  // What the script printed before it was stopped stays (the worker that ran it is gone).
  const printed = endLive(block);
  if (printed) block.append(printed);
  block.append(box);
}

function syncButtons() {
  runButton.disabled = !ready || state.running;
  stopButton.disabled = !state.running;
  const target = state.undoTarget;
  undoButton.disabled = state.running || target === null || target === state.versions.head;
  undoButton.title =
    target === null
      ? 'Nothing to undo'
      : `Move head back to v${target}, where it was before the last run (its versions stay in the history)`;
  undoButton.textContent = target === null ? 'Undo run' : `Undo run (back to v${target})`;
}

let headBefore = 0;
let versionsBefore = 0;

/** While a script runs: what it committed so far (the events arrive as it commits). */
function renderProgress() {
  // A commit event can arrive after the run's result: the final status stays.
  if (!live) return;
  const committed = state.versions.versions.length - versionsBefore;
  const moved = state.versions.head !== headBefore ? `, head v${state.versions.head}` : '';
  runStatus.textContent = `Running… ${committed} version${committed === 1 ? '' : 's'} committed${moved}`;
}

export async function runScript() {
  if (state.running || !ready) return;
  state.running = true;
  const n = state.runs + 1;
  headBefore = state.versions.head;
  versionsBefore = state.versions.versions.length;
  syncButtons();
  editor.markError(null);
  const limit = limitMs();
  runStatus.textContent = 'Running…';
  runStatus.dataset.state = 'running';
  document.documentElement.dataset.running = 'true';
  const started = performance.now();
  startLive(n);
  try {
    const { result, elapsedMs } = await call(
      'run',
      {
        source: PRELUDE + editor.getSource(),
        chunk: CHUNK,
        nowMs: Date.now(),
        ...(innerFence ? { timeoutMs: limit } : {}),
      },
      limit + 1000,
    );
    renderRun(n, result, elapsedMs);
    editor.markError(result.error?.line ?? null);
    state.versions = await call('versions', {});
  } catch (e) {
    renderLost(n, e, limit, performance.now() - started);
  } finally {
    output.dataset.waitedMs = String(Math.round(performance.now() - started));
    state.running = false;
    await refresh();
    if (state.versions.head !== headBefore) state.undoTarget = headBefore;
    state.runs = n;
    syncButtons();
    document.documentElement.dataset.runs = String(n);
    document.documentElement.dataset.running = 'false';
  }
}

async function undoRun() {
  const target = state.undoTarget;
  if (target === null || state.running) return;
  try {
    await moveHead(target);
    state.undoTarget = null;
    showNotice(
      `Undone: head is back at v${target}; the run's versions stay in the history.`,
      'info',
    );
  } catch (e) {
    showNotice(`Could not undo: ${errorText(e)}`);
  }
  await refresh();
}

export function initRunView(source: ScriptSource) {
  editor = source;
  runButton.addEventListener('click', () => void runScript());
  stopButton.addEventListener('click', () => {
    if (state.running) stopWorker();
  });
  undoButton.addEventListener('click', () => void undoRun());
  onReady((isReady) => {
    ready = isReady;
    syncButtons();
  });
  onRefresh(syncButtons);
  onLive(renderProgress);
  onPrinted(showPrinted);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
      e.preventDefault();
      void runScript();
    }
  });
  limitInput.value = storageGet('timeLimit') ?? String(DEFAULT_LIMIT_S);
  limitInput.addEventListener('change', () => {
    limitInput.value = String(limitMs() / 1000);
    storageSet('timeLimit', limitInput.value);
  });
  output.addEventListener('scroll', () => {
    following = output.scrollTop + output.clientHeight >= output.scrollHeight - 8;
    output.dataset.following = String(following);
  });
  $('output-clear').addEventListener('click', clearOutput);
  $('output-copy').addEventListener('click', () => void copyOutput());
  initResizer();
  clearOutput();
}
