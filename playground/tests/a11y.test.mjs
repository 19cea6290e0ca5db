// End-to-end: axe-core (WCAG 2 A/AA and best practices) over the main states, in both themes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  axeViolations,
  openPlayground,
  openTab,
  pickExample,
  run,
  runBy,
  setScript,
  useBrowser,
} from './harness.mjs';

const env = useBrowser();

describe('accessibility', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`axe-core finds no violations in the main states (${colorScheme} theme)`, async () => {
      const { context, page } = await openPlayground(env.browser, env.server.url, { colorScheme });
      const found = {};
      const check = async (state) => {
        const violations = await axeViolations(page);
        if (violations.length) found[state] = violations;
      };
      await check('loaded');

      await setScript(page, 'local broken = = 3\n');
      await page.waitForSelector('.cm-lintRange-error');
      await page.hover('.cm-lintRange-error');
      await page.waitForSelector('.cm-tooltip-lint');
      await check('a syntax error, its message shown');

      await pickExample(page, 'error');
      await run(page);
      await page.click('#entries-table button.entry-id:text-is("services:api")');
      await check('a failed run, an entry open');

      await pickExample(page, 'spec-deltas');
      await check('a writing example');
      await runBy(page, '#run-scratch');
      await page.fill('#filter', '.kind');
      await page.waitForSelector('#filter-error:not([hidden])');
      await check('on a scratch copy, a refused filter');

      await openTab(page, 'history');
      await page.click('#versions button[data-version="47"]');
      await page.waitForSelector('#version-detail [data-testid=diff-summary]');
      await check('history, a version open');

      await openTab(page, 'diff');
      await page.waitForSelector('#diff [data-testid=diff-summary]');
      await check('diff');

      await page.click('#share');
      await page.waitForSelector('#share-panel:not([hidden])');
      await check('share panel');

      assert.deepEqual(
        found,
        {},
        Object.entries(found)
          .map(([state, v]) => `${state}:\n${v.join('\n')}`)
          .join('\n\n'),
      );
      await context.close();
    });
  }
});
