-- registry.apply_version: moves head to any existing version (rollback or forward)
-- without creating a version; applying changes after a rollback starts a branch whose
-- previous() is the version rolled back to, with ids continuing from the max; applying
-- the head is a no-op returning true; an unknown version gives false, "version not found: N".
local registry = require("registry")

local function add(id, kind)
  local c = registry.snapshot():changes()
  c:create({ id = id, kind = kind or "thing" })
  return assert(c:apply())
end

local v1 = add("app:a")
local v2 = add("app:b")
local v3 = add("app:c")
eq(v3:id(), 3, "v3")
eq(ids(registry.snapshot():entries()), "app:a,app:b,app:c", "state at v3")

-- rollback to v1
local okr, errr = registry.apply_version(v1)
eq(okr, true, "rollback result")
eq(errr, nil, "rollback error")
eq(registry.current_version():id(), 1, "head after rollback")
eq(registry.snapshot():version():id(), 1, "snapshot after rollback")
eq(ids(registry.snapshot():entries()), "app:a", "state after rollback")
eq(registry.get("app:b"), nil, "app:b gone after rollback")
eq(ids(registry.find({})), "app:a", "find after rollback")
eq(idlist(registry.versions()), "0,1,2,3", "rollback creates no version")

-- forward again to v3
eq(registry.apply_version(v3), true, "forward result")
eq(registry.current_version():id(), 3, "head after forward")
eq(ids(registry.snapshot():entries()), "app:a,app:b,app:c", "state after forward")

-- applying the head is a no-op returning true
eq(registry.apply_version(registry.current_version()), true, "apply head")
eq(registry.current_version():id(), 3, "head unchanged")
eq(idlist(registry.versions()), "0,1,2,3", "no version from applying head")

-- a version object obtained from history works too; v0 empties the registry
eq(registry.apply_version(registry.history():get_version(0)), true, "rollback to v0")
eq(registry.current_version():id(), 0, "head at v0")
eq(#registry.snapshot():entries(), 0, "empty at v0")
eq(registry.apply_version(registry.history():get_version(2)), true, "forward to v2")
eq(ids(registry.snapshot():entries()), "app:a,app:b", "state at v2")

-- branch: roll back to v1, then apply changes
eq(registry.apply_version(v1), true, "rollback to v1 again")
local v4 = add("app:d")
eq(v4:id(), 4, "branch version id continues from the max")
eq(v4:previous():id(), 1, "branch version's previous is the version rolled back to")
eq(registry.current_version():id(), 4, "head on the branch")
eq(ids(registry.snapshot():entries()), "app:a,app:d", "state on the branch")
eq(idlist(registry.versions()), "0,1,2,3,4", "all versions listed, both branches")
local v5 = add("app:e")
eq(v5:id(), 5, "v5")
eq(v5:previous():id(), 4, "v5 previous")
eq(v3:previous():id(), 2, "old branch links unchanged")

-- the other branch is still reachable, read and applicable
eq(ids(assert(registry.snapshot_at(3)):entries()), "app:a,app:b,app:c", "snapshot_at(3) after branching")
eq(registry.apply_version(v3), true, "switch back to the old branch")
eq(ids(registry.snapshot():entries()), "app:a,app:b,app:c", "old branch state")
local v6 = add("app:f")
eq(v6:id(), 6, "ids keep going up from the max, whichever branch")
eq(v6:previous():id(), 3, "v6 previous")
eq(ids(registry.snapshot():entries()), "app:a,app:b,app:c,app:f", "state at v6")
eq(registry.apply_version(v5), true, "back to v5")
eq(ids(registry.snapshot():entries()), "app:a,app:d,app:e", "state at v5")

-- unknown version
local okn, errn = registry.apply_version(42)
eq(okn, false, "unknown version result")
eq(tostring(errn), "version not found: 42", "unknown version error")
eq(registry.current_version():id(), 5, "head unchanged by a failed apply_version")
