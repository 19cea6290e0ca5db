// The VM comparison in a JavaScript engine (no Node APIs here): each adapter evaluates a Lua
// source and returns its first result as a number; the caller times each eval.

/**
 * The VMs one page or Node process runs, by the name it is given: ours twice, without and with a
 * time limit (interleaved in one process, so that drift hits both alike), or one other VM alone
 * (its garbage stays out of our runs).
 */
export const VM_GROUPS = {
  luau: ['luau', 'luau-limited'],
  wasmoon: ['wasmoon'],
  fengari: ['fengari'],
};

/**
 * One timed run of a program on one VM at a time, in whatever order the caller interleaves them:
 * the first call for a VM and program runs it `warmup` times untimed first.
 * exec(key, source) -> { wallMs, cpuMs, result } (may be async): one eval, timed by the caller.
 * Returns rep(key, name) -> { wallMs, cpuMs, result }.
 */
export function vmRunner(exec, programs, { warmup = 1 } = {}) {
  const warm = new Set();
  return async (key, name) => {
    const source = programs[name];
    if (source === undefined) throw new Error(`unknown VM program ${name}`);
    if (!warm.has(`${key}/${name}`)) {
      for (let k = 0; k < warmup; k++) await exec(key, source);
      warm.add(`${key}/${name}`);
    }
    return exec(key, source);
  };
}

/** Times one vm.eval(source) with performance.now(). */
export async function timedEval(vm, source) {
  const t0 = performance.now();
  const result = await vm.eval(source);
  return { wallMs: performance.now() - t0, result };
}

/**
 * Luau in the registry module: Registry.run of the program on one registry. timeLimited: with a
 * time limit (timeout_ms), as the playground and registry-host always run scripts; the limit
 * installs Luau's interrupt, which runs at every call and loop back-edge.
 */
export function luauAdapter(Registry, { timeLimited = false } = {}) {
  const registry = new Registry(1_767_225_600_000);
  const limit = timeLimited ? { timeout_ms: 600_000 } : {};
  return {
    eval(source) {
      const r = registry.run({
        source,
        now_ms: 1_767_225_600_000,
        memory_bytes: 1 << 30,
        ...limit,
      });
      if (r.error) throw new Error(`luau: ${r.error.message}`);
      return Number(r.returned[0]);
    },
  };
}

/** Both of ours (VM_GROUPS.luau) on one module. */
export function luauAdapters(Registry) {
  return {
    luau: luauAdapter(Registry),
    'luau-limited': luauAdapter(Registry, { timeLimited: true }),
  };
}

/** Lua 5.4 compiled to wasm by emscripten (wasmoon): LuaEngine.doString on one engine. */
export async function wasmoonAdapter(LuaFactory, glueUrl) {
  const factory = new LuaFactory(glueUrl);
  const engine = await factory.createEngine();
  return {
    async eval(source) {
      return Number(await engine.doString(source));
    },
  };
}

/** Lua 5.3 in JavaScript (fengari): luaL_loadstring + lua_pcall on one state. */
export function fengariAdapter(fengari) {
  const { lua, lauxlib, lualib, to_luastring } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  return {
    eval(source) {
      if (
        lauxlib.luaL_loadstring(L, to_luastring(source)) !== lua.LUA_OK ||
        lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK
      ) {
        const message = lua.lua_tojsstring(L, -1);
        lua.lua_pop(L, 1);
        throw new Error(`fengari: ${message}`);
      }
      const value = lua.lua_tonumber(L, -1);
      lua.lua_pop(L, 1);
      return value;
    },
  };
}
