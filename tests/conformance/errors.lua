-- Errors: a wrong argument type raises a "bad argument #1 to 'get' (string expected,
-- got number)"-style Lua error, catchable with pcall, and the caught error is a plain
-- string; runtime failures do not raise: they return nil, err (false, err for apply_version).
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
local function raises(f, needles, what)
  local okc, err = pcall(f)
  eq(okc, false, what .. " must raise")
  eq(type(err), "string", what .. ": the caught error is a plain string")
  for _, n in ipairs(needles) do has(err, n, what) end
  return err
end

-- module functions
local getErr = raises(function() return registry.get(42) end, { "bad argument #1 to 'get'", "got number" }, "registry.get(42)")
has(getErr, "expected", "registry.get(42) says what was expected")
raises(function() return registry.get() end, { "bad argument #1 to 'get'" }, "registry.get()")
raises(function() return registry.get(true) end, { "bad argument #1 to 'get'", "got boolean" }, "registry.get(true)")
raises(function() return registry.find("x") end, { "bad argument #1 to 'find' (table expected, got string)" }, "registry.find(\"x\")")
raises(function() return registry.snapshot_at("x") end, { "bad argument #1 to 'snapshot_at'", "got string" }, "registry.snapshot_at(\"x\")")
raises(function() return registry.snapshot_at() end, { "bad argument #1 to 'snapshot_at'" }, "registry.snapshot_at()")
raises(function() return registry.apply_version(true) end, { "bad argument #1 to 'apply_version'" }, "registry.apply_version(true)")
raises(function() return registry.apply_version() end, { "bad argument #1 to 'apply_version'" }, "registry.apply_version()")
raises(function() return registry.parse_id(7) end, { "bad argument #1 to 'parse_id'", "got number" }, "registry.parse_id(7)")
raises(function() return registry.build_delta("a", {}) end, { "bad argument #1 to 'build_delta'" }, "build_delta(\"a\", {})")
raises(function() return registry.build_delta({}, 5) end, { "bad argument #2 to 'build_delta'" }, "build_delta({}, 5)")

-- methods (the position may or may not count self; the function name must be there)
local snap = registry.snapshot()
raises(function() return snap:get(42) end, { "bad argument", "get" }, "snapshot:get(42)")
raises(function() return snap:namespace(42) end, { "bad argument", "namespace" }, "snapshot:namespace(42)")
raises(function() return snap:find(42) end, { "bad argument", "find" }, "snapshot:find(42)")
local history = registry.history()
raises(function() return history:get_version("x") end, { "bad argument", "get_version" }, "history:get_version(\"x\")")
raises(function() return history:snapshot_at("x") end, { "bad argument", "snapshot_at" }, "history:snapshot_at(\"x\")")
local changes = snap:changes()
raises(function() return changes:create("svc:a") end, { "bad argument", "create" }, "changes:create(string)")
raises(function() return changes:update(42) end, { "bad argument", "update" }, "changes:update(42)")
raises(function() return changes:delete(true) end, { "bad argument", "delete" }, "changes:delete(true)")
-- calling a method with the wrong self
raises(function() return snap.get(42, "a:b") end, { "get" }, "snapshot.get with a wrong self")

-- errors raised inside a pcall do not escape or break the registry
eq(registry.current_version():id(), 0, "registry usable after caught errors")

-- runtime failures: nil, err (no raise)
local function fails(what, expectedErr, ...)
  local n = select("#", ...)
  local first, second = ...
  ok(n >= 2, what .. ": returns two values, got " .. n)
  eq(first, nil, what .. ": first value")
  eq(second, expectedErr, what .. ": error message")
end
fails("registry.get missing", "entry not found: a:b", registry.get("a:b"))
fails("snapshot:get missing", "entry not found: a:b", snap:get("a:b"))
fails("registry.snapshot_at(5)", "version not found: 5", registry.snapshot_at(5))
fails("history:get_version(5)", "version not found: 5", history:get_version(5))
fails("changes:apply() empty", "no changes to apply", changes:apply())
local okv, verr = registry.apply_version(7)
eq(okv, false, "apply_version(7) returns false")
eq(verr, "version not found: 7", "apply_version(7) error")

-- a pcall-caught error message can be matched and rethrown like any string
local okr, rethrown = pcall(function()
  local okc, err = pcall(registry.get, 1)
  error("wrapped: " .. err, 0)
end)
eq(okr, false, "rethrow")
has(rethrown, "wrapped: ", "rethrown prefix")
has(rethrown, "bad argument #1 to 'get'", "rethrown message")

-- successes return the value (and no error)
local c = registry.snapshot():changes()
c:create({ id = "a:b", kind = "k" })
local v, aerr = c:apply()
eq(aerr, nil, "apply success: no error")
eq(v:id(), 1, "apply success: version")
local e, gerr = registry.get("a:b")
eq(gerr, nil, "get success: no error")
eq(e.id, "a:b", "get success: entry")
local okp, perr = registry.apply_version(registry.history():get_version(0))
eq(okp, true, "apply_version success")
eq(perr, nil, "apply_version success: no error")
