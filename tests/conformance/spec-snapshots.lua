-- Spec example "Operations Using Snapshots (When Consistency is Required)".
-- Proves: the example runs as written; snapshot:get, snapshot:namespace and
-- snapshot:find (with ".kind", "meta.environment" and "*meta.region", including an
-- array-valued region) return what the semantics promise, sorted by namespace then name.
local registry = require("registry")

-- Seed (v1): six entries in namespace "services" (one of kind config), one elsewhere.
local seed = registry.snapshot():changes()
seed:create({ id = "services:worker", kind = "service", meta = { environment = "production", region = "us-west-1" } })
seed:create({ id = "services:database", kind = "service", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "services:api", kind = "service", meta = { environment = "production", region = "us-east-1" } })
seed:create({ id = "services:cache", kind = "service", meta = { environment = "staging", region = "us-west-2" } })
seed:create({ id = "services:edge", kind = "service",
  meta = { environment = "production", region = { "eu-central-1", "us-west-1" } } })
seed:create({ id = "services:settings", kind = "config", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "config:global", kind = "config", meta = { environment = "production", region = "us-west-2" } })
eq(assert(seed:apply()):id(), 1, "seed version")

-- ===== spec example, verbatim =====
-- Get the current snapshot
local snapshot, err = registry.snapshot()
if not snapshot then
  print("Error getting snapshot: " .. err)
  return
end

-- Get a specific entry from the snapshot
local entry, err = snapshot:get("services:database")
if entry then
  print("Found entry: " .. entry.id)
  print("Kind: " .. entry.kind)
  print("Environment: " .. (entry.meta.environment or "not set"))
else
  print("Entry not found: " .. (err or "unknown error"))
end

-- Get all entries in a namespace from the snapshot
local services = snapshot:namespace("services")
print("Found " .. #services .. " services")

-- Find entries by criteria using the same snapshot
local productionServices = snapshot:find({
  [".kind"] = "service",
  ["meta.environment"] = "production",
  ["*meta.region"] = "us-west"
})
print("Found " .. #productionServices .. " production services in us-west")
-- ===== end of spec example =====

eq(snapshot:version():id(), 1, "snapshot version")
eq(entry.id, "services:database", "entry.id")
eq(entry.kind, "service", "entry.kind")
same(entry.meta, { environment = "production", region = "us-west-2" }, "entry.meta")
eq(#services, 6, "entries in namespace services")
eq(ids(services), "services:api,services:cache,services:database,services:edge,services:settings,services:worker",
  "namespace entries sorted by name")
eq(#productionServices, 3, "production services in us-west")
eq(ids(productionServices), "services:database,services:edge,services:worker", "matching ids")

-- the snapshot stays consistent while head moves on
local c = snapshot:changes()
c:delete("services:database")
c:create({ id = "services:new-west", kind = "service", meta = { environment = "production", region = "us-west-2" } })
eq(assert(c:apply()):id(), 2, "second version")
eq(#snapshot:namespace("services"), 6, "old snapshot namespace after apply")
eq(ids(snapshot:find({ [".kind"] = "service", ["meta.environment"] = "production", ["*meta.region"] = "us-west" })),
  "services:database,services:edge,services:worker", "old snapshot find after apply")
eq(snapshot:get("services:database").id, "services:database", "old snapshot still has deleted entry")
eq(ids(registry.snapshot():find({ [".kind"] = "service", ["meta.environment"] = "production", ["*meta.region"] = "us-west" })),
  "services:edge,services:new-west,services:worker", "new snapshot find")
