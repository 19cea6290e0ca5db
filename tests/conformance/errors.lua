-- Errors: a wrong argument to a function with an error return (get, find, snapshot_at,
-- apply_version, history:get_version/snapshot_at, build_delta, snapshot:get/find) comes back as
-- nil, err (false, err) of kind INVALID; other functions raise a "bad argument #1 to 'parse_id'
-- (string expected, got number)"-style Lua error, catchable with pcall, as a plain string;
-- runtime failures return nil, err (false, err for apply_version).
local registry = require("registry")

-- wrong arguments to functions with an error return: nil, err (false, err), never a raise
local function invalid(what, needles, f)
  local okc, first, err = pcall(f)
  eq(okc, true, what .. " must not raise")
  ok(first == nil or first == false, what .. ": first value")
  eq(err:kind(), "INVALID", what .. ": kind")
  for _, n in ipairs(needles) do has(tostring(err), n, what) end
end
invalid("registry.get(42)", { "bad argument #1 to 'get'", "got number", "expected" }, function() return registry.get(42) end)
invalid("registry.get()", { "bad argument #1 to 'get'" }, function() return registry.get() end)
invalid("registry.get(true)", { "bad argument #1 to 'get'", "got boolean" }, function() return registry.get(true) end)
invalid("registry.find(\"x\")", { "bad argument #1 to 'find' (table expected, got string)" }, function() return registry.find("x") end)
invalid("registry.snapshot_at(\"x\")", { "bad argument #1 to 'snapshot_at'", "got string" }, function() return registry.snapshot_at("x") end)
invalid("registry.snapshot_at()", { "bad argument #1 to 'snapshot_at'" }, function() return registry.snapshot_at() end)
invalid("registry.apply_version(true)", { "bad argument #1 to 'apply_version'" }, function() return registry.apply_version(true) end)
invalid("registry.apply_version()", { "bad argument #1 to 'apply_version'" }, function() return registry.apply_version() end)
invalid("build_delta(\"a\", {})", { "bad argument #1 to 'build_delta'" }, function() return registry.build_delta("a", {}) end)
invalid("build_delta({}, 5)", { "bad argument #2 to 'build_delta'" }, function() return registry.build_delta({}, 5) end)
local snap = registry.snapshot()
invalid("snapshot:get(42)", { "bad argument", "get" }, function() return snap:get(42) end)
invalid("snapshot:find(42)", { "bad argument", "find" }, function() return snap:find(42) end)
local history = registry.history()
invalid("history:get_version(\"x\")", { "bad argument", "get_version" }, function() return history:get_version("x") end)
invalid("history:snapshot_at(\"x\")", { "bad argument", "snapshot_at" }, function() return history:snapshot_at("x") end)

-- functions without an error return raise
raises(function() return registry.parse_id(7) end, { "bad argument #1 to 'parse_id'", "got number" }, "registry.parse_id(7)")
raises(function() return snap:namespace(42) end, { "bad argument", "namespace" }, "snapshot:namespace(42)")
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
  eq(tostring(second), expectedErr, what .. ": error message")
end
fails("registry.get missing", "entry not found: a:b", registry.get("a:b"))
fails("snapshot:get missing", "entry not found: a:b", snap:get("a:b"))
fails("registry.snapshot_at(5)", "version not found: 5", registry.snapshot_at(5))
fails("history:get_version(5)", "version not found: 5", history:get_version(5))
fails("changes:apply() empty", "no changes to apply", changes:apply())
local okv, verr = registry.apply_version(7)
eq(okv, false, "apply_version(7) returns false")
eq(tostring(verr), "version not found: 7", "apply_version(7) error")

-- a pcall-caught error message can be matched and rethrown like any string
local okr, rethrown = pcall(function()
  local okc, err = pcall(registry.parse_id, 1)
  error("wrapped: " .. err, 0)
end)
eq(okr, false, "rethrow")
has(rethrown, "wrapped: ", "rethrown prefix")
has(rethrown, "bad argument #1 to 'parse_id'", "rethrown message")

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
