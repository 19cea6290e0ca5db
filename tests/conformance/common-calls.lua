-- registry.get, registry.snapshot and registry.snapshot_at answer their common calls in C
-- functions of their own (registry-core/src/lua/c_function.rs) and every other call in the
-- full function: extra arguments (a few, or more than the C function takes), the module as
-- argument 1 and wrong types give the same results and errors either way.
local registry = require("registry")
assert(registry.snapshot():changes():create({ id = "svc:api", kind = "service", data = { port = 1 } }):apply())
assert(registry.snapshot():changes():create({ id = "svc:db", kind = "service" }):apply())
local many = {}
for i = 1, 20 do many[i] = i end

-- get: one extra argument (the C function) and twenty (the full function).
local entry = registry.get("svc:api")
same(registry.get("svc:api", "ignored"), entry, "get with an extra argument")
same(registry.get("svc:api", table.unpack(many)), entry, "get with twenty extra arguments")
local none, err = registry.get("svc:nope", table.unpack(many))
eq(none, nil, "get of a missing id with twenty extra arguments")
print(tostring(err))
print(select(2, registry.get(42, table.unpack(many))))
print(select(2, registry.get(42)))
print(select(2, registry:get("svc:api")))
local bad = registry.get("svc:\255")
print(bad, select(2, registry.get("svc:\255")))

-- snapshot: it ignores its arguments, however many, and the module as argument 1.
local head = registry.current_version():id()
eq(registry.snapshot():version():id(), head, "snapshot()")
eq(select("#", registry.snapshot()), 2, "snapshot() returns the snapshot and nil")
eq(registry.snapshot(1, "x", {}):version():id(), head, "snapshot with arguments")
eq(registry:snapshot():version():id(), head, "registry:snapshot()")
eq(registry.snapshot(table.unpack(many)):version():id(), head, "snapshot with twenty arguments")
eq(select("#", registry.snapshot(table.unpack(many))), 2, "snapshot with twenty arguments returns two values")
print(tostring(registry.snapshot(table.unpack(many))))

-- snapshot_at: a version number, with extra arguments, and what the full function refuses.
eq(registry.snapshot_at(1, "x"):version():id(), 1, "snapshot_at with an extra argument")
eq(registry.snapshot_at(1, table.unpack(many)):version():id(), 1, "snapshot_at with twenty extra arguments")
print(select(2, registry.snapshot_at(7, table.unpack(many))))
print(select(2, registry.snapshot_at(1.5)))
print(select(2, registry.snapshot_at(-1)))
print(select(2, registry.snapshot_at("1")))
print(select(2, registry.snapshot_at("1", table.unpack(many))))
print(select(2, registry:snapshot_at(1)))
