// End-to-end: examples never break each other (scratch copies), and every run can be undone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  entryIds,
  openPlayground,
  openTab,
  pickExample,
  readOutput,
  run,
  runBy,
  SAMPLE_IDS,
  screenshot,
  useBrowser,
  waitCaption,
} from './harness.mjs';

const env = useBrowser();

/** The examples that change the registry, as the menu marks them. */
const WRITING = ['spec-making-changes', 'spec-version-history', 'spec-deltas', 'commit', 'runaway'];

describe('isolation and undo', () => {
  test('clicking through every example in order, then the welcome script, works', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await page.fill('#time-limit', '1');
    await page.locator('#time-limit').dispatchEvent('change');
    const ids = await page
      .locator('#examples option[value]:not([value=""])')
      .evaluateAll((os) => os.map((o) => o.value));
    assert.ok(ids.length >= 11, ids.join(','));
    const writing = [];
    for (const id of ids) {
      await pickExample(page, id);
      const note = await page.isVisible('#example-note');
      if (note) writing.push(id);
      if (note && id === WRITING[0]) await screenshot(page, 'example-writes');
      // a writing example runs on a scratch copy; the others run where the page is
      const out = note ? await runBy(page, '#run-scratch') : await run(page);
      if (id === 'error') assert.match(out.error, /attempt to index nil/);
      else if (id === 'runaway') assert.match(out.error, /time limit/);
      else assert.equal(out.error, null, `${id}: ${out.error}`);
    }
    assert.deepEqual(writing, WRITING, 'the examples that write say so');
    assert.match(await page.textContent('#scratch-bar'), /Scratch copy/);
    await screenshot(page, 'scratch-copy');

    await pickExample(page, 'welcome');
    const welcome = await run(page);
    assert.equal(welcome.error, null, welcome.error);
    assert.match(welcome.printed, /^services:database\tproduction\t5432\n/);
    assert.deepEqual(welcome.returned, ['v46', '10']);

    // back to the user's registry: exactly as before the walk-through
    await page.click('#leave-scratch');
    await page.waitForSelector('#scratch-bar', { state: 'hidden' });
    await waitCaption(page, '10 entries at head (v46)');
    assert.deepEqual(await entryIds(page), SAMPLE_IDS);
    assert.match(await page.textContent('#history-summary'), /^47 versions · head v46$/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test("a scratch copy is not saved: a reload brings the user's registry back", async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await pickExample(page, 'spec-deltas');
    assert.equal((await runBy(page, '#run-scratch')).error, null);
    await waitCaption(page, '1 entry at head (v47)');
    await page.waitForFunction(() => document.documentElement.dataset.savedHead === '46');
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    await waitCaption(page, '10 entries at head (v46)');
    assert.equal(await page.isVisible('#scratch-bar'), false);
    await context.close();
  });

  test("Undo run moves head back to where it was before the run; the run's versions stay", async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    assert.equal(await page.isDisabled('#undo'), true, 'nothing to undo yet');
    await pickExample(page, 'spec-deltas');
    assert.equal((await runBy(page, '#run-here')).error, null);
    await waitCaption(page, '1 entry at head (v47)');
    assert.equal(await page.textContent('#undo'), 'Undo run (back to v46)');
    await screenshot(page, 'undo');

    await page.click('#undo');
    await waitCaption(page, '10 entries at head (v46)');
    assert.deepEqual(await entryIds(page), SAMPLE_IDS);
    assert.match(await page.textContent('#inspector-notice'), /head is back at v46/);
    assert.equal(await page.isDisabled('#undo'), true);
    await openTab(page, 'history');
    assert.match(
      await page.textContent('#history-summary'),
      /^48 versions · head v46$/,
      'v47 stays in the history',
    );

    // a run that only reads leaves nothing to undo; one that moves head back can be undone too
    await pickExample(page, 'welcome');
    assert.equal((await run(page)).error, null);
    assert.equal(await page.isDisabled('#undo'), true);
    await pickExample(page, 'spec-version-history');
    await runBy(page, '#run-here');
    await waitCaption(page, 'at head (v42)');
    await page.click('#undo');
    await waitCaption(page, 'at head (v46)');
    const out = await readOutput(page);
    assert.equal(out.error, null);
    await context.close();
  });
});
