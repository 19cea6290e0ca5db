// A static server on 127.0.0.1 (a free port) for the Chromium runs: the repository's dist/ (the
// module) and bench/ (the page and its drivers), cross-origin isolated so performance.now() has
// its fine resolution.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoDir } from './scripts.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};
const ROOTS = [
  '/dist/',
  '/bench/page/',
  '/bench/lib/',
  '/bench/node_modules/wasmoon/dist/',
  '/bench/node_modules/fengari-web/dist/',
];

export async function serve() {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const file = path.normalize(decodeURIComponent(url.pathname));
    if (!ROOTS.some((root) => file.startsWith(root))) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(path.join(repoDir, file));
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}
