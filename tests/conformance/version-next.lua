-- version:next(): the child on the way to head when head descends from the version, otherwise
-- the newest child, nil when there is none.
local registry = require("registry")

local function commit(n)
  return assert(registry.snapshot():changes():create({ id = "a:" .. n, kind = "k" }):apply())
end
local function next_of(id)
  local next_version = assert(registry.history():get_version(id)):next()
  return next_version and next_version:id()
end

-- A linear history: walking next() from v0 visits every version once, in order.
for n = 1, 3 do commit(n) end
local walked = {}
local version = assert(registry.history():get_version(0))
while version do
  walked[#walked + 1] = version:string()
  version = version:next()
end
print("linear: " .. table.concat(walked, " "))
print("at head:", registry.current_version():next())

-- A branch: back to v1, then v4 on top of it.
assert(registry.apply_version(1))
commit(4)
print("head v4: v0->", next_of(0), "v1->", next_of(1), "v2->", next_of(2), "v3->", next_of(3), "v4->", next_of(4))
assert(registry.apply_version(3))
print("head v3: v1->", next_of(1), "v2->", next_of(2), "v3->", next_of(3))
assert(registry.apply_version(1))
print("head v1: v1->", next_of(1), "v0->", next_of(0))
assert(registry.apply_version(0))
print("head v0: v0->", next_of(0))
