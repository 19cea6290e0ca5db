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
    const { entries: before } = await call('entries', {
      version: from,
      filter: null,
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

function renderDiffSelects() {
  if (!state.diffChosen || diffFrom.dataset.value === undefined) setDiffDefaults();
  for (const select of [diffFrom, diffTo]) {
    const want = select.dataset.value ?? '';
    select.replaceChildren(
      ...[...state.versions.versions]
        .reverse()
        .map((v) =>
          h(
            'option',
            { value: v.id, selected: String(v.id) === want },
            `v${v.id}${v.id === state.versions.head ? ' (head)' : ''}`,
          ),
        ),
    );
    if (
      !state.versions.versions.some((v) => String(v.id) === want) &&
      state.versions.versions.length
    ) {
      select.value = String(state.versions.head);
      select.dataset.value = select.value;
    }
  }
}

export async function renderDiff() {
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
    renderDiffSelects();
    void renderDiff();
  });
  $('diff-latest').addEventListener('click', () => {
    state.diffChosen = false;
    renderDiffSelects();
    void renderDiff();
  });
  onRefresh(async () => {
    renderDiffSelects();
    if (state.activeTab === 'diff') await renderDiff();
  });
}
