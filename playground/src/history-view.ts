// The History tab: every version, newest first, naming the ids it changed; the selected version's
// changes against its parent (its whole snapshot one click away); roll back, roll forward, make a
// version head, and go to head.
import { deltaView } from './diff-view';
import { $, errorText, formatTime, h, nextTask } from './dom';
import { idsLabel, newestChildOf, parentOf } from './history';
import { Pager } from './pager';
import { moveHead, onLive, onRefresh, refresh, state } from './state';
import { showNotice } from './status';
import { selectTab } from './tabs';

const versionsList = $('versions');
const historySummary = $('history-summary');
const versionDetail = $('version-detail');
const rollbackButton = $<HTMLButtonElement>('rollback');
const rollforwardButton = $<HTMLButtonElement>('rollforward');
const applySelectedButton = $<HTMLButtonElement>('apply-selected');
/** Versions per page: a long history renders only the page shown. */
const PAGE_VERSIONS = 100;
/** Rows built per task: a page at once can block a busy machine's page for over 100 ms. */
const ROWS_PER_TASK = 25;
/** Counts renders, so a render that a newer one overtook stops adding rows. */
let renders = 0;
const pager = new Pager(
  $('versions-pager'),
  PAGE_VERSIONS,
  'versions',
  { prev: '◀ Newer', next: 'Older ▶' },
  () => void renderHistory(),
);

/** The head's row, on the page that holds it. */
async function showHeadRow(): Promise<HTMLElement | null> {
  const { versions, head } = state.versions;
  const index = versions.findIndex((v) => v.id === head);
  // newest first
  pager.showItem(versions.length - 1 - index);
  await renderHistory();
  return versionsList.querySelector<HTMLElement>(`button[data-version="${head}"]`);
}

async function renderHistory() {
  const render = ++renders;
  const { head } = state.versions;
  const parent = parentOf(state.versions, head);
  const child = newestChildOf(state.versions, head);
  rollbackButton.disabled = parent === null;
  rollbackButton.textContent = parent === null ? '◀ Roll back' : `◀ Roll back to v${parent}`;
  rollforwardButton.disabled = child === null;
  rollforwardButton.textContent = child === null ? 'Roll forward ▶' : `Roll forward to v${child} ▶`;
  const selected = state.selectedVersion;
  applySelectedButton.disabled = selected === null || selected === head;
  applySelectedButton.textContent =
    selected === null ? 'Make selected head' : `Make v${selected} head`;
  historySummary.textContent = `${state.versions.versions.length} versions · head v${head}`;
  const { versions } = state.versions;
  pager.update(versions.length);
  // The page's versions, newest first.
  const end = versions.length - pager.offset;
  const page = versions.slice(Math.max(0, end - PAGE_VERSIONS), end).reverse();
  versionsList.replaceChildren();
  for (const [i, v] of page.entries()) {
    if (i > 0 && i % ROWS_PER_TASK === 0) {
      await nextTask();
      if (render !== renders) return;
    }
    const isHead = v.id === head;
    const { first: ids, total } = state.versions.ids[v.id] ?? { first: [], total: 0 };
    const button = h(
      'button',
      {
        type: 'button',
        class: 'version',
        'aria-pressed': String(v.id === selected),
        'aria-current': isHead ? 'true' : undefined,
        'data-version': v.id,
      },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'vid' }, `v${v.id}`),
      isHead ? h('span', { class: 'badge' }, 'HEAD') : null,
      h(
        'span',
        {
          class: 'ids',
          title: ids.join('\n') + (total > ids.length ? `\n+${total - ids.length} more` : ''),
        },
        v.ops ? idsLabel(ids, total) : 'empty registry',
      ),
      h('span', { class: 'ops' }, `${v.ops} op${v.ops === 1 ? '' : 's'}`),
      v.parent !== null && v.parent !== v.id - 1
        ? h('span', { class: 'branch' }, `↳ from v${v.parent}`)
        : null,
      h('time', { datetime: new Date(v.time_ms).toISOString() }, formatTime(v.time_ms)),
    );
    button.addEventListener('click', () => {
      state.selectedVersion = v.id;
      void refresh();
    });
    versionsList.append(h('li', { class: isHead ? 'head' : undefined }, button));
  }
}

async function renderVersionDetail() {
  const id = state.selectedVersion;
  versionDetail.hidden = id === null;
  versionDetail.parentElement?.classList.toggle('with-detail', id !== null);
  if (id === null) return;
  const parent = parentOf(state.versions, id);
  const browse = h(
    'button',
    { type: 'button', id: 'browse-version' },
    `Browse the whole snapshot of v${id}`,
  );
  browse.addEventListener('click', () => {
    state.browsing = id === state.versions.head ? null : id;
    selectTab('entries');
    void refresh();
  });
  const timeMs = state.versions.versions.find((v) => v.id === id)?.time_ms ?? 0;
  const head = h(
    'div',
    { class: 'detail-head' },
    h('h3', {}, `v${id}`),
    h(
      'span',
      { class: 'hint' },
      `${formatTime(timeMs)} · ${parent === null ? 'the first version' : `changes against its parent v${parent}`}`,
    ),
  );
  const body =
    parent === null
      ? [h('p', { class: 'muted' }, 'v0 is the empty registry every history starts from.')]
      : await deltaView(parent, id);
  if (state.selectedVersion !== id) return; // another version was picked meanwhile
  versionDetail.replaceChildren(head, ...body, h('p', {}, browse));
}

/** Moves head and brings its row into view (it may be far down the list). */
async function moveHeadTo(target: number) {
  try {
    await moveHead(target);
    showNotice(null);
  } catch (e) {
    showNotice(`Could not apply v${target}: ${errorText(e)}`);
  }
  await refresh();
  (await showHeadRow())?.scrollIntoView({ block: 'nearest' });
}

export function initHistoryView() {
  rollbackButton.addEventListener('click', () => {
    const parent = parentOf(state.versions, state.versions.head);
    if (parent !== null) void moveHeadTo(parent);
  });
  rollforwardButton.addEventListener('click', () => {
    const child = newestChildOf(state.versions, state.versions.head);
    if (child !== null) void moveHeadTo(child);
  });
  applySelectedButton.addEventListener('click', () => {
    if (state.selectedVersion !== null) void moveHeadTo(state.selectedVersion);
  });
  $('go-to-head').addEventListener('click', async () => {
    const row = await showHeadRow();
    row?.scrollIntoView({ block: 'center' });
    row?.focus();
  });
  onRefresh(async () => {
    await renderHistory();
    await renderVersionDetail();
  });
  onLive(() => {
    if (state.activeTab === 'history') void renderHistory();
  });
}
