-- Entries returned to Lua are fresh tables: mutating what get/find/entries/namespace/
-- ops()/version:ops()/build_delta hand back never changes the registry, and mutating the
-- table passed to create/update after the call does not change what gets stored.
local registry = require("registry")

local input = {
  id = "services:db", kind = "service",
  meta = { environment = "production", tags = { "a", "b" } },
  data = { port = 5432, limits = { memory = "1Gi" } },
}
local c = registry.snapshot():changes()
c:create(input)
-- mutate the input after the call, before apply
input.kind = "hacked"
input.meta.environment = "hacked"
table.insert(input.meta.tags, "hacked")
input.data.port = 1
input.data.limits.memory = "hacked"
input.id = "services:hacked"
assert(c:apply())

local expected = {
  id = "services:db", kind = "service",
  meta = { environment = "production", tags = { "a", "b" } },
  data = { port = 5432, limits = { memory = "1Gi" } },
}
same(registry.get("services:db"), expected, "stored entry ignores later mutation of the input")
eq(registry.get("services:hacked"), nil, "no entry under the mutated id")

local function vandalize(e)
  e.id = "services:other"
  e.kind = "hacked"
  e.meta.environment = "hacked"
  e.meta.extra = true
  table.insert(e.meta.tags, "hacked")
  e.data.port = 1
  e.data.limits.memory = "hacked"
  e.data.new = "x"
end
local function check(what)
  same(registry.get("services:db"), expected, what .. ": registry.get")
  same(registry.snapshot():get("services:db"), expected, what .. ": snapshot:get")
  same(registry.find({ [".id"] = "services:db" })[1], expected, what .. ": registry.find")
end

vandalize(registry.get("services:db")); check("after mutating registry.get")
local s = registry.snapshot()
vandalize(s:get("services:db")); check("after mutating snapshot:get")
same(s:get("services:db"), expected, "same snapshot after mutating its result")
vandalize(s:entries()[1]); check("after mutating snapshot:entries")
vandalize(s:namespace("services")[1]); check("after mutating snapshot:namespace")
vandalize(s:find({ [".kind"] = "service" })[1]); check("after mutating snapshot:find")
vandalize(registry.find({ [".kind"] = "service" })[1]); check("after mutating registry.find")
vandalize(registry.snapshot_at(1):get("services:db")); check("after mutating snapshot_at(1):get")
vandalize(registry.current_version():ops()[1].entry); check("after mutating version:ops()")
same(registry.current_version():ops()[1].entry, expected, "version:ops() entry unchanged")

-- two reads give two distinct tables
ok(not rawequal(registry.get("services:db"), registry.get("services:db")), "each get returns a new table")
ok(not rawequal(registry.get("services:db").meta, registry.get("services:db").meta), "each get returns a new meta table")

-- a changeset's ops() are copies too
local c2 = registry.snapshot():changes()
c2:update({ id = "services:db", kind = "service", meta = { environment = "staging" }, data = { port = 6543 } })
local op = c2:ops()[1]
op.kind = "entry.delete"
op.entry.meta.environment = "hacked"
op.entry.data.port = 1
eq(c2:ops()[1].kind, "entry.update", "ops() kind unchanged")
same(c2:ops()[1].entry.meta, { environment = "staging" }, "ops() meta unchanged")
assert(c2:apply())
same(registry.get("services:db").meta, { environment = "staging" }, "applied meta is the one given to update")
eq(registry.get("services:db").data.port, 6543, "applied data is the one given to update")

-- build_delta's output does not alias its inputs
local from = { { id = "a:x", kind = "k", data = { n = 1 } } }
local to = { { id = "a:x", kind = "k", data = { n = 2 } } }
local delta = assert(registry.build_delta(from, to))
delta[1].entry.data.n = 99
eq(to[1].data.n, 2, "build_delta did not hand back the input table")
