// The Entries tab: the entries at head or at a browsed version, the filter (find criteria in text
// form), and one entry's meta and data.
import { ModuleError } from './client';
import { $, errorText, h, nextTask } from './dom';
import { jsonView } from './json-view';
import { Pager } from './pager';
import type { Entry } from './protocol';
import { call, onRefresh, refresh, state } from './state';

/** Rows per page: the worker converts, and the page renders, only the page shown. */
const PAGE_ROWS = 100;
/** Rows built per task: a page at once can block a busy machine's page for over 100 ms. */
const ROWS_PER_TASK = 25;
/** Counts renders, so a render that a newer one overtook stops adding rows. */
let renders = 0;

const filterInput = $<HTMLInputElement>('filter');
const filterError = $('filter-error');
const entriesBody = $('entries-table').querySelector('tbody')!;
const entriesCaption = $('entries-caption');
const entryDetail = $('entry-detail');
const browseBanner = $('browse-banner');
const pager = new Pager(
  $('entries-pager'),
  PAGE_ROWS,
  'entries',
  { prev: '◀ Previous', next: 'Next ▶' },
  () => void renderEntries(),
);
/** The version and filter of the rows shown: another starts again from the first page. */
let shown = '';

/** The meta fields people scan for first, then the rest, long descriptions last. */
const META_FIRST = ['environment', 'region', 'status', 'owner', 'revision'];
function metaSummary(meta: Record<string, unknown>): string {
  const rank = (key: string) =>
    META_FIRST.includes(key) ? META_FIRST.indexOf(key) : key === 'description' ? 99 : 50;
  return Object.entries(meta)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('  ');
}

function message(text: string) {
  return h('tr', {}, h('td', { colspan: 3, class: 'muted' }, text));
}

export async function renderEntries() {
  const render = ++renders;
  const { browsing } = state;
  const version = browsing ?? state.versions.head;
  const filter = filterInput.value.trim();
  const what = `${browsing} ${filter}`;
  if (what !== shown) pager.page = 0;
  shown = what;
  let entries: Entry[];
  let total: number;
  try {
    ({ entries, total } = await call('entries', {
      version: browsing,
      filter: filter || null,
      offset: pager.offset,
      limit: PAGE_ROWS,
    }));
    if (render !== renders) return;
    filterError.hidden = true;
    filterInput.removeAttribute('aria-invalid');
  } catch (e) {
    if (!(e instanceof ModuleError)) return;
    // A filter the module refuses matches nothing: the table must not keep the last rows.
    filterError.hidden = false;
    filterError.textContent = errorText(e);
    filterInput.setAttribute('aria-invalid', 'true');
    entriesCaption.textContent = 'No entries: the filter is not valid';
    entriesBody.replaceChildren(message('Fix the filter to see entries.'));
    pager.update(0);
    renderEntryDetail(null, version);
    return;
  }
  const where = browsing === null ? `at head (v${version})` : `at v${version}`;
  entriesCaption.textContent = `${total.toLocaleString('en')} ${total === 1 ? 'entry' : 'entries'} ${where}${filter ? ' matching the filter' : ''}`;
  browseBanner.hidden = browsing === null;
  if (browsing !== null) {
    const back = h('button', { type: 'button', class: 'link', id: 'back-to-head' }, 'Back to head');
    back.addEventListener('click', () => {
      state.browsing = null;
      void refresh();
    });
    browseBanner.replaceChildren(
      `Browsing the snapshot of v${browsing} (head is v${state.versions.head}). `,
      back,
    );
  }
  // A page past the end (entries deleted meanwhile) shows the last one instead.
  if (!entries.length && total > 0 && pager.offset > 0) {
    pager.update(total);
    return renderEntries();
  }
  pager.update(total);
  entriesBody.replaceChildren();
  for (const [i, entry] of entries.entries()) {
    if (i > 0 && i % ROWS_PER_TASK === 0) {
      await nextTask();
      if (render !== renders) return;
    }
    const button = h(
      'button',
      {
        type: 'button',
        class: 'entry-id',
        'aria-pressed': String(entry.id === state.selectedEntry),
      },
      entry.id,
    );
    button.addEventListener('click', () => {
      state.selectedEntry = state.selectedEntry === entry.id ? null : entry.id;
      for (const b of entriesBody.querySelectorAll('button.entry-id')) {
        const on = b === button && state.selectedEntry !== null;
        b.setAttribute('aria-pressed', String(on));
        b.closest('tr')?.classList.toggle('selected', on);
      }
      renderEntryDetail(state.selectedEntry ? entry : null, version);
    });
    const summary = metaSummary(entry.meta ?? {});
    entriesBody.append(
      h(
        'tr',
        { 'data-id': entry.id, class: entry.id === state.selectedEntry ? 'selected' : undefined },
        h('td', {}, button),
        h('td', {}, entry.kind),
        h('td', { class: 'meta', title: summary }, summary),
      ),
    );
  }
  if (!entries.length) entriesBody.append(message('No entries.'));
  renderEntryDetail(entries.find((e) => e.id === state.selectedEntry) ?? null, version);
}

function renderEntryDetail(entry: Entry | null, version: number) {
  entryDetail.hidden = !entry;
  entryDetail.parentElement?.classList.toggle('with-detail', Boolean(entry));
  entryDetail.replaceChildren();
  if (!entry) return;
  const close = h(
    'button',
    { type: 'button', class: 'icon', 'aria-label': 'Close the entry details' },
    '×',
  );
  close.addEventListener('click', () => {
    state.selectedEntry = null;
    void renderEntries();
  });
  entryDetail.append(
    h(
      'div',
      { class: 'detail-head' },
      h('h3', {}, entry.id),
      h('span', { class: 'hint' }, `${entry.kind} · v${version}`),
      close,
    ),
    h('h4', {}, 'meta'),
    jsonView(entry.meta ?? {}, 'entry-meta'),
    h('h4', {}, 'data'),
    jsonView(entry.data, 'entry-data'),
  );
}

export function initEntriesView() {
  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => void renderEntries(), 200);
  });
  onRefresh(renderEntries);
}
