-- Spec example under "Snapshot Object Methods / Find Entries by Criteria".
-- Proves: the snippet runs as written against a snapshot and returns exactly the
-- production services whose region contains "us-west", sorted by namespace then name.
local registry = require("registry")

local seed = registry.snapshot():changes()
seed:create({ id = "services:payments", kind = "service", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "services:auth", kind = "service", meta = { environment = "production", region = "us-west-1" } })
seed:create({ id = "services:search", kind = "service", meta = { environment = "production", region = "eu-west-1" } })
seed:create({ id = "services:staging-auth", kind = "service", meta = { environment = "staging", region = "us-west-1" } })
seed:create({ id = "workers:thumbnails", kind = "service", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "config:payments", kind = "config", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "services:noregion", kind = "service", meta = { environment = "production" } })
assert(seed:apply())
local snapshot = registry.snapshot()

-- ===== spec example, verbatim =====
-- Example:
local productionServices = snapshot:find({
  [".kind"] = "service",
  ["meta.environment"] = "production",
  ["*meta.region"] = "us-west"
})
-- ===== end of spec example =====

for _, e in ipairs(productionServices) do
  print(e.id, e.kind, e.meta.environment, e.meta.region)
end
eq(#productionServices, 3, "matches")
eq(ids(productionServices), "services:auth,services:payments,workers:thumbnails", "sorted ids")
