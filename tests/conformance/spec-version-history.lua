-- Spec example "Working with Version History".
-- Proves: the example runs as written on a registry with 45 linear versions:
-- history:versions() lists v0..v45 ascending with their previous links,
-- history:get_version(42) and history:snapshot_at() give the state at v42, and
-- registry.apply_version rolls head back to v42 without creating a version.
local registry = require("registry")

-- Seed v1..v45: version i creates services:svc-NN (odd i, kind service) or
-- config:cfg-NN (even i, kind config); version 30 also deletes services:svc-01.
for i = 1, 45 do
  local c = registry.snapshot():changes()
  local n = string.format("%02d", i)
  if i % 2 == 1 then
    c:create({ id = "services:svc-" .. n, kind = "service", meta = { index = i } })
  else
    c:create({ id = "config:cfg-" .. n, kind = "config", meta = { index = i } })
  end
  if i == 30 then c:delete("services:svc-01") end
  eq(assert(c:apply()):id(), i, "seed version " .. i)
end
-- at v42: 42 created - 1 deleted = 41 entries; services: odd 1..41 = 21, minus svc-01 = 20

-- ===== spec example, verbatim =====
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
-- ===== end of spec example =====

eq(currentVersion:id(), 45, "version before rollback")
eq(#versions, 46, "versions v0..v45")
for i, ver in ipairs(versions) do
  eq(ver:id(), i - 1, "versions[" .. i .. "] ascending")
end
eq(versions[1]:previous(), nil, "v0 has no previous")
eq(success, true, "apply_version result")
eq(oldVersion:id(), 42, "oldVersion")

-- after the rollback: head is v42, no version was created, state is v42's
eq(registry.current_version():id(), 42, "head after rollback")
eq(#history:versions(), 46, "rollback creates no version")
eq(#registry.versions(), 46, "module versions() after rollback")
eq(#registry.snapshot():entries(), 41, "entries at head after rollback")
eq(registry.get("config:cfg-44"), nil, "entry of v44 is gone after rollback")
eq(registry.get("config:cfg-42").id, "config:cfg-42", "entry of v42 is there")
eq(registry.get("services:svc-41").id, "services:svc-41", "entry of v41 is there")
eq(registry.get("services:svc-01"), nil, "entry deleted in v30 stays deleted")
-- the later versions are still reachable
eq(#registry.snapshot_at(45):entries(), 44, "snapshot at v45 still readable")
