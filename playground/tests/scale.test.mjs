// End-to-end: a 100,000-entry history loads (uploaded), is saved in the browser and reloads without
// freezing the page: no task longer than 100 ms on the page's thread (PerformanceObserver
// longtask), the work done in the worker, its progress shown while it takes more than a second.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openPlayground, resultsDir, useBrowser, waitCaption, waitReady } from './harness.mjs';

const env = useBrowser();
const CHANGESETS = 100;
const PER_CHANGESET = 1000;
const LONG_TASK_MS = 100;

/** The spec's example service, 100 changesets of 1,000 creates: 100,000 entries, 101 versions. */
function largeHistory() {
  const versions = [{ id: 0, parent: null, time_ms: 1_767_225_600_000, ops: [] }];
  for (let v = 1; v <= CHANGESETS; v++) {
    const ops = [];
    for (let i = 0; i < PER_CHANGESET; i++) {
      const n = (v - 1) * PER_CHANGESET + i;
      ops.push({
        kind: 'entry.create',
        entry: {
          id: `services:svc-${String(n).padStart(6, '0')}`,
          kind: 'service',
          meta: { environment: n % 3 ? 'production' : 'staging', team: `team-${n % 40}`, tier: 'gold' },
          data: { port: 8000 + (n % 1000), replicas: 1 + (n % 5), image: `registry.example/svc-${n}:1.${n % 10}.0` },
        },
      });
    }
    versions.push({ id: v, parent: v - 1, time_ms: 1_767_225_600_000 + v * 1000, ops });
  }
  return { format: 'luau-registry-history', format_version: 1, head: CHANGESETS, versions };
}

/** Records the page's long tasks and every progress text shown, from the first script on. */
function watch() {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask', buffered: true });
  window.progressShown = [];
  document.addEventListener('DOMContentLoaded', () => {
    const box = document.getElementById('progress');
    new MutationObserver(() => {
      const text = document.getElementById('progress-text').textContent;
      if (!box.hidden && window.progressShown.at(-1) !== text) window.progressShown.push(text);
    }).observe(box, { attributes: true, childList: true, subtree: true, characterData: true });
  });
}

async function observed(page) {
  return page.evaluate(() => ({ longTasks: window.longTasks, progress: window.progressShown }));
}

function assertNoLongTask(seen, phase) {
  const longest = Math.max(0, ...seen.longTasks);
  assert.ok(longest <= LONG_TASK_MS, `${phase}: the page's thread was blocked for ${longest} ms (tasks over 50 ms: ${seen.longTasks.join(', ')})`);
}

describe('the browser at scale', () => {
  test('a 100,000-entry history uploads, is saved and reloads without a task over 100 ms, showing progress', async () => {
    const file = path.join(resultsDir, 'history-100k.json');
    writeFileSync(file, JSON.stringify(largeHistory()));
    const { context, page } = await openPlayground(env.browser, env.server.url);
    await context.addInitScript(watch);
    await page.reload();
    await waitReady(page);
    await page.evaluate(() => {
      window.longTasks.length = 0;
      window.progressShown.length = 0;
    });

    // load: read, parsed, checked and opened in the worker, then saved by it
    const started = Date.now();
    await page.setInputFiles('#upload-file', file);
    await page.waitForFunction(() => document.getElementById('inspector-notice').textContent.includes('Loaded'), null, { timeout: 180_000 });
    await page.waitForFunction(() => document.documentElement.dataset.savedVersions === '101', null, { timeout: 180_000 });
    const loadMs = Date.now() - started;
    await waitCaption(page, '100,000 entries at head (v100)');
    let seen = await observed(page);
    assertNoLongTask(seen, `upload and save (${loadMs} ms)`);
    assert.ok(loadMs > 1000, `a 100,000-entry history took ${loadMs} ms to load and save`);
    assert.ok(seen.progress.some((text) => /^(Reading the history|Checking and opening the history|Saving the history in this browser)…/.test(text)), `progress shown: ${JSON.stringify(seen.progress)}`);
    assert.match(await page.textContent('#inspector-notice'), /^Loaded history-100k\.json: 101 versions, head v100\.$/);

    // reload: the saved history is read and opened in the worker
    const reloaded = Date.now();
    await page.reload();
    await waitReady(page, 180_000);
    await waitCaption(page, '100,000 entries at head (v100)');
    const reloadMs = Date.now() - reloaded;
    seen = await observed(page);
    assertNoLongTask(seen, `reload (${reloadMs} ms)`);
    assert.ok(seen.progress.some((text) => /^(Reading the saved history|Opening 101 versions)…/.test(text)), `progress shown: ${JSON.stringify(seen.progress)}`);
    assert.match(await page.textContent('#status'), /101 versions, head v100/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
