-- Spec example "Making Changes".
-- Proves: the example runs as written (create + update + delete in one changeset,
-- applied atomically as version 2 after a seed version 1); update replaces meta and
-- data completely; os.time() is the fixed clock; integral numbers stay integers.
local registry = require("registry")

local seed = registry.snapshot():changes()
seed:create({ id = "config:rate-limits", kind = "config",
  meta = { revision = 2, owner = "sre" }, data = { rate = 50, burst = 100, window = "1s" } })
seed:create({ id = "services:deprecated-service", kind = "service", meta = { environment = "production" } })
seed:create({ id = "services:database", kind = "service", meta = { environment = "production" } })
eq(assert(seed:apply()):id(), 1, "seed version")

-- ===== spec example, verbatim =====
-- Create a changeset from the snapshot
local snapshot, err = registry.snapshot()
if not snapshot then
  print("Error getting snapshot: " .. err)
  return
end

local changes = snapshot:changes()

-- Create a new entry
changes:create({
  id = "services:new-service",
  kind = "service",
  meta = {
    environment = "staging",
    owner = "platform-team",
    tags = {"microservice", "api"}
  },
  data = {
    port = 8080,
    limits = {memory = "1Gi", cpu = "0.5"}
  }
})

-- Update an existing entry
changes:update({
  id = "config:rate-limits",
  kind = "config",
  meta = {
    updated = os.time(),
    revision = 3
  },
  data = {
    rate = 100,
    burst = 200
  }
})

-- Delete an entry
changes:delete("services:deprecated-service")

-- Apply changes to create a new version
local version, err = changes:apply()
if version then
  print("Created version: " .. version:id())
else
  print("Error applying changes: " .. err)
end
-- ===== end of spec example =====

ok(version ~= nil, "apply must succeed, got error " .. tostring(err))
eq(version:id(), 2, "new version id")
eq(version:string(), "v2", "new version string")
eq(version:previous():id(), 1, "previous of new version")
eq(version:time(), 1767225600000, "version time")
eq(registry.current_version():id(), 2, "head")
eq(tostring(changes), "registry.Changes{ops=3}", "tostring(changes)")

-- the changeset's operations, in the order they were added
local ops = changes:ops()
eq(#ops, 3, "#ops")
eq(ops[1].kind, "entry.create", "op 1 kind")
eq(ops[1].entry.id, "services:new-service", "op 1 id")
eq(ops[2].kind, "entry.update", "op 2 kind")
eq(ops[2].entry.id, "config:rate-limits", "op 2 id")
eq(ops[3].kind, "entry.delete", "op 3 kind")
eq(ops[3].entry.id, "services:deprecated-service", "op 3 id")
local vops = version:ops()
eq(#vops, 3, "#version:ops()")
eq(vops[1].kind .. " " .. vops[2].kind .. " " .. vops[3].kind, "entry.create entry.update entry.delete", "version ops kinds")

-- created entry
local created = assert(registry.get("services:new-service"))
eq(created.kind, "service", "created kind")
same(created.meta, { environment = "staging", owner = "platform-team", tags = { "microservice", "api" } }, "created meta")
same(created.data, { port = 8080, limits = { memory = "1Gi", cpu = "0.5" } }, "created data")
eq(tostring(created.data.port), "8080", "port prints as an integer")

-- updated entry: meta and data replaced completely (owner and window are gone)
local updated = assert(registry.get("config:rate-limits"))
eq(updated.kind, "config", "updated kind")
same(updated.meta, { updated = 1767225600, revision = 3 }, "updated meta")
eq(tostring(updated.meta.updated), "1767225600", "os.time() stored as an integer")
same(updated.data, { rate = 100, burst = 200 }, "updated data")

-- deleted entry
local gone, gerr = registry.get("services:deprecated-service")
eq(gone, nil, "deleted entry")
eq(tostring(gerr), "entry not found: services:deprecated-service", "deleted entry error")

-- untouched entry and the old snapshot
eq(registry.get("services:database").kind, "service", "untouched entry")
eq(ids(snapshot:entries()), "config:rate-limits,services:database,services:deprecated-service", "old snapshot")
same(snapshot:get("config:rate-limits").data, { rate = 50, burst = 100, window = "1s" }, "old snapshot data")
eq(ids(registry.snapshot():entries()), "config:rate-limits,services:database,services:new-service", "new snapshot")
