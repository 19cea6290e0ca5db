-- seeds: empty, sample=../../playground/src/seed.lua
-- Spec example "Working with Version History", exactly as written: on an empty registry and on the playground's sample data (playground/src/seed.lua).
-- The first line of code is the spec's "Loading the Module".
local registry = require("registry")

-- Get history object
local history = registry.history()

-- Get current version
local currentVersion, err = registry.current_version()
if currentVersion then
  print("Current version: " .. currentVersion:id())
else
  print("Error getting current version: " .. err)
end

-- List all versions
local versions, err = history:versions()
if versions then
  for i, ver in ipairs(versions) do
    print(i .. ". Version: " .. ver:id() .. " - " .. ver:string())
    
    -- Navigate version chain
    local prev = ver:previous()
    if prev then
      print("   Previous: " .. prev:id())
    end
  end
else
  print("Error getting versions: " .. err)
end

-- Get a snapshot at a specific version
local oldVersion, err = history:get_version(42)
if oldVersion then
  local oldSnapshot, err = history:snapshot_at(oldVersion)
  if oldSnapshot then
    local entriesAtVersion = oldSnapshot:entries()
    print("Found " .. #entriesAtVersion .. " entries at version 42")
    
    -- Search within the historical snapshot
    local oldServices = oldSnapshot:find({[".kind"] = "service"})
    print("Found " .. #oldServices .. " services at version 42")
  else
    print("Error getting snapshot: " .. err)
  end
else
  print("Error getting version: " .. err)
end

-- Apply a specific version (rollback)
local success, err = registry.apply_version(oldVersion)
if success then
  print("Successfully rolled back to version " .. oldVersion:id())
else
  print("Error rolling back: " .. err)
end
