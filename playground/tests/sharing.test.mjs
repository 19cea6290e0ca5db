// End-to-end: share links open in a new editor tab (also when pasted into an open page), can carry
// the registry's history, and damaged ones get a plain message.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import {
  entryIds,
  getScript,
  openPlayground,
  run,
  SAMPLE_IDS,
  screenshot,
  setScript,
  useBrowser,
  waitCaption,
} from './harness.mjs';

const env = useBrowser();

async function shareLink(page, { history = false } = {}) {
  await page.click('#share');
  await page.waitForSelector('#share-panel:not([hidden])');
  if (history) {
    const builds = await page.getAttribute('#share-url', 'data-builds');
    await page.check('#share-history');
    await page.waitForFunction(
      (n) => document.getElementById('share-url').dataset.builds !== n,
      builds,
    );
  }
  return page.inputValue('#share-url');
}

async function scriptTabs(page) {
  return page
    .locator('#script-tabs .script-tab')
    .evaluateAll((bs) =>
      bs.map((b) => `${b.textContent}${b.getAttribute('aria-pressed') === 'true' ? '*' : ''}`),
    );
}

describe('sharing', () => {
  test('a link pasted into an open page opens its script in a new tab, keeping the current one', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    const shared = 'return "from the link"\n';
    await setScript(page, shared);
    const link = await shareLink(page);
    assert.match(link, /#code=[A-Za-z0-9_-]+$/);

    const mine = '-- my work in progress\nreturn 1\n';
    await setScript(page, mine);
    // the address bar gets the link: only the hash changes, the page does not reload
    await page.evaluate(() => (window.notReloaded = true));
    await page.goto(link);
    await page.waitForFunction(
      () => document.querySelectorAll('#script-tabs .script-tab').length === 2,
    );
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    assert.deepEqual(await scriptTabs(page), ['Script 1', 'Shared script*']);
    assert.equal(await getScript(page), shared);
    await page.waitForFunction(() => location.hash === '');
    assert.deepEqual((await run(page)).returned, ['from the link']);

    // the first tab still holds its script, and both survive a reload
    await page.click('#script-tabs .script-tab[data-tab="0"]');
    assert.equal(await getScript(page), mine);
    // tabs are saved shortly after a change (an older save may also say active 0: wait for both tabs)
    await page.waitForFunction(() => {
      const saved = JSON.parse(localStorage.getItem('luau-registry-playground.scripts') ?? '{}');
      return saved.active === 0 && saved.tabs?.length === 2;
    });
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    assert.deepEqual(await scriptTabs(page), ['Script 1*', 'Shared script']);
    assert.equal(await getScript(page), mine);
    await page.click('#script-tabs button[aria-label="Close Shared script"]');
    assert.deepEqual(await scriptTabs(page), ['Script 1*']);
    await context.close();
  });

  test("a link with the registry restores its history on a scratch copy; the receiver's own registry is kept", async () => {
    const sender = await openPlayground(env.browser, env.server.url);
    await setScript(
      sender.page,
      'assert(registry.snapshot():changes():create({ id = "services:sender-only", kind = "service" }):apply())',
    );
    assert.equal((await run(sender.page)).error, null);
    const script =
      'return registry.get("services:sender-only").id, registry.current_version():string()\n';
    await setScript(sender.page, script);
    const link = await shareLink(sender.page, { history: true });
    assert.match(link, /#code=[A-Za-z0-9_-]+&history=[A-Za-z0-9_-]+$/);
    assert.equal(await sender.page.isVisible('#share-too-long'), false);
    await screenshot(sender.page, 'share-with-registry');
    await sender.context.close();

    const receiver = await openPlayground(env.browser, env.server.url);
    await setScript(
      receiver.page,
      'assert(registry.snapshot():changes():create({ id = "services:receiver-only", kind = "service" }):apply())',
    );
    assert.equal((await run(receiver.page)).error, null);
    await receiver.page.goto(link);
    await receiver.page.waitForSelector('#scratch-bar:not([hidden])');
    assert.match(await receiver.page.textContent('#scratch-bar'), /Registry from a shared link/);
    await waitCaption(receiver.page, '11 entries at head (v47)');
    const ids = await entryIds(receiver.page);
    assert.ok(
      ids.includes('services:sender-only') && !ids.includes('services:receiver-only'),
      ids.join(','),
    );
    assert.deepEqual((await run(receiver.page)).returned, ['services:sender-only', 'v47']);
    await screenshot(receiver.page, 'link-registry');

    await receiver.page.click('#leave-scratch');
    await receiver.page.waitForSelector('#scratch-bar', { state: 'hidden' });
    await waitCaption(receiver.page, '11 entries at head (v47)');
    const own = await entryIds(receiver.page);
    assert.ok(
      own.includes('services:receiver-only') && !own.includes('services:sender-only'),
      own.join(','),
    );

    // Keep this registry makes the link's registry the receiver's own (saved)
    await receiver.page.goto(link.replace('#', '?again#'));
    await receiver.page.waitForSelector('#scratch-bar:not([hidden])');
    await receiver.page.click('#keep-scratch');
    await receiver.page.waitForSelector('#scratch-bar', { state: 'hidden' });
    await receiver.page.reload();
    await receiver.page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    await waitCaption(receiver.page, '11 entries at head (v47)');
    assert.ok((await entryIds(receiver.page)).includes('services:sender-only'));
    await receiver.context.close();
  });

  test('a history too large for a link: the page says why and offers the file', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    // random text does not compress: 40 KB of it cannot fit in a 32,000-character link
    await setScript(
      page,
      `local parts = {}
for i = 1, 5000 do parts[i] = string.format("%08x", math.random(0, 0x7fffffff)) end
assert(registry.snapshot():changes():create({ id = "blobs:noise", kind = "blob", data = table.concat(parts) }):apply())`,
    );
    assert.equal((await run(page)).error, null);
    const link = await shareLink(page, { history: true });
    assert.match(link, /#code=[A-Za-z0-9_-]+$/, 'the link keeps the script only');
    await page.waitForSelector('#share-too-long:not([hidden])');
    assert.match(
      await page.textContent('#share-too-long'),
      /does not fit in a link: compressed, the link would be [\d,]+ characters, and links longer than 32,000 get cut/,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#share-download'),
    ]);
    assert.equal(download.suggestedFilename(), 'registry-history-v47.json');
    await context.close();
  });

  test('a damaged link gets a plain message, and the page works on', async () => {
    const { context, page } = await openPlayground(env.browser, env.server.url);
    const good = 'return 1\n';
    await setScript(page, good);
    const link = await shareLink(page, { history: true });
    for (const [damaged, part] of [
      [link.replace(/#code=.*/, '#code=not*base64'), 'script'],
      [link.slice(0, -10), 'registry history'],
    ]) {
      await page.goto(damaged);
      await page.waitForFunction(
        (p) => document.getElementById('inspector-notice').textContent.includes(p),
        `its ${part} could not be read`,
      );
      assert.equal(
        await page.textContent('#inspector-notice'),
        `This link is damaged: its ${part} could not be read. It may have been cut short when it was copied.`,
      );
    }
    assert.deepEqual(await scriptTabs(page), ['Script 1*'], 'no tab for a damaged link');

    // an intact link whose history the module refuses: the script opens, the registry stays
    const pack = (text) => deflateRawSync(Buffer.from(text)).toString('base64url');
    const refused = JSON.stringify({
      format: 'luau-registry-history',
      format_version: 99,
      head: 0,
      versions: [],
    });
    await page.goto(
      `${env.server.url}#code=${pack('return "refused registry"')}&history=${pack(refused)}`,
    );
    await page.waitForFunction(() =>
      document.getElementById('inspector-notice').textContent.includes('was refused'),
    );
    assert.match(
      await page.textContent('#inspector-notice'),
      /^The link's registry was refused \(invalid_history: .+\); your registry is unchanged\.$/,
    );
    assert.deepEqual(await scriptTabs(page), ['Script 1', 'Shared script*']);
    assert.equal(await page.isVisible('#scratch-bar'), false);
    await waitCaption(page, '10 entries at head (v46)');
    assert.deepEqual(await entryIds(page), SAMPLE_IDS);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
