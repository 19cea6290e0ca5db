-- Sandbox: only the "registry" module can be required; io, os.execute and other escapes
-- are absent; loadstring is absent; os.time() is the run's fixed clock (2026-01-01T00:00:00Z);
-- the standard libraries work; print is captured (args joined by tabs, one line per call).
local registry = require("registry")

ok(type(registry) == "table", "require(\"registry\") gives a table")
eq(type(registry.get), "function", "registry.get")

-- no other modules
for _, name in ipairs({ "io", "os", "x", "registry.internal", "./registry", "debug" }) do
  local okr, err = pcall(require, name)
  eq(okr, false, "require(" .. show(name) .. ") must fail")
  eq(type(err), "string", "require(" .. show(name) .. ") error is a string")
end

-- no escapes
eq(io, nil, "io")
eq(loadstring, nil, "loadstring")
eq(load, nil, "load")
eq(dofile, nil, "dofile")
eq(loadfile, nil, "loadfile")
eq(os.execute, nil, "os.execute")
eq(os.exit, nil, "os.exit")
eq(os.getenv, nil, "os.getenv")
eq(os.remove, nil, "os.remove")
eq(os.rename, nil, "os.rename")
eq(os.tmpname, nil, "os.tmpname")
eq(package, nil, "package")

-- time comes from the run's clock
eq(os.time(), 1767225600, "os.time()")
eq(type(os.clock()), "number", "os.clock()")
eq(os.date("!%Y-%m-%dT%H:%M:%SZ", os.time()), "2026-01-01T00:00:00Z", "os.date of os.time()")
eq(os.date("!%Y-%m-%d"), "2026-01-01", "os.date without a time uses the run's clock too")
eq(os.time({ year = 2026, month = 1, day = 2, hour = 0 }) - os.time({ year = 2026, month = 1, day = 1, hour = 0 }), 86400,
  "os.time(table) still computes")

-- the built-in libraries are read-only (Luau sandbox)
eq(pcall(function() string.upper = nil end), false, "string library is read-only")
eq(pcall(function() math.pi = 3 end), false, "math library is read-only")
eq(string.upper("abc"), "ABC", "string.upper intact")

-- standard libraries work
eq(string.format("%s=%d", "port", 8080), "port=8080", "string.format")
eq(table.concat({ "a", "b" }, ","), "a,b", "table.concat")
eq(math.floor(2.5), 2, "math.floor")
eq(select("#", 1, nil, 3), 3, "select")
local co = coroutine.wrap(function() coroutine.yield(1) end)
eq(co(), 1, "coroutines run")
eq(tostring(8080), "8080", "tostring of an integral number")

-- print: tabs between args, one line per call
print("hello", 1, true, nil, 2.5)
print()
print("x")
print(8080, -1, 0.1, 1767225600)
print("tab\tinside", "newline\ninside")
