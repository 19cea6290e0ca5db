-- Functions whose spec gives an error return never raise for a bad argument value: nil, wrong
-- types, NaN, negative or fractional versions, and a module function called with ':' all return
-- nil, err (false, err for apply_version) of kind INVALID. Changeset builders, which return the
-- changeset for chaining, raise instead, naming the argument's path.
local registry = require("registry")
local errors = require("errors")
assert(registry.snapshot():changes():create({ id = "svc:api", kind = "service" }):apply())

local snapshot = registry.snapshot()
local history = registry.history()
local calls = {
  { "registry.get", function(a) return registry.get(a) end },
  { "registry.find", function(a) return registry.find(a) end },
  { "registry.snapshot_at", function(a) return registry.snapshot_at(a) end },
  { "registry.apply_version", function(a) return registry.apply_version(a) end },
  { "history:get_version", function(a) return history:get_version(a) end },
  { "history:snapshot_at", function(a) return history:snapshot_at(a) end },
  { "registry.build_delta #1", function(a) return registry.build_delta(a, {}) end },
  { "registry.build_delta #2", function(a) return registry.build_delta({}, a) end },
  { "snapshot:get", function(a) return snapshot:get(a) end },
  { "snapshot:find", function(a) return snapshot:find(a) end },
}
local samples = {
  { "nil", nil }, { "boolean", true }, { "string", "x" }, { "function", print },
  { "NaN", 0 / 0 }, { "negative", -1 }, { "fraction", 1.5 }, { "infinity", math.huge },
}
for _, call in ipairs(calls) do
  for _, sample in ipairs(samples) do
    local raised, first, err = pcall(call[2], sample[2])
    assert(raised, call[1] .. "(" .. sample[1] .. ") raised: " .. tostring(first))
    if first then
      print(call[1] .. "(" .. sample[1] .. ") -> " .. type(first))
    else
      assert(err:kind() == errors.INVALID or err:kind() == errors.NOT_FOUND, call[1] .. " kind")
      print(call[1] .. "(" .. sample[1] .. ") -> " .. tostring(first) .. ", " .. err:kind() .. ": " .. err)
    end
  end
end

-- Module functions called with ':'.
for _, name in ipairs({ "get", "find", "snapshot_at", "apply_version", "build_delta" }) do
  local first, err = registry[name](registry, "svc:api")
  print("registry:" .. name .. " -> " .. tostring(first) .. ", " .. err:kind() .. ": " .. err)
end
print(pcall(registry.parse_id, registry, "a:b"))

-- The spec's rollback with a version that does not exist prints its error.
local oldVersion = history:get_version(42)
local success, err = registry.apply_version(oldVersion)
print(success, "Error rolling back: " .. err)

-- Changeset builders raise, naming the argument's path.
local changes = registry.snapshot():changes()
print(pcall(changes.create, changes, { id = "a:b", kind = "k", data = { handlers = { 1, print } } }))
print(pcall(changes.update, changes, { id = "a:b", kind = "k", meta = { x = 0 / 0 } }))
print(pcall(changes.delete, changes, nil))
print(pcall(changes.create, changes, "a:b"))
print(#changes:ops())
