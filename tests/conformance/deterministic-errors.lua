-- Where several parts of an argument are wrong, the error names the same one every run,
-- whatever order the table was filled in.
local registry = require("registry")

local function fill(order, values)
  local t = {}
  for _, key in ipairs(order) do t[key] = values[key] end
  return t
end
local orders = {
  { "b", "a", "c", "~meta.z" }, { "~meta.z", "c", "a", "b" }, { "c", "~meta.z", "b", "a" },
}
local function same_every_time(label, make)
  local seen
  for _, order in ipairs(orders) do
    local message = make(order)
    assert(seen == nil or seen == message, label .. ": " .. tostring(seen) .. " vs " .. tostring(message))
    seen = message
  end
  print(label .. ": " .. seen)
end

local bad = { a = print, b = coroutine.create(print), c = 0 / 0, ["~meta.z"] = "(" }
same_every_time("find", function(order)
  local _, err = registry.find(fill(order, bad))
  return tostring(err)
end)
same_every_time("find with key types", function(order)
  local criteria = fill(order, bad)
  criteria[true] = 1
  criteria[print] = 2
  local _, err = registry.find(criteria)
  return tostring(err)
end)
same_every_time("data", function(order)
  local ok, err = pcall(function()
    registry.snapshot():changes():create({ id = "a:b", kind = "k", data = fill(order, bad) })
  end)
  return err
end)
same_every_time("entry fields", function(order)
  local entry = fill(order, { a = 1, b = 2, c = 3, ["~meta.z"] = 4 })
  entry.id, entry.kind = "a:b", "k"
  local ok, err = pcall(function() registry.snapshot():changes():create(entry) end)
  return err
end)
same_every_time("array", function(order)
  local ok, err = pcall(function()
    registry.snapshot():changes():create({ id = "a:b", kind = "k", data = { [1] = 1, [5] = 2, [9] = 3 } })
  end)
  return err
end)
