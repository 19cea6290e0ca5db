-- Spec example "Advanced Searching".
-- Proves: the example runs as written; "~meta.description" is an unanchored,
-- case-sensitive regex search that matches only strings (or any string element of an
-- array), "^meta.status" is a prefix match, and the kind is not filtered.
local registry = require("registry")

local seed = registry.snapshot():changes()
seed:create({ id = "services:gateway", kind = "service", meta = { description = "public api gateway", status = "healthy" } })
seed:create({ id = "services:users", kind = "service", meta = { description = "users api backend", status = "healthy-degraded" } })
seed:create({ id = "services:billing", kind = "service", meta = { description = "billing api", status = "unhealthy" } })
seed:create({ id = "services:web", kind = "service", meta = { description = "static web frontend", status = "healthy" } })
seed:create({ id = "services:search", kind = "service", meta = { description = "Search API", status = "healthy" } })
seed:create({ id = "services:legacy", kind = "service", meta = { status = "healthy" } })
seed:create({ id = "services:numeric", kind = "service", meta = { description = 42, status = "healthy" } })
seed:create({ id = "services:tagged", kind = "service", meta = { description = { "grpc", "internal api" }, status = "healthy" } })
seed:create({ id = "config:api-config", kind = "config", meta = { description = "api settings", status = "healthy" } })
assert(seed:apply())

-- ===== spec example, verbatim =====
-- Find entries by criteria directly
local apiServices, err = registry.find({
  ["~meta.description"] = ".*api.*",
  ["^meta.status"] = "healthy"
})
if apiServices then
  print("Found " .. #apiServices .. " healthy API services")
end
-- ===== end of spec example =====

eq(err, nil, "find error")
eq(#apiServices, 4, "healthy api entries")
eq(ids(apiServices), "config:api-config,services:gateway,services:tagged,services:users", "matching ids (sorted)")

-- each criterion alone
eq(ids(registry.find({ ["~meta.description"] = ".*api.*" })),
  "config:api-config,services:billing,services:gateway,services:tagged,services:users", "regex alone")
eq(ids(registry.find({ ["^meta.status"] = "healthy" })),
  "config:api-config,services:gateway,services:legacy,services:numeric,services:search,services:tagged,services:users,services:web",
  "prefix alone")
