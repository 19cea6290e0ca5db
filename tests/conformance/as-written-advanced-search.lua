-- seeds: empty, sample=../../playground/src/seed.lua
-- Spec example "Advanced Searching", exactly as written: on an empty registry and on the playground's sample data (playground/src/seed.lua).
-- The first line of code is the spec's "Loading the Module".
local registry = require("registry")

-- Find entries by criteria directly
local apiServices, err = registry.find({
  ["~meta.description"] = ".*api.*",
  ["^meta.status"] = "healthy"
})
if apiServices then
  print("Found " .. #apiServices .. " healthy API services")
end
