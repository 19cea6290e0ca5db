// Unit tests of returned values shown as Lua shows them (npm test: tsc, then node --test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { showLua } from '../../src/luavalue.js';

test('scalars print as Lua prints them', () => {
  assert.equal(showLua(null), 'nil');
  assert.equal(showLua(true), 'true');
  assert.equal(showLua(42), '42');
  assert.equal(showLua(0.1 + 0.2), '0.3');
  assert.equal(showLua(NaN), 'nan');
  assert.equal(showLua(-Infinity), '-inf');
  assert.equal(showLua('text, unquoted'), 'text, unquoted');
});

test('tables print as constructors, with quoted strings and bracketed keys where needed', () => {
  assert.equal(showLua([]), '{}');
  assert.equal(showLua([1, 'a', null]), '{\n  1,\n  "a",\n  nil\n}');
  assert.equal(
    showLua({ name: 'x', 'not-ident': 1, end: true, nested: { y: [2] } }),
    '{\n  name = "x",\n  ["not-ident"] = 1,\n  ["end"] = true,\n  nested = {\n    y = {\n      2\n    }\n  }\n}',
  );
});
