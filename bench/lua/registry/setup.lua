-- The state every registry workload starts from: 100,000 entries created in 100 changesets of
-- 1,000, then one-op updates up to 10,000 versions (v1..v10000 on top of the empty v0).
return {
  name = "setup",
  run = function()
    for b = 0, 99 do
      local changes = registry.snapshot():changes()
      for i = b * 1000, b * 1000 + 999 do
        changes:create(entry_of(i, 1))
      end
      assert(changes:apply())
    end
    for v = 101, 10000 do
      local changes = registry.snapshot():changes()
      local i = (v * 7919) % N
      changes:update(entry_of(i, v))
      assert(changes:apply())
    end
    return 10000
  end,
}
