// Unit tests of the diff view's pure part (npm test: tsc, then node --test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ABSENT, describeDelta, fieldChanges, showValue } from '../../src/diff.js';
import type { Entry, Op } from '../../src/protocol.js';

test('fieldChanges walks maps and compares arrays and scalars whole', () => {
  const before = { a: 1, nested: { keep: true, gone: 'x', list: [1, 2] } };
  const after = { a: 2, nested: { keep: true, list: [1, 2, 3], added: null } };
  assert.deepEqual(fieldChanges(before, after, 'data'), [
    { path: 'data.a', before: 1, after: 2 },
    { path: 'data.nested.added', before: ABSENT, after: null },
    { path: 'data.nested.gone', before: 'x', after: ABSENT },
    { path: 'data.nested.list', before: [1, 2], after: [1, 2, 3] },
  ]);
  assert.deepEqual(fieldChanges({ x: [{ y: 1 }] }, { x: [{ y: 1 }] }, 'meta'), []);
  assert.deepEqual(fieldChanges(undefined, 5, 'data'), [
    { path: 'data', before: ABSENT, after: 5 },
  ]);
});

test('describeDelta names each operation and the fields an update changed', () => {
  const old: Entry = {
    id: 'services:api',
    kind: 'service',
    meta: { owner: 'sre', revision: 1 },
    data: { port: 80 },
  };
  const ops: Op[] = [
    { kind: 'entry.create', entry: { id: 'services:new', kind: 'service', meta: {} } },
    {
      kind: 'entry.update',
      entry: { id: 'services:api', kind: 'service', meta: { revision: 2 }, data: { port: 80 } },
    },
    { kind: 'entry.delete', entry: { id: 'services:api' } },
  ];
  const rows = describeDelta(ops, new Map([[old.id, old]]));
  assert.deepEqual(rows, [
    { kind: 'create', id: 'services:new', entryKind: 'service', changes: [] },
    {
      kind: 'update',
      id: 'services:api',
      entryKind: 'service',
      changes: [
        { path: 'meta.owner', before: 'sre', after: ABSENT },
        { path: 'meta.revision', before: 1, after: 2 },
      ],
    },
    { kind: 'delete', id: 'services:api', entryKind: 'service', changes: [] },
  ]);
});

test('an update that changes the kind says so first', () => {
  const old: Entry = { id: 'x:y', kind: 'a', meta: {} };
  const [row] = describeDelta(
    [{ kind: 'entry.update', entry: { id: 'x:y', kind: 'b', meta: {} } }],
    new Map([[old.id, old]]),
  );
  assert.deepEqual(row.changes, [{ path: 'kind', before: 'a', after: 'b' }]);
});

test('showValue writes JSON, and (absent) for a missing field', () => {
  assert.equal(showValue(ABSENT), '(absent)');
  assert.equal(showValue('a"b'), '"a\\"b"');
  assert.equal(showValue(null), 'null');
  assert.equal(showValue({ a: [1] }), '{"a":[1]}');
});
