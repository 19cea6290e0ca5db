-- seeds: empty, sample=../../playground/src/seed.lua
-- Spec example "Building and Applying State Deltas", exactly as written: on an empty registry and on the playground's sample data (playground/src/seed.lua).
-- Import the registry module
local registry = require("registry")

-- Get current registry state
local snapshot, err = registry.snapshot()
if not snapshot then
  print("Error getting snapshot: " .. err)
  return
end
local currentEntries = snapshot:entries()

-- Define a target state (could be loaded from files)
local targetEntries = {
  {
    id = "services:api",
    kind = "service",
    meta = { version = "2.0" },
    data = { port = 8080 }
  },
  -- more entries...
}

-- Build delta between current state and target state
local changeset, err = registry.build_delta(currentEntries, targetEntries)
if not changeset then
  print("Error building delta: " .. err)
  return
end

print("Delta contains " .. #changeset .. " operations")

-- Apply each operation in the changeset
local changes = snapshot:changes()

for _, op in ipairs(changeset) do
  if op.kind == "entry.create" then
    changes:create(op.entry)
    print("Adding: " .. op.entry.id)
  elseif op.kind == "entry.update" then
    changes:update(op.entry)
    print("Updating: " .. op.entry.id)
  elseif op.kind == "entry.delete" then
    changes:delete(op.entry.id)
    print("Removing: " .. op.entry.id)
  end
end

-- Apply changes to create a new version
local version, err = changes:apply()
if version then
  print("Updated registry to version: " .. version:id())
else
  print("Error applying changes: " .. err)
end
