-- seeds: empty, sample=../../playground/src/seed.lua
-- Spec example "Basic Operations Without Snapshots (Preferred for Read-Only)", exactly as written: on an empty registry and on the playground's sample data (playground/src/seed.lua).
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
