-- A tour of the registry: create entries, query them, roll back, and diff two states.
local registry = require("registry")

local changes = registry.snapshot():changes()
changes:create({
  id = "services:api",
  kind = "service",
  meta = { environment = "production", region = "us-west-2", tags = { "http", "public" } },
  data = { port = 8080, replicas = 3 },
})
changes:create({ id = "services:worker", kind = "service", meta = { environment = "staging" } })
changes:create({ id = "config:rate-limits", kind = "config", data = { rate = 100, burst = 200 } })
local v1 = assert(changes:apply())
print("applied " .. tostring(v1) .. " with " .. #v1:ops() .. " operations")

local production = registry.find({ [".kind"] = "service", ["meta.environment"] = "production" })
for _, entry in ipairs(production) do
  print("production service: " .. entry.id .. " on port " .. entry.data.port)
end

local v2 = assert(registry.snapshot():changes():delete("services:worker"):apply())
print("after " .. v2:string() .. ": " .. #registry.snapshot():entries() .. " entries")

assert(registry.apply_version(v1))
print("rolled back to " .. registry.current_version():string() .. ": " .. #registry.snapshot():entries() .. " entries")

local delta = registry.build_delta(registry.snapshot_at(v1:id()):entries(), registry.snapshot_at(v2:id()):entries())
for _, op in ipairs(delta) do
  print("delta v1 -> v2: " .. op.kind .. " " .. op.entry.id)
end
