-- The obvious plain-Lua registry: head is a table id -> entry, changed in place; the history is
-- the list of changesets; a snapshot copies head's table (entries are private copies that are
-- never changed, so the copy is shallow); an old version is rebuilt by replaying the history
-- from v0. apply checks every op (create of a new id, update of an existing one) before
-- changing anything, and stores deep copies of the entries it is given.
local function copy(value)
  if type(value) ~= "table" then return value end
  local out = {}
  for k, v in pairs(value) do out[k] = copy(v) end
  return out
end

local head, log, version = {}, {}, 0
IMPL = {
  apply = function(ops)
    for _, op in ipairs(ops) do
      local exists = head[op[2].id] ~= nil
      if (op[1] == "create") == exists then return nil, op[1] .. ": " .. op[2].id end
    end
    local stored = {}
    for k, op in ipairs(ops) do
      local entry = copy(op[2])
      head[entry.id] = entry
      stored[k] = entry
    end
    version = version + 1
    log[version] = stored
    return version
  end,
  snapshot = function()
    local s = {}
    for id, entry in pairs(head) do s[id] = entry end
    return { version = version, entries = s }
  end,
  snapshot_at = function(v)
    local s = {}
    for k = 1, v do
      for _, entry in ipairs(log[k]) do s[entry.id] = entry end
    end
    return { version = v, entries = s }
  end,
}
