-- A registry-like workload on plain tables: 12,000 entries (nested tables), 60,000 lookups by
-- id, a filter by kind (10 scans), updates that copy the entry, and a sorted id list.
local entries = {}
local ids = {}
for i = 1, 12000 do
  local id = "ns" .. (i % 20) .. ":entry-" .. i
  entries[id] = {
    id = id,
    kind = "kind-" .. (i % 100),
    meta = { owner = "team-" .. (i % 10), revision = 1, tags = { "microservice", "api" } },
    data = { port = 8000 + (i % 1000), replicas = 3 },
  }
  ids[i] = id
end
local sum = 0
for k = 1, 60000 do
  local e = entries[ids[(k * 7919) % 12000 + 1]]
  sum = sum + e.data.port
end
local found = 0
for j = 0, 9 do
  local kind = "kind-" .. j
  for _, e in pairs(entries) do
    if e.kind == kind then found = found + 1 end
  end
end
for k = 1, 12000, 4 do
  local old = entries[ids[k]]
  local meta = {}
  for key, v in pairs(old.meta) do meta[key] = v end
  meta.revision = old.meta.revision + 1
  entries[old.id] = { id = old.id, kind = old.kind, meta = meta, data = old.data }
end
table.sort(ids)
return (sum + found * 7 + #ids[1] + entries[ids[12000]].meta.revision) % 1000000007
