-- 1,000 changesets of 10 updates each, built (entry tables included) and applied.
return {
  name = "apply",
  prepare = function() return nil end,
  run = function(_, rep)
    for c = 1, 1000 do
      local changes = registry.snapshot():changes()
      for k = 1, 10 do
        local i = rand(N) - 1
        changes:update(entry_of(i, 20000 + rep * 1000 + c))
      end
      assert(changes:apply())
    end
    return 1000
  end,
}
