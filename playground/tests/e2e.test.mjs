// End-to-end tests of the built playground in headless Chromium (node --test).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  entryIds,
  getScript,
  launch,
  openPlayground,
  openTab,
  pickExample,
  playgroundDir,
  readOutput,
  repoDir,
  resultsDir,
  run,
  SAMPLE_IDS,
  screenshot,
  serve,
  setScript,
  waitCaption,
  waitReady,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await serve();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The spec, where this checkout can see it (CI lays shared/ beside the clone). */
function specText() {
  const candidates = [
    process.env.REGISTRY_SPEC,
    path.join(repoDir, '..', 'shared', 'spec', 'registry-api.md'),
    '/work/shared/spec/registry-api.md',
  ];
  const found = candidates.find((p) => p && existsSync(p));
  return found ? readFileSync(found, 'utf8') : null;
}

/** The spec's examples: every block under "Example Usage", and the "-- Example:" snippet. */
function specExamples(spec) {
  const blocks = [];
  const usage = spec.indexOf('## Example Usage');
  for (const match of spec.matchAll(/```lua\n([\s\S]*?)```/g)) {
    const code = match[1];
    if (match.index > usage) blocks.push(code);
    else if (code.includes('-- Example:')) blocks.push(code.slice(code.indexOf('-- Example:')));
  }
  return blocks;
}

async function resetSample(page) {
  const before = Number(await page.evaluate(() => document.documentElement.dataset.saved ?? 0));
  await page.click('#reset');
  await page.waitForFunction(
    (n) => Number(document.documentElement.dataset.saved ?? 0) > n,
    before,
  );
  await page.waitForFunction(() =>
    document.getElementById('inspector-notice').textContent.includes('sample data is back'),
  );
}

function versionHistoryOutput() {
  const lines = ['Current version: 46'];
  for (let i = 1; i <= 47; i++) {
    lines.push(`${i}. Version: ${i - 1} - v${i - 1}`);
    if (i > 1) lines.push(`   Previous: ${i - 2}`);
  }
  lines.push(
    'Found 10 entries at version 42',
    'Found 7 services at version 42',
    'Successfully rolled back to version 42',
  );
  return lines.join('\n');
}

/** Each spec example, what it prints on the sample data, and what the registry holds after it. */
const SPEC_CASES = [
  { id: 'spec-snapshot-find', printed: '', head: 46 },
  {
    id: 'spec-basic-operations',
    printed:
      'Found entry: services:database\nKind: service\nEnvironment: production\nFound 6 production services',
    head: 46,
  },
  {
    id: 'spec-snapshots',
    printed:
      'Found entry: services:database\nKind: service\nEnvironment: production\nFound 7 services\nFound 4 production services in us-west',
    head: 46,
  },
  { id: 'spec-advanced-search', printed: 'Found 3 healthy API services', head: 46 },
  {
    id: 'spec-making-changes',
    printed: 'Created version: 47',
    head: 47,
    ids: [
      ...SAMPLE_IDS.filter((id) => id !== 'services:deprecated-service'),
      'services:new-service',
    ].sort(),
  },
  { id: 'spec-version-history', printed: versionHistoryOutput(), head: 42, ids: SAMPLE_IDS },
  {
    id: 'spec-deltas',
    printed: [
      'Delta contains 10 operations',
      ...SAMPLE_IDS.filter((id) => id !== 'services:api').map((id) => `Removing: ${id}`),
      'Updating: services:api',
      'Updated registry to version: 47',
    ].join('\n'),
    head: 47,
    ids: ['services:api'],
  },
];

