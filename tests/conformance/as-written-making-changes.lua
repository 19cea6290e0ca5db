-- seeds: empty, sample=../../playground/src/seed.lua
-- Spec example "Making Changes", exactly as written: on an empty registry and on the playground's sample data (playground/src/seed.lua).
-- The first line of code is the spec's "Loading the Module".
local registry = require("registry")

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
