-- Bad input: every function and method, called with each wrong type for each argument and with
-- hostile values, gives a clear error (a raised string or a returned error object) or a
-- documented result;
-- never a crash or a hang, and the registry is unchanged.
local registry = require("registry")

local seeded = registry.snapshot():changes():create({ id = "svc:api", kind = "service", meta = { tags = { "a" } } })
assert(seeded:apply())
local function fingerprint()
  local parts = { tostring(#registry.versions()), registry.current_version():string() }
  for _, e in ipairs(registry.snapshot():entries()) do
    parts[#parts + 1] = e.id .. "=" .. e.kind
  end
  return table.concat(parts, " ")
end
local before = fingerprint()

local cyclic = {}
cyclic.self = cyclic
local deep = {}
for _ = 1, 10000 do
  deep = { deep }
end
local tricky = setmetatable({}, {
  __index = function() error("__index must not be consulted") end,
  __pairs = function() error("__pairs must not be consulted") end,
})

-- One value of every Lua type, then hostile values.
local values = {
  { "nil", nil }, { "boolean", true }, { "number", 42 }, { "string", "x" }, { "table", {} },
  { "function", print }, { "userdata", registry.snapshot() }, { "thread", coroutine.create(print) },
  { "empty id", "" }, { "colon", ":" }, { "no name", "a:" }, { "no namespace", ":b" },
  { "10 MB string", string.rep("x", 10 * 1024 * 1024) }, { "invalid UTF-8", "\255:\254" },
  { "NaN", 0 / 0 }, { "infinity", math.huge }, { "negative", -1 }, { "fraction", 1.5 },
  { "cyclic table", cyclic }, { "10,000-deep table", deep }, { "metatable tricks", tricky },
  { "slow regex", { ["~meta.tags"] = string.rep("(a*)*", 50) .. "b" } },
}

local snapshot = registry.snapshot()
local objects = {
  registry = registry,
  snapshot = snapshot,
  changes = snapshot:changes(),
  history = registry.history(),
  version = registry.current_version(),
}
-- Every function and method, with how many arguments it takes.
local calls = {
  { "registry", "get", 1 }, { "registry", "find", 1 }, { "registry", "snapshot", 0 },
  { "registry", "snapshot_at", 1 }, { "registry", "current_version", 0 }, { "registry", "versions", 0 },
  { "registry", "apply_version", 1 }, { "registry", "parse_id", 1 }, { "registry", "history", 0 },
  { "registry", "build_delta", 2 },
  { "snapshot", "entries", 0 }, { "snapshot", "get", 1 }, { "snapshot", "namespace", 1 },
  { "snapshot", "find", 1 }, { "snapshot", "changes", 0 }, { "snapshot", "version", 0 },
  { "changes", "ops", 0 }, { "changes", "create", 1 }, { "changes", "update", 1 },
  { "changes", "delete", 1 }, { "changes", "apply", 0 },
  { "history", "versions", 0 }, { "history", "get_version", 1 }, { "history", "snapshot_at", 1 },
  { "version", "id", 0 }, { "version", "previous", 0 }, { "version", "string", 0 },
  { "version", "time", 0 }, { "version", "ops", 0 },
}

local checked = 0
local function check(label, ok, a, b)
  checked = checked + 1
  if not ok then
    assert(type(a) == "string", label .. ": raised a " .. type(a) .. " instead of a message")
    assert(#a > 0 and #a < 4096, label .. ": raised a message of " .. #a .. " bytes")
  elseif a == nil or a == false then
    -- nil, err / false, err: an error object whose message says something; some functions
    -- return nil alone (version:previous() of v0 is not among these objects).
    assert(b == nil or (type(b) == "userdata" and type(b:kind()) == "string" and #b > 0 and #b < 4096),
      label .. ": bad error value")
  end
  assert(fingerprint() == before, label .. ": changed the registry")
end

for _, call in ipairs(calls) do
  local object_name, method, arity = call[1], call[2], call[3]
  local object = objects[object_name]
  local f = object[method]
  local is_method = object_name ~= "registry"
  local positions = math.max(arity, 1)
  for position = 1, positions do
    for _, sample in ipairs(values) do
      local args = { "svc:api", "svc:api" }
      args[position] = sample[2]
      local label = object_name .. "." .. method .. " #" .. position .. " " .. sample[1]
      if is_method then
        check(label, pcall(f, object, args[1], args[2]))
      else
        check(label, pcall(f, args[1], args[2]))
      end
    end
  end
  -- Methods called on a wrong receiver (`snapshot.get(...)` instead of `snapshot:get(...)`).
  if is_method then
    for _, sample in ipairs(values) do
      local ok, err = pcall(f, sample[2], "svc:api")
      check(object_name .. "." .. method .. " on " .. sample[1], ok, err)
      if sample[1] ~= "userdata" or object_name ~= "snapshot" then
        assert(not ok and err:find("bad self", 1, true), object_name .. "." .. method .. " on " .. sample[1])
      end
    end
  end
end

-- The changeset above may hold ops only if a call succeeded; it must still apply nothing bad.
local staged = #objects.changes:ops()
assert(staged == 0, "no malformed op was staged, got " .. staged)
assert(checked > 1000, "checked " .. checked .. " calls")
assert(fingerprint() == before)
