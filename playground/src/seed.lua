-- The playground's sample registry. Each "-- @@" section is run as its own script, an hour
-- after the one before it, so the history has real versions with real times.
-- Every spec example finds what it looks for here: services:database, services:api,
-- config:rate-limits, services:deprecated-service, and more than 42 versions.

-- @@ initial services and configs (v1)
local registry = require("registry")
local changes = registry.snapshot():changes()
changes:create({
  id = "services:database",
  kind = "service",
  meta = { environment = "production", region = "us-west-2", description = "primary postgres database",
    status = "healthy", owner = "data-team" },
  data = { engine = "postgres", port = 5432, replicas = 2 },
})
changes:create({
  id = "services:api",
  kind = "service",
  meta = { environment = "production", region = "us-west-1", description = "public api gateway",
    status = "healthy", owner = "platform-team" },
  data = { port = 8080, replicas = 3, release = "1.0.0" },
})
changes:create({
  id = "services:auth",
  kind = "service",
  meta = { environment = "production", region = "eu-west-1", description = "auth api: users and tokens",
    status = "healthy", owner = "identity-team" },
  data = { port = 9000, release = "2.3.0" },
})
changes:create({
  id = "services:web",
  kind = "service",
  meta = { environment = "staging", region = "us-east-1", description = "static web frontend",
    status = "healthy", owner = "web-team" },
  data = { port = 3000 },
})
changes:create({
  id = "services:deprecated-service",
  kind = "service",
  meta = { environment = "production", region = "us-east-1", description = "legacy api v1, to be removed",
    status = "deprecated", owner = "platform-team" },
  data = { port = 8000 },
})
changes:create({
  id = "config:rate-limits",
  kind = "config",
  meta = { revision = 1, owner = "sre" },
  data = { rate = 20, burst = 40, window = "1s" },
})
assert(changes:apply())

-- @@ search and cache join (v2)
local registry = require("registry")
assert(registry.snapshot():changes()
  :create({
    id = "services:search",
    kind = "service",
    meta = { environment = "production", region = "us-west-2", description = "search api backend",
      status = "healthy", owner = "search-team", tags = { "api", "internal" } },
    data = { port = 9200, shards = 6 },
  })
  :create({
    id = "services:cache",
    kind = "service",
    meta = { environment = "production", region = "us-west-2", description = "redis cache",
      status = "healthy", owner = "data-team" },
    data = { port = 6379, memory = "4Gi" },
  })
  :apply())

-- @@ rate limits raised (v3)
local registry = require("registry")
assert(registry.snapshot():changes():update({
  id = "config:rate-limits",
  kind = "config",
  meta = { revision = 2, owner = "sre" },
  data = { rate = 50, burst = 100, window = "1s" },
}):apply())

-- @@ feature flags and a nightly job (v4)
local registry = require("registry")
assert(registry.snapshot():changes()
  :create({ id = "config:feature-flags", kind = "config", meta = { owner = "platform-team" },
    data = { new_checkout = false, dark_mode = true } })
  :create({ id = "jobs:nightly-backup", kind = "job", meta = { environment = "production", owner = "data-team" },
    data = { schedule = "0 3 * * *", target = "services:database" } })
  :apply())

-- @@ a day of releases (v5 to v44)
local registry = require("registry")
local function release(id, version, extra)
  local entry = assert(registry.get(id))
  entry.data.release = version
  for k, v in pairs(extra or {}) do entry.data[k] = v end
  assert(registry.snapshot():changes():update(entry):apply())
end
for i = 1, 40 do
  if i % 4 == 0 then
    release("services:auth", string.format("2.3.%d", i // 4), nil)
  elseif i == 21 then
    release("services:api", string.format("1.0.%d", i), { replicas = 4 })
  else
    release("services:api", string.format("1.0.%d", i), nil)
  end
end

-- @@ search degraded (v45)
local registry = require("registry")
local search = assert(registry.get("services:search"))
search.meta.status = "degraded"
assert(registry.snapshot():changes():update(search):apply())

-- @@ search recovered (v46)
local registry = require("registry")
local search = assert(registry.get("services:search"))
search.meta.status = "healthy"
search.data.shards = 8
assert(registry.snapshot():changes():update(search):apply())
