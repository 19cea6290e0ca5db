-- Shared by every registry workload: the registry, a deterministic random generator and the
-- shape of the entries. The drivers put this file, then one workload, then a trailer that picks
-- what runs (bench/lib/scripts.mjs); scripts cannot require files.
local registry = require("registry")

-- A linear congruential generator (same numbers in every VM and run): rand(n) is 1..n.
local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end

local N = 100000 -- entries in the registry
local function id_of(i)
  return string.format("ns%03d:entry-%06d", i // 1000, i)
end
local function kind_of(i)
  return "kind-" .. (i % 100)
end
-- Entry i at a revision, shaped like the spec's example service (as registry-core's benches),
-- plus a description for the regex scan: 1% of them end in "team-42".
local function entry_of(i, revision)
  return {
    id = id_of(i),
    kind = kind_of(i),
    meta = {
      environment = (i % 2 == 0) and "production" or "staging",
      owner = "team-" .. (i % 10),
      revision = revision,
      tags = { "microservice", "api" },
      description = "entry " .. i .. " of kind " .. (i % 100) .. " run by team-" .. (i % 100),
    },
    data = { port = 8000 + (i % 1000), replicas = 3 },
  }
end
