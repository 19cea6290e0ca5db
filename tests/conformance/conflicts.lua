-- Conflicts (optimistic concurrency, like Kubernetes resourceVersion): a changeset based
-- on snapshot vN fails with "conflict: ns:name was changed in vM after snapshot vN" when a
-- version after its base changed an id it touches; changes to other ids do not conflict.
-- A conflicting apply creates no version.
local registry = require("registry")

local function apply(c)
  local v, err = c:apply()
  ok(v ~= nil, "apply must succeed, got " .. tostring(err))
  return v
end

-- v1..v5
for i = 1, 5 do
  local c = registry.snapshot():changes()
  c:create({ id = "app:e" .. i, kind = "thing", data = i })
  apply(c)
end
local s5 = registry.snapshot()
eq(s5:version():id(), 5, "base snapshot v5")

-- v6: touches a different id, based on v5
local other = s5:changes()
other:update({ id = "app:e1", kind = "thing", data = 100 })
eq(apply(other):id(), 6, "v6: different ids do not conflict")

-- v7: first changeset on app:e2 from v5 succeeds (v6 touched only app:e1)
local first = s5:changes()
first:update({ id = "app:e2", kind = "thing", data = 200 })
eq(apply(first):id(), 7, "v7: first writer wins")

-- the second changeset on app:e2 from v5 fails
local second = s5:changes()
second:update({ id = "app:e2", kind = "thing", data = 300 })
local v, err = second:apply()
eq(v, nil, "second writer fails")
eq(tostring(err), "conflict: app:e2 was changed in v7 after snapshot v5", "conflict message")
eq(registry.current_version():id(), 7, "no version from a conflict")
eq(idlist(registry.versions()), "0,1,2,3,4,5,6,7", "versions after a conflict")
eq(registry.get("app:e2").data, 200, "first writer's value kept")

-- a conflict on any touched id fails the whole changeset (atomic)
local mixed = s5:changes()
mixed:update({ id = "app:e3", kind = "thing", data = 3000 })
mixed:delete("app:e2")
local mv, merr = mixed:apply()
eq(mv, nil, "mixed changeset fails")
eq(tostring(merr), "conflict: app:e2 was changed in v7 after snapshot v5", "mixed conflict message")
eq(registry.get("app:e3").data, 3, "non-conflicting op of a failed changeset not applied")

-- delete vs update of the same id: a conflict, not "entry not found"
local s7 = registry.snapshot()
local del = s7:changes():delete("app:e4")
local upd = s7:changes():update({ id = "app:e4", kind = "thing", data = 400 })
eq(apply(del):id(), 8, "v8 deletes app:e4")
local uv, uerr = upd:apply()
eq(uv, nil, "update after a concurrent delete fails")
eq(tostring(uerr), "conflict: app:e4 was changed in v8 after snapshot v7", "delete/update conflict message")

-- create vs create of the same new id: the second is a conflict too
local s8 = registry.snapshot()
local c1 = s8:changes():create({ id = "app:new", kind = "thing", data = 1 })
local c2 = s8:changes():create({ id = "app:new", kind = "thing", data = 2 })
eq(apply(c1):id(), 9, "v9 creates app:new")
local cv, cerr = c2:apply()
eq(cv, nil, "concurrent create fails")
eq(tostring(cerr), "conflict: app:new was changed in v9 after snapshot v8", "create/create conflict message")

-- many unrelated versions after the base: still no conflict for untouched ids
local s9 = registry.snapshot()
for i = 1, 3 do
  local c = registry.snapshot():changes()
  c:update({ id = "app:e1", kind = "thing", data = 1000 + i })
  apply(c)
end
local late = s9:changes()
late:update({ id = "app:e5", kind = "thing", data = 500 })
late:create({ id = "app:late", kind = "thing" })
eq(apply(late):id(), 13, "v13: old base, untouched ids")
eq(registry.get("app:e5").data, 500, "late update applied")

-- retry from a fresh snapshot succeeds
local retry = registry.snapshot():changes()
retry:update({ id = "app:e2", kind = "thing", data = 300 })
eq(apply(retry):id(), 14, "retry from a fresh snapshot")
eq(registry.get("app:e2").data, 300, "retry applied")
