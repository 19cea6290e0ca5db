// Shared set-up of the end-to-end tests: the built site served by `vite preview` on 127.0.0.1
// (a free port), and Debian's Chromium driven by playwright-core (never a downloaded browser).
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

export const playgroundDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(playgroundDir, '..');
export const resultsDir = path.join(playgroundDir, 'test-results');
mkdirSync(resultsDir, { recursive: true });

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Serves playground/dist (built beforehand) and returns its base URL and a stop function. */
export async function serve() {
  const port = await freePort();
  const server = await preview({
    root: playgroundDir,
    configFile: path.join(playgroundDir, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  return { url, close: () => server.close() };
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A page in a fresh context (its own storage), loaded and ready to run scripts. */
export async function openPlayground(
  browser,
  url,
  { colorScheme = 'light', viewport = { width: 1440, height: 900 }, path: sub = '' } = {},
) {
  const context = await browser.newContext({ colorScheme, viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(new Error(m.text()));
  });
  page.on('dialog', (d) => d.accept());
  await page.goto(url + sub);
  await waitReady(page);
  return { context, page };
}

export async function waitReady(page, timeout = 30_000) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, {
    timeout,
  });
}

/** Replaces the editor's text (through CodeMirror, as typing would). */
export async function setScript(page, source) {
  await page.evaluate((text) => window.playground.setScript(text), source);
}

export async function getScript(page) {
  return page.evaluate(() => window.playground.getScript());
}

/** Runs the editor's script with the keyboard and waits for its result. */
export async function run(page, { timeout = 30_000 } = {}) {
  const before = Number(await page.evaluate(() => document.documentElement.dataset.runs ?? 0));
  await page.locator('.cm-content').focus();
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(
    (n) =>
      Number(document.documentElement.dataset.runs ?? 0) > n &&
      document.documentElement.dataset.ready === 'true',
    before,
    { timeout },
  );
  return readOutput(page);
}

/** The last run's block of the output pane. */
export async function readOutput(page) {
  return page.evaluate(() => {
    const block = [...document.querySelectorAll('#output > .run')].at(-1);
    const find = (testid) => block?.querySelector(`[data-testid=${testid}]`) ?? null;
    return {
      status: document.getElementById('run-status').textContent,
      state: document.getElementById('run-status').dataset.state,
      printed: find('printed')?.textContent ?? '',
      returned: [...(block?.querySelectorAll('[data-testid=returned] li') ?? [])].map(
        (li) => li.textContent,
      ),
      error: find('error')?.textContent ?? null,
      errorLine: find('error')?.dataset.line ?? null,
      timeout: find('timeout')?.textContent ?? null,
    };
  });
}

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's violations (WCAG 2 A and AA, and best practices) on the page as it is now. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ')}`).join('\n')}`,
  );
}

/** The ids in the entries table. */
export async function entryIds(page) {
  return page
    .locator('#entries-table tbody tr[data-id]')
    .evaluateAll((rows) => rows.map((r) => r.dataset.id));
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage: false });
}

/** A served site and a browser for the tests of one file: `const env = useBrowser()`. */
export function useBrowser() {
  const env = {};
  before(async () => {
    env.server = await serve();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Picks an example from the menu; returns the editor's text. */
export async function pickExample(page, id) {
  await page.selectOption('#examples', id);
  return getScript(page);
}

/** The caption of the entries table settles after the worker answered. */
export async function waitCaption(page, text) {
  await page.waitForFunction(
    (t) => document.getElementById('entries-caption').textContent.includes(t),
    text,
    { timeout: 10_000 },
  );
}

export async function openTab(page, name) {
  await page.click(`#tab-${name}`);
  await page.waitForSelector(`#panel-${name}:not([hidden])`);
}

/** Clicks `selector` and waits for the run it starts to end. */
export async function runBy(page, selector, { timeout = 30_000 } = {}) {
  const before = Number(await page.evaluate(() => document.documentElement.dataset.runs ?? 0));
  await page.click(selector);
  await page.waitForFunction(
    (n) =>
      Number(document.documentElement.dataset.runs ?? 0) > n &&
      document.documentElement.dataset.ready === 'true',
    before,
    { timeout },
  );
  return readOutput(page);
}

/** The sample registry's entries at head (v46). */
export const SAMPLE_IDS = [
  'config:feature-flags',
  'config:rate-limits',
  'jobs:nightly-backup',
  'services:api',
  'services:auth',
  'services:cache',
  'services:database',
  'services:deprecated-service',
  'services:search',
  'services:web',
];
