-- Spec example under "Snapshot Object Methods / Find Entries by Criteria".
-- Proves: the snippet runs as written against a snapshot and returns exactly the
-- production services whose region contains "us-west", sorted by namespace then name.
local registry = require("registry")

-- assertion helpers (each script is self-contained)
local function show(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do table.insert(keys, k) end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do table.insert(parts, tostring(k) .. "=" .. show(v[k])) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end
local function deep(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local function eq(a, b, what)
  if a ~= b then error(what .. ": expected " .. show(b) .. ", got " .. show(a), 2) end
end
local function same(a, b, what)
  if not deep(a, b) then error(what .. ": expected " .. show(b) .. ", got " .. show(a), 2) end
end
local function ok(cond, what)
  if not cond then error(what, 2) end
end
local function has(s, sub, what)
  if type(s) ~= "string" or not string.find(s, sub, 1, true) then
    error(what .. ": expected a string containing " .. show(sub) .. ", got " .. show(s), 2)
  end
end
local function ids(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.id end
  return table.concat(out, ",")
end
local seed = registry.snapshot():changes()
seed:create({ id = "services:payments", kind = "service", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "services:auth", kind = "service", meta = { environment = "production", region = "us-west-1" } })
seed:create({ id = "services:search", kind = "service", meta = { environment = "production", region = "eu-west-1" } })
seed:create({ id = "services:staging-auth", kind = "service", meta = { environment = "staging", region = "us-west-1" } })
seed:create({ id = "workers:thumbnails", kind = "service", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "config:payments", kind = "config", meta = { environment = "production", region = "us-west-2" } })
seed:create({ id = "services:noregion", kind = "service", meta = { environment = "production" } })
assert(seed:apply())
local snapshot = registry.snapshot()

-- ===== spec example, verbatim =====
-- Example:
local productionServices = snapshot:find({
  [".kind"] = "service",
  ["meta.environment"] = "production",
  ["*meta.region"] = "us-west"
})
-- ===== end of spec example =====

for _, e in ipairs(productionServices) do
  print(e.id, e.kind, e.meta.environment, e.meta.region)
end
eq(#productionServices, 3, "matches")
eq(ids(productionServices), "services:auth,services:payments,workers:thumbnails", "sorted ids")
