-- Spec example "Building and Applying State Deltas".
-- Proves: the example runs as written; build_delta orders deletes (sorted by id)
-- before updates; applying the delta through a changeset makes the registry hold
-- exactly the target state.
local registry = require("registry")

-- Seed (v1): services:api differs from the target (meta.version 1.0), two entries the
-- target does not have.
local seed = registry.snapshot():changes()
seed:create({ id = "services:legacy", kind = "service", meta = { owner = "nobody" } })
seed:create({ id = "services:api", kind = "service", meta = { version = "1.0" }, data = { port = 8080 } })
seed:create({ id = "config:x", kind = "config", data = { enabled = true } })
eq(assert(seed:apply()):id(), 1, "seed version")

-- ===== spec example, verbatim =====
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
-- ===== end of spec example =====

eq(#currentEntries, 3, "current entries")
eq(#changeset, 3, "delta size")
eq(changeset[1].kind, "entry.delete", "op 1 kind")
eq(changeset[1].entry.id, "config:x", "op 1 id")
eq(changeset[2].kind, "entry.delete", "op 2 kind")
eq(changeset[2].entry.id, "services:legacy", "op 2 id")
eq(changeset[3].kind, "entry.update", "op 3 kind")
same(changeset[3].entry, { id = "services:api", kind = "service", meta = { version = "2.0" }, data = { port = 8080 } },
  "op 3 entry")
ok(version ~= nil, "apply must succeed")
eq(version:id(), 2, "new version")

-- the registry now holds exactly the target state
local now = registry.snapshot():entries()
eq(#now, 1, "entries after delta")
same(now[1], { id = "services:api", kind = "service", meta = { version = "2.0" }, data = { port = 8080 } }, "entry after delta")
-- and a second delta against the target is empty
eq(#assert(registry.build_delta(now, targetEntries)), 0, "delta after apply")
