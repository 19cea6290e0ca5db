-- registry.build_delta of two 100,000-entry lists that differ in 1% (1,000 updated entries).
-- The lists (head's entries, and a copy with 1,000 changed) are built outside the timed part.
return {
  name = "build_delta",
  prepare = function()
    local from = registry.snapshot():entries()
    local to = table.clone(from)
    for k = 1, 1000 do
      local e = from[k * 100]
      local changed = table.clone(e)
      changed.data = { port = 1, replicas = 1 }
      to[k * 100] = changed
    end
    return { from = from, to = to }
  end,
  run = function(lists)
    local delta = assert(registry.build_delta(lists.from, lists.to))
    if #delta ~= 1000 then error("build_delta: " .. #delta .. " ops") end
    return 1
  end,
}
