-- The assertion helpers of tests/prelude.lua, which the harness puts on every script's first
-- line: a failed check raises its message at the script's line that called it, and the
-- script's lines keep their numbers (each error below names the line it is on).
local function failure(f)
  local returned, err = pcall(f)
  return returned and "no error" or err
end
print(failure(function() eq(1, 2, "eq") end))
print(failure(function() same({ a = { 1 } }, { a = { 2 } }, "same") end))
print(failure(function() ok(false, "ok") end))
print(failure(function() has("abc", "x", "has") end))
print(failure(function() has(42, "x", "has a number") end))
print(failure(function() raises(function() end, {}, "raises without an error") end))
print(failure(function() raises(function() error({}) end, {}, "raises a table") end))
print(failure(function() raises(function() error("boom") end, { "bang" }, "raises boom") end))
print(raises(function() error("boom") end, { "boom" }, "raises boom"))
print(failure(function() local t = nil; return t.x end))
eq(1, 1, "eq")
same({ a = { 1, "x" } }, { a = { 1, "x" } }, "same")
ok(true, "ok")
has("abc", "b", "has")
print(show({ b = "x", a = { 1, true } }), deep({ 1, { 2 } }, { 1, { 2 } }), deep({ 1 }, { 1, 2 }))
print(ids({ { id = "a:b" }, { id = "c:d" } }), idlist(require("registry").versions()))
