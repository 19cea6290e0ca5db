// Imports of the registry module, for JavaScript hosts (see wasm/src/host.rs).
// A monotonic clock for script time limits and os.clock().
export function registryClockMs() {
  return performance.now();
}
// The wall clock, which only seeds math.random (as native Luau seeds it from time()).
export function registryWallClockMs() {
  return Date.now();
}
// Versions committed by scripts reach JavaScript through Registry.onEvent instead; the module
// calls this import only from its C ABI, which JavaScript does not use.
export function registryEvent(_ptr, _len) {}
// Stored history is read through these only by a registry opened with the C ABI's open_stored
// request, which JavaScript does not send.
export function registryLoad(_ptr, _len) {
  throw new Error('registryLoad: this host keeps no stored history');
}
export function registryTake(_ptr, _len) {
  throw new Error('registryTake: this host keeps no stored history');
}
