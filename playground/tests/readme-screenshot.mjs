// Regenerates screenshot.png, the README's picture of the playground: a run mid-way, its printed
// lines and commits streaming in, the history naming the ids each version changed.
// usage (after a build): node tests/readme-screenshot.mjs
import path from 'node:path';
import { launch, openPlayground, openTab, playgroundDir, serve, setScript } from './harness.mjs';

const SCRIPT = `-- A rollout, one service at a time: it prints and commits as it goes
local services = { "api", "auth", "search", "cache", "web" }
for step, name in ipairs(services) do
  local entry = assert(registry.get("services:" .. name))
  entry.meta.revision = (entry.meta.revision or 0) + 1
  local version = assert(registry.snapshot():changes():update(entry):apply())
  print(version:string(), entry.id, "revision " .. entry.meta.revision)
  local started = os.clock()
  while os.clock() - started < 0.8 do end -- the rollout's health check
end
return #services
`;

const server = await serve();
const browser = await launch();
try {
  const { page } = await openPlayground(browser, server.url);
  await setScript(page, SCRIPT);
  await openTab(page, 'history');
  await page.click('#run');
  // three steps in: three lines printed, three versions committed, the run still going
  await page.waitForFunction(
    () => (document.querySelector('#output')?.textContent.match(/revision \d+/g) ?? []).length >= 3,
  );
  await page.waitForFunction(() => document.querySelectorAll('#versions li').length >= 50);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(playgroundDir, 'screenshot.png') });
  console.log('wrote screenshot.png');
} finally {
  await browser.close();
  await server.close();
}
