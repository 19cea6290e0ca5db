-- registry.snapshot_at of 100,000 random versions among the first 10,000.
return {
  name = "snapshot_at",
  prepare = function()
    local versions = {}
    for k = 1, 100000 do
      versions[k] = rand(10000)
    end
    return versions
  end,
  run = function(versions)
    local at = registry.snapshot_at
    for k = 1, #versions do
      if not at(versions[k]) then error("no snapshot of v" .. versions[k]) end
    end
    return #versions
  end,
}
