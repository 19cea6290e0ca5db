// The playground page: editor, output, state inspector, and the registry worker behind them.
import './style.css';
import seedSource from './seed.lua?raw';
import { ModuleError, RegistryWorker, WorkerLost } from './client';
import { describeDelta, showValue, type DiffRow } from './diff';
import { createEditor } from './editor';
import { EXAMPLES, WELCOME } from './examples';
import { HistoryMirror } from './history';
import type { Entry, HistoryExport, Op_, RegistryEvent, Requests, RunResult, SeedStep, VersionList } from './protocol';
import { decodeScript, encodeScript } from './share';

// ---- constants and small helpers -----------------------------------------------------------

/** Makes the spec's examples runnable as written: they use `registry` (and one `snapshot`)
 * without defining it. One line, so error lines match the editor's. */
export const PRELUDE = 'local registry = require("registry"); local snapshot = registry.snapshot(); ';
const CHUNK = 'playground.lua';
const STORE = 'luau-registry-playground.';
const DEFAULT_LIMIT_S = 5;
const MAX_ROWS = 500;
const params = new URLSearchParams(location.search);
/** `?innerFence=off` leaves the time limit to the page's outer fence alone (for testing it). */
const innerFence = params.get('innerFence') !== 'off';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

type Child = Node | string | null | undefined | false;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | number | undefined> = {}, ...children: Child[]) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

function storageGet(key: string): string | null {
  try {
    return localStorage.getItem(STORE + key);
  } catch {
    return null;
  }
}
function storageSet(key: string, value: string) {
  try {
    localStorage.setItem(STORE + key, value);
  } catch {
    /* storage full or disabled: the playground still works */
  }
}

function formatTime(ms: number): string {
  const date = new Date(ms);
  const today = new Date();
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return date.toDateString() === today.toDateString() ? time : `${date.toLocaleDateString()} ${time}`;
}

/** The meta fields people scan for first, then the rest, long descriptions last. */
const META_FIRST = ['environment', 'region', 'status', 'owner', 'revision'];
function metaSummary(meta: Record<string, unknown>): string {
  const rank = (key: string) => (META_FIRST.includes(key) ? META_FIRST.indexOf(key) : key === 'description' ? 99 : 50);
  return Object.entries(meta)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('  ');
}

