// Unit tests of share links (npm test: tsc, then node --test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryExport } from '../../src/protocol.js';
import {
  DamagedLink,
  decodeLink,
  encodeLink,
  MAX_LINK_CHARS,
  packHistory,
} from '../../src/share.js';

const script = '-- ✓ «ünïcode» & symbols: #?%=+/\nreturn registry.get("services:api")\n';
const history: HistoryExport = {
  format: 'luau-registry-history',
  format_version: 1,
  head: 1,
  versions: [
    { id: 0, parent: null, time_ms: 0, ops: [] },
    {
      id: 1,
      parent: 0,
      time_ms: 5,
      ops: [{ kind: 'entry.create', entry: { id: 'a:b', kind: 'k', meta: { x: 1 } } }],
    },
  ],
};

test('a script survives the round trip, in URL-safe characters', async () => {
  const hash = await encodeLink(script);
  assert.match(hash, /^code=[A-Za-z0-9_-]+$/);
  assert.deepEqual(await decodeLink(`#${hash}`), { script, history: null });
  assert.deepEqual(await decodeLink(hash), { script, history: null });
});

test('a link can carry the history too', async () => {
  const hash = await encodeLink(script, history);
  assert.match(hash, /^code=[A-Za-z0-9_-]+&history=[A-Za-z0-9_-]+$/);
  assert.deepEqual(await decodeLink(hash), { script, history });
  // packed beforehand (the worker does, off the page's thread): the same link
  assert.equal(await encodeLink(script, await packHistory(history)), hash);
});

test('compression keeps repetitive histories far below the link limit', async () => {
  const many = {
    ...history,
    versions: Array.from({ length: 200 }, (_, i) => ({
      ...history.versions[1],
      id: i + 1,
      parent: i,
    })),
  };
  const hash = await encodeLink('', many);
  assert.ok(hash.length < JSON.stringify(many).length / 10, `compressed to ${hash.length}`);
  assert.ok(hash.length < MAX_LINK_CHARS);
});

test('a hash without a script shares nothing', async () => {
  assert.equal(await decodeLink(''), null);
  assert.equal(await decodeLink('#section-2'), null);
});

test('damaged links get a plain message naming the part', async () => {
  const good = await encodeLink(script, history);
  const cases: [string, string][] = [
    ['#code=not*base64', 'script'],
    ['#code=AAAA', 'script'],
    [`#${good.slice(0, good.indexOf('&') - 6)}`, 'script'],
    [`#${good.slice(0, -8)}`, 'registry history'],
    [
      `#code=${(await encodeLink(script)).slice(5)}&history=${(await encodeLink('not json')).slice(5)}`,
      'registry history',
    ],
  ];
  for (const [hash, part] of cases) {
    await assert.rejects(decodeLink(hash), (e: unknown) => {
      assert.ok(e instanceof DamagedLink, `${hash}: ${e}`);
      assert.equal(
        e.message,
        `This link is damaged: its ${part} could not be read. It may have been cut short when it was copied.`,
      );
      return true;
    });
  }
});