describe('playground', () => {
  test('the page loads the sample registry, and the served module is dist/registry.wasm byte for byte', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    const wasmRequests = [];
    context.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(r.url()));
    assert.equal(await page.title(), 'Luau Registry Playground');
    // The caption and the rows are written in one task, after the worker's answer.
    await waitCaption(page, '10 entries at head (v46)');
    assert.deepEqual(await entryIds(page), SAMPLE_IDS);
    assert.match(await page.textContent('#status'), /47 versions, head v46/);

    const assets = readdirSync(path.join(playgroundDir, 'dist', 'assets')).filter((f) =>
      f.endsWith('.wasm'),
    );
    assert.equal(assets.length, 1, 'one module in the site');
    const response = await fetch(new URL(`assets/${assets[0]}`, server.url));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/wasm');
    const served = new Uint8Array(await response.arrayBuffer());
    assert.equal(
      sha256(served),
      sha256(
        readFileSync(
          path.join(process.env.REGISTRY_DIST ?? path.join(repoDir, 'dist'), 'registry.wasm'),
        ),
      ),
      'served bytes are dist/registry.wasm',
    );

    // A reload fetches the module again: it is that file the page loads.
    await page.reload();
    await waitReady(page);
    assert.ok(
      wasmRequests.some((u) => u.endsWith(`/assets/${assets[0]}`)),
      `the page fetched ${assets[0]} (saw ${wasmRequests})`,
    );
    await screenshot(page, 'light-desktop');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the examples menu holds every example of the spec, verbatim', async (t) => {
    const { context, page } = await openPlayground(browser, server.url);
    const options = await page
      .locator('#examples optgroup[label="Spec examples"] option')
      .evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(
      options,
      SPEC_CASES.map((c) => c.id),
      'the spec examples, in spec order',
    );
    const spec = specText();
    if (!spec) {
      t.diagnostic('spec not found beside the repository: verbatim check skipped');
    } else {
      const menu = [];
      for (const id of options) menu.push((await pickExample(page, id)).trim());
      const examples = specExamples(spec);
      assert.equal(examples.length, 7, 'the spec has seven examples');
      for (const example of examples) {
        assert.ok(
          menu.includes(example.trim()),
          `spec example missing from the menu:\n${example.slice(0, 200)}`,
        );
      }
    }
    await context.close();
  });

  test('each spec example runs as written on the sample data, with the output it promises', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    for (const [i, c] of SPEC_CASES.entries()) {
      if (i > 0) await resetSample(page);
      await pickExample(page, c.id);
      const out = await run(page);
      assert.equal(out.error, null, `${c.id} failed: ${out.error}`);
      assert.equal(out.state, 'ok', c.id);
      assert.equal(out.printed, c.printed, `${c.id} output`);
      assert.match(
        out.status,
        new RegExp(`Finished in [\\d.]+ ms · head v${c.head}$`),
        `${c.id} status`,
      );
      await waitCaption(page, `at head (v${c.head})`);
      assert.deepEqual(await entryIds(page), c.ids ?? SAMPLE_IDS, `${c.id} entries afterwards`);
      if (c.id === 'spec-making-changes') await screenshot(page, 'spec-making-changes');
    }
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('an error shows its line and marks that line in the editor', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await pickExample(page, 'error');
    const out = await run(page);
    assert.equal(out.errorLine, '6');
    assert.match(out.error, /Error on line 6: .*attempt to index nil/);
    assert.equal(out.state, 'error');
    assert.equal(out.printed, 'services:api');
    assert.equal(await page.locator('.cm-line.cm-error-line').count(), 1);
    assert.equal(await page.getAttribute('.cm-line.cm-error-line', 'data-error-line'), '6');
    assert.equal(await page.locator('.cm-error-line').textContent(), 'print(missing.id)');
    await screenshot(page, 'error-line');

    // error() on line 3 of a fresh script; editing clears the mark
    await setScript(page, 'local x = 1\nlocal y = 2\nerror("boom")\n');
    const again = await run(page);
    assert.equal(again.errorLine, '3');
    assert.match(again.error, /Error on line 3: boom/);
    assert.equal(await page.getAttribute('.cm-line.cm-error-line', 'data-error-line'), '3');
    await page.locator('.cm-content').focus();
    await page.keyboard.press('End');
    await page.keyboard.type(' ');
    assert.equal(await page.locator('.cm-error-line').count(), 0, 'an edit clears the mark');
    await context.close();
  });

  test('a memory limit error names the line the script was running and marks it', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await page.fill('#time-limit', '60');
    await page.locator('#time-limit').dispatchEvent('change');
    await setScript(page, 'print("growing")\nlocal s = "x"\nwhile true do s = s .. s end\n');
    const out = await run(page, { timeout: 60_000 });
    assert.equal(
      out.error,
      'Error on line 3: script exceeded its memory limit of 256 MiB (not enough memory) Go to line 3',
    );
    assert.equal(out.errorLine, '3');
    assert.equal(out.printed, 'growing');
    assert.equal(await page.getAttribute('.cm-line.cm-error-line', 'data-error-line'), '3');
    assert.equal(
      await page.locator('.cm-error-line').textContent(),
      'while true do s = s .. s end',
    );
    // the same module goes on
    await setScript(page, 'return 6 * 7');
    assert.deepEqual((await run(page)).returned, ['42']);
    await context.close();
  });

  for (const fence of ['inner', 'outer']) {
    test(`while true do end is stopped by the ${fence} fence within the limit plus 1 s, keeping earlier versions`, async () => {
      const { context, page } = await openPlayground(browser, server.url, {
        path: fence === 'outer' ? '?innerFence=off' : '',
      });
      await page.fill('#time-limit', '2');
      await page.locator('#time-limit').dispatchEvent('change');
      // a version applied in an earlier run, and one in the same run before the loop
      await setScript(
        page,
        'assert(registry.snapshot():changes():create({ id = "services:earlier", kind = "service" }):apply())',
      );
      assert.equal((await run(page)).error, null);
      await pickExample(page, 'runaway');
      const runs = Number(await page.evaluate(() => document.documentElement.dataset.runs));
      await page.locator('.cm-content').focus();
      const started = Date.now();
      await page.keyboard.press('Control+Enter');
      await page.waitForFunction(() => document.documentElement.dataset.running === 'true');

      // the page responds while the script loops: it answers before the run is over (a frozen
      // page would answer only once the worker had stopped), whatever the machine's load
      assert.equal(await page.evaluate(() => 6 * 7), 42);
      await openTab(page, 'history');
      await openTab(page, 'entries');
      assert.equal(
        await page.evaluate(() => document.documentElement.dataset.running),
        'true',
        'the page answered while the script was still running',
      );

      const stopped =
        fence === 'inner' ? '#output [data-testid=error]' : '#output [data-testid=timeout]';
      await page.waitForSelector(stopped, { timeout: 10_000 });
      // the page's own measure, from sending the run to its answer or the worker's termination
      const waited = Number(await page.getAttribute('#output', 'data-waited-ms'));
      assert.ok(
        waited >= 2000 && waited <= 2000 + 1000 + 250,
        `the page saw the stop after ${waited} ms (limit 2000 ms)`,
      );
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed <= 2000 + 1000 + 2000,
        `stopped after ${elapsed} ms as the test saw it (limit 2000 ms)`,
      );
      await page.waitForFunction((n) => Number(document.documentElement.dataset.runs) > n, runs);
      const out = await readOutput(page);
      if (fence === 'inner') {
        // the example's `while true do end` is its line 7: the error names it and the editor marks it
        assert.match(out.error, /^Error on line 7: script exceeded its time limit of 2000 ms/);
        assert.equal(out.errorLine, '7');
        assert.equal(await page.getAttribute('.cm-line.cm-error-line', 'data-error-line'), '7');
        assert.equal(await page.locator('.cm-error-line').textContent(), 'while true do end');
        assert.equal(out.printed, 'committed v48');
      } else {
        assert.match(out.timeout, /did not finish within its time limit of 2 s/);
      }
      await waitCaption(page, 'at head (v48)');
      const ids = await entryIds(page);
      assert.ok(
        ids.includes('services:earlier') && ids.includes('services:before-loop'),
        `versions kept: ${ids}`,
      );
      await screenshot(page, `stopped-${fence}-fence`);

      // the registry still works, and the kept history is the page's saved one
      await setScript(
        page,
        'return registry.current_version():id(), registry.get("services:before-loop").id',
      );
      const after = await run(page);
      assert.deepEqual(after.returned, ['48', 'services:before-loop']);
      await context.close();
    });
  }

  test('printed lines are visible before a run ends and kept after Stop', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await page.fill('#time-limit', '60');
    await page.locator('#time-limit').dispatchEvent('change');
    await setScript(page, 'print("first line")\nprint("second", 2)\nwhile true do end\n');
    const runs = Number(await page.evaluate(() => document.documentElement.dataset.runs ?? 0));
    await page.locator('.cm-content').focus();
    await page.keyboard.press('Control+Enter');
    const printed = '#output > .run[data-state=running] [data-testid=printed]';
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.textContent === 'first line\nsecond\t2',
      printed,
    );
    assert.equal(
      await page.evaluate(() => document.documentElement.dataset.running),
      'true',
      'shown while the script runs',
    );
    await page.click('#stop');
    await page.waitForFunction((n) => Number(document.documentElement.dataset.runs) > n, runs);
    const out = await readOutput(page);
    assert.match(out.timeout, /The script was stopped: the worker was terminated/);
    assert.equal(out.printed, 'first line\nsecond\t2', 'kept after the worker is gone');
    await context.close();
  });

  test('Stop ends a running script at once and keeps the versions it committed', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await page.fill('#time-limit', '60');
    await page.locator('#time-limit').dispatchEvent('change');
    await pickExample(page, 'runaway');
    const runs = Number(await page.evaluate(() => document.documentElement.dataset.runs ?? 0));
    await page.locator('.cm-content').focus();
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.documentElement.dataset.running === 'true');
    // the commit reached the browser's storage (the journal) while the script still runs
    await page.waitForFunction(() => Number(document.documentElement.dataset.journaled ?? 0) >= 1);
    const started = Date.now();
    await page.click('#stop');
    await page.waitForSelector('#output [data-testid=timeout]');
    assert.ok(Date.now() - started < 1000, `stopped in ${Date.now() - started} ms`);
    assert.match(
      await page.textContent('#output [data-testid=timeout]'),
      /The script was stopped: the worker was terminated/,
    );
    await page.waitForFunction((n) => Number(document.documentElement.dataset.runs) > n, runs);
    await waitCaption(page, 'at head (v47)');
    assert.ok((await entryIds(page)).includes('services:before-loop'));
    // the rebuilt worker saved it: a reload keeps it
    await page.waitForFunction(() => document.documentElement.dataset.savedVersions === '48');
    await page.reload();
    await waitReady(page);
    await waitCaption(page, 'at head (v47)');
    assert.ok((await entryIds(page)).includes('services:before-loop'));
    await context.close();
  });

  test("a share link restores the script, not the sender's registry", async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await setScript(
      page,
      'assert(registry.snapshot():changes():create({ id = "services:sender-only", kind = "service" }):apply())',
    );
    await run(page);
    const script =
      '-- shared ✓ «ünïcode» & symbols: #?%=\nlocal e = registry.get("services:sender-only")\nreturn e and "sender" or "own registry"\n';
    await setScript(page, script);
    await page.click('#share');
    await page.waitForSelector('#share-panel:not([hidden])');
    const link = await page.inputValue('#share-url');
    assert.match(link, /#code=[A-Za-z0-9_-]+$/);
    await screenshot(page, 'share');
    await context.close();

    const other = await openPlayground(browser, '', { path: link });
    assert.equal(await getScript(other.page), script);
    assert.ok(!(await entryIds(other.page)).includes('services:sender-only'));
    const out = await run(other.page);
    assert.deepEqual(out.returned, ['own registry']);
    assert.equal(new URL(other.page.url()).hash, '', 'the hash is dropped once read');
    await other.context.close();
  });

  test('the history survives a reload', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await setScript(
      page,
      `local c = registry.snapshot():changes()
c:create({ id = "services:persisted", kind = "service", meta = { environment = "test" } })
assert(c:apply())
assert(registry.snapshot():changes():delete("services:web"):apply())
assert(registry.apply_version(47))`,
    );
    assert.equal((await run(page)).error, null);
    await page.waitForFunction(
      () =>
        document.documentElement.dataset.savedVersions === '49' &&
        document.documentElement.dataset.savedHead === '47',
    );
    await page.reload();
    await waitReady(page);
    await waitCaption(page, 'at head (v47)');
    const ids = await entryIds(page);
    assert.ok(ids.includes('services:persisted') && ids.includes('services:web'));
    assert.match(await page.textContent('#status'), /49 versions, head v47/);
    await openTab(page, 'history');
    assert.equal(await page.locator('#versions li').count(), 49);
    assert.equal(await page.getAttribute('#versions li.head button', 'data-version'), '47');
    await context.close();
  });

  test('roll back and forward change the entries table; clicking a version browses its snapshot', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await pickExample(page, 'commit');
    assert.equal((await run(page)).printed, 'created v47');
    await waitCaption(page, 'at head (v47)');
    assert.ok((await entryIds(page)).includes('services:playground'));

    await openTab(page, 'history');
    await page.click('#rollback');
    await openTab(page, 'entries');
    await waitCaption(page, '10 entries at head (v46)');
    assert.deepEqual(await entryIds(page), SAMPLE_IDS);

    await openTab(page, 'history');
    assert.equal(await page.textContent('#rollforward'), 'Roll forward to v47 ▶');
    await page.click('#rollforward');
    await openTab(page, 'entries');
    await waitCaption(page, '11 entries at head (v47)');
    assert.ok((await entryIds(page)).includes('services:playground'));

    // browse v1: the first six entries, with a banner back to head
    await openTab(page, 'history');
    await screenshot(page, 'history');
    await page.click('#versions button[data-version="1"]');
    await page.click('#browse-version');
    await waitCaption(page, '6 entries at v1');
    assert.deepEqual(await entryIds(page), [
      'config:rate-limits',
      'services:api',
      'services:auth',
      'services:database',
      'services:deprecated-service',
      'services:web',
    ]);
    assert.match(
      await page.textContent('#browse-banner'),
      /Browsing the snapshot of v1 \(head is v47\)/,
    );
    // an entry's meta and data as JSON
    await page.click('#entries-table button.entry-id:text-is("config:rate-limits")');
    assert.deepEqual(JSON.parse(await page.textContent('[data-testid=entry-data]')), {
      burst: 40,
      rate: 20,
      window: '1s',
    });
    assert.deepEqual(JSON.parse(await page.textContent('[data-testid=entry-meta]')), {
      owner: 'sre',
      revision: 1,
    });
    await page.click('#back-to-head');
    await waitCaption(page, 'at head (v47)');
    assert.deepEqual(JSON.parse(await page.textContent('[data-testid=entry-data]')), {
      burst: 100,
      rate: 50,
      window: '1s',
    });

    // make v3 head through the selected version, then a new commit branches from it
    await openTab(page, 'history');
    await page.click('#versions button[data-version="3"]');
    await openTab(page, 'history');
    await page.click('#apply-selected');
    await waitCaption(page, 'at head (v3)');
    await pickExample(page, 'commit');
    assert.equal((await run(page)).printed, 'created v48');
    await openTab(page, 'history');
    assert.match(await page.textContent('#versions button[data-version="48"]'), /↳ from v3/);
    await context.close();
  });

  test('the diff view shows creates, deletes, and updates with their changed fields', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await openTab(page, 'diff');
    // latest change of the sample: v45 -> v46, search recovered
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=diff-summary]')?.textContent.startsWith('v45 → v46'),
    );
    assert.equal(
      await page.textContent('[data-testid=diff-summary]'),
      'v45 → v46: 1 operation (0 create, 1 update, 0 delete)',
    );
    const fields = await page
      .locator('.diff-update[data-id="services:search"] .fields li')
      .allTextContents();
    assert.deepEqual(fields, ['meta.status: "degraded" → "healthy"', 'data.shards: 6 → 8']);

    // the spec's "Making Changes", then v46 -> v47
    await pickExample(page, 'spec-making-changes');
    await run(page);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=diff-summary]')?.textContent.startsWith('v46 → v47'),
    );
    assert.equal(
      await page.textContent('[data-testid=diff-summary]'),
      'v46 → v47: 3 operations (1 create, 1 update, 1 delete)',
    );
    assert.equal(await page.locator('.diff-create[data-id="services:new-service"]').count(), 1);
    assert.equal(
      await page.locator('.diff-delete[data-id="services:deprecated-service"]').count(),
      1,
    );
    const rate = await page
      .locator('.diff-update[data-id="config:rate-limits"] .fields li')
      .allTextContents();
    assert.ok(rate.includes('meta.revision: 2 → 3'), rate.join('\n'));
    assert.ok(rate.includes('meta.owner: "sre" → (absent)'), rate.join('\n'));
    assert.ok(rate.includes('data.window: "1s" → (absent)'), rate.join('\n'));
    assert.ok(rate.includes('data.rate: 50 → 100'), rate.join('\n'));
    assert.ok(
      rate.some((f) => /^meta\.updated: \(absent\) → \d+$/.test(f)),
      rate.join('\n'),
    );
    await screenshot(page, 'diff');

    // any two versions: v0 -> v1 creates the first six entries
    await page.selectOption('#diff-from', '0');
    await page.selectOption('#diff-to', '1');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=diff-summary]')?.textContent.startsWith('v0 → v1'),
    );
    assert.equal(
      await page.textContent('[data-testid=diff-summary]'),
      'v0 → v1: 6 operations (6 create, 0 update, 0 delete)',
    );
    await context.close();
  });

  test("the filter box takes find criteria in text form; a refused filter shows the module's error and no rows", async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await page.fill('#filter', '.kind=service meta.environment=production');
    await waitCaption(page, 'matching the filter');
    assert.deepEqual(await entryIds(page), [
      'services:api',
      'services:auth',
      'services:cache',
      'services:database',
      'services:deprecated-service',
      'services:search',
    ]);
    await page.fill('#filter', '"~meta.description=api"');
    await waitCaption(page, '4 entries');
    await page.fill('#filter', '.kind');
    await page.waitForSelector('#filter-error:not([hidden])');
    assert.match(await page.textContent('#filter-error'), /invalid_criteria: .*key=value/);
    assert.equal(await page.getAttribute('#filter', 'aria-invalid'), 'true');
    assert.deepEqual(await entryIds(page), [], 'the rows of the last good filter are gone');
    assert.equal(await page.textContent('#entries-caption'), 'No entries: the filter is not valid');
    await page.fill('#filter', '');
    await waitCaption(page, '10 entries at head');
    await context.close();
  });

  test("download and upload the history; a refused upload shows the module's error", async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await setScript(
      page,
      'assert(registry.snapshot():changes():create({ id = "services:exported", kind = "service" }):apply())',
    );
    await run(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), 'registry-history-v47.json');
    const file = path.join(resultsDir, 'registry-history-v47.json');
    await download.saveAs(file);
    const history = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(history.format, 'luau-registry-history');
    assert.equal(history.head, 47);
    assert.equal(history.versions.length, 48);

    // refused: a format version the core does not know; nothing changes
    const bad = path.join(resultsDir, 'bad-history.json');
    writeFileSync(bad, JSON.stringify({ ...history, format_version: 99 }));
    await page.setInputFiles('#upload-file', bad);
    await page.waitForFunction(() =>
      document.getElementById('inspector-notice').textContent.includes('was refused'),
    );
    assert.match(
      await page.textContent('#inspector-notice'),
      /bad-history\.json was refused: invalid_history: /,
    );
    const notJson = path.join(resultsDir, 'not-json.json');
    writeFileSync(notJson, '{ nope');
    await page.setInputFiles('#upload-file', notJson);
    await page.waitForFunction(() =>
      document.getElementById('inspector-notice').textContent.includes('is not JSON'),
    );

    // accepted: back to the sample, then upload the downloaded file
    await resetSample(page);
    await waitCaption(page, '10 entries at head (v46)');
    await page.setInputFiles('#upload-file', file);
    await page.waitForFunction(() =>
      document.getElementById('inspector-notice').textContent.includes('Loaded'),
    );
    await waitCaption(page, '11 entries at head (v47)');
    assert.ok((await entryIds(page)).includes('services:exported'));
    await page.reload();
    await waitReady(page);
    await waitCaption(page, '11 entries at head (v47)');
    await context.close();
  });

  test('completion offers the registry API', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    await setScript(page, '');
    await page.locator('.cm-content').focus();
    await page.keyboard.type('registry.snap');
    // the popup follows the typing: wait for the list of module functions
    const offered = (label) =>
      page.waitForFunction(
        (want) =>
          [...document.querySelectorAll('.cm-tooltip-autocomplete .cm-completionLabel')].some(
            (l) => l.textContent === want,
          ),
        label,
      );
    await offered('snapshot_at');
    const options = await page
      .locator('.cm-tooltip-autocomplete li .cm-completionLabel')
      .allTextContents();
    assert.deepEqual(options.sort(), ['snapshot', 'snapshot_at'], options.join(','));
    await page.keyboard.press('Escape');
    await setScript(page, 'local s = registry.snapshot()\n');
    await page.locator('.cm-content').focus();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('s:ch');
    await offered('changes');
    await context.close();
  });

  test('controls are labelled and keyboard reachable', async () => {
    const { context, page } = await openPlayground(browser, server.url);
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('button, select, input, [role=tab]')]
        .filter((el) => !el.hidden && el.type !== 'file' && el.offsetParent !== null)
        .filter((el) => {
          const label =
            el.getAttribute('aria-label') ||
            el.textContent.trim() ||
            (el.labels && [...el.labels].map((l) => l.textContent.trim()).join(''));
          return !label;
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);
    // Tab from the top reaches the Run button; arrow keys move between the inspector's tabs
    await page.keyboard.press('Tab'); // skip link
    const seen = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => document.activeElement.id));
    }
    assert.ok(seen.includes('run') && seen.includes('share'), seen.join(','));
    await page.focus('#tab-entries');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-history');
    assert.equal(await page.getAttribute('#tab-history', 'aria-selected'), 'true');
    await page.keyboard.press('Enter');
    // Ctrl+Enter runs from anywhere on the page
    await page.focus('#filter');
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => Number(document.documentElement.dataset.runs) >= 1);
    await context.close();
  });

  test('light and dark themes, on a laptop and a phone', async () => {
    // dark from prefers-color-scheme
    const dark = await openPlayground(browser, server.url, { colorScheme: 'dark' });
    const bg = () => dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(await bg(), 'rgb(15, 19, 24)');
    await run(dark.page);
    await dark.page.click('#entries-table button.entry-id:text-is("services:api")');
    await screenshot(dark.page, 'dark-desktop');
    // the toggle overrides it, and sticks across a reload
    await dark.page.click('#theme');
    assert.equal(await bg(), 'rgb(246, 247, 249)');
    await dark.page.reload();
    await waitReady(dark.page);
    assert.equal(await bg(), 'rgb(246, 247, 249)');
    assert.equal(await dark.page.getAttribute('#theme', 'aria-label'), 'Switch to dark theme');
    await dark.context.close();

    for (const colorScheme of ['light', 'dark']) {
      const phone = await openPlayground(browser, server.url, {
        colorScheme,
        viewport: { width: 390, height: 844 },
      });
      await run(phone.page);
      const overflow = await phone.page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow} px)`);
      await screenshot(phone.page, `phone-${colorScheme}`);
      await phone.page.evaluate(() => document.querySelector('.inspector-pane').scrollIntoView());
      await screenshot(phone.page, `phone-${colorScheme}-inspector`);
      await phone.context.close();
    }
  });
});