function errorText(e: unknown): string {
  if (e instanceof ModuleError) return `${e.name}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
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

// ---- elements -------------------------------------------------------------------------------

const runButton = $<HTMLButtonElement>('run');
const stopButton = $<HTMLButtonElement>('stop');
const examplesSelect = $<HTMLSelectElement>('examples');
const limitInput = $<HTMLInputElement>('time-limit');
const output = $('output');
const runStatus = $('run-status');
const statusEl = $('status');
const notice = $('inspector-notice');
const filterInput = $<HTMLInputElement>('filter');
const filterError = $('filter-error');
const entriesBody = $('entries-table').querySelector('tbody')!;
const entriesCaption = $('entries-caption');
const entryDetail = $('entry-detail');
const browseBanner = $('browse-banner');
const versionsList = $('versions');
const historySummary = $('history-summary');
const rollbackButton = $<HTMLButtonElement>('rollback');
const rollforwardButton = $<HTMLButtonElement>('rollforward');
const applySelectedButton = $<HTMLButtonElement>('apply-selected');
const diffFrom = $<HTMLSelectElement>('diff-from');
const diffTo = $<HTMLSelectElement>('diff-to');
const diffEl = $('diff');

// ---- state ----------------------------------------------------------------------------------

let saved = 0;
const mirror = new HistoryMirror((history) => {
  saved++;
  document.documentElement.dataset.saved = String(saved);
  document.documentElement.dataset.savedHead = String(history.head);
  document.documentElement.dataset.savedVersions = String(history.versions.length);
  setStatus(`History saved in this browser: ${history.versions.length} versions, head v${history.head}.`);
});

let worker: RegistryWorker | null = null;
let workerReady: Promise<void> = Promise.resolve();
let running = false;
let runs = 0;
let versions: VersionList = { head: 0, versions: [] };
/** The version the entries table shows; null follows head. */
let browsing: number | null = null;
/** The version picked in the history list. */
let selectedVersion: number | null = null;
let selectedEntry: string | null = null;
let diffChosen = false;
let activeTab: 'entries' | 'history' | 'diff' = 'entries';

function setStatus(text: string) {
  statusEl.textContent = text;
}

function showNotice(text: string | null, kind: 'error' | 'info' = 'error') {
  notice.hidden = !text;
  notice.textContent = text ?? '';
  notice.className = `notice ${kind}`;
}

function limitMs(): number {
  const seconds = Number(limitInput.value);
  return Math.round((Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) : DEFAULT_LIMIT_S) * 1000);
}

// ---- the worker -----------------------------------------------------------------------------

function onEvent(event: RegistryEvent) {
  mirror.apply(event);
}

let starting = false;

function onLost(error: WorkerLost) {
  if (starting) return; // the start itself reports it (and must not loop)
  setStatus(`Registry worker stopped (${error.message}); rebuilding it from the saved history…`);
  void startWorker(mirror.value);
}

/** Starts a worker over `history` (or the sample data if there is none or it is refused). */
function startWorker(history: HistoryExport | null): Promise<void> {
  worker?.terminate();
  const next = new RegistryWorker(onEvent, onLost);
  worker = next;
  workerReady = (async () => {
    starting = true;
    document.documentElement.dataset.ready = 'false';
    runButton.disabled = true;
    if (history) {
      try {
        const list = await next.call('open', { history, nowMs: Date.now() }, 60_000);
        mirror.replace(history);
        versions = list;
      } catch (e) {
        if (!(e instanceof ModuleError)) throw e;
        showNotice(`The saved history was refused (${errorText(e)}); starting from the sample data.`);
        history = null;
      }
    }
    if (!history) {
      await next.call('open', { history: null, nowMs: Date.now() }, 60_000);
      await seed(next);
    }
    starting = false;
    runButton.disabled = false;
    document.documentElement.dataset.ready = 'true';
    setStatus(`Ready: ${versions.versions.length} versions, head v${versions.head}.`);
  })();
  workerReady.catch((e) => {
    starting = false;
    setStatus(`The registry module could not start: ${errorText(e)}`);
  });
  return workerReady.then(() => refresh()).catch(() => undefined);
}

async function seed(target: RegistryWorker) {
  const now = Date.now();
  versions = await target.call('seed', { steps: seedSteps(now), nowMs: now - 24 * 3_600_000 }, 60_000);
  mirror.replace(await target.call('export', {}));
}

/** A request to the current worker, once it is ready. */
async function call<K extends Op_>(op: K, args: Requests[K]['args'], fenceMs?: number): Promise<Requests[K]['result']> {
  await workerReady;
  if (!worker) throw new Error('no registry worker');
  return worker.call(op, args, fenceMs);
}

/** Makes the page's history agree with the worker's (cheap unless they differ). */
async function reconcile(list: VersionList) {
  const history = mirror.value;
  if (!history || history.head !== list.head || history.versions.length !== list.versions.length) {
    mirror.replace(await call('export', {}));
  }
}

// ---- running scripts ------------------------------------------------------------------------

function renderRun(result: RunResult, elapsedMs: number) {
  output.replaceChildren();
  const ok = !result.error;
  runStatus.textContent = `${ok ? 'Finished' : 'Failed'} in ${elapsedMs < 10 ? elapsedMs.toFixed(1) : Math.round(elapsedMs)} ms · head v${result.head}`;
  runStatus.dataset.state = ok ? 'ok' : 'error';
  if (result.printed) output.append(h('pre', { class: 'printed', 'data-testid': 'printed' }, result.printed.replace(/\n$/, '')));
  if (result.returned.length) {
    const list = h('ol', { class: 'returned', 'aria-label': 'Returned values', 'data-testid': 'returned' });
    for (const value of result.returned) list.append(h('li', {}, h('code', {}, JSON.stringify(value, null, 2) ?? 'nil')));
    output.append(h('div', { class: 'returned-head' }, `returned ${result.returned.length} value${result.returned.length === 1 ? '' : 's'}`), list);
  }
  if (result.error) {
    const { line, message, traceback } = result.error;
    const where = line !== null ? `line ${line}` : 'unknown line';
    const box = h(
      'div',
      { class: 'run-error', role: 'alert', 'data-testid': 'error', 'data-line': line ?? undefined },
      h('strong', {}, `Error on ${where}: `),
      message,
    );
    if (line !== null) {
      const go = h('button', { type: 'button', class: 'link' }, `Go to line ${line}`);
      go.addEventListener('click', () => {
        const doc = editor.view.state.doc;
        if (line <= doc.lines) editor.view.dispatch({ selection: { anchor: doc.line(line).from }, scrollIntoView: true });
        editor.view.focus();
      });
      box.append(' ', go);
    }
    if (traceback) box.append(h('details', {}, h('summary', {}, 'Traceback'), h('pre', {}, traceback)));
    output.append(box);
  }
  if (!result.printed && !result.returned.length && !result.error) output.append(h('p', { class: 'muted' }, 'No output.'));
}

async function runScript() {
  if (running || runButton.disabled) return;
  running = true;
  runButton.disabled = true;
  stopButton.disabled = false;
  editor.markError(null);
  const limit = limitMs();
  runStatus.textContent = 'Running…';
  runStatus.dataset.state = 'running';
  document.documentElement.dataset.running = 'true';
  const started = performance.now();
  try {
    const { result, elapsedMs } = await call(
      'run',
      { source: PRELUDE + editor.getSource(), chunk: CHUNK, nowMs: Date.now(), ...(innerFence ? { timeoutMs: limit } : {}) },
      limit + 1000,
    );
    renderRun(result, elapsedMs);
    output.dataset.waitedMs = String(Math.round(performance.now() - started));
    editor.markError(result.error?.line ?? null);
    versions = await call('versions', {});
    await reconcile(versions);
    if (!diffChosen) setDiffDefaults();
  } catch (e) {
    output.replaceChildren();
    runStatus.dataset.state = 'error';
    output.dataset.waitedMs = String(Math.round(performance.now() - started));
    if (e instanceof WorkerLost) {
      const waited = ((performance.now() - started) / 1000).toFixed(1);
      runStatus.textContent = `Stopped after ${waited} s`;
      const why = e.reason === 'timeout'
        ? `The script did not finish within its time limit of ${limit / 1000} s (+1 s grace): the worker was terminated.`
        : e.message === 'the registry worker was replaced'
          ? 'The script was stopped: the worker was terminated.'
          : `The registry worker stopped: ${e.message}.`;
      output.append(
        h('div', { class: 'run-error', role: 'alert', 'data-testid': 'timeout' }, h('strong', {}, 'Stopped. '), why,
          ' A new worker was built from the history; every version committed before the stop is kept.'),
      );
    } else {
      runStatus.textContent = 'Failed';
      output.append(h('div', { class: 'run-error', role: 'alert', 'data-testid': 'error' }, errorText(e)));
    }
  } finally {
    running = false;
    stopButton.disabled = true;
    runButton.disabled = false;
    await refresh();
    runs++;
    document.documentElement.dataset.runs = String(runs);
    document.documentElement.dataset.running = 'false';
  }
}

function stopScript() {
  if (!running || !worker) return;
  worker.terminate();
  void startWorker(mirror.value);
}

// ---- the inspector --------------------------------------------------------------------------

const headVersion = () => versions.head;
const parentOf = (id: number) => versions.versions.find((v) => v.id === id)?.parent ?? null;
const newestChildOf = (id: number) =>
  versions.versions.filter((v) => v.parent === id).reduce<number | null>((best, v) => (best === null || v.id > best ? v.id : best), null);

async function refresh() {
  try {
    await workerReady;
    versions = await call('versions', {});
  } catch {
    return;
  }
  if (browsing !== null && !versions.versions.some((v) => v.id === browsing)) browsing = null;
  if (selectedVersion !== null && !versions.versions.some((v) => v.id === selectedVersion)) selectedVersion = null;
  renderHistory();
  await renderEntries();
  renderDiffSelects();
  if (activeTab === 'diff') await renderDiff();
}

async function renderEntries() {
  const version = browsing ?? versions.head;
  const filter = filterInput.value.trim();
  let entries: Entry[];
  try {
    entries = await call('entries', { version: browsing, filter: filter || null });
    filterError.hidden = true;
    filterInput.removeAttribute('aria-invalid');
  } catch (e) {
    if (e instanceof ModuleError) {
      filterError.hidden = false;
      filterError.textContent = errorText(e);
      filterInput.setAttribute('aria-invalid', 'true');
    }
    return;
  }
  const where = browsing === null ? `at head (v${version})` : `at v${version}`;
  entriesCaption.textContent = `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} ${where}${filter ? ' matching the filter' : ''}`;
  browseBanner.hidden = browsing === null;
  if (browsing !== null) {
    const back = h('button', { type: 'button', class: 'link', id: 'back-to-head' }, 'Back to head');
    back.addEventListener('click', () => {
      browsing = null;
      void refresh();
    });
    browseBanner.replaceChildren(`Browsing the snapshot of v${browsing} (head is v${versions.head}). `, back);
  }
  entriesBody.replaceChildren();
  for (const entry of entries.slice(0, MAX_ROWS)) {
    const button = h('button', { type: 'button', class: 'entry-id', 'aria-pressed': String(entry.id === selectedEntry) }, entry.id);
    button.addEventListener('click', () => {
      selectedEntry = selectedEntry === entry.id ? null : entry.id;
      for (const b of entriesBody.querySelectorAll('button.entry-id')) {
        const on = b === button && selectedEntry !== null;
        b.setAttribute('aria-pressed', String(on));
        b.closest('tr')?.classList.toggle('selected', on);
      }
      renderEntryDetail(selectedEntry ? entry : null, version);
    });
    const summary = metaSummary(entry.meta ?? {});
    entriesBody.append(
      h('tr', { 'data-id': entry.id, class: entry.id === selectedEntry ? 'selected' : undefined },
        h('td', {}, button), h('td', {}, entry.kind), h('td', { class: 'meta', title: summary }, summary)),
    );
  }
  if (entries.length > MAX_ROWS) entriesBody.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, `…and ${entries.length - MAX_ROWS} more: narrow the filter.`)));
  if (!entries.length) entriesBody.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No entries.')));
  const selected = entries.find((e) => e.id === selectedEntry) ?? null;
  renderEntryDetail(selected, version);
}

function renderEntryDetail(entry: Entry | null, version: number) {
  entryDetail.hidden = !entry;
  entryDetail.parentElement?.classList.toggle('with-detail', Boolean(entry));
  entryDetail.replaceChildren();
  if (!entry) return;
  const close = h('button', { type: 'button', class: 'icon', 'aria-label': 'Close the entry details' }, '×');
  close.addEventListener('click', () => {
    selectedEntry = null;
    void renderEntries();
  });
  entryDetail.append(
    h('div', { class: 'detail-head' }, h('h3', {}, entry.id), h('span', { class: 'hint' }, `${entry.kind} · v${version}`), close),
    h('h4', {}, 'meta'),
    h('pre', { class: 'json', 'data-testid': 'entry-meta' }, JSON.stringify(entry.meta ?? {}, null, 2)),
    h('h4', {}, 'data'),
    h('pre', { class: 'json', 'data-testid': 'entry-data' }, entry.data === undefined ? 'nil' : JSON.stringify(entry.data, null, 2)),
  );
}

function renderHistory() {
  const head = versions.head;
  const parent = parentOf(head);
  const child = newestChildOf(head);
  rollbackButton.disabled = parent === null;
  rollbackButton.textContent = parent === null ? '◀ Roll back' : `◀ Roll back to v${parent}`;
  rollforwardButton.disabled = child === null;
  rollforwardButton.textContent = child === null ? 'Roll forward ▶' : `Roll forward to v${child} ▶`;
  applySelectedButton.disabled = selectedVersion === null || selectedVersion === head;
  applySelectedButton.textContent = selectedVersion === null ? 'Make selected head' : `Make v${selectedVersion} head`;
  historySummary.textContent = `${versions.versions.length} versions · head v${head}`;
  versionsList.replaceChildren();
  for (const v of [...versions.versions].reverse()) {
    const isHead = v.id === head;
    const button = h(
      'button',
      { type: 'button', class: 'version', 'aria-pressed': String(v.id === selectedVersion), 'aria-current': isHead ? 'true' : undefined, 'data-version': v.id },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'vid' }, `v${v.id}`),
      isHead ? h('span', { class: 'badge' }, 'HEAD') : null,
      h('span', { class: 'ops' }, `${v.ops} op${v.ops === 1 ? '' : 's'}`),
      v.parent !== null && v.parent !== v.id - 1 ? h('span', { class: 'branch' }, `↳ from v${v.parent}`) : null,
      h('time', { datetime: new Date(v.time_ms).toISOString() }, formatTime(v.time_ms)),
    );
    button.addEventListener('click', () => {
      selectedVersion = v.id;
      browsing = v.id === head ? null : v.id;
      void refresh().then(() => selectTab('entries'));
    });
    versionsList.append(h('li', { class: isHead ? 'head' : undefined }, button));
  }
}

async function applyVersion(target: number) {
  try {
    const list = await call('applyVersion', { version: target });
    mirror.setHead(list.head);
    versions = list;
    browsing = null;
    showNotice(null);
    if (!diffChosen) setDiffDefaults();
  } catch (e) {
    showNotice(`Could not apply v${target}: ${errorText(e)}`);
  }
  await refresh();
}

// ---- the diff view --------------------------------------------------------------------------

function setDiffDefaults() {
  const head = versions.head;
  diffFrom.dataset.value = String(parentOf(head) ?? head);
  diffTo.dataset.value = String(head);
}

function renderDiffSelects() {
  if (diffFrom.dataset.value === undefined) setDiffDefaults();
  for (const select of [diffFrom, diffTo]) {
    const want = select.dataset.value ?? '';
    select.replaceChildren(
      ...[...versions.versions].reverse().map((v) => h('option', { value: v.id, selected: String(v.id) === want }, `v${v.id}${v.id === versions.head ? ' (head)' : ''}`)),
    );
    if (!versions.versions.some((v) => String(v.id) === want) && versions.versions.length) {
      select.value = String(versions.head);
      select.dataset.value = select.value;
    }
  }
}

async function renderDiff() {
  if (diffFrom.value === '' || diffTo.value === '') return;
  const from = Number(diffFrom.value);
  const to = Number(diffTo.value);
  let rows: DiffRow[];
  try {
    const [ops, before] = await Promise.all([call('delta', { from, to }), call('entries', { version: from, filter: null })]);
    rows = describeDelta(ops, new Map(before.map((e) => [e.id, e])));
  } catch (e) {
    diffEl.replaceChildren(h('p', { class: 'error-text' }, errorText(e)));
    return;
  }
  const count = (kind: DiffRow['kind']) => rows.filter((r) => r.kind === kind).length;
  const summary = rows.length
    ? `v${from} → v${to}: ${rows.length} operation${rows.length === 1 ? '' : 's'} (${count('create')} create, ${count('update')} update, ${count('delete')} delete)`
    : `v${from} → v${to}: no differences`;
  const list = h('ul', { class: 'diff-list' });
  for (const row of rows) {
    const sign = { create: '+', update: '~', delete: '−' }[row.kind];
    const item = h(
      'li',
      { class: `diff-${row.kind}`, 'data-id': row.id, 'data-kind': row.kind },
      h('span', { class: 'sign', 'aria-hidden': 'true' }, sign),
      h('span', { class: 'op' }, row.kind),
      ' ',
      h('code', {}, row.id),
      row.entryKind ? h('span', { class: 'hint' }, ` (${row.entryKind})`) : null,
    );
    if (row.changes.length) {
      const fields = h('ul', { class: 'fields' });
      for (const change of row.changes) {
        fields.append(
          h('li', {}, h('code', { class: 'path' }, change.path), ': ', h('code', { class: 'before' }, showValue(change.before)), ' → ', h('code', { class: 'after' }, showValue(change.after))),
        );
      }
      item.append(fields);
    }
    list.append(item);
  }
  diffEl.replaceChildren(h('p', { class: 'diff-summary', 'data-testid': 'diff-summary' }, summary), list);
}

// ---- tabs -----------------------------------------------------------------------------------

const tabs = ['entries', 'history', 'diff'] as const;
function selectTab(name: (typeof tabs)[number], focus = false) {
  activeTab = name;
  for (const tab of tabs) {
    const button = $(`tab-${tab}`);
    const on = tab === name;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${tab}`).hidden = !on;
    if (on && focus) button.focus();
  }
  if (name === 'diff') void renderDiff();
}
for (const tab of tabs) {
  const button = $(`tab-${tab}`);
  button.addEventListener('click', () => selectTab(tab));
  button.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i + tabs.length - 1) % tabs.length] : e.key === 'Home' ? tabs[0] : e.key === 'End' ? tabs[tabs.length - 1] : null;
    if (next) {
      e.preventDefault();
      selectTab(next, true);
    }
  });
}

