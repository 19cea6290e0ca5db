-- The growth comparison (bench/lib/growth.mjs): one implementation (ours.lua or naive.lua,
-- which define IMPL), grown to SIZE entries with a history, then three operations timed with
-- os.clock() (natively, where it is real time). Put before the implementation by the driver.
local SIZE = __SIZE__

local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end

local function id_of(i)
  return string.format("ns%03d:entry-%06d", i // 1000, i)
end
local function entry_of(i, revision)
  return {
    id = id_of(i),
    kind = "kind-" .. (i % 100),
    meta = {
      environment = (i % 2 == 0) and "production" or "staging",
      owner = "team-" .. (i % 10),
      revision = revision,
      tags = { "microservice", "api" },
    },
    data = { port = 8000 + (i % 1000), replicas = 3 },
  }
end

-- Seconds per call of f: batches doubled until one takes 20 ms, then 5 batches of that size;
-- prints `name<TAB>calls<TAB>seconds` per batch.
-- max_batch bounds work that keeps what it creates (each apply adds a version), so that a fast
-- implementation does not run itself out of memory by calibrating a larger batch.
local function measure(name, f, max_batch)
  local batch = 1
  while true do
    local t = os.clock()
    for k = 1, batch do f(k) end
    if os.clock() - t >= 0.02 or batch >= (max_batch or 1000000) then break end
    batch = batch * 2
  end
  for r = 1, 5 do
    local t = os.clock()
    for k = 1, batch do f(k) end
    print(name, batch, os.clock() - t)
  end
end
