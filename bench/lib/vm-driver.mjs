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
 * Runs every program on the VMs `keys`: `warmup` untimed runs each, then `reps` timed ones,
 * taking the VMs in turn at each repetition.
 * exec(key, source) -> { wallMs, cpuMs, result } (may be async): one eval, timed by the caller.
 * Returns { key: { program: { runs: [{ wallMs, cpuMs }], result } } }.
 */
export async function runPrograms(exec, keys, programs, { warmup = 1, reps = 5 } = {}) {
  const out = Object.fromEntries(keys.map((key) => [key, {}]));
  for (const [name, source] of Object.entries(programs)) {
    for (const key of keys) {
      out[key][name] = { runs: [], result: undefined };
      for (let k = 0; k < warmup; k++) out[key][name].result = (await exec(key, source)).result;
    }
    for (let k = 0; k < reps; k++) {
      for (const key of keys) {
        const r = await exec(key, source);
        out[key][name].runs.push({ wallMs: r.wallMs, cpuMs: r.cpuMs });
        out[key][name].result = r.result;
      }
    }
  }
  return out;
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
