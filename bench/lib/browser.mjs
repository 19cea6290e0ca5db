// Headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) driven by
// playwright-core, on the page bench/page/index.html served from 127.0.0.1.
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox', // we run as root
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function withBrowser(fn) {
  const server = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    return await fn({
      version: browser.version(),
      /** A page in a fresh context (empty cache), loaded. */
      async page() {
        const context = await browser.newContext();
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e));
        await page.goto(`${server.url}/bench/page/index.html`);
        await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable');
        const threadMs = async () => {
          const { metrics } = await cdp.send('Performance.getMetrics');
          return metrics.find((m) => m.name === 'ThreadTime').value * 1000;
        };
        /** Evaluates fn(arg) in the page; adds cpuMs, the page's main-thread CPU time around it. */
        const timed = async (fn, arg) => {
          const c0 = await threadMs();
          const r = await page.evaluate(fn, arg);
          return { ...r, cpuMs: (await threadMs()) - c0 };
        };
        return { page, errors, cdp, timed, close: () => context.close() };
      },
    });
  } finally {
    await browser.close();
    await server.close();
  }
}
