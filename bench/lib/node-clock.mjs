// Node 24 only: the calling thread's CPU time at nanosecond resolution, and the registry module's
// clock switched to it. Node's own process.threadCpuUsage() (getrusage) moves in scheduler ticks
// (4 ms on this machine), too coarse for one repetition; WASI's clock_time_get of the thread CPU
// clock is clock_gettime(CLOCK_THREAD_CPUTIME_ID) in Node (uvwasi), so a ten-instruction wasm
// module importing it gives the precise clock.
import { registerHooks } from 'node:module';
import { WASI } from 'node:wasi';

const name = (s) => [s.length, ...Buffer.from(s)];
const section = (id, bytes) => [id, bytes.length, ...bytes];
// (func (export "thread_cpu_ns") (result i64)
//   (if (call $clock_time_get (i32.const 3 (thread CPU time)) (i64.const 1) (i32.const 0))
//     (then unreachable))
//   (i64.load (i32.const 0)))
const body = [
  0, 0x41, 3, 0x42, 1, 0x41, 0, 0x10, 0, 0x04, 0x40, 0x00, 0x0b, 0x41, 0, 0x29, 3, 0, 0x0b,
];
const CLOCK_MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
  // types: (i32 i64 i32) -> i32, () -> i64
  ...section(1, [2, 0x60, 3, 0x7f, 0x7e, 0x7f, 1, 0x7f, 0x60, 0, 1, 0x7e]),
  ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('clock_time_get'), 0, 0]),
  ...section(3, [1, 1]),
  ...section(5, [1, 0, 1]), // one page of memory, for the result
  ...section(7, [2, ...name('memory'), 2, 0, ...name('thread_cpu_ns'), 0, 1]),
  ...section(10, [1, body.length, ...body]),
]);

const wasi = new WASI({ version: 'preview1' });
const clock = new WebAssembly.Instance(
  new WebAssembly.Module(CLOCK_MODULE),
  wasi.getImportObject(),
);
wasi.initialize(clock);

/** CPU time of the calling thread, in milliseconds (any origin). */
export function threadCpuMs() {
  return Number(clock.exports.thread_cpu_ns()) / 1e6;
}

/**
 * Makes the registry module (dist/registry.js, imported after this call) read threadCpuMs() as its
 * monotonic clock, so os.clock() in scripts gives the main thread's CPU time: the import of its
 * host snippet is answered by that snippet with registryClockMs replaced.
 */
export function moduleClockIsThreadCpu() {
  const replacement = new URL(import.meta.url).href;
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      if (
        !context.parentURL?.endsWith('/dist/registry.js') ||
        !/\/snippets\/.*\/host\.js$/.test(resolved.url)
      )
        return resolved;
      const source =
        `export * from ${JSON.stringify(resolved.url)};\n` +
        `export { threadCpuMs as registryClockMs } from ${JSON.stringify(replacement)};\n`;
      return { url: `data:text/javascript,${encodeURIComponent(source)}`, shortCircuit: true };
    },
  });
}
