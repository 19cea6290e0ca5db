-- Changesets: chaining, ops() order and form, tostring "registry.Changes{ops=3}", the
-- exact apply errors, atomicity (a failing changeset creates no version and changes
-- nothing), update replaces meta and data completely, later ops see earlier ops of the
-- same changeset, malformed arguments raise at the call.
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
local function idlist(vs)
  local out = {}
  for i, v in ipairs(vs) do out[i] = tostring(v:id()) end
  return table.concat(out, ",")
end
local function applyErr(c)
  local v, err = c:apply()
  eq(v, nil, "apply must fail")
  eq(err:kind() ~= nil, true, "apply error is an error object")
  return tostring(err)
end

-- chaining, ops(), tostring
local c = registry.snapshot():changes()
eq(tostring(c), "registry.Changes{ops=0}", "tostring of an empty changeset")
eq(#c:ops(), 0, "empty ops")
c:create({ id = "svc:a", kind = "service", meta = { env = "prod" }, data = { port = 1 } })
 :create({ id = { ns = "svc", name = "b" }, kind = "service" })
 :create({ id = "cfg:x", kind = "config", data = { limit = 10 } })
eq(tostring(c), "registry.Changes{ops=3}", "tostring after three chained creates")
local ops = c:ops()
eq(#ops, 3, "#ops")
eq(ops[1].kind, "entry.create", "op 1 kind")
same(ops[1].entry, { id = "svc:a", kind = "service", meta = { env = "prod" }, data = { port = 1 } }, "op 1 entry")
eq(ops[2].entry.id, "svc:b", "op 2 id (table form handed back as a string)")
eq(ops[3].entry.id, "cfg:x", "op 3 id")
local chained = c:update({ id = "cfg:x", kind = "config", data = { limit = 20 } })
chained:delete("svc:b")
eq(tostring(c), "registry.Changes{ops=5}", "the chained value is the same changeset")
ops = c:ops()
eq(ops[4].kind, "entry.update", "op 4 kind")
eq(ops[5].kind, "entry.delete", "op 5 kind")
eq(ops[5].entry.id, "svc:b", "op 5 id")
local v1 = assert(c:apply())
eq(v1:id(), 1, "v1")
eq(ids(registry.snapshot():entries()), "cfg:x,svc:a", "state after v1 (create+update+create+delete)")
same(registry.get("cfg:x").data, { limit = 20 }, "update saw the create of the same changeset")

-- exact apply errors
local e
e = registry.snapshot():changes():create({ id = "svc:a", kind = "service" })
eq(applyErr(e), "entry already exists: svc:a", "create existing")
e = registry.snapshot():changes():update({ id = "svc:zz", kind = "service" })
eq(applyErr(e), "entry not found: svc:zz", "update missing")
e = registry.snapshot():changes():delete("svc:zz")
eq(applyErr(e), "entry not found: svc:zz", "delete missing")
e = registry.snapshot():changes():update({ id = "svc:a", kind = "config" })
eq(applyErr(e), "cannot change kind of svc:a from service to config", "update with another kind")
e = registry.snapshot():changes()
eq(applyErr(e), "no changes to apply", "empty changeset")
-- errors that only arise from earlier ops of the same changeset
e = registry.snapshot():changes():create({ id = "svc:n", kind = "service" }):create({ id = "svc:n", kind = "service" })
eq(applyErr(e), "entry already exists: svc:n", "create twice in one changeset")
e = registry.snapshot():changes():delete("svc:a"):delete("svc:a")
eq(applyErr(e), "entry not found: svc:a", "delete twice in one changeset")
e = registry.snapshot():changes():delete("svc:a"):update({ id = "svc:a", kind = "service" })
eq(applyErr(e), "entry not found: svc:a", "update after delete in one changeset")
e = registry.snapshot():changes():create({ id = "svc:k", kind = "job" }):update({ id = "svc:k", kind = "service" })
eq(applyErr(e), "cannot change kind of svc:k from job to service", "kind change against an earlier create")
-- the first failing op (in order) is reported
e = registry.snapshot():changes():delete("svc:first"):create({ id = "svc:a", kind = "service" })
eq(applyErr(e), "entry not found: svc:first", "first failing op is reported")

-- atomicity: good ops before a failing op leave no trace
local before = registry.snapshot()
e = before:changes()
e:create({ id = "svc:good", kind = "service" })
e:update({ id = "svc:a", kind = "service", meta = { env = "changed" } })
e:delete("cfg:x")
e:create({ id = "svc:a", kind = "service" })
eq(applyErr(e), "entry already exists: svc:a", "atomic changeset error")
eq(registry.current_version():id(), 1, "no version after failures")
eq(idlist(registry.versions()), "0,1", "versions after failures")
eq(registry.get("svc:good"), nil, "good create not applied")
same(registry.get("svc:a").meta, { env = "prod" }, "good update not applied")
eq(registry.get("cfg:x").id, "cfg:x", "good delete not applied")

-- update replaces meta and data completely
local u = registry.snapshot():changes()
u:update({ id = "svc:a", kind = "service", meta = { owner = "team" } })
eq(assert(u:apply()):id(), 2, "v2 (failures consumed no ids)")
local a = registry.get("svc:a")
same(a.meta, { owner = "team" }, "meta replaced, env gone")
eq(a.data, nil, "data replaced by nothing")
u = registry.snapshot():changes()
u:update({ id = "svc:a", kind = "service", data = { nested = { x = 1 } } })
assert(u:apply())
same(registry.get("svc:a").meta, {}, "meta replaced by nothing is empty")
same(registry.get("svc:a").data, { nested = { x = 1 } }, "data set")
u = registry.snapshot():changes()
u:update({ id = "svc:a", kind = "service", data = { nested = { y = 2 } } })
assert(u:apply())
same(registry.get("svc:a").data, { nested = { y = 2 } }, "nested data replaced, not merged")

-- earlier ops of the same changeset are seen by later ones
local s = registry.snapshot():changes()
s:create({ id = "tmp:one", kind = "job", data = 1 })
s:update({ id = "tmp:one", kind = "job", data = 2 })
s:update({ id = "tmp:one", kind = "job", data = 3 })
s:delete("svc:a")
s:create({ id = "svc:a", kind = "config", data = "recreated with another kind" })
s:create({ id = "tmp:gone", kind = "job" })
s:delete("tmp:gone")
local v = assert(s:apply())
eq(v:id(), 5, "v5")
eq(registry.get("tmp:one").data, 3, "create then update twice")
same(registry.get("svc:a"), { id = "svc:a", kind = "config", meta = {}, data = "recreated with another kind" },
  "delete then create (kind may change)")
eq(registry.get("tmp:gone"), nil, "create then delete")
eq(#v:ops(), 7, "all ops recorded in the version")

-- a changeset that was applied cannot be applied again (its ops are stale now)
local once = registry.snapshot():changes():create({ id = "tmp:once", kind = "job" })
eq(assert(once:apply()):id(), 6, "v6")
local again, againErr = once:apply()
eq(again, nil, "second apply of the same changeset fails")
eq(againErr:kind(), "CONFLICT", "second apply error: its snapshot is stale now")
eq(registry.current_version():id(), 6, "no version from the second apply")

-- malformed arguments raise at the call, naming the problem; nothing is added
local m = registry.snapshot():changes()
local function raises(f, needle, what)
  local okc, err = pcall(f)
  eq(okc, false, what .. " must raise")
  eq(type(err), "string", what .. ": error is a string")
  has(err, needle, what)
end
raises(function() m:create({ kind = "service" }) end, "id", "create without id")
raises(function() m:create({ id = "svc:q" }) end, "kind", "create without kind")
raises(function() m:create({ id = "svc:q", kind = "" }) end, "kind", "create with an empty kind")
raises(function() m:create({ id = "svc:q", kind = 5 }) end, "kind", "create with a non-string kind")
raises(function() m:create({ id = 5, kind = "service" }) end, "id", "create with a numeric id")
raises(function() m:create({ id = "svc:q", kind = "service", meta = "not a table" }) end, "meta", "create with non-table meta")
raises(function() m:update({ id = "svc:q" }) end, "kind", "update without kind")
raises(function() m:update({ kind = "service" }) end, "id", "update without id")
raises(function() m:create("svc:q") end, "", "create with a string")
raises(function() m:delete() end, "", "delete without an id")
raises(function() m:delete(5) end, "", "delete with a number")
eq(tostring(m), "registry.Changes{ops=0}", "failing calls added nothing")
eq(idlist(registry.versions()), "0,1,2,3,4,5,6", "versions at the end")
