-- The registry itself, behind the driver's three operations.
local registry = require("registry")
IMPL = {
  apply = function(ops)
    local changes = registry.snapshot():changes()
    for _, op in ipairs(ops) do
      if op[1] == "create" then changes:create(op[2]) else changes:update(op[2]) end
    end
    return assert(changes:apply())
  end,
  snapshot = function() return registry.snapshot() end,
  snapshot_at = function(v) return assert(registry.snapshot_at(v)) end,
}
