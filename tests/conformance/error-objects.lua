-- Error objects: what registry functions return as err works both the way scripts that treat
-- errors as strings use it (print, tostring, .., string.format, string methods, #) and the way
-- scripts written for the original runtime use it (err:kind() against errors.*, err:retryable(),
-- err:message(), err:details()).
local registry = require("registry")

-- As a string.
local entry, err = registry.get("services:missing")
print(entry, err)
print("Error: " .. err)
print(err .. " (while reading)")
print(string.format("[%s]", err))
print(tostring(err) == "entry not found: services:missing", type(tostring(err)))
print(err:find("not found", 1, true))
print(err:match("^entry not found: (.+)$"))
print(err:sub(1, 5), err:upper(), #err, err:len())
print(err:gsub("missing", "gone"))
print(select("#", err:byte(1, -1)))
if not entry then
  print("Entry not found: " .. (err or "unknown error"))
end
local ok, concat_error = pcall(function() return err .. {} end)
print(ok, concat_error:find("attempt to concatenate", 1, true) ~= nil)

-- As an object.
local errors = require("errors")
print(errors == _G.errors, type(err))
print(err:kind(), err:kind() == errors.NOT_FOUND, err:retryable(), err:message())
print(err:details().id, err:details() ~= err:details())
-- Not a string: == compares it with strings as unequal, string library functions need tostring.
print(err == "entry not found: services:missing", err:message() == "entry not found: services:missing")
print(pcall(string.find, err, "missing"))
print(string.find(tostring(err), "missing"))
local kinds = {}
for name, value in pairs(errors) do
  assert(name == value, name)
  kinds[#kinds + 1] = name
end
table.sort(kinds)
print(table.concat(kinds, " "))
print(pcall(function() errors.NOT_FOUND = "x" end))
print(errors.NOT_FOUND)

-- Each kind a registry function returns, with its details.
local base = registry.snapshot()
assert(base:changes():create({ id = "services:api", kind = "service" }):apply())
local _, exists = registry.snapshot():changes():create({ id = "services:api", kind = "service" }):apply()
print(exists:kind(), exists:retryable(), exists:details().id, exists)
assert(registry.snapshot():changes():update({ id = "services:api", kind = "service", data = 1 }):apply())
local _, conflict = base:changes():delete("services:api"):apply()
local details = conflict:details()
print(conflict:kind(), conflict:retryable(), details.id, details.version, details.snapshot, conflict)
local _, missing_version = registry.snapshot_at(99)
print(missing_version:kind(), missing_version:details().version, missing_version)
local _, bad_regex = registry.find({ ["~meta.description"] = "(" })
print(bad_regex:kind(), bad_regex:retryable(), bad_regex:details(), bad_regex)
local _, nothing = registry.snapshot():changes():apply()
print(nothing:kind(), nothing:details(), nothing)
local moved, not_moved = registry.apply_version(99)
print(moved, not_moved:kind(), not_moved)

-- The usual retry loop of a kind-checking script.
local attempts = 0
local stale = registry.snapshot()
assert(registry.snapshot():changes():update({ id = "services:api", kind = "service", data = 2 }):apply())
local snapshot = stale
while true do
  attempts = attempts + 1
  local version, apply_error = snapshot:changes():update({ id = "services:api", kind = "service", data = 3 }):apply()
  if version then
    print("applied " .. version:string() .. " after " .. attempts .. " attempts")
    break
  elseif apply_error:retryable() then
    snapshot = registry.snapshot()
  else
    error(apply_error)
  end
end

-- Raised and caught, an error object stays itself; its methods need it as self.
local caught_ok, caught = pcall(error, err)
print(caught_ok, caught == err, caught:kind())
print(pcall(err.kind, "not an error"))
