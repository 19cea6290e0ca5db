// The VM comparison in a JavaScript engine (no Node APIs here): each adapter evaluates a Lua
// source and returns its first result as a number; time is performance.now() around that call.

/**
 * Runs every program on one VM: `warmup` untimed runs, then `reps` timed ones.
 * exec(source) -> { wallMs, cpuMs, result } (may be async): one eval, timed by the caller.
 */
export async function runPrograms(exec, programs, { warmup = 1, reps = 5 } = {}) {
  const out = {};
  for (const [name, source] of Object.entries(programs)) {
    let result;
    for (let k = 0; k < warmup; k++) result = (await exec(source)).result;
    const runs = [];
    for (let k = 0; k < reps; k++) {
      const r = await exec(source);
      runs.push({ wallMs: r.wallMs, cpuMs: r.cpuMs });
      result = r.result;
    }
    out[name] = { runs, result };
  }
  return out;
}

/** Times one vm.eval(source) with performance.now(). */
export async function timedEval(vm, source) {
  const t0 = performance.now();
  const result = await vm.eval(source);
  return { wallMs: performance.now() - t0, result };
}

/** Luau in the registry module: Registry.run of the program on one registry. */
export function luauAdapter(Registry) {
  const registry = new Registry(1_767_225_600_000);
  return {
    eval(source) {
      const r = registry.run({ source, now_ms: 1_767_225_600_000, memory_bytes: 1 << 30 });
      if (r.error) throw new Error(`luau: ${r.error.message}`);
      return Number(r.returned[0]);
    },
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
