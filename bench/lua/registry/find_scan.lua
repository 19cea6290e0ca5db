-- registry.find by a regex on meta.description (a scan of all 100,000): 2 calls, each 1%.
return {
  name = "find_scan",
  prepare = function() return nil end,
  run = function()
    for k = 1, 2 do
      local found = registry.find({ ["~meta.description"] = "team-" .. (40 + k) .. "$" })
      if #found ~= 1000 then error("find_scan: " .. #found .. " results") end
    end
    return 2
  end,
}
