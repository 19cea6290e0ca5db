// The playground's build: a static site over the registry module that `wasm/` builds into the
// repository's dist/ (registry.js, wasm-bindgen's glue, and registry.wasm, the one module).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const moduleDir = path.resolve(process.env.REGISTRY_DIST ?? path.join(repo, 'dist'));
const glue = path.join(moduleDir, 'registry.js');
const wasm = path.join(moduleDir, 'registry.wasm');

/** Resolves the module, checks it is there, and proves the emitted .wasm is byte for byte dist's. */
function registryModule(main: boolean): Plugin {
  let outDir: string | null = null;
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  return {
    name: 'registry-module',
    enforce: 'pre',
    buildStart() {
      for (const file of [glue, wasm]) {
        if (!existsSync(file)) {
          this.error(
            `${file} is missing: build the module first (scripts/build-wasm.sh, or scripts/playground.sh does it)`,
          );
        }
      }
    },
    generateBundle(_options, bundle) {
      // Every .wasm this build emits (the worker's build emits the module) must be dist's bytes.
      const expected = sha256(readFileSync(wasm));
      for (const file of Object.values(bundle)) {
        if (file.type !== 'asset' || !file.fileName.endsWith('.wasm')) continue;
        const bytes =
          typeof file.source === 'string' ? new TextEncoder().encode(file.source) : file.source;
        if (sha256(bytes) !== expected) this.error(`${file.fileName} differs from ${wasm}`);
      }
    },
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      // The page's build ends last: the site must hold exactly one module, identical to dist's.
      if (!main || !outDir || !existsSync(outDir)) return;
      const found = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.wasm'),
      );
      if (found.length !== 1)
        throw new Error(`expected one .wasm in ${outDir}, found ${found.length}`);
      if (sha256(readFileSync(path.join(outDir, found[0]))) !== sha256(readFileSync(wasm))) {
        throw new Error(`${found[0]} differs from ${wasm}`);
      }
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [registryModule(true)],
  resolve: {
    alias: [
      { find: /^@registry\/glue$/, replacement: glue },
      { find: /^@registry\/wasm(\?.*)?$/, replacement: `${wasm}$1` },
      { find: /^@conformance\//, replacement: `${path.join(repo, 'tests', 'conformance')}/` },
    ],
  },
  worker: { format: 'es', plugins: () => [registryModule(false)] },
  build: {
    target: 'es2022',
    // The module is 1.9 MB and must be served as it is: never inline it.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
    chunkSizeWarningLimit: 1024,
  },
  server: { host: '127.0.0.1', fs: { allow: [here, moduleDir, path.join(repo, 'tests')] } },
  preview: { host: '127.0.0.1' },
});
