-- History: SIZE entries created in changesets of 100 (SIZE/100 versions), then SIZE/10 one-op
-- updates; "old" is the version halfway through the creation.
local t0 = os.clock()
for b = 0, SIZE // 100 - 1 do
  local ops = {}
  for i = b * 100, b * 100 + 99 do ops[#ops + 1] = { "create", entry_of(i, 1) } end
  IMPL.apply(ops)
end
for u = 1, SIZE // 10 do
  local i = (u * 7919) % SIZE
  IMPL.apply({ { "update", entry_of(i, u + 1) } })
end
local versions = SIZE // 100 + SIZE // 10
print("setup", versions, os.clock() - t0)
local old = SIZE // 200
measure("snapshot", function() return IMPL.snapshot() end)
measure("snapshot_at_old", function() return IMPL.snapshot_at(old) end)
measure("apply_one", function(k) return IMPL.apply({ { "update", entry_of(rand(SIZE) - 1, 100000 + k) } }) end, 1024)
