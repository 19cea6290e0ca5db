-- registry.get of 50,000 random ids (the id strings are built outside the timed loop).
return {
  name = "get",
  prepare = function()
    local ids = {}
    for k = 1, 50000 do
      ids[k] = id_of(rand(N) - 1)
    end
    return ids
  end,
  run = function(ids)
    local get = registry.get
    for k = 1, #ids do
      local e = get(ids[k])
      if not e then error("missing " .. ids[k]) end
    end
    return #ids
  end,
}