// ---- theme ----------------------------------------------------------------------------------

const themeButton = $<HTMLButtonElement>('theme');
const systemDark = matchMedia('(prefers-color-scheme: dark)');
function effectiveTheme(): 'light' | 'dark' {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return systemDark.matches ? 'dark' : 'light';
}
function syncThemeButton() {
  const other = effectiveTheme() === 'dark' ? 'light' : 'dark';
  themeButton.setAttribute('aria-label', `Switch to ${other} theme`);
  themeButton.title = `Switch to ${other} theme`;
}
themeButton.addEventListener('click', () => {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  storageSet('theme', next);
  syncThemeButton();
});
systemDark.addEventListener('change', syncThemeButton);
syncThemeButton();

// ---- share ----------------------------------------------------------------------------------

const sharePanel = $('share-panel');
const shareUrl = $<HTMLInputElement>('share-url');
const shareStatus = $('share-status');
$('share').addEventListener('click', async () => {
  const hash = await encodeScript(editor.getSource());
  const url = `${location.origin}${location.pathname}${location.search}#${hash}`;
  shareUrl.value = url;
  sharePanel.hidden = false;
  shareUrl.focus();
  shareUrl.select();
  try {
    await navigator.clipboard.writeText(url);
    shareStatus.textContent = 'Link copied to the clipboard.';
  } catch {
    shareStatus.textContent = 'Copy the link above (the clipboard is not available here).';
  }
});
$('share-copy').addEventListener('click', async () => {
  shareUrl.select();
  try {
    await navigator.clipboard.writeText(shareUrl.value);
    shareStatus.textContent = 'Link copied to the clipboard.';
  } catch {
    shareStatus.textContent = 'Press Ctrl+C (Cmd+C) to copy the selected link.';
  }
});
const closeShare = () => {
  sharePanel.hidden = true;
  $('share').focus();
};
$('share-close').addEventListener('click', closeShare);
sharePanel.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') closeShare();
});

