-- registry.build_delta(from, to): compares by id; deletes first, then updates, then
-- creates, each sorted by id; an update when kind/meta/data differ deeply (key order
-- independent, 3 equals 3.0); a kind change is a delete plus a create; build_delta(x, x)
-- is empty; applying build_delta(a, b) to a registry holding a yields exactly b; an
-- invalid entry gives nil, "to[3]: ..." / "from[2]: ...".
local registry = require("registry")

local function opsig(delta)
  local out = {}
  for i, op in ipairs(delta) do
    local short = ({ ["entry.create"] = "create", ["entry.update"] = "update", ["entry.delete"] = "delete" })[op.kind]
    out[i] = (short or tostring(op.kind)) .. " " .. tostring(op.entry and op.entry.id)
  end
  return table.concat(out, ", ")
end

-- two tables with the same content, built in different key orders
local m1 = {}
m1.alpha = 1; m1.beta = { x = 1, y = { 1, 2 } }; m1.gamma = "g"
local m2 = {}
m2.gamma = "g"; m2.beta = { y = { 1, 2 }, x = 1 }; m2.alpha = 1

local from = {
  { id = "b:one", kind = "config", data = { n = 1 } },
  { id = "a:gone", kind = "service" },
  { id = "a:meta", kind = "service", meta = { x = 1 } },
  { id = "a:same", kind = "service", meta = { v = 3 }, data = m1 },
  { id = "c:kind", kind = "service", data = { p = 1 } },
  { id = "z:gone", kind = "job" },
  { id = "a:deep", kind = "service", data = { a = { b = { c = 1 } } } },
  { id = "a:arr", kind = "service", data = { 1, 2 } },
  { id = "a:nometa", kind = "service" },
}
local to = {
  { id = "z:new", kind = "job" },
  { id = "a:meta", kind = "service", meta = { x = 2 } },
  { id = "a:same", kind = "service", meta = { v = 3.0 }, data = m2 },
  { id = "b:one", kind = "config", data = { n = 1.0 } },
  { id = { ns = "c", name = "kind" }, kind = "config", data = { p = 1 } },
  { id = "a:new", kind = "service", meta = { fresh = true } },
  { id = "a:deep", kind = "service", data = { a = { b = { c = 2 } } } },
  { id = "a:arr", kind = "service", data = { 2, 1 } },
  { id = "a:nometa", kind = "service", meta = {} },
  { id = "b:new", kind = "config" },
}

local delta, err = registry.build_delta(from, to)
ok(delta ~= nil, "build_delta failed: " .. tostring(err))
eq(opsig(delta),
  "delete a:gone, delete c:kind, delete z:gone, " ..
  "update a:arr, update a:deep, update a:meta, " ..
  "create a:new, create b:new, create c:kind, create z:new",
  "delta ops and order")
-- the op entries are full entries in the changes:ops() form, ids as strings
same(delta[6].entry, { id = "a:meta", kind = "service", meta = { x = 2 } }, "update entry")
eq(delta[9].entry.id, "c:kind", "table id handed back as a string")
eq(delta[9].entry.kind, "config", "re-created with the new kind")
same(delta[9].entry.data, { p = 1 }, "re-created data")
eq(delta[1].entry.id, "a:gone", "delete entry id")

-- no change: empty
eq(#assert(registry.build_delta(from, from)), 0, "build_delta(x, x)")
eq(#assert(registry.build_delta(to, to)), 0, "build_delta(y, y)")
eq(#assert(registry.build_delta({}, {})), 0, "build_delta({}, {})")
-- from nothing: only creates; to nothing: only deletes
eq(opsig(assert(registry.build_delta({}, { to[2], to[1] }))), "create a:meta, create z:new", "creates only")
eq(opsig(assert(registry.build_delta({ from[2], from[1] }, {}))), "delete a:gone, delete b:one", "deletes only")

-- applying build_delta(a, b) to a registry holding a yields exactly b
local seed = registry.snapshot():changes()
for _, e in ipairs(from) do seed:create(e) end
assert(seed:apply())
local snapshot = registry.snapshot()
local d = assert(registry.build_delta(snapshot:entries(), to))
eq(#d, 10, "same delta from the registry's own entries")
local changes = snapshot:changes()
for _, op in ipairs(d) do
  if op.kind == "entry.create" then changes:create(op.entry)
  elseif op.kind == "entry.update" then changes:update(op.entry)
  elseif op.kind == "entry.delete" then changes:delete(op.entry.id) end
end
local v = assert(changes:apply())
eq(v:id(), 2, "delta version")
local got = registry.snapshot():entries()
local want = {
  { id = "a:arr", kind = "service", meta = {}, data = { 2, 1 } },
  { id = "a:deep", kind = "service", meta = {}, data = { a = { b = { c = 2 } } } },
  { id = "a:meta", kind = "service", meta = { x = 2 } },
  { id = "a:new", kind = "service", meta = { fresh = true } },
  { id = "a:nometa", kind = "service", meta = {} },
  { id = "a:same", kind = "service", meta = { v = 3 }, data = m1 },
  { id = "b:new", kind = "config", meta = {} },
  { id = "b:one", kind = "config", meta = {}, data = { n = 1 } },
  { id = "c:kind", kind = "config", meta = {}, data = { p = 1 } },
  { id = "z:new", kind = "job", meta = {} },
}
same(got, want, "registry holds exactly the target")
eq(#assert(registry.build_delta(got, to)), 0, "delta from the result to the target is empty")

-- invalid entries: nil, err naming the list and position
local function invalid(f, t, prefix, what)
  local r, e = registry.build_delta(f, t)
  eq(r, nil, what .. ": result")
  e = tostring(e)
  has(e, prefix, what .. ": error")
  eq(string.sub(e, 1, #prefix), prefix, what .. ": error starts with " .. prefix)
end
invalid({}, { { id = "a:1", kind = "k" }, { id = "a:2", kind = "k" }, { id = "a:3" } }, "to[3]", "entry without kind")
invalid({ { id = "a:1", kind = "k" }, { id = "nocolon", kind = "k" } }, {}, "from[2]", "entry with a bad id")
invalid({}, { { kind = "k" } }, "to[1]", "entry without id")
invalid({}, { "a:1" }, "to[1]", "entry that is not a table")
invalid({}, { { id = "a:1", kind = "k" }, { id = { ns = "a", name = "1" }, kind = "k" } }, "to[2]", "duplicate id")
invalid({}, { { id = "a:1", kind = "k", data = { f = function() end } } }, "to[1]", "entry with an unstorable value")
