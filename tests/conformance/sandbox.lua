-- Sandbox: only the "registry" module can be required; io, os.execute and other escapes
-- are absent; loadstring is absent; os.time() is the run's fixed clock (2026-01-01T00:00:00Z);
-- the standard libraries work; print is captured (args joined by tabs, one line per call).
local registry = require("registry")

-- assertion helpers (each script is self-contained)
local function show(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do table.insert(keys, k) end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do table.insert(parts, tostring(k) .. "=" .. show(v[k])) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end
local function deep(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local function eq(a, b, what)
  if a ~= b then error(what .. ": expected " .. show(b) .. ", got " .. show(a), 2) end
end
local function same(a, b, what)
  if not deep(a, b) then error(what .. ": expected " .. show(b) .. ", got " .. show(a), 2) end
end
local function ok(cond, what)
  if not cond then error(what, 2) end
end
local function has(s, sub, what)
  if type(s) ~= "string" or not string.find(s, sub, 1, true) then
    error(what .. ": expected a string containing " .. show(sub) .. ", got " .. show(s), 2)
  end
end
local function ids(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.id end
  return table.concat(out, ",")
end
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
