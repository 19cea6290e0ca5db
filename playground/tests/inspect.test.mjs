// End-to-end: the output pane (follows the end, copy, clear, resize, values as Lua shows them) and
// the history's story (changed ids per version, a version's changes, go to head, large values).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  openPlayground,
  openTab,
  pickExample,
  run,
  screenshot,
  setScript,
  useBrowser,
  waitCaption,
} from './harness.mjs';

const env = useBrowser();

const atEnd = (page) =>
  page.$eval('#output', (o) => o.scrollTop + o.clientHeight >= o.scrollHeight - 8);

describe('output and history', () => {
  test('returned values show as Lua prints them', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await setScript(
      page,
      'return nil, 0/0, "text", 42, 0.5, true, { name = "x", list = { 1, 2 } }',
    );
    const out = await run(page);
    assert.deepEqual(out.returned, [
      'nil',
      'nan',
      'text',
      '42',
      '0.5',
      'true',
      '{\n  list = {\n    1,\n    2\n  },\n  name = "x"\n}',
    ]);
    await context.close();
  });

  test('the output follows new lines unless scrolled up; copy, clear and resize', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await setScript(page, 'for i = 1, 200 do print("line " .. i) end');
    await run(page);
    assert.ok(await atEnd(page), 'the end of a long output is in view');
    await run(page);
    assert.equal(
      await page.locator('#output > .run').count(),
      2,
      'runs are kept one after the other',
    );
    assert.ok(await atEnd(page), 'still following');

    // scrolled up: a new run does not pull the view down
    await page.$eval('#output', (o) => o.scrollTo(0, 0));
    await page.waitForFunction(
      () => document.getElementById('output').dataset.following === 'false',
    );
    await run(page);
    assert.equal(await page.$eval('#output', (o) => o.scrollTop), 0);
    // back at the end: following again
    await page.$eval('#output', (o) => o.scrollTo(0, o.scrollHeight));
    await page.waitForFunction(
      () => document.getElementById('output').dataset.following === 'true',
    );

    await page.click('#output-copy');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /^Run 1 · Finished in [\d.]+ ms · head v46\nline 1\nline 2\n/);
    assert.equal(copied.match(/line 200/g).length, 3);

    await page.click('#output-clear');
    assert.equal(await page.locator('#output > .run').count(), 0);
    assert.match(await page.textContent('#output'), /Run a script to see/);

    // the handle under the output resizes it, by keyboard (and keeps the height over a reload)
    const height = () =>
      page.$eval('#output-pane', (p) => Math.round(p.getBoundingClientRect().height));
    const before = await height();
    await page.focus('#output-resizer');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    const taller = await height();
    assert.ok(Math.abs(taller - (before + 96)) <= 2, `${before} -> ${taller}`);
    const box = await page.locator('#output-resizer').boundingBox();
    const grip =
      (await page.$eval('#output-pane', (p) => p.getBoundingClientRect().bottom)) -
      (box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y - 100, { steps: 4 });
    await page.mouse.up();
    // the pane's bottom follows the pointer, which held the handle a few pixels above the bottom
    assert.ok(
      Math.abs((await height()) - (taller - 100 - grip)) <= 6,
      `${taller} dragged to ${await height()} (grip ${grip})`,
    );
    const kept = await height();
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    assert.equal(await height(), kept);
    await context.close();
  });

  test('history rows name their changed ids; a version shows its changes; go to head', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await pickExample(page, 'spec-making-changes');
    await run(page);
    await openTab(page, 'history');
    const row = (v) => page.textContent(`#versions button[data-version="${v}"] .ids`);
    await page.waitForFunction(() => document.querySelector('#versions button[data-version="47"]'));
    assert.equal(
      await row(47),
      'services:new-service, config:rate-limits, services:deprecated-service',
    );
    assert.match(await row(1), /^[\w:-]+, [\w:-]+, [\w:-]+ \+3$/, 'v1 created six entries');
    assert.equal(await row(0), 'empty registry');

    await page.click('#versions button[data-version="47"]');
    await page.waitForSelector('#version-detail [data-testid=diff-summary]');
    assert.equal(
      await page.textContent('#version-detail [data-testid=diff-summary]'),
      'v46 → v47: 3 operations (1 create, 1 update, 1 delete)',
    );
    assert.equal(
      await page.locator('#version-detail .diff-create[data-id="services:new-service"]').count(),
      1,
    );
    await screenshot(page, 'history-version');
    await page.click('#versions button[data-version="1"]');
    await page.waitForFunction(() =>
      document
        .querySelector('#version-detail [data-testid=diff-summary]')
        ?.textContent.startsWith('v0 → v1'),
    );
    await page.click('#browse-version');
    await waitCaption(page, '6 entries at v1');

    // make v3 head: its row is far down the list; Go to head brings it into view and focus
    await openTab(page, 'history');
    await page.click('#versions button[data-version="3"]');
    await page.click('#apply-selected');
    await page.waitForFunction(
      () => document.querySelector('#versions li.head button')?.dataset.version === '3',
    );
    await page.$eval('#versions', (l) => l.scrollTo(0, 0));
    await page.click('#go-to-head');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.version), '3');
    const visible = await page.$eval('#versions li.head', (li) => {
      const r = li.getBoundingClientRect();
      const list = li.closest('#versions').getBoundingClientRect();
      return r.top >= list.top && r.bottom <= list.bottom;
    });
    assert.ok(visible, 'the head row is in view');
    await context.close();
  });

  test('versions a script commits appear in the history while it still runs', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await openTab(page, 'history');
    await setScript(
      page,
      `for i = 1, 2 do
  assert(registry.snapshot():changes():create({ id = "services:live-" .. i, kind = "service" }):apply())
end
local started = os.clock()
while os.clock() - started < 3 do end`,
    );
    await page.locator('.cm-content').focus();
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('#versions button[data-version="48"]');
    assert.equal(
      await page.evaluate(() => document.documentElement.dataset.running),
      'true',
      'shown before the run ends',
    );
    assert.equal(
      await page.textContent('#versions button[data-version="48"] .ids'),
      'services:live-2',
    );
    assert.equal(await page.textContent('#run-status'), 'Running… 2 versions committed, head v48');
    await page.waitForFunction(() => document.documentElement.dataset.running === 'false');
    assert.match(await page.textContent('#run-status'), /^Finished in [\d.]+ ms · head v48$/);
    await context.close();
  });

  test('a run committing 5,000 versions with the History tab open keeps the page responsive', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await openTab(page, 'history');
    await setScript(
      page,
      `for i = 1, 5000 do
  assert(registry.snapshot():changes():create({ id = "many:" .. i, kind = "k" }):apply())
end`,
    );
    // showing each commit as it came made this take minutes; shown every 200 ms it takes seconds
    const out = await run(page, { timeout: 30_000 });
    assert.equal(out.error, null);
    assert.match(await page.textContent('#history-summary'), /^5047 versions · head v5046$/);
    await context.close();
  });

  test("a syntax error is underlined as you type at its line and column, found by Luau's parser without running", async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    // were this run, line 1 would commit a version; line 3 has characters beyond the BMP before the error
    const broken = '  local broken = "😀ü" .. = 3';
    await setScript(
      page,
      `assert(registry.snapshot():changes():create({ id = "services:never", kind = "service" }):apply())\nlocal ok = 1\n${broken}\nprint(broken)\n`,
    );
    await page.waitForSelector('.cm-lintRange-error');
    const underlined = await page.$eval('.cm-lintRange-error', (el) => {
      const line = el.closest('.cm-line');
      const range = document.createRange();
      range.setStart(line, 0);
      range.setEnd(el, 0);
      return {
        text: el.textContent,
        line: [...document.querySelectorAll('.cm-content > .cm-line')].indexOf(line) + 1,
        before: range.toString(),
      };
    });
    const column = [...broken.slice(0, broken.lastIndexOf('='))].length + 1; // in characters, from 1
    assert.deepEqual(underlined, {
      text: '=',
      line: 3,
      before: broken.slice(0, broken.lastIndexOf('=')),
    });
    await page.hover('.cm-lintRange-error');
    const message = await page.textContent('.cm-tooltip-lint .cm-diagnosticText');
    assert.equal(
      message,
      `Line 3, column ${column}: Expected identifier when parsing expression, got '='`,
    );
    await screenshot(page, 'syntax-error');
    assert.equal(
      await page.evaluate(() => document.documentElement.dataset.runs),
      undefined,
      'nothing ran',
    );
    await openTab(page, 'history');
    assert.match(await page.textContent('#history-summary'), /^47 versions · head v46$/);

    // fixed: the underline goes
    await setScript(page, 'local fixed = 3\nprint(fixed)\n');
    await page.waitForSelector('.cm-lintRange-error', { state: 'detached' });
    await context.close();
  });

  test('a 5 MB entry opens at once, collapsed, and expands on demand', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await setScript(
      page,
      `assert(registry.snapshot():changes():create({ id = "blobs:big", kind = "blob",
  data = { text = string.rep("0123456789", 512 * 1024), small = { a = 1 } } }):apply())`,
    );
    assert.equal((await run(page)).error, null);
    await waitCaption(page, '11 entries at head (v47)');
    const started = Date.now();
    await page.click('#entries-table button.entry-id:text-is("blobs:big")');
    await page.waitForSelector('[data-testid=entry-data][data-large=true]');
    const opened = Date.now() - started;
    assert.ok(opened < 1000, `opened in ${opened} ms`);
    assert.ok(
      (await page.textContent('#entry-detail')).length < 2000,
      'nothing large is rendered yet',
    );
    await page.click('[data-testid=entry-data] > details > summary');
    await page.waitForSelector('[data-testid=entry-data] [data-testid=show-all]');
    assert.match(
      await page.textContent('[data-testid=entry-data] [data-testid=show-all]'),
      /^Show all 5\.0 MB$/,
    );
    assert.match(await page.textContent('[data-testid=entry-data]'), /small: \{\s+"a": 1\s+\}/);
    await page.click('[data-testid=entry-data] [data-testid=show-all]');
    const length = await page.$eval(
      '[data-testid=entry-data] .json-string',
      (c) => c.textContent.length,
    );
    assert.equal(length, 5 * 1024 * 1024 + 2);
    await context.close();
  });
});