// ---- history files and reset ----------------------------------------------------------------

$('download').addEventListener('click', async () => {
  try {
    const history = await call('export', {});
    const blob = new Blob([JSON.stringify(history, null, 2) + '\n'], { type: 'application/json' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `registry-history-v${history.head}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (e) {
    showNotice(`Download failed: ${errorText(e)}`);
  }
});

const uploadFile = $<HTMLInputElement>('upload-file');
$('upload').addEventListener('click', () => uploadFile.click());
uploadFile.addEventListener('change', async () => {
  const file = uploadFile.files?.[0];
  uploadFile.value = '';
  if (!file) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch (e) {
    showNotice(`${file.name} is not JSON: ${errorText(e)}`);
    return;
  }
  try {
    const list = await call('import', { history: parsed as HistoryExport });
    mirror.replace(await call('export', {}));
    await mirror.flush();
    versions = list;
    browsing = null;
    selectedVersion = null;
    setDiffDefaults();
    showNotice(`Loaded ${file.name}: ${list.versions.length} versions, head v${list.head}.`, 'info');
  } catch (e) {
    showNotice(`${file.name} was refused: ${errorText(e)}`);
  }
  await refresh();
});

$('reset').addEventListener('click', async () => {
  if (!confirm('Replace the registry and its whole history with the sample data?')) return;
  try {
    await workerReady;
    if (!worker) return;
    await seed(worker);
    await mirror.flush();
    browsing = null;
    selectedVersion = null;
    selectedEntry = null;
    setDiffDefaults();
    showNotice('The sample data is back.', 'info');
  } catch (e) {
    showNotice(`Reset failed: ${errorText(e)}`);
  }
  await refresh();
});

// ---- inspector controls ---------------------------------------------------------------------

let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => void renderEntries(), 200);
});
rollbackButton.addEventListener('click', () => {
  const parent = parentOf(headVersion());
  if (parent !== null) void applyVersion(parent);
});
rollforwardButton.addEventListener('click', () => {
  const child = newestChildOf(headVersion());
  if (child !== null) void applyVersion(child);
});
applySelectedButton.addEventListener('click', () => {
  if (selectedVersion !== null) void applyVersion(selectedVersion);
});
for (const select of [diffFrom, diffTo]) {
  select.addEventListener('change', () => {
    select.dataset.value = select.value;
    diffChosen = true;
    void renderDiff();
  });
}
$('diff-swap').addEventListener('click', () => {
  [diffFrom.dataset.value, diffTo.dataset.value] = [diffTo.value, diffFrom.value];
  diffChosen = true;
  renderDiffSelects();
  void renderDiff();
});
$('diff-latest').addEventListener('click', () => {
  diffChosen = false;
  setDiffDefaults();
  renderDiffSelects();
  void renderDiff();
});

// ---- the editor, examples and time limit -----------------------------------------------------

for (const group of ['spec', 'playground'] as const) {
  const optgroup = h('optgroup', { label: group === 'spec' ? 'Spec examples' : 'Playground' });
  for (const example of EXAMPLES.filter((e) => e.group === group)) optgroup.append(h('option', { value: example.id }, example.title));
  examplesSelect.append(optgroup);
}
examplesSelect.addEventListener('change', () => {
  const example = EXAMPLES.find((e) => e.id === examplesSelect.value);
  if (example) {
    editor.setSource(example.source);
    editor.view.focus();
  }
  examplesSelect.value = '';
});

limitInput.value = storageGet('timeLimit') ?? String(DEFAULT_LIMIT_S);
limitInput.addEventListener('change', () => {
  limitInput.value = String(limitMs() / 1000);
  storageSet('timeLimit', limitInput.value);
});

let saveScriptTimer: ReturnType<typeof setTimeout> | undefined;
const editor = createEditor($('editor'), storageGet('script') ?? WELCOME, () => void runScript(), (source) => {
  clearTimeout(saveScriptTimer);
  saveScriptTimer = setTimeout(() => storageSet('script', source), 300);
});

runButton.addEventListener('click', () => void runScript());
stopButton.addEventListener('click', stopScript);
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
    e.preventDefault();
    void runScript();
  }
});
addEventListener('pagehide', () => void mirror.flush());

/** A small console (and test) API: `playground.getScript()`, `playground.setScript(text)`. */
declare global {
  interface Window {
    playground: { getScript(): string; setScript(source: string): void; run(): Promise<void> };
  }
}
window.playground = { getScript: () => editor.getSource(), setScript: (source) => editor.setSource(source), run: runScript };

// ---- start ----------------------------------------------------------------------------------

async function restoreSharedScript() {
  if (!location.hash) return;
  try {
    const shared = await decodeScript(location.hash);
    if (shared !== null) {
      editor.setSource(shared);
      storageSet('script', shared);
      setStatus('Opened a shared script (your registry is unchanged).');
    }
  } catch (e) {
    showNotice(`The link's script could not be read: ${errorText(e)}`);
  }
  // The hash has done its job; drop it so a reload keeps later edits.
  history.replaceState(null, '', location.pathname + location.search);
}

async function start() {
  await restoreSharedScript();
  const stored = await mirror.load();
  await startWorker(stored && typeof stored === 'object' ? (stored as HistoryExport) : null);
}

void start();
