-- Delete operations carry the entry they delete wherever it is known: version:ops(),
-- registry.build_delta, and changes:ops() when the changeset's snapshot (or an earlier op of the
-- changeset) has it; otherwise the entry holds the id alone.
local registry = require("registry")

local function describe(ops)
  local parts = {}
  for _, op in ipairs(ops) do
    local e = op.entry
    local meta = e.meta and e.meta.owner or "-"
    parts[#parts + 1] = op.kind .. " " .. e.id .. " " .. tostring(e.kind) .. " " .. tostring(meta)
      .. " " .. tostring(e.data and e.data.port)
  end
  return table.concat(parts, "; ")
end

assert(registry.snapshot():changes()
  :create({ id = "services:api", kind = "service", meta = { owner = "platform" }, data = { port = 8080 } })
  :create({ id = "services:old", kind = "service", meta = { owner = "legacy" }, data = { port = 8000 } })
  :apply())

local changes = registry.snapshot():changes()
changes:delete("services:old")
changes:delete("services:unknown")
changes:create({ id = "jobs:tmp", kind = "job", data = { port = 1 } })
changes:delete("jobs:tmp")
print("changes:ops()  " .. describe(changes:ops()))

local v2 = assert(registry.snapshot():changes():delete("services:old"):apply())
print("version:ops()  " .. describe(v2:ops()))
print("v1:ops()       " .. describe(registry.history():get_version(1):ops()))

local delta = assert(registry.build_delta(registry.snapshot_at(1):entries(), {}))
print("build_delta    " .. describe(delta))
local kind_change = assert(registry.build_delta(
  { { id = "a:x", kind = "service", meta = { owner = "x" }, data = { port = 1 } } },
  { { id = "a:x", kind = "config" } }))
print("kind change    " .. describe(kind_change))
