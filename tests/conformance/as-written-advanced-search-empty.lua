-- Spec example "Advanced Searching", exactly as written, on an empty registry.
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
