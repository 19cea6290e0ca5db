-- registry.find by .kind (the index): 20 calls, each 1% of the entries (1,000 results).
return {
  name = "find_kind",
  prepare = function() return nil end,
  run = function()
    for k = 1, 20 do
      local found = registry.find({ [".kind"] = "kind-" .. (k % 100) })
      if #found ~= 1000 then error("find_kind: " .. #found .. " results") end
    end
    return 20
  end,
}
