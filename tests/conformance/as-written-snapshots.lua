-- seeds: empty, sample=../../playground/src/seed.lua
-- Spec example "Operations Using Snapshots (When Consistency is Required)", exactly as written: on an empty registry and on the playground's sample data (playground/src/seed.lua).
-- The first line of code is the spec's "Loading the Module".
local registry = require("registry")

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
