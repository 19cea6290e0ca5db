-- Spec example "Basic Operations Without Snapshots (Preferred for Read-Only)".
-- Proves: the example runs exactly as written (registry.get, registry.find on head),
-- on data seeded through the API, and returns the entries the semantics promise.
local registry = require("registry")

-- Seed: one version (v1) with production/staging services and non-service entries.
local seed = registry.snapshot():changes()
seed:create({ id = "services:database", kind = "service",
  meta = { environment = "production", owner = "data-team" }, data = { port = 5432 } })
seed:create({ id = "services:api", kind = "service", meta = { environment = "production" }, data = { port = 8080 } })
seed:create({ id = "services:web", kind = "service", meta = { environment = "staging" } })
seed:create({ id = "config:database", kind = "config", meta = { environment = "production" } })
seed:create({ id = "services:batch", kind = "job", meta = { environment = "production" } })
local seeded = assert(seed:apply())
eq(seeded:id(), 1, "seed version")

-- ===== spec example, verbatim =====
-- Import the registry module
local registry = require("registry")

-- Get a specific entry directly (more efficient than creating a snapshot)
local entry, err = registry.get("services:database")
if entry then
  print("Found entry: " .. entry.id)
  print("Kind: " .. entry.kind)
  print("Environment: " .. (entry.meta.environment or "not set"))
else
  print("Entry not found: " .. (err or "unknown error"))
end

-- Find entries matching criteria directly
local productionServices, err = registry.find({
  [".kind"] = "service",
  ["meta.environment"] = "production"
})
if productionServices then
  print("Found " .. #productionServices .. " production services")
end
-- ===== end of spec example =====

ok(entry ~= nil, "services:database must be found")
eq(entry.id, "services:database", "entry.id")
eq(entry.kind, "service", "entry.kind")
same(entry.meta, { environment = "production", owner = "data-team" }, "entry.meta")
same(entry.data, { port = 5432 }, "entry.data")
eq(err, nil, "find error")
eq(#productionServices, 2, "production services")
eq(ids(productionServices), "services:api,services:database", "production service ids (sorted)")

-- the else branch of the example: a missing entry gives nil plus the issue's message
local missing, merr = registry.get("services:missing")
eq(missing, nil, "missing entry")
eq(tostring(merr), "entry not found: services:missing", "missing entry error")

-- reads did not create versions
eq(registry.current_version():id(), 1, "current version after reads")
