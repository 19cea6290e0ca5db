// Unit tests of the history's pure functions (npm test: tsc, then node --test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyEvent,
  applyToList,
  changedIds,
  changedSummary,
  IDS_KEPT,
  idsLabel,
  newestChildOf,
  parentOf,
} from '../../src/history.js';
import type { HistoryExport, Op, VersionList, Versions } from '../../src/protocol.js';

const create = (id: string): Op => ({
  kind: 'entry.create',
  entry: { id, kind: 'service', meta: {} },
});

function history(): HistoryExport {
  return {
    format: 'luau-registry-history',
    format_version: 1,
    head: 1,
    versions: [
      { id: 0, parent: null, time_ms: 0, ops: [] },
      { id: 1, parent: 0, time_ms: 10, ops: [create('a:1')] },
    ],
  };
}

test('applyEvent adds committed versions once and moves head', () => {
  const h = history();
  const version = { id: 2, parent: 1, time_ms: 20, ops: [create('a:2')] };
  applyEvent(h, { event: 'committed', version });
  applyEvent(h, { event: 'committed', version });
  assert.equal(h.head, 2);
  assert.deepEqual(
    h.versions.map((v) => v.id),
    [0, 1, 2],
  );
  applyEvent(h, { event: 'head_moved', head: 0 });
  assert.equal(h.head, 0);
  assert.equal(h.versions.length, 3, 'moving head keeps every version');
});

test('applyToList adds committed versions once, with their changed ids, and moves head', () => {
  const list: Versions = {
    head: 0,
    versions: [{ id: 0, parent: null, time_ms: 0, ops: 0 }],
    ids: { 0: { first: [], total: 0 } },
  };
  const version = { id: 1, parent: 0, time_ms: 20, ops: [create('a:2'), create('a:1')] };
  applyToList(list, { event: 'committed', version });
  applyToList(list, { event: 'committed', version });
  assert.deepEqual(list.versions, [
    { id: 0, parent: null, time_ms: 0, ops: 0 },
    { id: 1, parent: 0, time_ms: 20, ops: 2 },
  ]);
  assert.deepEqual(list.ids[1], { first: ['a:2', 'a:1'], total: 2 });
  assert.equal(list.head, 1);
  applyToList(list, { event: 'head_moved', head: 0 });
  assert.equal(list.head, 0);
  assert.equal(list.versions.length, 2, 'moving head keeps every version');
});

test('changedSummary keeps the first ids and counts them all', () => {
  const ops = Array.from({ length: 25 }, (_, i) => create(`a:${i}`));
  const summary = changedSummary(ops);
  assert.equal(summary.total, 25);
  assert.deepEqual(
    summary.first,
    ops.slice(0, IDS_KEPT).map((op) => op.entry.id),
  );
});

test('changedIds lists each id once, in operation order', () => {
  const ops: Op[] = [create('b:1'), create('a:1'), { kind: 'entry.delete', entry: { id: 'b:1' } }];
  assert.deepEqual(changedIds(ops), ['b:1', 'a:1']);
  assert.deepEqual(changedIds([]), []);
});

test('idsLabel names the first three ids, then how many more', () => {
  assert.equal(idsLabel([]), 'no changes');
  assert.equal(idsLabel(['a']), 'a');
  assert.equal(idsLabel(['a', 'b', 'c']), 'a, b, c');
  assert.equal(idsLabel(['a', 'b', 'c', 'd', 'e']), 'a, b, c +2');
  assert.equal(idsLabel(['a', 'b'], 2, 1), 'a +1');
  assert.equal(
    idsLabel(['a', 'b', 'c', 'd'], 1000),
    'a, b, c +997',
    'the total, when only the first ids are known',
  );
});

test('parentOf and newestChildOf follow the version tree', () => {
  const list: VersionList = {
    head: 3,
    versions: [
      { id: 0, parent: null, time_ms: 0, ops: 0 },
      { id: 1, parent: 0, time_ms: 1, ops: 1 },
      { id: 2, parent: 1, time_ms: 2, ops: 1 },
      { id: 3, parent: 1, time_ms: 3, ops: 1 },
    ],
  };
  assert.equal(parentOf(list, 3), 1);
  assert.equal(parentOf(list, 0), null);
  assert.equal(parentOf(list, 9), null);
  assert.equal(newestChildOf(list, 1), 3, 'the newer branch');
  assert.equal(newestChildOf(list, 3), null);
});
