// The Diff tab (any two versions, by default the latest change), and the rendering of a delta
// that the History tab uses for one version against its parent.
import { describeDelta, showValue, type DiffRow } from './diff';
import { $, errorText, h, nextTask } from './dom';
import { parentOf } from './history';
import { call, onRefresh, state } from './state';

const diffFrom = $<HTMLSelectElement>('diff-from');
const diffTo = $<HTMLSelectElement>('diff-to');
const diffEl = $('diff');

/** Items built per task: a version of thousands of operations must not block the page. */
const ITEMS_PER_TASK = 50;

/** The changes from version `from` to `to`: a summary line and one item per operation. */
export async function deltaView(from: number, to: number): Promise<HTMLElement[]> {
  let rows: DiffRow[];
  try {
    const ops = await call('delta', { from, to });
    // Only the entries the delta touches, as they were before it.
    const before = await call('entriesWithIds', {
      version: from,
      ids: [...new Set(ops.map((op) => op.entry.id))],
    });
    rows = describeDelta(ops, new Map(before.map((e) => [e.id, e])));
  } catch (e) {
    return [h('p', { class: 'error-text' }, errorText(e))];
  }
  const count = (kind: DiffRow['kind']) => rows.filter((r) => r.kind === kind).length;
  const summary = rows.length
    ? `v${from} → v${to}: ${rows.length} operation${rows.length === 1 ? '' : 's'} (${count('create')} create, ${count('update')} update, ${count('delete')} delete)`
    : `v${from} → v${to}: no differences`;
  const list = h('ul', { class: 'diff-list' });
  for (const [i, row] of rows.entries()) {
    if (i > 0 && i % ITEMS_PER_TASK === 0) await nextTask();
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
          h(
            'li',
            {},
            h('code', { class: 'path' }, change.path),
            ': ',
            h('code', { class: 'before' }, showValue(change.before)),
            ' → ',
            h('code', { class: 'after' }, showValue(change.after)),
          ),
        );
      }
      item.append(fields);
    }
    list.append(item);
  }
  return [h('p', { class: 'diff-summary', 'data-testid': 'diff-summary' }, summary), list];
}

/** The latest change: head against its parent. */
export function setDiffDefaults() {
  const head = state.versions.head;
  diffFrom.dataset.value = String(parentOf(state.versions, head) ?? head);
  diffTo.dataset.value = String(head);
}

/** The options both selects were last filled with: a long history's are rebuilt only when the
 * version list changed. */
let optionsShown = '';

function renderDiffSelects() {
  if (!state.diffChosen || diffFrom.dataset.value === undefined) setDiffDefaults();
  const { versions, head } = state.versions;
  // Markup rather than one element per version: thousands of options in one task must stay fast.
  const options = versions
    .map((v) => `<option value="${v.id}">v${v.id}${v.id === head ? ' (head)' : ''}</option>`)
    .reverse()
    .join('');
  for (const select of [diffFrom, diffTo]) {
    if (options !== optionsShown) select.innerHTML = options;
    const want = select.dataset.value ?? '';
    if (versions.some((v) => String(v.id) === want)) select.value = want;
    else if (versions.length) {
      select.value = String(head);
      select.dataset.value = select.value;
    }
  }
  optionsShown = options;
}

/** Renders the tab, its selects first (only while it shows: a long history makes thousands of
 * options). */
export async function renderDiff() {
  renderDiffSelects();
  if (diffFrom.value === '' || diffTo.value === '') return;
  diffEl.replaceChildren(...(await deltaView(Number(diffFrom.value), Number(diffTo.value))));
}

export function initDiffView() {
  for (const select of [diffFrom, diffTo]) {
    select.addEventListener('change', () => {
      select.dataset.value = select.value;
      state.diffChosen = true;
      void renderDiff();
    });
  }
  $('diff-swap').addEventListener('click', () => {
    [diffFrom.dataset.value, diffTo.dataset.value] = [diffTo.value, diffFrom.value];
    state.diffChosen = true;
    void renderDiff();
  });
  $('diff-latest').addEventListener('click', () => {
    state.diffChosen = false;
    void renderDiff();
  });
  onRefresh(async () => {
    if (state.activeTab === 'diff') await renderDiff();
  });
}
